"""``--to terraform``: node pools per provider with whole-instance counts per period (every period).

Writes ``fleet.tfvars.json`` and the ``variables.tf`` it is written for (shipped beside this
module). GKE node pools (provider ``gcp``) carry the machine type and accelerator type of the offer,
EKS managed node groups (provider ``aws``) the instance type and capacity type; other providers'
instances go to ``other_node_pools``. Instances per period round the plan's chips up to whole
instances (see the procurement export). A GKE or EKS offer whose catalog ``instance`` names no
machine or instance type is exit 2.
"""

from __future__ import annotations

import importlib.resources
import json
import math
import re
from collections import defaultdict
from typing import Any

from planner.exports.base import ExportContext, ExportError, ExportFile, dns_label, instance_type
from planner.exports.procurement import chips_per_instance
from planner.plan import AcceleratorLine

_GCE_MACHINE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)+$")
_EC2_INSTANCE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")
_GKE_ACCELERATOR_LABELS = ("cloud.google.com/gke-accelerator", "cloud.google.com/gke-tpu-accelerator")

Key = tuple[str, str, str]


def variables_tf() -> str:
    """The shipped ``variables.tf``."""
    return (importlib.resources.files("planner.exports") / "variables.tf").read_text(encoding="utf-8")


def render(ctx: ExportContext) -> list[ExportFile]:
    """``fleet.tfvars.json`` and ``variables.tf``."""
    values = tfvars(ctx)
    return [
        ExportFile("fleet.tfvars.json", json.dumps(values, indent=2) + "\n"),
        ExportFile("variables.tf", variables_tf()),
    ]


def instance_counts(ctx: ExportContext) -> dict[Key, dict[str, int]]:
    """Whole instances per (provider, accelerator, tier) and period (0 where a period buys none)."""
    labels = [p.period for p in ctx.plan.periods]
    counts: dict[Key, dict[str, int]] = defaultdict(lambda: dict.fromkeys(labels, 0))
    for p in ctx.plan.periods:
        for a in p.accelerators:
            per_instance, _ = chips_per_instance(ctx, a)
            counts[(a.provider, a.accelerator, a.tier)][p.period] += math.ceil(a.chips / per_instance)
    return dict(sorted(counts.items()))


def _first_line(ctx: ExportContext, key: Key) -> AcceleratorLine:
    provider, acc, tier = key
    return next(
        a
        for p in ctx.plan.periods
        for a in p.accelerators
        if (a.provider, a.accelerator, a.tier) == (provider, acc, tier)
    )


def _instance(ctx: ExportContext, key: Key, pattern: re.Pattern[str], what: str) -> str:
    provider, acc, tier = key
    offer = ctx.offer(acc, provider, tier)
    first = instance_type(offer) or ""
    if not pattern.match(first):
        raise ExportError(
            f"offer {provider}/{tier} of {acc} names no {what} (catalog instance: "
            f"{offer.instance if offer else 'none'!r}); set the offer's instance with --catalog"
        )
    return first


def gke_pool(ctx: ExportContext, key: Key, counts: dict[str, int]) -> dict[str, Any]:
    """One GKE node pool."""
    provider, acc, tier = key
    spec = ctx.accelerator(acc).kubernetes
    labels = {
        **(spec.node_labels if spec else {}),
        **(spec.provider_node_labels.get(provider, {}) if spec else {}),
    }
    kind = next((labels[k] for k in _GKE_ACCELERATOR_LABELS if k in labels), None)
    if kind is None:
        raise ExportError(f"accelerator '{acc}' has no GKE accelerator label in its kubernetes block")
    per_instance, _ = chips_per_instance(ctx, _first_line(ctx, key))
    return {
        "name": dns_label(f"{acc}-{tier}", 40),
        "accelerator": acc,
        "tier": tier,
        "machine_type": _instance(ctx, key, _GCE_MACHINE, "GCE machine type"),
        "accelerator_type": kind,
        "accelerator_count": per_instance,
        "spot": tier == "spot",
        "node_count": counts,
    }


def eks_group(ctx: ExportContext, key: Key, counts: dict[str, int]) -> dict[str, Any]:
    """One EKS managed node group."""
    _, acc, tier = key
    per_instance, _ = chips_per_instance(ctx, _first_line(ctx, key))
    return {
        "name": dns_label(f"{acc}-{tier}", 63),
        "accelerator": acc,
        "tier": tier,
        "instance_types": [_instance(ctx, key, _EC2_INSTANCE, "EC2 instance type")],
        "capacity_type": "SPOT" if tier == "spot" else "ON_DEMAND",
        "accelerators_per_instance": per_instance,
        "desired_size": counts,
    }


def other_pool(ctx: ExportContext, key: Key, counts: dict[str, int]) -> dict[str, Any]:
    """Instances of a provider without a managed node pool type here."""
    provider, acc, tier = key
    per_instance, instance = chips_per_instance(ctx, _first_line(ctx, key))
    return {
        "name": dns_label(f"{provider}-{acc}-{tier}"),
        "provider": provider,
        "accelerator": acc,
        "tier": tier,
        "instance_type": instance,
        "accelerators_per_instance": per_instance,
        "instances": counts,
    }


def tfvars(ctx: ExportContext) -> dict[str, Any]:
    """The values of ``variables.tf`` for the plan; ``period`` is the peak period."""
    gke, eks, other = [], [], []
    for key, counts in instance_counts(ctx).items():
        if key[0] == "gcp":
            gke.append(gke_pool(ctx, key, counts))
        elif key[0] == "aws":
            eks.append(eks_group(ctx, key, counts))
        else:
            other.append(other_pool(ctx, key, counts))
    chips = [sum(a.chips for a in p.accelerators) for p in ctx.plan.periods]
    peak = ctx.plan.periods[chips.index(max(chips))].period
    return {
        "periods": [p.period for p in ctx.plan.periods],
        "period": peak,
        "gke_node_pools": gke,
        "eks_node_groups": eks,
        "other_node_pools": other,
    }
