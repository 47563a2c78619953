"""Per-period MILPs: the decomposition the engine uses when the declared couplings allow it.

A period's MILP is a slice of the model's arrays: the columns of that period and the horizon
columns, the rows of that period. That is exact only when no row spans periods: the engine reads
the declared couplings (:meth:`PlanningModel.coupled_rows`) and :func:`period_model` refuses a
model with such rows (``DecompositionError``) instead of dropping them.

Without horizon columns (committed offers) the periods share nothing, so the whole-horizon MILP is
exactly the sum of the periods' MILPs: solving each to its gap proves the plan. With horizon
columns each period may pick its own values at the period's share of their cost, a relaxation
whose period bounds add up to a valid bound; its plans are proposals the whole-horizon MILP then
improves on. A process pool was tried and measured: on this project's 2-vCPU machines two CPU-bound
processes each run at half speed, so it gained nothing and was removed (docs/benchmarks.md, "Ideas
tried").
"""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

import numpy as np

from planner.formulation.blocks import PlanningModel, Solution
from planner.session import Session
from planner.settings import SolveSettings
from solvers.arrays import ArrayModel
from solvers.base import SolveResult

_EPS = 1e-6


class DecompositionError(ValueError):
    """The model has rows a per-period slice would drop (declared couplings across periods)."""


def check_decomposable(m: PlanningModel) -> None:
    """Raise :class:`DecompositionError` unless every row lives in one period."""
    coupled = m.coupled_rows()
    if coupled:
        raise DecompositionError("per-period MILPs cannot hold rows that span periods: " + ", ".join(coupled))
    for name, block in m.constraints.items():
        if block.size and "p" not in block.coords:
            raise DecompositionError(f"constraint family {name} is declared per period but has no period")


@dataclass(frozen=True)
class PeriodSlice:
    """One period's sub-problem: per variable block, the positions of its columns in the block.

    ``horizon_share`` is the share of horizon columns' cost the period carries (None: full cost,
    as when their values are fixed).
    """

    p: int
    cols: dict[str, np.ndarray]
    horizon_share: float | None


@dataclass(frozen=True)
class PeriodResult:
    """One period's MILP outcome: status, proven bound, and values (None without an integer plan)."""

    status: str
    bound: float | None
    objective: float | None
    values: dict[str, np.ndarray] | None
    stopped_by: str | None = None


def period_columns(m: PlanningModel, p: int) -> dict[str, np.ndarray]:
    """Per variable block, the positions of the columns period p's MILP holds."""
    return {
        name: (np.arange(b.size) if b.coupling == "horizon" else np.flatnonzero(b.period == p))
        for name, b in m.variables.items()
    }


def period_model(
    m: PlanningModel, period: PeriodSlice, fixed: dict[str, np.ndarray] | None
) -> tuple[ArrayModel, np.ndarray, np.ndarray]:
    """Period p's MILP over the slice's columns: (arrays, column ids, row ids).

    Rows are the period's rows; entries on columns left out are dropped (those columns are 0).
    With ``horizon_share`` horizon columns cost that share; with ``fixed`` they are fixed.
    """
    check_decomposable(m)
    base = m.arrays
    col = np.concatenate([m.columns(name, period.cols[name]) for name in m.variables])
    new_col = np.full(base.n_cols, -1, dtype=np.int64)
    new_col[col] = np.arange(len(col))
    row_ids = np.flatnonzero(m.row_period == period.p)
    start, index, value = row_slice(base, row_ids, new_col)
    cost, lower, upper = base.cost[col].copy(), base.lower[col].copy(), base.upper[col].copy()
    horizon = np.isin(col, np.concatenate([m.columns(n) for n in m.horizon_columns()] or [np.zeros(0, int)]))
    if period.horizon_share is not None:
        cost[horizon] *= period.horizon_share
    for name, vals in (fixed or {}).items():
        at = new_col[m.columns(name)]
        lower[at] = upper[at] = np.round(vals) if m.variables[name].integer else vals
    arrays = ArrayModel(
        cost,
        lower,
        upper,
        base.integer[col],
        base.row_lower[row_ids],
        base.row_upper[row_ids],
        start,
        index,
        value,
    )
    return arrays, col, row_ids


def row_slice(base: ArrayModel, row_ids: np.ndarray, new_col: np.ndarray) -> tuple[np.ndarray, ...]:
    """CSR of the given rows with columns renumbered by ``new_col`` (entries on -1 dropped)."""
    lengths = base.start[row_ids + 1] - base.start[row_ids]
    total = int(lengths.sum())
    first = np.repeat(base.start[row_ids] - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
    entries = first + np.arange(total)
    cols = new_col[base.index[entries]]
    keep = cols >= 0
    start = np.concatenate(
        [
            [0],
            np.cumsum(np.bincount(np.repeat(np.arange(len(row_ids)), lengths)[keep], minlength=len(row_ids))),
        ]
    )
    return start, cols[keep], base.value[entries][keep]


def split_values(m: PlanningModel, x: np.ndarray, cols: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Column values of a period model back into blocks (aligned with ``cols``)."""
    bounds = np.cumsum([0] + [len(cols[name]) for name in m.variables])
    return {name: x[bounds[i] : bounds[i + 1]] for i, name in enumerate(m.variables)}


def solve_period(
    session: Session, period: PeriodSlice, fixed: dict[str, np.ndarray] | None, time_limit_s: float
) -> PeriodResult:
    """Slice and solve one period's MILP."""
    m = session.model
    model, col, rows = period_model(m, period, fixed)
    solution = session.solve_arrays(model, max(0.05, time_limit_s), names=(col, rows))
    result = solution.result
    vals = split_values(m, solution.x, period.cols) if solution.x is not None else None
    usable = vals if result.has_solution and vals is not None and m.is_integral(vals) else None
    return PeriodResult(result.status, result.bound, result.objective, usable, result.stopped_by)


@dataclass
class Search:
    """What the MILP stages have found so far: the best bound, and what stopped any solve short."""

    bound: float
    stops: set[str] = field(default_factory=set)
    #: Per demand period, a proven bound on its cost (with horizon columns at the period's share):
    #: filled when one MILP per period ran over every period (or a known bound settled it).
    period_bounds: dict[int, float] | None = None

    def raise_bound(self, bound: float | None) -> None:
        """Keep the best valid lower bound."""
        if bound is not None and np.isfinite(bound):
            self.bound = max(self.bound, float(bound))

    def note(self, stopped_by: str | None) -> None:
        """Record a solve stopped by the clock or a work limit."""
        if stopped_by in ("time_limit", "work_limit"):
            self.stops.add(stopped_by)


def _horizon_values(m: PlanningModel, plan: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {name: plan[name] for name in m.horizon_columns()}


def _same_horizon(m: PlanningModel, a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> bool:
    return all(np.array_equal(np.round(a[n]), np.round(b[n])) for n in m.horizon_columns())


def improve_by_period(
    session: Session,
    plan: dict[str, np.ndarray],
    search: Search,
    deadline: float,
    settled: Mapping[int, float] | None = None,
) -> tuple[dict[str, np.ndarray], str, bool]:
    """Stage 3 by period: one MILP per period, horizon columns charged by the period's share.

    Each period may pick its own horizon values (a relaxation of the whole-horizon model), so the
    periods' proven bounds add up to a valid bound. Periods whose horizon values equal the
    rounded plan's can replace that plan's period as they are; when all agree and all are proven,
    the plan is optimal. Otherwise the horizon values are fixed at the rounded plan's and the
    remaining periods are solved again. Periods solved before the deadline are kept; the rest stay
    rounded. Returns (plan, stage, proven).

    ``settled``: periods whose plan is already within a known bound's accept gap (a sweep's
    neighbours, ``planner.sweeps.bracket``), with that bound: they are not solved, and their bound
    counts instead.
    """
    m = session.model
    settled = dict(settled or {})
    first = _solve_periods(session, deadline, fixed=None, skip=set(settled))
    search.stops |= first.stops
    if first.complete and np.isfinite(first.bounds):
        search.raise_bound(first.bounds + sum(settled.values()))
        search.period_bounds = {**first.period_bounds, **settled}
    agree = [(p, v, cols) for p, v, cols in first.solutions if _same_horizon(m, v, plan)]
    optimal = first.complete and first.optimal and len(agree) == len(first.solutions)
    usable = [(v, cols) for _p, v, cols in agree if _better_period(m, v, cols, plan, cols)]
    if len(agree) < len(first.solutions):
        done = {p for p, _v, _cols in agree} | set(settled)
        again = _solve_periods(session, deadline, fixed=_horizon_values(m, plan), skip=done)
        search.stops |= again.stops
        usable += [(v, cols) for _p, v, cols in again.solutions if _better_period(m, v, cols, plan, cols)]
    merged = _merge(m, plan, usable)
    plan_cost = m.objective_of(plan)
    if m.objective_of(merged) < plan_cost - _EPS * max(1.0, plan_cost):
        return merged, "milp", optimal
    # every period proven and none cheaper than the rounded plan: the rounded plan is optimal
    return plan, "lp_rounding", optimal


@dataclass
class PeriodSolutions:
    """Per-period MILP results: (period, values, columns) per solved period, in period order."""

    solutions: list[tuple[int, dict[str, np.ndarray], dict[str, np.ndarray]]] = field(default_factory=list)
    bounds: float = 0.0
    optimal: bool = True
    complete: bool = True
    stops: set[str] = field(default_factory=set)
    period_bounds: dict[int, float] = field(default_factory=dict)


def demand_periods(m: PlanningModel) -> list[int]:
    """Periods with demand rows, in order."""
    return sorted(int(p) for p in set(m.index.cover["p"]))


def _solve_periods(
    session: Session, deadline: float, fixed: dict[str, np.ndarray] | None, skip: set[int] | None = None
) -> PeriodSolutions:
    """Solve each period's MILP in turn, each with a fair share of the time left.

    With ``--work-limit`` each period's solve is capped by the work limit, and the clock only by
    the time left (not a share of it), so that the work limit, not the load, decides.
    """
    m = session.model
    active = demand_periods(m)
    periods = [p for p in active if p not in (skip or set())]
    active_hours = float(m.index.hours[active].sum())  # periods without demand carry no share
    slices = [
        PeriodSlice(
            p, period_columns(m, p), None if fixed is not None else float(m.index.hours[p]) / active_hours
        )
        for p in periods
    ]
    by_work = session.settings.work_limit is not None
    out = PeriodSolutions()
    for i, period in enumerate(slices):
        left = deadline - time.monotonic()
        if left < 0.05:
            out.complete = out.optimal = False
            out.stops.add("time_limit")
            continue
        result = solve_period(session, period, fixed, left if by_work else left / (len(slices) - i))
        if result.stopped_by in ("time_limit", "work_limit"):
            out.stops.add(result.stopped_by)
        out.optimal = out.optimal and result.status == "optimal" and result.values is not None
        out.period_bounds[period.p] = proven_bound(result, session.settings)
        out.bounds += out.period_bounds[period.p]
        if result.values is not None:
            out.solutions.append((period.p, result.values, period.cols))
    return out


def restricted_pass(
    session: Session,
    plan: dict[str, np.ndarray],
    relaxed: dict[str, np.ndarray],
    deadline: float,
    skip: Collection[int] = (),
) -> dict[str, np.ndarray]:
    """Stage 2b: per period, a MILP over only the options the LP relaxation or the plan uses.

    The LP's support holds its optimum, so the restricted MILP has the period's LP bound and is small
    enough to solve in a fraction of a second: it repairs most of what rounding wastes. Horizon
    values stay the plan's; a period's values are replaced only when its MILP plan is cheaper.
    Periods in ``skip`` (settled by a known bound) are left as they are.
    """
    m = session.model
    plan = {k: v.copy() for k, v in plan.items()}
    used = (np.nan_to_num(relaxed["replicas"]) > _EPS) | (plan["replicas"] > 0.5)
    periods = [p for p in demand_periods(m) if p not in skip]
    for i, p in enumerate(periods):
        left = deadline - time.monotonic()
        if left < 0.05:
            break
        cols_all = period_columns(m, p)
        cols = restrict(m, cols_all, used[cols_all["replicas"]])
        cap = left if session.settings.work_limit is not None else left / (len(periods) - i)
        result = solve_period(session, PeriodSlice(p, cols, None), _horizon_values(m, plan), cap)
        if result.values is not None and _better_period(m, result.values, cols, plan, cols_all):
            for name, block in m.variables.items():
                if block.coupling != "horizon":
                    plan[name][cols_all[name]] = 0.0
                    plan[name][cols[name]] = result.values[name]
    return plan


def restrict(
    m: PlanningModel, cols: dict[str, np.ndarray], keep_replica: np.ndarray
) -> dict[str, np.ndarray]:
    """The period's columns with only the options whose replica columns are kept."""
    ix = m.index
    replicas = cols["replicas"]
    keep_o = ix.replica["o"].to_numpy()[replicas[keep_replica]]
    keep_acc = ix.replica["a"].to_numpy()[replicas[keep_replica]]
    route = cols["route"]
    supply = cols["supply"]
    return {
        **cols,
        "route": route[np.isin(ix.route["o"].to_numpy()[route], keep_o)],
        "replicas": replicas[keep_replica],
        # chips only for accelerators still in use
        "supply": supply[np.isin(ix.supply["a"].to_numpy()[supply], keep_acc)],
    }


def _better_period(
    m: PlanningModel,
    new: dict[str, np.ndarray],
    new_cols: dict[str, np.ndarray],
    plan: dict[str, np.ndarray],
    cols: dict[str, np.ndarray],
) -> bool:
    """True when a period's MILP solution (on ``new_cols``) costs less than the plan's period (``cols``).

    Horizon values are equal on both sides (only such solutions are merged), so they cancel out.
    A MILP stopped at its time limit can hold an incumbent far worse than the rounded plan.
    """
    per_period = [n for n, b in m.variables.items() if b.coupling != "horizon"]
    cost_new = sum(float(np.nansum(m.cost[f][new_cols[f]] * new[f])) for f in per_period)
    cost_old = sum(float(np.nansum(m.cost[f][cols[f]] * plan[f][cols[f]])) for f in per_period)
    return cost_new < cost_old - _EPS * max(1.0, abs(cost_old))


def period_costs(m: PlanningModel, values: dict[str, np.ndarray]) -> dict[int, float]:
    """Per demand period, the plan's cost there plus its share (hours) of the horizon columns' cost.

    The shares are those of the per-period MILPs (:func:`improve_by_period`), so these costs are
    what the periods' proven bounds bound; over the demand periods they add up to the objective of
    the per-period and horizon columns.
    """
    active = demand_periods(m)
    hours = m.index.hours
    share = {p: float(hours[p]) / float(hours[active].sum()) for p in active}
    horizon = sum(float(np.nansum(m.cost[n] * values[n])) for n in m.horizon_columns())
    out = {p: share[p] * horizon for p in active}
    for name, block in m.variables.items():
        if block.coupling == "horizon":
            continue
        at = block.period >= 0
        usd = np.nan_to_num(m.cost[name] * values[name])[at]
        by_period = np.bincount(block.period[at], weights=usd, minlength=len(hours))
        for p in active:
            out[p] += float(by_period[p])
    return out


def proven_bound(result: PeriodResult | SolveResult | Solution, settings: SolveSettings) -> float:
    """A solver's proven bound; from a proven optimum within the gap when it reports none (CBC)."""
    if result.bound is not None:
        return result.bound
    if result.status == "optimal" and result.objective is not None:
        return result.objective * (1 - settings.mip_gap)
    return -np.inf


def _merge(
    m: PlanningModel,
    plan: dict[str, np.ndarray],
    solutions: list[tuple[dict[str, np.ndarray], dict[str, np.ndarray]]],
) -> dict[str, np.ndarray]:
    """The plan with each solved period's values in place (horizon values stay the plan's)."""
    merged = {k: v.copy() for k, v in plan.items()}
    for vals, cols in solutions:
        for name, block in m.variables.items():
            if block.coupling != "horizon":
                merged[name][cols[name]] = vals[name]
    return merged
