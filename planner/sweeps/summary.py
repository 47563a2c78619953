"""The sweep's summary: one row per point, as ``summary.csv``, JSON and a terminal table.

Columns, in order: ``scenario``; one column per change (:mod:`planner.sweeps.scenarios`);
when some point's plan was solved from a forecast (``--workloads``), ``provision_for`` (the
column the point read, as the file spells it: ``AutoETS-hi-80``; the plan's
``inputs.forecast.column``) and ``provision_for_percent`` (its quantile, 90; empty where the file
does not give one); ``objective_usd`` and its parts (``accelerators_usd``, ``committed_beyond_horizon_usd``,
``api_usd``, ``unmet_penalty_usd``); ``api_request_share`` (API requests over demanded requests,
weighted by the periods' hours); ``api_cost_share`` (API cost over accelerator, commitment and API
cost, the unmet penalty left out); ``peak_chips_<accelerator>`` (the most chips of it in any one
period, every provider and tier together) for every accelerator some plan uses; ``status``
(``optimal``, ``feasible``, or ``failed``); ``gap``; ``stopped_by``; ``error``. Run times are not
in it, so that the same sweep run anywhere writes the same file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from planner.plan import Plan

COST_COLUMNS = (
    ("objective_usd", None),
    ("accelerators_usd", "accelerators"),
    ("committed_beyond_horizon_usd", "committed_beyond_horizon"),
    ("api_usd", "api"),
    ("unmet_penalty_usd", "unmet_penalty"),
)
TAIL_COLUMNS = ("status", "gap", "stopped_by", "error")
#: The columns of what a forecast point was provisioned for (only when some point read a forecast).
FORECAST_COLUMNS = ("provision_for", "provision_for_percent")
#: Unmet requests/s above this count as unmet demand (exit 1).
UNMET_EPS = 1e-6


@dataclass(frozen=True)
class Row:
    """One point's summary: its name, change values, plan (None when it failed) and error."""

    scenario: str
    changes: Mapping[str, Any]
    plan: Plan | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Solved, with every demand met."""
        return self.plan is not None and self.plan.unmet_requests <= UNMET_EPS

    def peak_chips(self) -> dict[str, int]:
        """The most chips of each accelerator in one period."""
        peaks: dict[str, int] = {}
        for period in self.plan.periods if self.plan else ():
            totals: dict[str, int] = {}
            for line in period.accelerators:
                totals[line.accelerator] = totals.get(line.accelerator, 0) + line.chips
            for acc, chips in totals.items():
                peaks[acc] = max(peaks.get(acc, 0), chips)
        return peaks


def shares(plan: Plan) -> tuple[float, float]:
    """(API share of requests, weighted by hours; API share of the cost without the unmet penalty)."""
    demanded = sum(w.demand_requests_per_s * p.hours for p in plan.periods for w in p.workloads)
    api = sum(w.api_requests_per_s * p.hours for p in plan.periods for w in p.workloads)
    cost = plan.cost_usd
    spent = cost.accelerators + cost.committed_beyond_horizon + cost.api
    return (
        round(api / demanded, 6) if demanded > 0 else 0.0,
        round(cost.api / spent, 6) if spent > 0 else 0.0,
    )


def columns(rows: Sequence[Row], change_columns: Sequence[str]) -> list[str]:
    """Every summary column for these rows."""
    accelerators = sorted({acc for row in rows for acc, chips in row.peak_chips().items() if chips > 0})
    forecast = any(row.plan is not None and row.plan.inputs.forecast is not None for row in rows)
    return [
        "scenario",
        *change_columns,
        *(FORECAST_COLUMNS if forecast else ()),
        *(name for name, _ in COST_COLUMNS),
        "api_request_share",
        "api_cost_share",
        *(f"peak_chips_{acc}" for acc in accelerators),
        *TAIL_COLUMNS,
    ]


def record(row: Row, header: Sequence[str]) -> dict[str, Any]:
    """One row as a mapping of every column (None: empty)."""
    out: dict[str, Any] = dict.fromkeys(header)
    out["scenario"] = row.scenario
    for key, value in row.changes.items():
        out[key] = value
    out["error"] = row.error
    if row.plan is None:
        out["status"] = "failed"
        return out
    plan = row.plan
    if plan.inputs.forecast is not None and "provision_for" in out:
        out["provision_for"] = plan.inputs.forecast.column
        out["provision_for_percent"] = plan.inputs.forecast.quantile_percent
    for name, part in COST_COLUMNS:
        out[name] = plan.objective_usd if part is None else getattr(plan.cost_usd, part)
    out["api_request_share"], out["api_cost_share"] = shares(plan)
    peaks = row.peak_chips()
    for name in header:
        if name.startswith("peak_chips_"):
            out[name] = peaks.get(name.removeprefix("peak_chips_"), 0)
    out["status"] = plan.status
    out["gap"] = plan.solver.gap
    out["stopped_by"] = plan.solver.stopped_by
    return out


def records(rows: Sequence[Row], change_columns: Sequence[str]) -> tuple[list[str], list[dict[str, Any]]]:
    """The header and every row as a mapping."""
    header = columns(rows, change_columns)
    return header, [record(row, header) for row in rows]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(round(value, 6))
    return str(value)


def summary_csv(header: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> str:
    """``summary.csv``'s text."""
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    out.writerow(header)
    for row in rows:
        out.writerow([_cell(row[name]) for name in header])
    return buf.getvalue()


def _usd(value: Any) -> str:
    return "-" if value is None else f"${value:,.0f}"


def _share(value: Any) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


def print_table(header: Sequence[str], rows: Sequence[Mapping[str, Any]], console: Console) -> None:
    """The summary for people: cost, its split, the fleet's peak chips and how each solve ended."""
    chips = [name for name in header if name.startswith("peak_chips_")]
    table = Table(title="Sweep summary", title_justify="left", header_style="bold")
    for name in ("scenario", "total", "self-host", "API", "unmet", "API reqs"):
        table.add_column(name, justify="left" if name == "scenario" else "right")
    for name in chips:
        table.add_column(name.removeprefix("peak_chips_"), justify="right")
    table.add_column("status", justify="left")
    for row in rows:
        self_host = (
            None
            if row["accelerators_usd"] is None
            else row["accelerators_usd"] + row["committed_beyond_horizon_usd"]
        )
        unmet = row["unmet_penalty_usd"]
        error = str(row["error"] or "").splitlines()[:1]
        status = f"failed: {error[0][:60]}" if error else str(row["status"])
        if row["stopped_by"] not in (None, "proven"):
            status += f" ({row['stopped_by']}, {100 * row['gap']:.2f}%)"
        table.add_row(
            escape(str(row["scenario"])),
            _usd(row["objective_usd"]),
            _usd(self_host),
            _usd(row["api_usd"]),
            _usd(unmet) if unmet else "-",
            _share(row["api_request_share"]),
            *("-" if row[c] in (None, 0) else str(row[c]) for c in chips),
            escape(status),
        )
    console.print(table)
