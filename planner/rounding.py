"""Stage 2 of the engine: an integer plan from the LP relaxation, by rounding and re-routing.

Round replicas up (or down), re-route the load over them (the LP with replicas fixed), drop the
replicas that became unneeded, buy whole chips for what is left, and check the result with the LP
with every integer choice fixed. Rounding can fail where ``--max-chips``, ``min_replicas``, a
budget or spot-only offers make whole numbers tight; the engine then repairs with the MILP
(``planner.engine``), so a plan is found whenever one exists.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, cast

import numpy as np

from planner.formulation.blocks import PlanningModel, Solution
from planner.formulation.index import replica_rows
from planner.formulation.registry import variable_family
from planner.session import Session

if TYPE_CHECKING:
    import pandas as pd

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
    the rest (the cheapest on-demand offer of each accelerator) beyond the chips already owned
    (``--fleet``). Spot stays within its share.
    """
    ix = m.index
    commit = np.floor(np.nan_to_num(relaxed["commit"]) + _EPS)
    supply = np.zeros(len(ix.supply))
    need = _chips_needed(m, replicas)
    committed = _committed_chips(m, commit)
    spot_lp = np.floor(np.nan_to_num(relaxed["supply"]) + _EPS) * (ix.supply["tier"] == "spot").to_numpy()
    groups = cast("dict[tuple[int, int], pd.Index]", ix.supply.groupby(["p", "a"], sort=False).groups)
    for (p, a), rows in groups.items():
        owned = float(ix.owned[int(p), int(a)]) if ix.owned is not None else 0.0
        left = need.get((int(p), int(a)), 0.0) - committed.get(int(a), 0.0) - owned
        supply[rows] = _cover_chips(ix.supply.loc[rows], spot_lp[rows], left)
    return supply, commit


def _chips_needed(m: PlanningModel, replicas: np.ndarray) -> dict[tuple[int, int], float]:
    rep = m.index.replica.assign(used=replicas * m.index.replica["chips"].to_numpy(float))
    used = rep.groupby(["p", "a"])["used"].sum()
    return {
        (int(p), int(a)): float(v) for (p, a), v in zip(used.index.to_list(), used.to_numpy(), strict=True)
    }


def _committed_chips(m: PlanningModel, commit: np.ndarray) -> dict[int, float]:
    cm = m.index.commit.assign(chips=commit * m.index.commit["multiplier"].to_numpy(float))
    chips = cm.groupby("a")["chips"].sum()
    return {int(a): float(v) for a, v in zip(chips.index.to_numpy(), chips.to_numpy(), strict=True)}


def _cover_chips(offers: object, spot_start: np.ndarray, left: float) -> np.ndarray:
    import pandas as pd

    assert isinstance(offers, pd.DataFrame)
    out = np.zeros(len(offers))
    if left <= _EPS:
        return out
    mult = offers["multiplier"].to_numpy(float)
    is_spot = (offers["tier"] == "spot").to_numpy()
    out[is_spot] = np.minimum(spot_start[is_spot], np.floor(left / mult[is_spot]))
    left -= float((out * mult).sum())
    on_demand = np.flatnonzero(~is_spot)
    if left > _EPS and len(on_demand):
        best = on_demand[np.argmin(offers["usd_per_chip_hour"].to_numpy(float)[on_demand])]
        out[best] = math.ceil(left / mult[best] - _EPS)
    elif left > _EPS:
        return _all_spot(out, mult, is_spot, left)
    return out


def _all_spot(out: np.ndarray, mult: np.ndarray, is_spot: np.ndarray, left: float) -> np.ndarray:
    first = np.flatnonzero(is_spot)[0]
    out[first] += math.ceil(left / mult[first] - _EPS)
    return out


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
    return session.lp({name: plan[name] for name in m.integer_blocks if name in plan})


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
    floors = m.constraints["minreplicas"].labels
    need = set(ix.route[ix.route["d"].isin(floors)][["p", "o"]].itertuples(index=False))
    keep = np.array([(p, o) in need for p, o in ix.replica[["p", "o"]].itertuples(index=False)])
    return np.where(keep, candidate, 0.0)
