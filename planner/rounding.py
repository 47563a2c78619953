"""Stage 2 of the engine: an integer plan from the LP relaxation, by rounding and re-routing.

Round replicas up (or down), re-route the load over them (the LP with replicas fixed), drop the
replicas that became unneeded, buy whole chips for what is left, and check the result with the LP
with every integer choice fixed. Rounding can fail where ``--max-chips``, ``min_replicas``, a
budget or spot-only offers make whole numbers tight; the engine then repairs with the MILP
(``planner.engine``), so a plan is found whenever one exists.
"""

from __future__ import annotations

import numpy as np

from planner.formulation.blocks import PlanningModel, Solution
from planner.formulation.index import replica_rows
from planner.formulation.registry import variable_family
from planner.session import Session

_EPS = 1e-6
#: The integer blocks stage 2 rounds, by rule (``planner.formulation.registry.ROUNDING_RULES``).
ROUNDED = {"replicas": "replicas", "supply": "whole-chips", "commit": "whole-chips"}


def needed_replicas(m: PlanningModel, route: np.ndarray) -> np.ndarray:
    """Replicas each (period, option) needs for the routed load: ceil(sum load / (r util))."""
    ix = m.index
    n = len(ix.replica)
    if n == 0:
        return np.zeros(0)
    rows = replica_rows(ix, ix.route["p"].to_numpy(), ix.route["o"].to_numpy())
    load = np.nan_to_num(route) / (ix.route["r"].to_numpy(float) * ix.route["util"].to_numpy(float))
    per_row = np.bincount(rows, weights=load, minlength=n)
    replicas: np.ndarray = np.ceil(per_row - _EPS).clip(min=0)
    return replicas


def integer_supply(
    m: PlanningModel, replicas: np.ndarray, relaxed: dict[str, np.ndarray]
) -> tuple[np.ndarray, ...]:
    """Whole chips (or nodes) covering the chips the replicas use, guided by the relaxed split.

    Committed counts and spot chips are rounded down from the relaxation; on-demand offers cover
    the rest (the cheapest on-demand offer of each accelerator, by price per chip-hour, the first
    on ties) beyond the chips already owned (``--fleet``); where a (period, accelerator) has no
    on-demand offer, its first spot offer covers the rest. Spot stays within its share. Per
    (period, accelerator) group, all at once with numpy.
    """
    ix = m.index
    sup = ix.supply
    commit = np.floor(np.nan_to_num(relaxed["commit"]) + _EPS)
    n = len(sup)
    if n == 0:
        return np.zeros(0), commit
    n_a = max(len(ix.accelerators), 1)
    p, a = sup["p"].to_numpy(np.int64), sup["a"].to_numpy(np.int64)
    mult = sup["multiplier"].to_numpy(float)
    is_spot = (sup["tier"] == "spot").to_numpy()
    keys, g = np.unique(p * n_a + a, return_inverse=True)
    left = _chips_needed(m, replicas, len(ix.periods) * n_a)[keys]
    left -= np.bincount(
        ix.commit["a"].to_numpy(np.int64),
        weights=commit * ix.commit["multiplier"].to_numpy(float),
        minlength=n_a,
    )[keys % n_a]
    if ix.owned is not None:
        left -= ix.owned[keys // n_a, keys % n_a]
    spot_lp = np.floor(np.nan_to_num(relaxed["supply"]) + _EPS)
    active = (left > _EPS)[g]
    out = np.where(is_spot & active, np.minimum(spot_lp, np.floor(left[g] / mult)), 0.0)
    left = left - np.bincount(g, weights=out * mult, minlength=len(keys))
    short = active & (left[g] > _EPS)
    _cover_rest(out, g, ~is_spot, sup["usd_per_chip_hour"].to_numpy(float), mult, left, short)
    has_on_demand = np.bincount(g, weights=~is_spot, minlength=len(keys)) > 0
    _cover_rest(out, g, is_spot & ~has_on_demand[g], np.zeros(n), mult, left, short, add=True)
    return out, commit


def _cover_rest(
    out: np.ndarray,
    g: np.ndarray,
    eligible: np.ndarray,
    price: np.ndarray,
    mult: np.ndarray,
    left: np.ndarray,
    short: np.ndarray,
    add: bool = False,
) -> None:
    """Per group still short, the first eligible row of least ``price`` covers ``left`` whole."""
    rows = np.flatnonzero(eligible & short)
    if len(rows) == 0:
        return
    order = rows[np.lexsort((rows, price[rows], g[rows]))]
    first = order[np.concatenate([[True], g[order][1:] != g[order][:-1]])]
    chips = np.ceil(left[g[first]] / mult[first] - _EPS)
    out[first] = out[first] + chips if add else chips


def _chips_needed(m: PlanningModel, replicas: np.ndarray, n_keys: int) -> np.ndarray:
    """Chips the replicas use per (period, accelerator) key ``p * n_accelerators + a``."""
    rep = m.index.replica
    n_a = max(len(m.index.accelerators), 1)
    key = rep["p"].to_numpy(np.int64) * n_a + rep["a"].to_numpy(np.int64)
    used: np.ndarray = np.bincount(key, weights=replicas * rep["chips"].to_numpy(float), minlength=n_keys)
    return used


def can_round(m: PlanningModel) -> bool:
    """True when stage 2 has a rule for every integer block of the model (else the MILP repairs).

    Rules are registered per integer block (``registry.VARIABLES``, ``rounding``); an integer block
    that is not registered, has no rule, or has a rule this stage does not apply to it, sends the
    engine to the MILP.
    """
    return all(_rule(name) is not None and ROUNDED.get(name) == _rule(name) for name in m.integer_blocks)


def _rule(name: str) -> str | None:
    try:
        return variable_family(name).rounding
    except KeyError:
        return None


def fixed_lp(session: Session, plan: dict[str, np.ndarray]) -> Solution:
    """The LP with the plan's integer blocks fixed at its values (its routing and duals)."""
    m = session.model
    hint = plan if set(m.variables) <= set(plan) else None
    return session.lp({name: plan[name] for name in m.integer_blocks if name in plan}, hint=hint)


def round_plan(session: Session, relaxed: dict[str, np.ndarray]) -> dict[str, np.ndarray] | None:
    """Stage 2: an integer plan from the relaxation (round up, re-route, shrink, whole chips).

    None when neither rounding gives a plan that the fixed LP accepts, or when the model has an
    integer block without a rounding rule (:func:`can_round`).
    """
    m = session.model
    if not can_round(m):
        return None
    up = np.ceil(np.nan_to_num(relaxed["replicas"]) - _EPS)
    for candidate in (up, np.floor(np.nan_to_num(relaxed["replicas"]) + _EPS)):
        rerouted = session.lp({"replicas": candidate})
        if rerouted.has_solution:
            shrunk = np.minimum(
                candidate,
                np.maximum(needed_replicas(m, rerouted.values["route"]), _min_replica_floor(m, candidate)),
            )
            supply, commit = integer_supply(m, shrunk, rerouted.values)
            final = fixed_lp(session, {"replicas": shrunk, "supply": supply, "commit": commit})
            if final.has_solution:
                return final.values
    return None


def _min_replica_floor(m: PlanningModel, candidate: np.ndarray) -> np.ndarray:
    """Keep replicas that availability floors (``min_replicas``) need."""
    if "minreplicas" not in m.constraints:
        return np.zeros(len(candidate))
    ix = m.index
    floored = ix.route[ix.route["d"].isin(m.constraints["minreplicas"].labels)]
    keep = np.zeros(len(candidate), dtype=bool)
    keep[replica_rows(ix, floored["p"].to_numpy(), floored["o"].to_numpy())] = True
    return np.where(keep, candidate, 0.0)
