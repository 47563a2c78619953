"""The staged solve: always a plan, never a silent wrong answer.

1. Solve the LP relaxation; its objective is the lower bound every plan is measured against.
2. Build an integer plan from it: round replicas up, re-route the load over them (LP with the
   replicas fixed), drop replicas that became unneeded, buy whole chips for what is left.
3. Run the MILP in the time left, started from that plan, and keep whichever plan is cheaper.
4. Re-solve the LP with every integer choice fixed: its routing is the plan's and its duals are
   the short-run marginal costs; the relaxation's duals are the long-run ones.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

import numpy as np

import solvers
from planner.errors import SolveError
from planner.formulation.index import IndexSets, replica_rows, slice_period
from planner.formulation.matrix import build_matrix, solve_whole
from planner.formulation.model import (
    FAMILIES,
    PlanningModel,
    duals,
    fix_values,
    is_integral,
    read_values,
    release_values,
    values,
)
from planner.periods import PeriodResult, PeriodSlice, Rebuilder, solve_period
from planner.plan import Reduction, StoppedBy
from planner.settings import SolveSettings
from solvers.base import SolveResult

if TYPE_CHECKING:
    import pandas as pd

_EPS = 1e-6
#: Share of the MILP time for the restricted per-period MILPs (stage 2b); the rest goes to the full ones.
RESTRICTED_SHARE = 0.6
#: Relative tolerance when comparing a plan's cost with a bound (solvers report bounds with round-off).
_REL_TOL = 1e-7
Rebuild = Rebuilder


@dataclass
class EngineResult:
    """What the engine found.

    Attributes:
        status: ``optimal`` when proven within the MIP gap, else ``feasible``.
        stage: ``lp_rounding`` or ``milp``: which stage produced the plan.
        objective_usd: the plan's objective (accelerators + API + unmet penalty).
        bound_usd: the best proven lower bound (LP relaxation, or the MILP's dual bound).
        values: variable family -> solution values aligned with the model's arrays.
        lp_duals / fixed_duals: constraint family -> duals of the relaxation / of the fixed LP.
        timings: stage -> seconds.
        solver: solver name.
    """

    status: str
    stage: str
    objective_usd: float
    bound_usd: float
    values: dict[str, np.ndarray]
    lp_duals: dict[str, np.ndarray]
    fixed_duals: dict[str, np.ndarray]
    timings: dict[str, float] = field(default_factory=dict)
    solver: str = "highs"
    stopped_by: StoppedBy = "gap"
    reductions: tuple[Reduction, ...] = ()

    @property
    def gap(self) -> float:
        """Relative gap between the plan and the bound."""
        if self.objective_usd <= _EPS:
            return 0.0
        return max(0.0, (self.objective_usd - self.bound_usd) / abs(self.objective_usd))


def _duals(m: PlanningModel) -> dict[str, np.ndarray]:
    return {name: duals(rows) for name, (rows, _idx) in m.rows.items()}


def _solve(
    m: PlanningModel,
    settings: SolveSettings,
    *,
    mip: bool,
    time_limit_s: float | None = None,
    start: dict[str, float] | None = None,
) -> SolveResult:
    if settings.solver == "highs" and m.matrix is None:
        m.matrix = build_matrix(m)  # the one walk of the PuLP model (the first solve's hand-off)
    if m.matrix is not None:  # HiGHS on the arrays (a start solution is not passed)
        gap, threads = settings.mip_gap, settings.threads
        return solve_whole(m.matrix, mip=mip, time_limit_s=time_limit_s, mip_gap=gap, threads=threads).result
    return solvers.solve(
        m.prob,
        settings.solver,
        mip=mip,
        time_limit_s=time_limit_s,
        mip_gap=settings.mip_gap,
        threads=settings.threads,
        start=start,
    )


def solve_relaxation(m: PlanningModel, settings: SolveSettings) -> tuple[SolveResult, dict[str, np.ndarray]]:
    """Stage 1: the LP relaxation (always run to completion)."""
    result = _solve(m, settings, mip=False)
    if not result.has_solution:
        raise SolveError(f"the LP relaxation has no solution ({result.detail}); no plan can be made")
    return result, read_values(m)


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
    the rest (the cheapest on-demand offer of each accelerator). Spot stays within its share.
    """
    ix = m.index
    commit = np.floor(np.nan_to_num(relaxed["commit"]) + _EPS)
    supply = np.zeros(len(ix.supply))
    need = _chips_needed(m, replicas)
    committed = _committed_chips(m, commit)
    spot_lp = np.floor(np.nan_to_num(relaxed["supply"]) + _EPS) * (ix.supply["tier"] == "spot").to_numpy()
    groups = cast("dict[tuple[int, int], pd.Index]", ix.supply.groupby(["p", "a"], sort=False).groups)
    for (p, a), rows in groups.items():
        left = need.get((int(p), int(a)), 0.0) - committed.get(int(a), 0.0)
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


def _fixed_lp(
    m: PlanningModel, settings: SolveSettings, replicas: np.ndarray, supply: np.ndarray, commit: np.ndarray
) -> SolveResult:
    saved = [
        (family, fix_values(family, vals))
        for family, vals in ((m.replicas, replicas), (m.supply, supply), (m.commit, commit))
    ]
    try:
        return _solve(m, settings, mip=False)
    finally:
        for family, bounds in saved:
            release_values(family, bounds)


def round_plan(
    m: PlanningModel, settings: SolveSettings, relaxed: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Stage 2: an integer plan from the relaxation (round up, re-route, shrink, whole chips)."""
    up = np.ceil(np.nan_to_num(relaxed["replicas"]) - _EPS)
    for candidate in (up, np.floor(np.nan_to_num(relaxed["replicas"]) + _EPS)):
        saved = fix_values(m.replicas, candidate)
        try:
            rerouted = _solve(m, settings, mip=False)
        finally:
            release_values(m.replicas, saved)
        if rerouted.has_solution:
            shrunk = np.minimum(
                candidate, np.maximum(needed_replicas(m, values(m.route)), _min_replica_floor(m, candidate))
            )
            supply, commit = integer_supply(m, shrunk, read_values(m))
            final = _fixed_lp(m, settings, shrunk, supply, commit)
            if final.has_solution:
                return read_values(m)
    raise SolveError("could not build an integer plan from the LP relaxation")


def _min_replica_floor(m: PlanningModel, candidate: np.ndarray) -> np.ndarray:
    """Keep replicas that availability floors (``min_replicas``) need."""
    if "minreplicas" not in m.rows:
        return np.zeros(len(candidate))
    ix = m.index
    need = set(ix.route[ix.route["d"].isin(m.rows["minreplicas"][1])][["p", "o"]].itertuples(index=False))
    keep = np.array([(p, o) in need for p, o in ix.replica[["p", "o"]].itertuples(index=False)])
    return np.where(keep, candidate, 0.0)


def objective_of(m: PlanningModel, vals: dict[str, np.ndarray]) -> float:
    """Re-price a solution with the objective coefficients."""
    return float(sum(np.nansum(m.cost[k] * vals[k]) for k in FAMILIES))


def start_of(m: PlanningModel, vals: dict[str, np.ndarray]) -> dict[str, float]:
    """A start solution for the MILP: variable name -> value."""
    start: dict[str, float] = {}
    for name in FAMILIES:
        for var, val in zip(getattr(m, name), vals[name], strict=True):
            start[var.name] = float(np.nan_to_num(val))
    return start


def run_engine(
    m: PlanningModel, settings: SolveSettings, deadline: float, rebuild: Rebuild | None = None
) -> EngineResult:
    """Run the four stages within the wall-clock ``deadline`` (a ``time.monotonic()`` value).

    ``rebuild`` makes a model from index sets; with it, stage 3 solves one MILP per period (exact
    when no committed offer or budget couples the periods) instead of one for the whole horizon.
    """
    timings: dict[str, float] = {}
    t = time.monotonic()
    lp, relaxed = solve_relaxation(m, settings)
    lp_duals = _duals(m)
    timings["lp_s"] = time.monotonic() - t
    # keep time for the final LP with the integer choices fixed (about one LP solve), and the read-back
    milp_deadline = deadline - (1.5 * timings["lp_s"] + 0.5)
    t = time.monotonic()
    plan = rounded = round_plan(m, settings, relaxed)
    timings["rounding_s"] = time.monotonic() - t
    bound = float(lp.objective or 0.0)
    stage, proven = "lp_rounding", False
    t = time.monotonic()
    if rebuild is not None and settings.budget_usd is None and len(set(m.index.cover["p"])) > 1:
        restricted_deadline = time.monotonic() + RESTRICTED_SHARE * max(0.0, milp_deadline - time.monotonic())
        plan = restricted_pass(m, plan, relaxed, restricted_deadline, rebuild)
        plan, stage, bound, proven = _improve_by_period(m, settings, plan, bound, milp_deadline, rebuild)
    else:
        plan, stage, bound, proven = _improve(m, settings, plan, bound, milp_deadline)
    timings["milp_s"] = time.monotonic() - t
    t = time.monotonic()
    fixed = _fixed_lp(m, settings, plan["replicas"], plan["supply"], plan["commit"])
    if not fixed.has_solution and plan is not rounded:
        # an improved plan that the fixed LP rejects is a bug: fall back to the checked rounded plan
        plan, stage, bound, proven = rounded, "lp_rounding", float(lp.objective or 0.0), False
        fixed = _fixed_lp(m, settings, plan["replicas"], plan["supply"], plan["commit"])
    final = read_values(m) if fixed.has_solution else plan
    fixed_duals = _duals(m) if fixed.has_solution else {}
    timings["duals_s"] = time.monotonic() - t
    objective = objective_of(m, final)
    proven = proven or _within_gap(objective, bound, settings)
    return EngineResult(
        "optimal" if proven else "feasible",
        stage,
        objective,
        min(bound, objective),
        final,
        lp_duals,
        fixed_duals,
        timings,
        settings.solver,
        "proven" if proven else "time_limit",
    )


def _improve(
    m: PlanningModel, settings: SolveSettings, plan: dict[str, np.ndarray], bound: float, deadline: float
) -> tuple[dict[str, np.ndarray], str, float, bool]:
    """Stage 3: the MILP from the rounded plan, in the time left; keep the cheaper plan."""
    rounded_obj = objective_of(m, plan)
    left = deadline - time.monotonic()
    if _within_gap(rounded_obj, bound, settings) or left < 0.5 or _no_integers(m):
        return plan, "lp_rounding", bound, _within_gap(rounded_obj, bound, settings)
    result = _solve(m, settings, mip=True, time_limit_s=left, start=start_of(m, plan))
    if result.bound is not None:
        bound = max(bound, min(result.bound, rounded_obj))
    elif result.status == "optimal" and result.objective is not None:
        bound = max(bound, min(result.objective, rounded_obj) * (1 - settings.mip_gap))  # CBC gives no bound
    milp = read_values(m)
    if result.has_solution and is_integral(milp):
        if objective_of(m, milp) < rounded_obj - _EPS * max(1.0, abs(rounded_obj)):
            return milp, "milp", bound, result.status == "optimal"
        return plan, "lp_rounding", bound, result.status == "optimal"
    return plan, "lp_rounding", bound, False


def _within_gap(objective: float, bound: float, settings: SolveSettings) -> bool:
    """True when the objective is proven within the MIP gap of the bound (with solver round-off)."""
    return objective <= bound * (1 + settings.mip_gap) + _EPS + _REL_TOL * abs(objective)


def _no_integers(m: PlanningModel) -> bool:
    return all(len(a) == 0 for a in m.integer_arrays().values())


def _improve_by_period(
    m: PlanningModel,
    settings: SolveSettings,
    plan: dict[str, np.ndarray],
    bound: float,
    deadline: float,
    rebuild: Rebuild,
) -> tuple[dict[str, np.ndarray], str, float, bool]:
    """Stage 3 by period: one MILP per period, committed counts charged by the period's share.

    Each period may pick its own committed count (a relaxation of the whole-horizon model), so the
    periods' proven bounds add up to a valid bound. Periods whose committed counts equal the
    rounded plan's can replace that plan's period as they are; when all agree and all are proven,
    the plan is optimal. Otherwise the counts are fixed at the rounded plan's and the remaining
    periods are solved again. Periods solved before the deadline are kept; the rest stay rounded.
    """
    first = _solve_periods(m, settings, deadline, rebuild, fixed_commit=None)
    if first.complete and np.isfinite(first.bounds):
        bound = max(bound, first.bounds)
    commit = np.round(plan["commit"])
    agree = [(v, rows) for v, rows in first.solutions if np.array_equal(np.round(v["commit"]), commit)]
    optimal = first.complete and first.optimal and len(agree) == len(first.solutions)
    usable = [(v, rows) for v, rows in agree if _better_period(m, v, rows, plan, rows)]
    if len(agree) < len(first.solutions):
        done = {
            int(m.index.cover["p"].to_numpy()[rows["unmet"][0]]) for _v, rows in agree if len(rows["unmet"])
        }
        again = _solve_periods(m, settings, deadline, rebuild, fixed_commit=plan["commit"], skip=done)
        usable += [(v, rows) for v, rows in again.solutions if _better_period(m, v, rows, plan, rows)]
    merged = _merge(plan, usable)
    plan_cost = objective_of(m, plan)
    if objective_of(m, merged) < plan_cost - _EPS * max(1.0, plan_cost):
        return merged, "milp", bound, optimal
    # every period proven and none cheaper than the rounded plan: the rounded plan is optimal
    return plan, "lp_rounding", bound, optimal


@dataclass
class PeriodSolutions:
    """Per-period MILP results: (values, original rows) per solved period, in period order."""

    solutions: list[tuple[dict[str, np.ndarray], dict[str, np.ndarray]]] = field(default_factory=list)
    bounds: float = 0.0
    optimal: bool = True
    complete: bool = True


def _solve_periods(
    m: PlanningModel,
    settings: SolveSettings,
    deadline: float,
    rebuild: Rebuild,
    fixed_commit: np.ndarray | None,
    skip: set[int] | None = None,
) -> PeriodSolutions:
    """Solve each period's MILP in turn, each with a fair share of the time left."""
    periods = [p for p in sorted(int(p) for p in set(m.index.cover["p"])) if p not in (skip or set())]
    active = sorted(int(p) for p in set(m.index.cover["p"]))
    active_hours = float(m.index.hours[active].sum())  # periods without demand carry no share
    slices = []
    for p in periods:
        share = None if fixed_commit is not None else float(m.index.hours[p]) / active_hours
        sub, rows = slice_period(m.index, p, share)
        slices.append(PeriodSlice(p, sub, rows, share))
    results = _solve_in_turn(rebuild, m, slices, fixed_commit, deadline)
    out = PeriodSolutions()
    for period, result in zip(slices, results, strict=True):
        rows = period.rows
        if result is None:
            out.complete = out.optimal = False
            continue
        out.optimal = out.optimal and result.status == "optimal" and result.values is not None
        out.bounds += _proven_bound(result, settings)
        if result.values is not None:
            out.solutions.append((result.values, rows))
    return out


def _solve_in_turn(
    rebuild: Rebuild,
    m: PlanningModel,
    subs: list[PeriodSlice],
    fixed_commit: np.ndarray | None,
    deadline: float,
) -> list[PeriodResult | None]:
    results: list[PeriodResult | None] = []
    for i, sub in enumerate(subs):
        left = deadline - time.monotonic()
        results.append(
            solve_period(rebuild, m, sub, fixed_commit, left / (len(subs) - i)) if left >= 0.05 else None
        )
    return results


def restricted_pass(
    m: PlanningModel,
    plan: dict[str, np.ndarray],
    relaxed: dict[str, np.ndarray],
    deadline: float,
    rebuild: Rebuild,
) -> dict[str, np.ndarray]:
    """Stage 2b: per period, a MILP over only the options the LP relaxation or the plan uses.

    The LP's support holds its optimum, so the restricted MILP has the period's LP bound and is small
    enough to solve in a fraction of a second: it repairs most of what rounding wastes. Committed
    counts stay the plan's; a period's values are replaced only when its MILP plan is cheaper.
    """
    plan = {k: v.copy() for k, v in plan.items()}
    used = (np.nan_to_num(relaxed["replicas"]) > _EPS) | (plan["replicas"] > 0.5)
    periods = sorted(int(p) for p in set(m.index.cover["p"]))
    for i, p in enumerate(periods):
        left = deadline - time.monotonic()
        if left < 0.05:
            break
        sub_ix, rows_all = slice_period(m.index, p)
        sub_ix, rows = _restrict(sub_ix, rows_all, used[rows_all["replicas"]])
        result = solve_period(
            rebuild, m, PeriodSlice(p, sub_ix, rows, None), plan["commit"], left / (len(periods) - i)
        )
        if result.values is not None and _better_period(m, result.values, rows, plan, rows_all):
            for name in FAMILIES[:-1]:
                plan[name][rows_all[name]] = 0.0
                plan[name][rows[name]] = result.values[name]
    return plan


def _restrict(
    sub: IndexSets, rows: dict[str, np.ndarray], keep_replica: np.ndarray
) -> tuple[IndexSets, dict[str, np.ndarray]]:
    """The period's index sets with only the options whose replica rows are kept."""
    keep_o = set(sub.replica["o"].to_numpy()[keep_replica].tolist())
    keep_route = sub.route["o"].isin(keep_o).to_numpy()
    keep_acc = set(sub.replica["a"].to_numpy()[keep_replica].tolist())
    keep_supply = sub.supply["a"].isin(keep_acc).to_numpy()  # chips only for accelerators still in use
    restricted = dataclasses.replace(
        sub,
        route=sub.route[keep_route].reset_index(drop=True),
        replica=sub.replica[keep_replica].reset_index(drop=True),
        supply=sub.supply[keep_supply].reset_index(drop=True),
    )
    kept = {"route": keep_route, "replicas": keep_replica, "supply": keep_supply}
    return restricted, {**rows, **{name: rows[name][mask] for name, mask in kept.items()}}


def _better_period(
    m: PlanningModel,
    new: dict[str, np.ndarray],
    new_rows: dict[str, np.ndarray],
    plan: dict[str, np.ndarray],
    rows: dict[str, np.ndarray],
) -> bool:
    """True when a period's MILP solution (on ``new_rows``) costs less than the plan's period (``rows``).

    Committed counts are equal on both sides (only such solutions are merged), so they cancel out.
    A MILP stopped at its time limit can hold an incumbent far worse than the rounded plan.
    """
    families = FAMILIES[:-1]
    cost_new = sum(float(np.nansum(m.cost[f][new_rows[f]] * new[f])) for f in families)
    cost_old = sum(float(np.nansum(m.cost[f][rows[f]] * plan[f][rows[f]])) for f in families)
    return cost_new < cost_old - _EPS * max(1.0, abs(cost_old))


def _proven_bound(result: SolveResult | PeriodResult, settings: SolveSettings) -> float:
    """A solver's proven bound; from a proven optimum within the gap when it reports none (CBC)."""
    if result.bound is not None:
        return result.bound
    if result.status == "optimal" and result.objective is not None:
        return result.objective * (1 - settings.mip_gap)
    return -np.inf


def _merge(
    plan: dict[str, np.ndarray], solutions: list[tuple[dict[str, np.ndarray], dict[str, np.ndarray]]]
) -> dict[str, np.ndarray]:
    """The plan with each solved period's values in place (committed counts stay the plan's)."""
    merged = {k: v.copy() for k, v in plan.items()}
    for vals, rows in solutions:
        for name in FAMILIES[:-1]:
            merged[name][rows[name]] = vals[name]
    return merged
