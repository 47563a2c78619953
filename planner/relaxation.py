"""Stage 1 on large models: the LP relaxation by sifting over the route columns (exact).

A model with many route columns (one per demand row and option that may serve it: 1.5 million at
benchmark size L) solves its LP relaxation by sifting (:mod:`solvers.sifting`): first over, per
demand row and accelerator, the route of the option with the lowest cost per request/s, then over
every route that prices in. The result is the whole LP's optimum (the sift stops only when no route
left out has a negative reduced cost), with values and duals written back to the model as a plain
solve writes them. Only routes are left out (cost 0, lower bound 0); their implied upper bound, the
demand row's rate, makes a sift stopped by its time limit still report a valid (Lagrangian) bound.
"""

from __future__ import annotations

import numpy as np

from planner.formulation.index import replica_rows
from planner.formulation.matrix import current_model, matrix_of, write_back
from planner.formulation.model import PlanningModel
from planner.settings import SolveSettings
from solvers.base import SolveResult
from solvers.sifting import SiftResult, sifted_lp

#: Models with at least this many route columns solve their LP relaxation by sifting (HiGHS).
#: Measured on the benchmark instances (docs/benchmarks.md): M (203k routes) 10 s -> 2.3 s,
#: L (1.5M routes) 123 s -> 17 s, the same optimum.
SIFT_MIN_ROUTES = 20_000
#: Routes per (demand row, accelerator) in the first working set.
ROUTES_PER_ACCELERATOR = 1


def use_sifting(m: PlanningModel, settings: SolveSettings) -> bool:
    """True when the LP relaxation should be sifted (HiGHS, many routes)."""
    return settings.solver == "highs" and len(m.index.route) >= SIFT_MIN_ROUTES


def route_cost_proxy(m: PlanningModel, rows: np.ndarray) -> np.ndarray:
    """Per route: chips x cheapest per-period price of its accelerator / (requests/s x utilisation).

    ``rows`` is each route's row of ``index.replica``; an accelerator with only committed offers
    is priced at the cheapest committed price.
    """
    ix = m.index
    chips = ix.replica["chips"].to_numpy(float)[rows]
    acc = ix.replica["a"].to_numpy(np.int64)[rows]
    p = ix.route["p"].to_numpy(np.int64)
    n_a = len(ix.accelerators) or 1
    unit = np.full(len(ix.periods) * n_a, np.inf)
    supply = ix.supply
    key = supply["p"].to_numpy(np.int64) * n_a + supply["a"].to_numpy(np.int64)
    np.minimum.at(unit, key, (supply["usd_per_chip_hour"] * supply["multiplier"]).to_numpy(float))
    committed = float(ix.commit["usd_per_chip_hour"].min()) if len(ix.commit) else np.inf
    price = unit[p * n_a + acc]
    price = np.where(np.isfinite(price), price, committed)
    proxy: np.ndarray = chips * price / (ix.route["r"].to_numpy(float) * ix.route["util"].to_numpy(float))
    return proxy


def forced_zero_routes(
    m: PlanningModel, upper: np.ndarray, family_start: dict[str, int], rows: np.ndarray
) -> np.ndarray:
    """Per route: True when its bounds force it to 0 (its own, or its replicas' upper bound is 0).

    Such routes are 0 in every feasible solution (the capacity row ``x_do / (r util) <= n_po``),
    so sifting never needs them: the rounding and final LPs, which fix the replicas, solve over
    the routes of staffed options only. ``rows``: each route's row of ``index.replica``.
    """
    start = family_start["route"]
    own = upper[start : start + len(m.index.route)]
    forced: np.ndarray = (upper[family_start["replicas"] + rows] <= 0) | (own <= 0)
    return forced


def initial_routes(
    m: PlanningModel, rows: np.ndarray, forced: np.ndarray, per_accelerator: int = ROUTES_PER_ACCELERATOR
) -> np.ndarray:
    """Route positions of the first working set: the cheapest per (demand row, accelerator).

    Routes forced to 0 are left out (and never enter); ties go to the lower option position.
    """
    route = m.index.route
    acc = m.index.replica["a"].to_numpy(np.int64)[rows]
    order = np.lexsort((route["o"].to_numpy(), route_cost_proxy(m, rows), acc, route["d"].to_numpy()))
    order = order[~forced[order]]
    d, a = route["d"].to_numpy(np.int64)[order], acc[order]
    group_start = np.concatenate([[True], (d[1:] != d[:-1]) | (a[1:] != a[:-1])])
    rank = np.arange(len(order)) - np.maximum.accumulate(np.where(group_start, np.arange(len(order)), 0))
    return np.sort(order[rank < per_accelerator])


def sift_relaxation(
    m: PlanningModel, settings: SolveSettings, time_limit_s: float | None = None
) -> tuple[SolveResult, SiftResult]:
    """Sift the LP relaxation at the current bounds; write values, duals and slacks back."""
    mx = matrix_of(m)
    model = current_model(mx)
    start = mx.family_start["route"]
    routes = slice(start, start + len(m.route))
    ix = m.index
    rows = replica_rows(ix, ix.route["p"].to_numpy(np.int64), ix.route["o"].to_numpy(np.int64))
    forced = forced_zero_routes(m, model.upper, mx.family_start, rows)
    initial = np.ones(model.n_cols, dtype=bool)
    initial[routes] = False
    initial[start + initial_routes(m, rows, forced)] = True
    upper = np.full(model.n_cols, np.inf)
    rate = m.index.cover["rate"].to_numpy(float)
    upper[routes] = np.where(forced, 0.0, rate[m.index.route["d"].to_numpy(int)])  # x_do <= R_d
    sift = sifted_lp(model, initial, upper, time_limit_s=time_limit_s, threads=settings.threads)
    write_back(mx, model, sift.solution)
    return sift.solution.result, sift
