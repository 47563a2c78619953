"""Measure a sweep point's LP relaxation started from the base row's basis against a cold start.

``python -m benchmarks.lp_start [--size M] [--seed 1] [--accelerator mi300x] [--offer digitalocean.on_demand]
[--points 6] [--scale-demand 1.3] [--repeat 3]``

A sweep point that waits for the base row starts its LP relaxation from the base row's optimal
basis, placed by name (:mod:`planner.lpbasis`, docs/sweeps.md). This builds the base model of a
generated instance and solves its relaxation, keeping the basis; then, for ``--points`` prices of
one accelerator offer from 0.6x to 1.5x of its price (the sweep benchmark's axis) and one demand
variant (every workload's rate times ``--scale-demand``), it builds the point's model and solves
its relaxation cold (a new instance, from presolve, as before) and from the base's basis, in turn,
``--repeat`` times each (a new model and instance every time), on an otherwise idle process.
Printed per point: the median seconds of each, and the objectives, which must agree (exit 1 when
one differs by more than 1e-7 relatively). Solver threads: 1, as in a sweep. The seconds are the
relaxation alone (sifting rounds included), not the model build.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time
from typing import Any

from benchmarks.generate import load_instance, planning_model


def _relaxation(problem: Any, start: Any = None, keep: bool = False) -> tuple[float, float, Any]:
    """(seconds, objective, the kept basis) of one relaxation solve."""
    from planner.session import Session

    model = planning_model(problem)
    session = Session(model, problem.settings, start_basis=start, keep_basis=keep)
    began = time.monotonic()
    solution = session.relaxation()
    return time.monotonic() - began, float(solution.objective or 0.0), session.kept_basis


def _variants(problem: Any, args: argparse.Namespace) -> list[tuple[str, Any]]:
    from planner.whatif.changes import ChangeSet, apply_changes

    offer = next(
        p
        for p in problem.catalog.accelerators[args.accelerator].prices
        if f"{p.provider}.{p.tier}" == args.offer
    )
    path = f"accelerators.{args.accelerator}.prices.{args.offer}.usd_per_chip_hour"
    out = []
    for i in range(args.points):
        factor = 0.6 + 0.9 * i / max(1, args.points - 1)
        changes = ChangeSet(set={path: round(offer.usd_per_chip_hour * factor, 4)})
        out.append((f"price x{factor:.2f}", apply_changes(problem, changes)))
    demand = ChangeSet(scale_demand={"*": args.scale_demand})
    out.append((f"demand x{args.scale_demand}", apply_changes(problem, demand)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="M")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--accelerator", default="mi300x")
    parser.add_argument("--offer", default="digitalocean.on_demand", help="PROVIDER.TIER of its price")
    parser.add_argument("--points", type=int, default=6)
    parser.add_argument("--scale-demand", type=float, default=1.3)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", default="/tmp/fleetplan-lp-start")
    args = parser.parse_args()
    problem = load_instance(args.size, args.seed, args.workdir)
    problem = dataclasses.replace(problem, settings=problem.settings.model_copy(update={"threads": 1}))
    seconds, objective, basis = _relaxation(problem, keep=True)
    print(
        f"{args.size}, seed {args.seed}: base LP {seconds:.2f} s, ${objective:,.2f}; medians of {args.repeat}"
    )
    print("| point | cold (s) | from the base's basis (s) | LP objective |")
    print("|---|---:|---:|---:|")
    wrong = False
    totals = [0.0, 0.0]
    for name, variant in _variants(problem, args):
        runs = [(_relaxation(variant), _relaxation(variant, start=basis)) for _ in range(args.repeat)]
        cold = statistics.median(c[0] for c, _w in runs)
        warm = statistics.median(w[0] for _c, w in runs)
        totals[0] += cold
        totals[1] += warm
        values = [r[1] for pair in runs for r in pair]
        agree = max(values) - min(values) <= 1e-7 * max(1.0, abs(values[0]))
        wrong = wrong or not agree
        flag = "" if agree else f" DIFFERS: {min(values):,.2f} to {max(values):,.2f}"
        print(f"| {name} | {cold:.2f} | {warm:.2f} | ${values[0]:,.2f}{flag} |")
    print(f"| all | {totals[0]:.2f} | {totals[1]:.2f} | |")
    sys.exit(1 if wrong else 0)


if __name__ == "__main__":
    main()
