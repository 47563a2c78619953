"""Probe: does HiGHS's MILP report a valid bound when it is given a start solution (``setSolution``)?

``python -m benchmarks.highs_start [--size M] [--seed 1] [--period 0] [--factor 0.7]``

It builds one period's MILP of a generated instance (as the engine slices it), solves it cold,
changes the price of the accelerator with the most per-period offers by ``--factor``, and solves
the changed MILP cold and with the first solution as its start. A start solution may only help:
the bound of every solve must stay at or below the best plan any of them found. With highspy 1.16
it does not (docs/benchmarks.md, "Ideas tried"), which is why the engine hands no MILP a start.
Exit 1 when a bound lies above a plan that exists.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from typing import Any

import numpy as np

from benchmarks.generate import load_instance, planning_model
from solvers.arrays import ArrayModel, highs_lp

Run = tuple[float, float, str, Any]


def _solve(arrays: ArrayModel, start: np.ndarray | None, presolve: bool = True) -> Run:
    """(the plan's cost, HiGHS's dual bound, its status, the plan)."""
    import highspy

    highs = highspy.Highs()  # type: ignore[no-untyped-call]
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("threads", 1)
    highs.setOptionValue("mip_rel_gap", 1e-3)
    highs.setOptionValue("presolve", "on" if presolve else "off")
    highs.passModel(highs_lp(arrays, True))
    if start is not None:
        solution = highspy.HighsSolution()
        solution.col_value = start.tolist()
        solution.value_valid = True
        highs.setSolution(solution)
    highs.run()
    info = highs.getInfo()
    x = np.asarray(highs.getSolution().col_value, dtype=float)
    status = highs.modelStatusToString(highs.getModelStatus())
    return float(arrays.cost @ x), float(info.mip_dual_bound), status, x


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="M")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--period", type=int, default=0)
    parser.add_argument("--factor", type=float, default=0.7)
    parser.add_argument("--workdir", default="/tmp/fleetplan-highs-start")
    args = parser.parse_args()
    from planner.periods import PeriodSlice, period_columns, period_model

    m = planning_model(load_instance(args.size, args.seed, args.workdir))
    arrays, col, _rows = period_model(m, PeriodSlice(args.period, period_columns(m, args.period), None), None)
    base_usd, _bound, _status, start = _solve(arrays, None)
    acc = m.index.supply["a"].to_numpy()
    changed_cols = np.isin(col, m.columns("supply", np.flatnonzero(acc == np.bincount(acc).argmax())))
    cost = arrays.cost.copy()
    cost[changed_cols] *= args.factor
    changed = dataclasses.replace(arrays, cost=cost)
    runs = {
        "cold": _solve(changed, None),
        "start": _solve(changed, start),
        "start, presolve off": _solve(changed, start, presolve=False),
    }
    best = min(usd for usd, _b, _s, _x in runs.values())
    print(f"period {args.period} of {args.size}, seed {args.seed}: ${base_usd:,.2f}; price x{args.factor}")
    wrong = False
    for name, (usd, bound, status, _x) in runs.items():
        valid = bound <= best + 1e-6 * max(1.0, abs(best))
        wrong = wrong or not valid
        flag = "" if valid else "BOUND ABOVE A PLAN"
        print(f"  {name:20s} plan ${usd:,.2f}  bound ${bound:,.2f}  {status:24s} {flag}")
    sys.exit(1 if wrong else 0)


if __name__ == "__main__":
    main()
