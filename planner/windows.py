"""Window MILPs: the search the engine runs on large models with rows across periods.

A per-period slice (:mod:`planner.periods`) must drop rows that span periods (a ``--budget-usd``
row, any ``adjacent`` family), so the engine refuses it on such models. A **window** is exact
instead: the whole-horizon MILP with every column outside a few consecutive periods fixed at a
plan's values. Fixing a column turns its entries into constants, so the window's MILP holds the
window's columns and the horizon columns (committed offers), and every row with an entry on them,
its bounds less the fixed columns' activity (``window_model``); a row with no entry on the window
holds at the plan, whatever the window chooses, and is the only kind left out of a window's model.
A row across the horizon (the budget: one dense row over every column) is also left out of the
window's first MILP, and the window's plan is checked against it at the whole plan (``holds``);
only when it breaks the row is the window solved again with it. The rows every plan returned
satisfies are therefore all of the model's. Each window's plan,
the plan with the window's values in place, is therefore a plan of the whole model, and it
replaces the plan only when cheaper (fix-and-optimize). A first pass frees, in each window, only
the options the LP relaxation or the plan uses (the others stay at the plan's 0), as the
per-period path's restricted pass does: small MILPs near the window's LP bound, where a whole
window's MILP under a small ``--work-limit`` can stop on an incumbent dearer than the plan (it is
then not taken).

A window is a restriction of the model, so its MILP's bound bounds the window, not the model:
windows propose plans, never bounds; the engine's bound comes from the LP relaxation and the
whole-horizon MILP. With ``adjacent`` rows windows are two periods wide and overlap by one, so a
change two neighbouring periods must make together is in some window; otherwise they are one
period each. Passes over every whole window follow while a pass makes the plan cheaper, at most
``MAX_PASSES``, each MILP under the run's work limit: the count of solves depends only on
the plans found, not on the clock (which stops the passes only when it runs out).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from planner.formulation.blocks import PlanningModel, entry_rows, row_activity
from planner.periods import Search, demand_periods, restrict, row_slice, split_values
from planner.session import Session
from solvers.arrays import ArrayModel

_EPS = 1e-6
#: Passes over every whole window at most, after the restricted one (each only when the previous
#: one made the plan cheaper).
MAX_PASSES = 2


@dataclass
class WindowSearch:
    """What the window passes did: MILPs solved, windows that made the plan cheaper, passes run."""

    solved: int = 0
    improved: int = 0
    passes: int = 0
    stops: set[str] = field(default_factory=set)


def windows(m: PlanningModel) -> list[tuple[int, ...]]:
    """The windows, in order: two periods overlapping by one with ``adjacent`` rows, else one each."""
    periods = demand_periods(m)
    adjacent = any(m.constraints[name].coupling == "adjacent" for name in m.coupled_rows())
    if adjacent and len(periods) > 1:
        return [tuple(periods[i : i + 2]) for i in range(len(periods) - 1)]
    return [(p,) for p in periods]


def window_columns(m: PlanningModel, periods: Sequence[int]) -> dict[str, np.ndarray]:
    """Per variable block, the positions of the columns a window over ``periods`` holds."""
    inside = np.asarray(list(periods), dtype=np.int64)
    return {
        name: (np.arange(b.size) if b.coupling == "horizon" else np.flatnonzero(np.isin(b.period, inside)))
        for name, b in m.variables.items()
    }


def window_model(
    m: PlanningModel,
    cols: dict[str, np.ndarray],
    plan: dict[str, np.ndarray],
    lazy: np.ndarray | None = None,
) -> tuple[ArrayModel, np.ndarray, np.ndarray]:
    """The whole model with every column outside ``cols`` fixed at ``plan``: (arrays, column ids, row ids).

    The rows are those with an entry on the window's columns, their bounds less the activity of
    the fixed columns at the plan; the columns keep their bounds and costs (the fixed columns'
    cost is a constant left out of the objective). ``lazy``: row ids left out of this MILP, which
    the caller checks at the plan it makes (:func:`holds`).
    """
    base = m.arrays
    col = np.concatenate([m.columns(name, cols[name]) for name in m.variables])
    new_col = np.full(base.n_cols, -1, dtype=np.int64)
    new_col[col] = np.arange(len(col))
    x = np.nan_to_num(m.stack(plan))
    for name in m.integer_blocks:  # fixed integer columns at whole numbers, as bounds_with fixes them
        at = m.columns(name)
        x[at] = np.round(x[at])
    x[col] = 0.0  # the window's own columns are free: only the fixed ones count as constants
    entry_row = entry_rows(base)
    fixed_activity = row_activity(base, x, entry_row)
    touches = np.bincount(entry_row[new_col[base.index] >= 0], minlength=base.n_rows) > 0
    if lazy is not None:
        touches[lazy] = False
    row_ids = np.flatnonzero(touches)
    start, index, value = row_slice(base, row_ids, new_col)
    arrays = ArrayModel(
        base.cost[col].copy(),
        base.lower[col].copy(),
        base.upper[col].copy(),
        base.integer[col],
        base.row_lower[row_ids] - fixed_activity[row_ids],
        base.row_upper[row_ids] - fixed_activity[row_ids],
        start,
        index,
        value,
    )
    return arrays, col, row_ids


def improve_by_window(
    session: Session,
    plan: dict[str, np.ndarray],
    relaxed: dict[str, np.ndarray],
    search: Search,
    deadline: float,
) -> tuple[dict[str, np.ndarray], WindowSearch]:
    """Fix-and-optimize over the windows (the module docstring): the cheapest plan found, and what ran.

    ``plan`` must be an integer plan of the whole model (feasible); so is every plan returned.
    First a pass of restricted windows (only the options the LP relaxation ``relaxed`` or the plan
    uses are free, the others stay at the plan's 0: small MILPs near the window's LP bound, as the
    per-period path's restricted pass), then passes of whole windows. With ``--work-limit`` a
    window's MILP may stop on an incumbent dearer than the plan's; it is then not taken.
    """
    m = session.model
    done = WindowSearch()
    state = _State({k: v.copy() for k, v in plan.items()}, m.objective_of(plan))
    every = windows(m)
    used = (np.nan_to_num(relaxed["replicas"]) > _EPS) | (plan["replicas"] > 0.5)
    lazy = lazy_rows(m)
    passes = [True] + [False] * MAX_PASSES
    for restricted in passes:
        done.passes += 1
        before = state.cost
        for i, periods in enumerate(every):
            left = deadline - time.monotonic()
            if left < 0.05:
                done.stops.add("time_limit")
                search.stops |= done.stops
                return state.plan, done
            cols = window_columns(m, periods)
            if restricted:
                cols = restrict(m, cols, used[cols["replicas"]])
            cap = left if session.settings.work_limit is not None else left / (len(every) - i)
            state.offer(m, _solve_window(session, state.plan, cols, cap, done, lazy), done)
        if not restricted and state.cost >= before - _EPS * max(1.0, abs(before)):
            break
    search.stops |= done.stops
    return state.plan, done


@dataclass
class _State:
    """The cheapest plan so far and its cost."""

    plan: dict[str, np.ndarray]
    cost: float

    def offer(self, m: PlanningModel, found: dict[str, np.ndarray] | None, done: WindowSearch) -> None:
        if found is None:
            return
        cost = m.objective_of(found)
        if cost < self.cost - _EPS * max(1.0, abs(self.cost)):
            self.plan, self.cost = found, cost
            done.improved += 1


def _solve_window(
    session: Session,
    plan: dict[str, np.ndarray],
    cols: dict[str, np.ndarray],
    time_limit_s: float,
    done: WindowSearch,
    lazy: np.ndarray,
) -> dict[str, np.ndarray] | None:
    """One window's plan over ``cols``: the plan with its values in place (None without an integer plan).

    The ``lazy`` rows (:func:`lazy_rows`: across the horizon, the budget) are first left out; when
    the window's plan breaks one, the window is solved again with them.
    """
    found = _window_milp(session, plan, cols, time_limit_s, done, lazy)
    if found is None or not lazy.size or holds(session.model, found, lazy):
        return found
    return _window_milp(session, plan, cols, time_limit_s, done, None)


def lazy_rows(m: PlanningModel) -> np.ndarray:
    """Row ids of the blocks declared ``horizon`` (one dense row each, as the budget)."""
    blocks = [m.rows(name) for name in m.coupled_rows() if m.constraints[name].coupling == "horizon"]
    return np.concatenate(blocks) if blocks else np.zeros(0, dtype=np.int64)


def holds(m: PlanningModel, values: dict[str, np.ndarray], rows: np.ndarray) -> bool:
    """Whether ``rows`` hold at ``values`` (within 1e-6 x their bound, at least 1e-6)."""
    a = m.arrays
    activity = row_activity(a, np.nan_to_num(m.stack(values)))[rows]
    lower, upper = a.row_lower[rows], a.row_upper[rows]
    tol = 1e-6 * np.maximum(1.0, np.abs(np.where(np.isfinite(upper), upper, lower)))
    return bool(np.all(activity <= upper + tol) and np.all(activity >= lower - tol))


def _window_milp(
    session: Session,
    plan: dict[str, np.ndarray],
    cols: dict[str, np.ndarray],
    time_limit_s: float,
    done: WindowSearch,
    lazy: np.ndarray | None,
) -> dict[str, np.ndarray] | None:
    m = session.model
    model, col, rows = window_model(m, cols, plan, lazy)
    solution = session.solve_arrays(model, max(0.05, time_limit_s), names=(col, rows))
    done.solved += 1
    result = solution.result
    if result.stopped_by in ("time_limit", "work_limit"):
        done.stops.add(result.stopped_by)
    if not result.has_solution or solution.x is None:
        return None
    vals = split_values(m, solution.x, cols)
    merged = {k: v.copy() for k, v in plan.items()}
    for name in m.variables:
        merged[name][cols[name]] = vals[name]
    return merged if m.is_integral(merged) else None
