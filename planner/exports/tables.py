"""``--to csv`` / ``--to yaml``: the plan as flat tables for spreadsheets (every period).

Tables: chips, placements, deployments, routing, workloads. Each cost figure is in exactly one
table: accelerator cost in ``chips.usd``, API cost in ``routing.api_usd`` (API rows only); a
deployment's share of its chips' cost is not repeated. ``csv`` writes ``tables/<table>.csv``;
``yaml`` writes ``tables.yaml`` with one list of rows per table.
"""

from __future__ import annotations

import csv
import io

from planner.exports.base import ExportContext, ExportFile, yaml_text
from planner.plan import Plan

Row = dict[str, object]


def chips(plan: Plan) -> list[Row]:
    """Chips bought per period and offer, with their cost."""
    return [
        {
            "period": p.period,
            **a.model_dump(mode="json", include={"accelerator", "provider", "tier", "chips", "usd"}),
        }
        for p in plan.periods
        for a in p.accelerators
    ]


def placements(plan: Plan) -> list[Row]:
    """Replicas per deployment, provider and tier."""
    return [{"period": p.period, **pl.model_dump(mode="json")} for p in plan.periods for pl in p.placements]


def deployments(plan: Plan) -> list[Row]:
    """Deployments per period (no cost: it is in chips)."""
    return [
        {"period": p.period, **d.model_dump(mode="json", exclude={"usd"})}
        for p in plan.periods
        for d in p.deployments
    ]


def routing(plan: Plan) -> list[Row]:
    """Routed requests per workload and target; API cost on API rows."""
    return [
        {
            "period": p.period,
            "workload": r.workload,
            "kind": r.kind,
            "target": r.target,
            "requests_per_s": r.requests_per_s,
            "api_usd": r.usd if r.kind == "api" else None,
        }
        for p in plan.periods
        for r in p.routing
    ]


def workloads(plan: Plan) -> list[Row]:
    """Demand and how it is served, per period and workload."""
    return [{"period": p.period, **w.model_dump(mode="json")} for p in plan.periods for w in p.workloads]


TABLES = {
    "chips": chips,
    "placements": placements,
    "deployments": deployments,
    "routing": routing,
    "workloads": workloads,
}


def _csv(rows: list[Row], columns: list[str]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: ("" if v is None else v) for k, v in row.items()} for row in rows)
    return buf.getvalue()


def _columns(name: str, rows: list[Row]) -> list[str]:
    if rows:
        return list(rows[0])
    empty = {"chips": ["period", "accelerator", "provider", "tier", "chips", "usd"]}
    return empty.get(name, ["period"])


def render_format(ctx: ExportContext, fmt: str) -> list[ExportFile]:
    """``tables/<table>.csv`` (csv) or ``tables.yaml`` (yaml)."""
    tables = {name: build(ctx.plan) for name, build in TABLES.items()}
    if fmt == "yaml":
        return [ExportFile("tables.yaml", yaml_text(tables))]
    return [
        ExportFile(f"tables/{name}.csv", _csv(rows, _columns(name, rows))) for name, rows in tables.items()
    ]
