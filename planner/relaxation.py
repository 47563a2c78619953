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
from planner.formulation.matrix import current_model, matrix_of, row_slacks
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


def route_cost_proxy(m: PlanningModel) -> np.ndarray:
    """Per route: chips x cheapest per-period price of its accelerator / (requests/s x utilisation)."""
    ix = m.index
    route, replica = ix.route, ix.replica
    key = replica.set_index(["p", "o"])
    pairs = list(zip(route["p"].to_numpy(int), route["o"].to_numpy(int), strict=True))
    chips = key["chips"].reindex(pairs).to_numpy(float)
    acc = key["a"].reindex(pairs).to_numpy(int)
    supply = ix.supply
    unit = (supply["usd_per_chip_hour"] * supply["multiplier"]).groupby([supply["p"], supply["a"]])
    price = unit.min().reindex(list(zip(route["p"].to_numpy(int), acc, strict=True))).to_numpy(float)
    committed = float(ix.commit["usd_per_chip_hour"].min()) if len(ix.commit) else np.inf
    price = np.where(np.isnan(price), committed, price)
    proxy: np.ndarray = chips * price / (route["r"].to_numpy(float) * route["util"].to_numpy(float))
    return proxy


def forced_zero_routes(m: PlanningModel, upper: np.ndarray, family_start: dict[str, int]) -> np.ndarray:
    """Per route: True when its bounds force it to 0 (its own, or its replicas' upper bound is 0).

    Such routes are 0 in every feasible solution (the capacity row ``x_do / (r util) <= n_po``),
    so sifting never needs them: the rounding and final LPs, which fix the replicas, solve over
    the routes of staffed options only.
    """
    ix = m.index
    rows = replica_rows(ix, ix.route["p"].to_numpy(int), ix.route["o"].to_numpy(int))
    start = family_start["route"]
    own = upper[start : start + len(ix.route)]
    forced: np.ndarray = (upper[family_start["replicas"] + rows] <= 0) | (own <= 0)
    return forced


def initial_routes(
    m: PlanningModel, forced: np.ndarray, per_accelerator: int = ROUTES_PER_ACCELERATOR
) -> np.ndarray:
    """Route positions of the first working set: the cheapest per (demand row, accelerator).

    Routes forced to 0 are left out (and never enter).
    """
    route = m.index.route
    acc = m.index.replica.set_index(["p", "o"])["a"].reindex(
        list(zip(route["p"].to_numpy(int), route["o"].to_numpy(int), strict=True))
    )
    ranked = route.assign(a=acc.to_numpy(int), proxy=route_cost_proxy(m), j=np.arange(len(route)))
    ranked = ranked[~forced].sort_values(["d", "a", "proxy", "o"], kind="stable")
    return np.sort(ranked.groupby(["d", "a"], sort=False).head(per_accelerator)["j"].to_numpy(np.int64))


def sift_relaxation(
    m: PlanningModel, settings: SolveSettings, time_limit_s: float | None = None
) -> tuple[SolveResult, SiftResult]:
    """Sift the LP relaxation at the current bounds; write values, duals and slacks back."""
    mx = matrix_of(m)
    model = current_model(mx)
    start = mx.family_start["route"]
    routes = slice(start, start + len(m.route))
    forced = forced_zero_routes(m, model.upper, mx.family_start)
    initial = np.ones(model.n_cols, dtype=bool)
    initial[routes] = False
    initial[start + initial_routes(m, forced)] = True
    upper = np.full(model.n_cols, np.inf)
    rate = m.index.cover["rate"].to_numpy(float)
    upper[routes] = np.where(forced, 0.0, rate[m.index.route["d"].to_numpy(int)])  # x_do <= R_d
    sift = sifted_lp(model, initial, upper, time_limit_s=time_limit_s, threads=settings.threads)
    solution = sift.solution
    x = solution.x if solution.x is not None else [None] * model.n_cols
    for var, val in zip(mx.columns, x, strict=True):
        var.varValue = val
    duals = solution.duals if solution.duals is not None else [None] * model.n_rows
    slacks = row_slacks(model, solution.x) if solution.x is not None else [None] * model.n_rows
    for row, dual, slack in zip(mx.rows, duals, slacks, strict=True):
        row.pi, row.slack = dual, slack
    return solution.result, sift
