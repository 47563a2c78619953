"""Window MILPs: the search the engine runs on large models with rows across periods.

A per-period slice (:mod:`planner.periods`) must drop rows that span periods (a ``--budget-usd``
row, any ``adjacent`` family), so the engine refuses it on such models. A **window** is exact
instead: the whole-horizon MILP with every column outside a few consecutive periods fixed at a
plan's values. Fixing a column turns its entries into constants, so the window's MILP holds the
window's columns and the horizon columns (committed offers), and every row with an entry on them,
its bounds less the fixed columns' activity (``window_model``); a row with no entry on the window
holds at the plan, whatever the window chooses, and is the only kind left out. Each window's plan,
the plan with the window's values in place, is therefore a plan of the whole model, and it
replaces the plan only when cheaper (fix-and-optimize).

A window is a restriction of the model, so its MILP's bound bounds the window, not the model:
windows propose plans, never bounds; the engine's bound comes from the LP relaxation and the
whole-horizon MILP. With ``adjacent`` rows windows are two periods wide and overlap by one, so a
change two neighbouring periods must make together is in some window; otherwise they are one
period each. Passes over every window repeat while a pass makes the plan cheaper, at most
``MAX_PASSES`` times, each MILP under the run's work limit: the count of solves depends only on
the plans found, not on the clock (which stops the passes only when it runs out).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from planner.formulation.blocks import PlanningModel
from planner.periods import Search, demand_periods, row_slice, split_values
from planner.session import Session
from solvers.arrays import ArrayModel

_EPS = 1e-6
#: Passes over every window at most (each pass only when the previous one made the plan cheaper).
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
    m: PlanningModel, cols: dict[str, np.ndarray], plan: dict[str, np.ndarray]
) -> tuple[ArrayModel, np.ndarray, np.ndarray]:
    """The whole model with every column outside ``cols`` fixed at ``plan``: (arrays, column ids, row ids).

    The rows are those with an entry on the window's columns, their bounds less the activity of
    the fixed columns at the plan; the columns keep their bounds and costs (the fixed columns'
    cost is a constant left out of the objective).
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
    entry_row = np.repeat(np.arange(base.n_rows), np.diff(base.start))
    fixed_activity = np.bincount(entry_row, weights=base.value * x[base.index], minlength=base.n_rows)
    touches = np.bincount(entry_row[new_col[base.index] >= 0], minlength=base.n_rows) > 0
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
    session: Session, plan: dict[str, np.ndarray], objective: float, search: Search, deadline: float
) -> tuple[dict[str, np.ndarray], WindowSearch]:
    """Fix-and-optimize over the windows (the module docstring): the cheapest plan found, and what ran.

    ``plan`` must be an integer plan of the whole model (feasible); so is every plan returned.
    """
    m = session.model
    done = WindowSearch()
    best, cost = {k: v.copy() for k, v in plan.items()}, objective
    every = windows(m)
    for _ in range(MAX_PASSES):
        done.passes += 1
        before = cost
        for i, periods in enumerate(every):
            left = deadline - time.monotonic()
            if left < 0.05:
                done.stops.add("time_limit")
                search.stops |= done.stops
                return best, done
            cap = left if session.settings.work_limit is not None else left / (len(every) - i)
            found = _solve_window(session, best, periods, cap, done)
            if found is not None and (new := m.objective_of(found)) < cost - _EPS * max(1.0, abs(cost)):
                best, cost = found, new
                done.improved += 1
        if cost >= before - _EPS * max(1.0, abs(before)):
            break
    search.stops |= done.stops
    return best, done


def _solve_window(
    session: Session,
    plan: dict[str, np.ndarray],
    periods: Sequence[int],
    time_limit_s: float,
    done: WindowSearch,
) -> dict[str, np.ndarray] | None:
    """One window's MILP; the plan with its values in place (None without an integer plan)."""
    m = session.model
    cols = window_columns(m, periods)
    model, col, rows = window_model(m, cols, plan)
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
