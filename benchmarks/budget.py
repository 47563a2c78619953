"""Measure ``plan solve`` under a ``--budget-usd`` and write the ``## Budgets`` section of docs/benchmarks.md.

``python -m benchmarks.budget [--size M] [--work-limit 2] [--time-limit 900]``

A budget is a row across every period, so the per-period MILPs that solve a plain instance are
refused and the engine searches by window MILPs, then the whole-horizon MILP (docs/formulation.md,
"Windows"). Three solves of one instance (:mod:`benchmarks.generate`), each in a fresh process
with 1 solver thread, no baselines and the same work limit: without a budget (per-period MILPs),
with a budget 20 % above that plan's cost (the row does not bind, so the optimum is the same
problem's), and with one 3 % below it and an unmet penalty of twice that plan's cost per request
(the row binds: some demand goes unmet, at a price of the order of serving it).
Reported: objective, bound, gap, what stopped each, and wall time. The machine is shared: the load
at the time is printed with the results.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import Any

from benchmarks.generate import write_instance
from benchmarks.sweep import DOC, _run, write_section

HEADING = "## Budgets"
#: Budgets as multiples of the plan without one: loose (does not bind), tight (binds).
BUDGETS = {"loose": 1.2, "tight": 0.97}


def _row(name: str, budget: float | None, seconds: float, plan: dict[str, Any]) -> dict[str, Any]:
    solver = plan["solver"]
    return {
        "case": name,
        "budget_usd": budget,
        "objective_usd": plan["objective_usd"],
        "bound_usd": solver["bound_usd"],
        "gap": solver["gap"],
        "status": plan["status"],
        "stopped_by": solver["stopped_by"],
        "stage": solver["stage"],
        "wall_s": round(seconds, 1),
    }


def measure(args: argparse.Namespace) -> dict[str, Any]:
    """The three solves (see the module docstring)."""
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    limits = ["--work-limit", str(args.work_limit), "--time-limit", str(args.time_limit)]
    flags = ["--threads", "1", "--no-baselines", *limits]
    instance = write_instance(args.size, args.seed, work / f"inst-{args.size}")
    out: dict[str, Any] = {
        "when": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_before": os.getloadavg(),
        "command": "python -m benchmarks.budget " + " ".join(sys.argv[1:]),
        "size": args.size,
        "rows": [],
    }
    seconds, plan = _run(["solve", str(instance), *flags])
    out["rows"].append(_row("none", None, seconds, plan))
    requests = sum(
        w["demand_requests_per_s"] * 3600.0 * period["hours"]
        for period in plan["periods"]
        for w in period["workloads"]
    )
    penalty = round(2.0 * plan["objective_usd"] / requests, 8)
    for name, factor in BUDGETS.items():
        budget = round(plan["objective_usd"] * factor, 2)
        extra = ["--budget-usd", str(budget)]
        if factor < 1:
            extra += ["--unmet-penalty-usd-per-request", str(penalty)]
        seconds, budgeted = _run(["solve", str(instance), *flags, *extra])
        out["rows"].append(_row(name, budget, seconds, budgeted))
    out["tight_penalty_usd_per_request"] = penalty
    out["load_after"] = os.getloadavg()
    return out


def section(m: dict[str, Any], work_limit: int, time_limit: float) -> str:
    """The ``## Budgets`` section of docs/benchmarks.md."""
    lines = [
        HEADING,
        "",
        f"Measured by `{m['command']}` ({m['when']}; load average {m['load_before'][0]:.1f} before, "
        f"{m['load_after'][0]:.1f} after). Size {m['size']}, every solve with `--work-limit {work_limit}` "
        f"and `--time-limit {time_limit:g}`, 1 solver thread, no baselines.",
        "",
        f"The tight case charges ${m['tight_penalty_usd_per_request']:.6f} per unmet request (twice the "
        "plan's cost per request without a budget).",
        "",
        "| budget | objective | bound | gap | stopped by | plan from | wall |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in m["rows"]:
        budget = "none" if r["budget_usd"] is None else f"{r['case']}: ${r['budget_usd']:,.0f}"
        lines.append(
            f"| {budget} | ${r['objective_usd']:,.0f} | ${r['bound_usd']:,.0f} | {100 * r['gap']:.3f} % | "
            f"{r['stopped_by']} | {r['stage']} | {r['wall_s']:.1f} s |"
        )
    lines += [
        "",
        "Reading: without a budget the periods share nothing and one MILP per period proves the gap. "
        "A budget ties every period, so the engine searches by windows (each period's MILP with the "
        "others fixed at the plan; the budget row checked at the plan, and kept in the window's MILP "
        'when the window breaks it; docs/formulation.md "Windows") and then runs the whole-horizon '
        "MILP, whose bound is the gap's.",
        "",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="M")
    parser.add_argument("--work-limit", type=int, default=2)
    parser.add_argument("--time-limit", type=float, default=900.0, help="per solve: a backstop")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", default="/tmp/fleetplan-bench-budget")
    parser.add_argument("--doc", default=str(DOC), help="document to update ('' for none)")
    args = parser.parse_args()
    measured = measure(args)
    print(json.dumps(measured, indent=2))
    if args.doc:
        write_section(section(measured, args.work_limit, args.time_limit), Path(args.doc), HEADING)


if __name__ == "__main__":
    main()
