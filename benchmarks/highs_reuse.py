"""Probe: does a HiGHS instance reused for another LP solve it as a fresh instance would, bit for bit?

``python -m benchmarks.highs_reuse [--size S] [--seed 1] [--variants 20] [--spread 0.5] [--random 200]``

A sweep could keep one live LP instance per worker and change only costs (a price variant) on it
between points, instead of passing each point's model. A point's result would then depend on
which point its worker solved before, unless a reused instance solves exactly as a fresh one. The
probe builds the LP relaxation of a generated instance and ``--variants`` price variants of it
(every column's cost times a random factor in ``1 +- spread``: the same rows and columns, as a
price change that keeps every option gives), solves each on a fresh instance and on one instance
that solved the base LP first (costs changed, ``clearSolver``), and compares the solutions; then
the same for ``--random`` small random covering LPs, one cost variant each.

With highspy 1.16 some differ in the last bits (docs/benchmarks.md, "Ideas tried"). HiGHS keeps the
scale factors an instance computed for the first LP it solved (``considerScaling`` computes new
ones only when none were tried or the strategy option changed; ``passModel`` resets them), and with
``simplex_scale_strategy`` off (``--no-scale``) every variant matches. Exit 1 when any differs.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys

import numpy as np

from benchmarks.generate import load_instance, planning_model
from solvers.arrays import ArrayModel
from solvers.live import LiveLP


def _live(model: ArrayModel, scale: bool) -> LiveLP:
    live = LiveLP(model, threads=1)
    if not scale:
        live.highs.setOptionValue("simplex_scale_strategy", 0)
    return live


def _same(first: LiveLP, second: LiveLP, model: ArrayModel) -> bool:
    a = first.solve(model.lower, model.upper, presolve=True).solution
    b = second.solve(model.lower, model.upper, presolve=True).solution
    if a.x is None or b.x is None or a.duals is None or b.duals is None:
        return a.x is None and b.x is None
    return bool(np.array_equal(a.x, b.x) and np.array_equal(a.duals, b.duals))


def random_lp(rng: np.random.Generator, n_rows: int, n_cols: int) -> ArrayModel:
    """``min c x + 100 s`` s.t. ``A x + s = b``, ``x, s >= 0``: each column covers one or two rows."""
    first = rng.integers(0, n_rows, size=n_cols)
    second = rng.integers(0, n_rows, size=n_cols)
    entries = {(int(r), j): 1.0 for j, r in enumerate(first)}
    entries |= {(int(r), j): rng.uniform(0.0, 0.5) for j, r in enumerate(second) if r != first[j]}
    entries |= {(i, n_cols + i): 1.0 for i in range(n_rows)}  # the slacks
    keys = sorted(entries)
    row_of = np.array([r for r, _ in keys])
    b = rng.uniform(1.0, 10.0, n_rows)
    return ArrayModel(
        cost=np.concatenate([rng.uniform(0.0, 5.0, n_cols), np.full(n_rows, 100.0)]),
        lower=np.zeros(n_cols + n_rows),
        upper=np.full(n_cols + n_rows, np.inf),
        integer=np.zeros(n_cols + n_rows, dtype=bool),
        row_lower=b,
        row_upper=b,
        start=np.concatenate([[0], np.cumsum(np.bincount(row_of, minlength=n_rows))]),
        index=np.array([j for _, j in keys], dtype=np.int64),
        value=np.array([entries[k] for k in keys]),
    )


def differing(base: ArrayModel, variants: list[ArrayModel], scale: bool) -> int:
    """How many variants a reused instance (the base LP solved on it first) solves differently."""
    reused = _live(base, scale)
    reused.solve(base.lower, base.upper)
    count = 0
    for variant in variants:
        reused.set_cost(variant.cost)
        reused.highs.clearSolver()
        count += not _same(_live(variant, scale), reused, variant)
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="S")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--variants", type=int, default=20)
    parser.add_argument("--spread", type=float, default=0.5)
    parser.add_argument("--random", type=int, default=200, help="random covering LPs (8 rows, 60 columns)")
    parser.add_argument("--no-scale", action="store_true", help="HiGHS's simplex_scale_strategy off")
    parser.add_argument("--workdir", default="/tmp/fleetplan-highs-reuse")
    args = parser.parse_args()
    m = planning_model(load_instance(args.size, args.seed, args.workdir))
    base, scale = m.arrays, not args.no_scale
    rng = np.random.default_rng(args.seed)

    def priced(model: ArrayModel) -> ArrayModel:
        factor = rng.uniform(1 - args.spread, 1 + args.spread, model.n_cols)
        return dataclasses.replace(model, cost=model.cost * factor)

    differ = differing(base, [priced(base) for _ in range(args.variants)], scale)
    print(
        f"{args.size}, seed {args.seed}, {base.n_cols:,} columns, scaling {'on' if scale else 'off'}: "
        f"{differ} of {args.variants} price variants solved differently on the reused instance"
    )
    small = 0
    for _ in range(args.random):
        lp = random_lp(rng, 8, 60)
        small += differing(lp, [priced(lp)], scale)
    print(f"random covering LPs: {small} of {args.random} solved differently on the reused instance")
    sys.exit(1 if differ or small else 0)


if __name__ == "__main__":
    main()
