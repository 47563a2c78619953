"""``--to procurement``: the bill of materials, per period, accelerator, provider and tier (every period).

``bom.csv`` columns: chips, the instance type and chips per instance of the offer, whole instances,
hours, USD per chip-hour, ``usd`` (what the plan charges: the column sums to the plan's accelerator
cost to the cent) and, where the chips do not fill whole instances, ``whole_instance_usd`` (what the
whole instances would cost) with a warning. Chips per instance: the offer's ``chips_per_instance``,
else the accelerator's chips per node when the offer is sold by the node, else 1.
"""

from __future__ import annotations

import csv
import io
import math

from planner.exports.base import ExportContext, ExportFile
from planner.plan import AcceleratorLine, PeriodPlan

COLUMNS = (
    "period",
    "accelerator",
    "provider",
    "tier",
    "chips",
    "instance_type",
    "chips_per_instance",
    "instances",
    "hours",
    "usd_per_chip_hour",
    "usd",
    "whole_instance_usd",
    "warning",
)


def render(ctx: ExportContext) -> list[ExportFile]:
    """``bom.csv`` over every period of the plan."""
    return [ExportFile("bom.csv", bom_csv(ctx))]


def chips_per_instance(ctx: ExportContext, line: AcceleratorLine) -> tuple[int, str]:
    """Chips in one instance of the line's offer, and the instance type ('' when unknown)."""
    acc = ctx.accelerator(line.accelerator)
    offer = ctx.offer(line.accelerator, line.provider, line.tier)
    if offer is None:
        return 1, ""
    if offer.chips_per_instance is not None:
        return offer.chips_per_instance, offer.instance or ""
    return (acc.chips_per_node if offer.sold_by_node else 1), offer.instance or ""


def cents(values: list[float], total: float) -> list[int]:
    """Values in whole cents summing exactly to ``total`` in cents (largest remainders get the rest)."""
    raw = [v * 100 for v in values]
    out = [math.floor(r) for r in raw]
    missing = round(total * 100) - sum(out)
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - out[i]), i))
    for i in order[: max(missing, 0)]:
        out[i] += 1
    return out


def bom_rows(ctx: ExportContext) -> list[dict[str, object]]:
    """One row per chip line of every period, ``usd`` in cents summing to the plan's figure."""
    lines: list[tuple[PeriodPlan, AcceleratorLine]] = [
        (p, a) for p in ctx.plan.periods for a in p.accelerators
    ]
    usd = cents([a.usd for _, a in lines], ctx.plan.cost_usd.accelerators)
    rows = []
    for (p, a), usd_cents in zip(lines, usd, strict=True):
        per_instance, instance_type = chips_per_instance(ctx, a)
        instances = math.ceil(a.chips / per_instance)
        price = a.usd / (a.chips * p.hours) if a.chips and p.hours else 0.0
        spare = instances * per_instance - a.chips
        rows.append(
            {
                "period": p.period,
                "accelerator": a.accelerator,
                "provider": a.provider,
                "tier": a.tier,
                "chips": a.chips,
                "instance_type": instance_type,
                "chips_per_instance": per_instance,
                "instances": instances,
                "hours": f"{p.hours:g}",
                "usd_per_chip_hour": f"{price:.6g}",
                "usd": f"{usd_cents / 100:.2f}",
                "whole_instance_usd": f"{instances * per_instance * price * p.hours:.2f}" if spare else "",
                "warning": (
                    f"{a.chips} chips leave {spare} of {instances} x {per_instance}-chip instances unused"
                    if spare
                    else ""
                ),
            }
        )
    return rows


def bom_csv(ctx: ExportContext) -> str:
    """The bill of materials as CSV text."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(bom_rows(ctx))
    return buf.getvalue()
