"""Write outputs atomically: a plan (JSON, YAML or CSV), the model as built (LP or MPS).

Every file is written to a temporary file in the target folder and renamed over the target, so a
failure never leaves a half-written file behind.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from planner.errors import InputError, Location

if TYPE_CHECKING:
    import pulp

    from planner.plan import Plan

PLAN_FORMATS = ("json", "yaml", "csv")


def atomic_write(path: str | os.PathLike[str], write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` on a temporary path beside ``path``, then rename it over ``path``."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise InputError("output folder does not exist", Location(file=str(target)))
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write text atomically (UTF-8)."""

    def write(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")

    atomic_write(path, write)


def write_model(prob: pulp.LpProblem, path: str | os.PathLike[str]) -> None:
    """Write the model as built, as an LP or MPS file by its suffix."""
    suffix = Path(path).suffix.lower()
    if suffix not in (".lp", ".mps"):
        raise InputError("--save-model takes a .lp or .mps file", Location(file=str(path)))
    if suffix == ".lp":
        atomic_write(path, lambda tmp: prob.writeLP(str(tmp)))
    else:
        atomic_write(path, lambda tmp: prob.writeMPS(str(tmp)))


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """The plan as plain JSON-ready data."""
    return plan.model_dump(mode="json")


def plan_json(plan: Plan, *, timings: bool = True) -> str:
    """The plan as indented JSON text."""
    data = plan_to_dict(plan)
    if not timings:
        data.pop("timings", None)
    return json.dumps(data, indent=2) + "\n"


#: Columns of the CSV plan. ``usd`` holds every charge exactly once (accelerator lines, API routes,
#: commitments' charge beyond the horizon, unmet penalties): its sum is ``objective_usd``.
CSV_COLUMNS = (
    "period",
    "kind",
    "id",
    "detail",
    "quantity",
    "unit",
    "usd",
    "allocated_usd",
    "within_horizon_usd",
    "obligation_usd",
)


def plan_csv(plan: Plan) -> str:
    """A flat CSV of the plan's lines, for spreadsheets (not read back: use JSON or YAML for that).

    One row per period and line. Only the ``usd`` column holds charges, each once, so its sum is
    ``objective_usd``: accelerator rows (committed chips' share of the period included), API route
    rows, one row per commitment (period ``horizon``) with its charge beyond the horizon, and one
    row per unmet workload with its penalty. Deployment and self-hosted route rows carry their share
    of the accelerator cost as ``allocated_usd`` (already in the accelerator rows); commitment rows
    also carry ``within_horizon_usd`` (in the accelerator rows) and ``obligation_usd``.
    """
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    out.writerow(CSV_COLUMNS)

    def row(period: str, kind: str, ident: str, detail: str, qty: object, unit: str, **usd: object) -> None:
        out.writerow([period, kind, ident, detail, qty, unit, *(usd.get(c, "") for c in CSV_COLUMNS[6:])])

    penalty = _penalty_usd_per_request(plan)
    for p in plan.periods:
        for a in p.accelerators:
            row(p.period, "accelerator", a.accelerator, f"{a.provider}/{a.tier}", a.chips, "chips", usd=a.usd)
        for d in p.deployments:
            detail = f"utilization {d.utilization}"
            row(p.period, "deployment", d.id, detail, d.replicas, "replicas", allocated_usd=d.usd)
        for r in p.routing:
            figure = {"usd": r.usd} if r.kind == "api" else {"allocated_usd": r.usd}
            row(p.period, f"route-{r.kind}", r.workload, r.target, r.requests_per_s, "requests/s", **figure)
        for w in p.workloads:
            if w.unmet_requests_per_s > 0:
                charge = round(w.unmet_requests_per_s * 3600.0 * p.hours * penalty, 6)
                row(
                    p.period,
                    "unmet",
                    w.workload,
                    "unmet penalty",
                    w.unmet_requests_per_s,
                    "requests/s",
                    usd=charge,
                )
    for c in plan.commitments:
        row(
            "horizon",
            "commitment",
            c.accelerator,
            f"{c.provider}/{c.tier}: charged beyond the horizon",
            c.chips,
            "chips",
            usd=round(c.usd - c.usd_within_horizon, 6),
            within_horizon_usd=c.usd_within_horizon,
            obligation_usd=c.usd_obligation,
        )
    return buf.getvalue()


def _penalty_usd_per_request(plan: Plan) -> float:
    """The unmet-demand penalty the plan was priced with (its recorded setting)."""
    from planner.settings import DEFAULT_UNMET_PENALTY_USD_PER_REQUEST

    value = plan.inputs.settings.get("unmet_penalty_usd_per_request")
    return float(value) if isinstance(value, int | float) else DEFAULT_UNMET_PENALTY_USD_PER_REQUEST


def plan_yaml(plan: Plan) -> str:
    """The plan as YAML."""
    import yaml

    return str(yaml.safe_dump(plan_to_dict(plan), sort_keys=False))


def plan_format(path: str | os.PathLike[str], fmt: str | None = None) -> str:
    """The plan format a path asks for; checks the folder exists (call before a long solve)."""
    fmt = fmt or Path(path).suffix.lstrip(".").lower().replace("yml", "yaml")
    if fmt not in PLAN_FORMATS:
        raise InputError(
            f"unknown plan format '{fmt}'", Location(file=str(path)), f"valid: {', '.join(PLAN_FORMATS)}"
        )
    folder = Path(path).parent
    if str(folder) and not folder.is_dir():
        raise InputError("output folder does not exist", Location(file=str(path)))
    return fmt


def write_plan(plan: Plan, path: str | os.PathLike[str], fmt: str | None = None) -> None:
    """Write a plan atomically; the format comes from ``fmt`` or the file's suffix."""
    render = {"json": plan_json, "yaml": plan_yaml, "csv": plan_csv}[plan_format(path, fmt)]
    write_text(path, render(plan))
