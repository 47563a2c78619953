"""Per-period MILPs: the decomposition the engine uses when periods are independent.

Without committed offers or a budget the periods share no variable and no row, so the whole-horizon
MILP is exactly the sum of the periods' MILPs: solving each to its gap proves the plan. With
committed offers, each period may pick its own committed count at the period's share of the
commitment's cost, a relaxation whose period bounds add up to a valid bound; its plans are proposals
the whole-horizon MILP then improves on. A process pool was tried and measured: on this project's
2-vCPU machines two CPU-bound processes each run at half speed, so it gained nothing and was removed
(docs/benchmarks.md, "Ideas tried").
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field

import numpy as np

import solvers
from planner.catalog.schema import Catalog
from planner.formulation.build import model_from_index
from planner.formulation.index import IndexSets, slice_period
from planner.formulation.matrix import period_model, split_values
from planner.formulation.model import FAMILIES, PlanningModel, fix_values, is_integral, read_values
from planner.options import Options
from planner.settings import SolveSettings
from solvers.arrays import solve_arrays
from solvers.base import SolveResult

_EPS = 1e-6


@dataclass(frozen=True)
class Rebuilder:
    """Makes a planning model from index sets: what the engine needs to build one period's model."""

    options: Options
    catalog: Catalog
    settings: SolveSettings

    def __call__(self, ix: IndexSets) -> PlanningModel:
        """The model over ``ix``."""
        return model_from_index(ix, self.options, self.catalog, self.settings)


@dataclass(frozen=True)
class PeriodSlice:
    """One period's sub-problem: its index sets, and per family its positions in the whole model.

    ``commit_share`` is the share of committed offers' cost the period carries (None: full cost,
    as when the committed counts are fixed).
    """

    p: int
    index: IndexSets
    rows: dict[str, np.ndarray]
    commit_share: float | None


@dataclass(frozen=True)
class PeriodResult:
    """One period's MILP outcome: status, proven bound, and values (None without an integer plan)."""

    status: str
    bound: float | None
    objective: float | None
    values: dict[str, np.ndarray] | None
    stopped_by: str | None = None


def solve_period(
    rebuild: Rebuilder,
    m: PlanningModel,
    period: PeriodSlice,
    fixed_commit: np.ndarray | None,
    time_limit_s: float,
) -> PeriodResult:
    """Build and solve one period's MILP: a slice of ``m.matrix`` when there is one, else rebuilt."""
    s = rebuild.settings
    limit = max(0.05, time_limit_s)
    if m.matrix is not None:
        model = period_model(m.matrix, period.p, period.rows, period.commit_share, fixed_commit)
        solution = solve_arrays(
            model, mip=True, time_limit_s=limit, mip_gap=s.mip_gap, threads=s.threads, work_limit=s.work_limit
        )
        result = solution.result
        vals = split_values(solution.x, period.rows) if solution.x is not None else None
    else:
        sub = rebuild(period.index)
        if fixed_commit is not None:
            fix_values(sub.commit, fixed_commit)
        result = solvers.solve(
            sub.prob, s.solver, mip=True, time_limit_s=limit, mip_gap=s.mip_gap, threads=s.threads
        )
        vals = read_values(sub) if result.has_solution else None
    usable = vals if result.has_solution and vals is not None and is_integral(vals) else None
    stop = (
        result.stopped_by if m.matrix is not None else (None if result.status == "optimal" else "time_limit")
    )
    return PeriodResult(result.status, result.bound, result.objective, usable, stop)


@dataclass
class Search:
    """What the MILP stages have found so far: the best bound, and what stopped any solve short."""

    bound: float
    stops: set[str] = field(default_factory=set)

    def raise_bound(self, bound: float | None) -> None:
        """Keep the best valid lower bound."""
        if bound is not None and np.isfinite(bound):
            self.bound = max(self.bound, float(bound))

    def note(self, stopped_by: str | None) -> None:
        """Record a solve stopped by the clock or a work limit."""
        if stopped_by in ("time_limit", "work_limit"):
            self.stops.add(stopped_by)


def improve_by_period(
    m: PlanningModel,
    settings: SolveSettings,
    plan: dict[str, np.ndarray],
    search: Search,
    deadline: float,
    rebuild: Rebuilder,
) -> tuple[dict[str, np.ndarray], str, bool]:
    """Stage 3 by period: one MILP per period, committed counts charged by the period's share.

    Each period may pick its own committed count (a relaxation of the whole-horizon model), so the
    periods' proven bounds add up to a valid bound. Periods whose committed counts equal the
    rounded plan's can replace that plan's period as they are; when all agree and all are proven,
    the plan is optimal. Otherwise the counts are fixed at the rounded plan's and the remaining
    periods are solved again. Periods solved before the deadline are kept; the rest stay rounded.
    Returns (plan, stage, proven).
    """
    first = _solve_periods(m, settings, deadline, rebuild, fixed_commit=None)
    search.stops |= first.stops
    if first.complete and np.isfinite(first.bounds):
        search.raise_bound(first.bounds)
    commit = np.round(plan["commit"])
    agree = [(v, rows) for v, rows in first.solutions if np.array_equal(np.round(v["commit"]), commit)]
    optimal = first.complete and first.optimal and len(agree) == len(first.solutions)
    usable = [(v, rows) for v, rows in agree if _better_period(m, v, rows, plan, rows)]
    if len(agree) < len(first.solutions):
        done = {
            int(m.index.cover["p"].to_numpy()[rows["unmet"][0]]) for _v, rows in agree if len(rows["unmet"])
        }
        again = _solve_periods(m, settings, deadline, rebuild, fixed_commit=plan["commit"], skip=done)
        search.stops |= again.stops
        usable += [(v, rows) for v, rows in again.solutions if _better_period(m, v, rows, plan, rows)]
    merged = _merge(plan, usable)
    plan_cost = objective_of(m, plan)
    if objective_of(m, merged) < plan_cost - _EPS * max(1.0, plan_cost):
        return merged, "milp", optimal
    # every period proven and none cheaper than the rounded plan: the rounded plan is optimal
    return plan, "lp_rounding", optimal


@dataclass
class PeriodSolutions:
    """Per-period MILP results: (values, original rows) per solved period, in period order."""

    solutions: list[tuple[dict[str, np.ndarray], dict[str, np.ndarray]]] = field(default_factory=list)
    bounds: float = 0.0
    optimal: bool = True
    complete: bool = True
    stops: set[str] = field(default_factory=set)


def _solve_periods(
    m: PlanningModel,
    settings: SolveSettings,
    deadline: float,
    rebuild: Rebuilder,
    fixed_commit: np.ndarray | None,
    skip: set[int] | None = None,
) -> PeriodSolutions:
    """Solve each period's MILP in turn, each with a fair share of the time left.

    With ``--work-limit`` each period's solve is capped by the work limit, and the clock only by
    the time left (not a share of it), so that the work limit, not the load, decides.
    """
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
            out.stops.add("time_limit")
            continue
        if result.stopped_by in ("time_limit", "work_limit"):
            out.stops.add(result.stopped_by)
        out.optimal = out.optimal and result.status == "optimal" and result.values is not None
        out.bounds += proven_bound(result, settings)
        if result.values is not None:
            out.solutions.append((result.values, rows))
    return out


def _solve_in_turn(
    rebuild: Rebuilder,
    m: PlanningModel,
    subs: list[PeriodSlice],
    fixed_commit: np.ndarray | None,
    deadline: float,
) -> list[PeriodResult | None]:
    results: list[PeriodResult | None] = []
    by_work = rebuild.settings.work_limit is not None
    for i, sub in enumerate(subs):
        left = deadline - time.monotonic()
        cap = left if by_work else left / (len(subs) - i)
        results.append(solve_period(rebuild, m, sub, fixed_commit, cap) if left >= 0.05 else None)
    return results


def restricted_pass(
    m: PlanningModel,
    plan: dict[str, np.ndarray],
    relaxed: dict[str, np.ndarray],
    deadline: float,
    rebuild: Rebuilder,
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
        cap = left if rebuild.settings.work_limit is not None else left / (len(periods) - i)
        result = solve_period(rebuild, m, PeriodSlice(p, sub_ix, rows, None), plan["commit"], cap)
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


def objective_of(m: PlanningModel, vals: dict[str, np.ndarray]) -> float:
    """Re-price a solution with the objective coefficients."""
    return float(sum(np.nansum(m.cost[k] * vals[k]) for k in FAMILIES))


def proven_bound(result: PeriodResult | SolveResult, settings: SolveSettings) -> float:
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
