"""``--to routing``: the routing the plan assumes, as a table and as a LiteLLM proxy config.

``routing.csv``: per exported period, workload (its request-size class: mean input and output
tokens) and target (a deployment or an API), the share of the workload's served requests, summing
to 1 per workload and period. ``<period>/litellm-config.yaml``: LiteLLM's ``model_list`` with one
``model_name`` per workload and a weighted entry per target (simple-shuffle routing picks entries
in proportion to ``weight``). A gateway routes by model name and cannot split one workload by
request size, so a model's traffic split into size classes must reach the gateway as separate
workloads (clients send the workload as the model name). A mixed fleet meets its latency targets
only when traffic is routed as planned.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from typing import Any

from planner.exports.base import ExportContext, ExportError, ExportFile, path_part, yaml_text
from planner.exports.serving import PORT, Serving, servings
from planner.plan import PeriodPlan

CSV_COLUMNS = (
    "period",
    "workload",
    "input_tokens",
    "output_tokens",
    "target_kind",
    "target",
    "share",
    "requests_per_s",
)
SHARE_DIGITS = 6


def render(ctx: ExportContext) -> list[ExportFile]:
    """``routing.csv`` over the exported periods, and one LiteLLM config per period."""
    periods = ctx.periods()
    files = [ExportFile("routing.csv", routing_csv(periods))]
    files += [
        ExportFile(f"{path_part(p.period)}/litellm-config.yaml", yaml_text(litellm_config(ctx, p)))
        for p in periods
    ]
    return files


def shares(period: PeriodPlan) -> dict[str, list[tuple[str, str, float, float]]]:
    """Per workload: (kind, target, share, requests/s), shares rounded and summing exactly to 1."""
    routes: dict[str, list[tuple[str, str, float]]] = defaultdict(list)
    for r in period.routing:
        if r.requests_per_s > 0:
            routes[r.workload].append((r.kind, r.target, r.requests_per_s))
    out: dict[str, list[tuple[str, str, float, float]]] = {}
    for workload, rows in routes.items():
        total = sum(x for _, _, x in rows)
        rounded = [round(x / total, SHARE_DIGITS) for _, _, x in rows]
        big = max(range(len(rows)), key=lambda i: rows[i][2])
        rounded[big] = round(1.0 - sum(v for i, v in enumerate(rounded) if i != big), SHARE_DIGITS)
        out[workload] = [(k, t, s, x) for (k, t, x), s in zip(rows, rounded, strict=True)]
    return out


def routing_csv(periods: tuple[PeriodPlan, ...]) -> str:
    """The routing table as CSV text."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for p in periods:
        tokens = {w.workload: (w.input_tokens, w.output_tokens) for w in p.workloads}
        for workload, rows in shares(p).items():
            inp, out = tokens.get(workload, (None, None))
            for kind, target, share, rps in rows:
                writer.writerow([p.period, workload, _num(inp), _num(out), kind, target, f"{share:.6f}", rps])
    return buf.getvalue()


def _num(x: float | None) -> str:
    return "" if x is None else f"{x:g}"


def litellm_config(ctx: ExportContext, period: PeriodPlan) -> dict[str, Any]:
    """LiteLLM proxy config: one model_name per workload, weighted entries per target."""
    by_deployment: dict[str, list[Serving]] = defaultdict(list)
    for s in servings(ctx, period):
        by_deployment[s.deployment.id].append(s)
    namespace = ctx.options.namespace or "default"
    entries: list[dict[str, Any]] = []
    for workload, rows in shares(period).items():
        for kind, target, share, _ in rows:
            if kind == "api":
                entries.append(_api_entry(ctx, workload, target, share))
                continue
            group = by_deployment[target]
            replicas = sum(s.replicas for s in group)
            for s in group:
                entries.append(
                    _vllm_entry(workload, s, round(share * s.replicas / replicas, SHARE_DIGITS), namespace)
                )
    return {"model_list": entries, "router_settings": {"routing_strategy": "simple-shuffle"}}


def _vllm_entry(workload: str, s: Serving, weight: float, namespace: str) -> dict[str, Any]:
    return {
        "model_name": workload,
        "litellm_params": {
            "model": f"hosted_vllm/{s.deployment.model}",
            "api_base": f"http://{s.name}.{namespace}.svc.cluster.local:{PORT}/v1",
            "weight": weight,
        },
        "model_info": {"id": f"{workload}/{s.name}"},
    }


def _api_entry(ctx: ExportContext, workload: str, api_id: str, weight: float) -> dict[str, Any]:
    api = ctx.catalog.apis.get(api_id)
    if api is None or api.litellm_model is None:
        raise ExportError(f"API '{api_id}' has no litellm_model in the catalog (add one with --catalog)")
    return {
        "model_name": workload,
        "litellm_params": {"model": api.litellm_model, "weight": weight},
        "model_info": {"id": f"{workload}/{api_id}"},
    }
