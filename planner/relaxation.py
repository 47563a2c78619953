"""Sifting the planning LP over its route columns (exact): the working set and the implied bounds.

A model with many route columns (one per demand row and option that may serve it: 1.5 million at
benchmark size L) solves its LPs by sifting (:mod:`solvers.sifting`, :class:`solvers.live.LiveLP`):
first over, per demand row and accelerator, the route of the option with the lowest cost per
request/s, then over every route that prices in. The result is the whole LP's optimum (the sift
stops only when no route left out has a negative reduced cost). Only routes are left out (cost 0,
lower bound 0); their implied upper bound, the demand row's rate, makes a sift stopped by its time
limit still report a valid (Lagrangian) bound. Rounding's re-routes and the fixed LP go on from
the working set and basis the relaxation left on the same live instance.
"""

from __future__ import annotations

import numpy as np

from planner.formulation.blocks import PlanningModel
from planner.formulation.index import replica_rows
from planner.settings import SolveSettings

#: Models with at least this many route columns solve their LPs by sifting (HiGHS).
#: Measured on the benchmark instances (docs/benchmarks.md): M (203k routes) 10 s -> 2.3 s,
#: L (1.5M routes) 123 s -> 17 s, the same optimum.
SIFT_MIN_ROUTES = 20_000
#: Routes per (demand row, accelerator) in the first working set.
ROUTES_PER_ACCELERATOR = 1


def use_sifting(m: PlanningModel, settings: SolveSettings) -> bool:
    """True when the model's LPs should be sifted (HiGHS, many routes)."""
    return settings.solver == "highs" and m.size("route") >= SIFT_MIN_ROUTES


def route_replica_rows(m: PlanningModel) -> np.ndarray:
    """Each route's row of ``index.replica``."""
    ix = m.index
    return replica_rows(ix, ix.route["p"].to_numpy(np.int64), ix.route["o"].to_numpy(np.int64))


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


def forced_zero_routes(m: PlanningModel, upper: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Per route: True when its bounds force it to 0 (its own, or its replicas' upper bound is 0).

    Such routes are 0 in every feasible solution (the capacity row ``x_do / (r util) <= n_po``),
    so sifting never needs them: the rounding and final LPs, which fix the replicas, solve over
    the routes of staffed options only. ``rows``: each route's row of ``index.replica``.
    """
    own = upper[m.columns("route")]
    forced: np.ndarray = (upper[m.columns("replicas", rows)] <= 0) | (own <= 0)
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


def initial_working_set(m: PlanningModel, rows: np.ndarray, forced: np.ndarray) -> np.ndarray:
    """Columns of the first working set: every column but the routes not in :func:`initial_routes`.

    ``rows``: each route's row of ``index.replica``; ``forced``: :func:`forced_zero_routes`.
    """
    working = np.ones(m.n_variables, dtype=bool)
    working[m.columns("route")] = False
    working[m.columns("route", initial_routes(m, rows, forced))] = True
    return working


def implied_upper(m: PlanningModel, forced: np.ndarray) -> np.ndarray:
    """Per column, a bound every feasible solution meets: a route's demand rate (0 when forced)."""
    implied = np.full(m.n_variables, np.inf)
    rate = m.index.cover["rate"].to_numpy(float)[m.index.route["d"].to_numpy(int)]
    implied[m.columns("route")] = np.where(forced, 0.0, rate)  # x_do <= R_d
    return implied
