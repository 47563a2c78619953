"""Window MILPs (``planner.windows``): exact restrictions of models with rows across periods.

A window's MILP must equal the whole-horizon MILP with every column outside the window fixed at
the plan (checked by solving that one directly: the same model, bounds fixed, nothing sliced), and
the engine must reach the same plans through windows on a budget model and on a model with an
``adjacent`` row family (``tests/test_blocks.py``'s dummy family).
tests/test_windows_oracle.py checks random budget instances against the unpruned oracle MILP.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

import planner.engine as engine
from planner.engine import run_engine
from planner.formulation.blocks import PlanningModel
from planner.periods import Search
from planner.session import Session
from planner.windows import holds, improve_by_window, lazy_rows, window_columns, window_model, windows
from solvers.arrays import solve_arrays
from tests.test_blocks import _model, _with_dummy_family

BUDGET_USD = 2000.0


def _fixed_outside(m: PlanningModel, cols: dict[str, np.ndarray], plan: dict[str, np.ndarray]) -> float:
    """The whole MILP (no slice) with every column outside ``cols`` fixed at ``plan``: its optimum."""
    lower, upper = m.arrays.lower.copy(), m.arrays.upper.copy()
    for name, block in m.variables.items():
        outside = np.setdiff1d(np.arange(block.size), cols[name])
        at = m.columns(name, outside)
        vals = np.nan_to_num(plan[name][outside])
        vals = np.round(vals) if block.integer else vals
        lower[at] = upper[at] = vals
    whole = m.arrays
    fixed = type(whole)(
        whole.cost,
        lower,
        upper,
        whole.integer,
        whole.row_lower,
        whole.row_upper,
        whole.start,
        whole.index,
        whole.value,
    )
    result = solve_arrays(fixed, mip=True, mip_gap=0.0).result
    assert result.status == "optimal"
    assert result.objective is not None
    return result.objective


@pytest.mark.parametrize("periods", [(0,), (1,), (0, 1)])
def test_a_window_is_the_whole_milp_with_the_rest_fixed(tmp_path: Path, periods: tuple[int, ...]) -> None:
    m, s = _model(tmp_path, budget_usd=BUDGET_USD)
    assert m.coupled_rows() == ("budget",)
    plan = run_engine(m, s, time.monotonic() + 30).values
    cols = window_columns(m, periods)
    arrays, col, rows = window_model(m, cols, plan)
    assert len(rows) < m.n_constraints or periods == (0, 1)  # rows on fixed columns alone are left out
    assert m.n_constraints - 1 in rows  # the budget row (the last) is always in: it touches every column
    result = solve_arrays(arrays, mip=True, mip_gap=0.0).result
    assert result.status == "optimal"
    assert result.objective is not None
    outside_usd = m.objective_of(plan) - float(
        np.nansum(m.arrays.cost[col] * np.nan_to_num(m.stack(plan))[col])
    )
    assert result.objective + outside_usd == pytest.approx(_fixed_outside(m, cols, plan), rel=1e-9, abs=1e-6)


def test_windows_overlap_only_with_adjacent_rows(tmp_path: Path) -> None:
    m, _ = _model(tmp_path, budget_usd=BUDGET_USD)
    assert windows(m) == [(0,), (1,)]
    base, _ = _model(tmp_path / "plain")
    assert windows(_with_dummy_family(base)) == [(0, 1)]


def _through_windows(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Make every coupled model large enough for windows; count the window passes run."""
    runs: list[int] = []
    original = engine.improve_by_window

    def counted(*args: object, **kwargs: object) -> object:
        runs.append(1)
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "SMALL_INTEGER_COLUMNS", 0)
    monkeypatch.setattr(engine, "improve_by_window", counted)
    return runs


def test_the_engine_searches_a_budget_model_by_windows_and_proves_the_same_optimum(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    m, s = _model(tmp_path, budget_usd=BUDGET_USD)
    exact = s.model_copy(update={"mip_gap": 0.0})
    whole = run_engine(m, exact, time.monotonic() + 30, decompose=True)
    runs = _through_windows(monkeypatch)
    windowed = run_engine(m, exact, time.monotonic() + 30, decompose=True)
    assert runs, "the window MILPs did not run"
    assert m.is_integral(windowed.values)
    assert m.objective_of(windowed.values) <= BUDGET_USD + 1e-6
    assert windowed.objective_usd == pytest.approx(whole.objective_usd, rel=1e-9)
    assert windowed.bound_usd <= windowed.objective_usd + 1e-6


def test_windows_improve_a_plan_of_a_model_with_an_adjacent_family_keeping_its_rows(tmp_path: Path) -> None:
    """A plan that leaves one route's requests unmet is improved back to the optimum by the window
    over both periods, and every row (the tie row too) holds at the plan returned."""
    base, s = _model(tmp_path)
    m = _with_dummy_family(base)
    exact = s.model_copy(update={"mip_gap": 0.0})
    best = run_engine(m, exact, time.monotonic() + 30, decompose=True)
    worse = {name: np.nan_to_num(v).copy() for name, v in best.values.items()}
    route, unmet = m.variables["route"], m.variables["unmet"]
    moved = int(np.argmax(worse["route"]))
    at = (route.coords["p"][moved], route.coords["w"][moved])
    same = np.flatnonzero((unmet.coords["p"] == at[0]) & (unmet.coords["w"] == at[1]))
    worse["unmet"][same[0]] += worse["route"][moved]
    worse["route"][moved] = 0.0
    assert all(np.all(v >= -1e-7) for v in m.slacks(worse).values())  # still a plan of the model
    assert m.objective_of(worse) > best.objective_usd
    session = Session(m, exact)
    found, done = improve_by_window(session, worse, worse, Search(-np.inf), time.monotonic() + 30)
    assert done.solved >= 1
    assert done.improved >= 1
    assert m.is_integral(found)
    assert m.objective_of(found) == pytest.approx(best.objective_usd, rel=1e-9)
    assert all(np.all(v >= -1e-6) for v in m.slacks(found).values())


def test_a_budget_left_out_of_a_window_is_checked_and_the_window_solved_again(tmp_path: Path) -> None:
    """Under a budget that binds, a window solved without the budget row overspends; the plan
    that comes back is the window solved with it, so every row holds."""
    free, s = _model(tmp_path / "free")
    unbudgeted = run_engine(free, s.model_copy(update={"mip_gap": 0.0}), time.monotonic() + 30).objective_usd
    m, s = _model(tmp_path / "tight", budget_usd=0.5 * unbudgeted)
    exact = s.model_copy(update={"mip_gap": 0.0})
    best = run_engine(m, exact, time.monotonic() + 30, decompose=True)
    budget = lazy_rows(m)
    assert budget.tolist() == [m.n_constraints - 1]
    found, done = improve_by_window(
        Session(m, exact), best.values, best.values, Search(-np.inf), time.monotonic() + 30
    )
    assert done.solved > done.passes * len(windows(m))  # some window was solved again, with the budget
    assert holds(m, found, budget)
    assert all(np.all(v >= -1e-6) for v in m.slacks(found).values())
    assert m.objective_of(found) >= best.objective_usd - 1e-6
