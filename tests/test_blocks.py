"""The model as labelled blocks: arrays, slices, declared couplings, the live LP and the PuLP writer."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import planner.rounding as rounding
from planner.api import make_settings
from planner.engine import run_engine
from planner.formulation.blocks import ConstraintBlock, PlanningModel, Terms, VariableBlock
from planner.formulation.build import build_model
from planner.options import allowed_apis, build_options
from planner.periods import DecompositionError, PeriodSlice, period_columns, period_model
from planner.pipeline import load_problem
from planner.session import Session
from planner.settings import SolveSettings
from solvers.arrays import ArrayModel, solve_arrays
from solvers.cbc import cbc_available, solve_cbc
from solvers.live import LiveLP
from solvers.pulp_writer import to_pulp
from tests.conftest import accelerator, api, build_case

HOURS = 24.0
#: The dummy tie row: sum replicas - dummy <= TIE_SLACK (rounding 3.3 to 3 breaks it; 3.5 to 4 would not).
TIE_SLACK = 0.7


def _model(tmp_path: Path, **settings: Any) -> tuple[PlanningModel, SolveSettings]:
    case = build_case(
        tmp_path / "case",
        accelerators=[accelerator("tgpu-a", 2.0, spot=1.0, committed_1y=1.5), accelerator("tgpu-b", 1.0)],
        rates={"tgpu-a": 10.0, "tgpu-b": 4.0},
        apis=[api("tapi", 0.5, 1.5)],
        demand=[
            ("p0", "chat", 12.0, HOURS),
            ("p0", "tiny", 0.7, HOURS),
            ("p1", "chat", 27.0, HOURS),
            ("p1", "tiny", 1.3, HOURS),
        ],
    )
    s = make_settings(case.options(**settings))
    problem = load_problem(case.demand, [case.catalog], case.profiles, s)
    options = build_options(problem.catalog, problem.demand, problem.profiles, s)
    return build_model(options, problem.demand, problem.catalog, s, allowed_apis(problem.catalog, s)), s


def _dense(model: ArrayModel) -> np.ndarray:
    a = np.zeros((model.n_rows, model.n_cols))
    rows = np.repeat(np.arange(model.n_rows), np.diff(model.start))
    np.add.at(a, (rows, model.index), model.value)
    return a


def test_arrays_hold_every_blocks_triplets(tmp_path: Path) -> None:
    """Each constraint block's triplets land at its rows and its variable blocks' columns."""
    m, _ = _model(tmp_path, budget_usd=1e6, max_chips={"tgpu-b": 8})
    a = _dense(m.arrays)
    expected = np.zeros_like(a)
    for name, block in m.constraints.items():
        for t in block.terms:
            np.add.at(expected, (m.rows(name)[t.row], m.columns(t.block, t.col)), t.coef)
    assert np.array_equal(a, expected)
    assert m.arrays.n_cols == m.n_variables == sum(b.size for b in m.variables.values())
    assert list(m.arrays.integer) == [b.integer for b in m.variables.values() for _ in range(b.size)]


def test_declared_periods_match_the_columns_rows_hold(tmp_path: Path) -> None:
    """A row declared in period p holds only columns of p and horizon columns."""
    m, _ = _model(tmp_path)
    model = m.arrays
    rows = np.repeat(np.arange(model.n_rows), np.diff(model.start))
    col_period = m.col_period[model.index]
    row_period = m.row_period[rows]
    assert np.all(row_period >= 0)
    assert np.all((col_period == row_period) | (col_period == -1))


def test_slacks_are_rhs_minus_activity(tmp_path: Path) -> None:
    m, s = _model(tmp_path)
    solution = Session(m, s).lp()
    slacks = m.slacks(solution.values)
    x = m.stack(solution.values)
    a = _dense(m.arrays)
    for name, block in m.constraints.items():
        activity = a[m.rows(name)] @ x
        expected = block.rhs - activity if block.sense == "<=" else activity - block.rhs
        assert slacks[name] == pytest.approx(expected, abs=1e-9)
        if block.sense == "<=":
            assert np.all(slacks[name] >= -1e-7)


def test_per_period_milps_add_up_to_the_whole_milp(tmp_path: Path) -> None:
    """Without committed offers the periods share nothing: the slices are exact."""
    m, s = _model(tmp_path, accelerators=("tgpu-b",))
    assert not m.horizon_columns()
    assert not m.coupled_rows()
    session = Session(m, s.model_copy(update={"mip_gap": 1e-9}))
    whole = session.milp(None)
    total = 0.0
    for p in (0, 1):
        arrays, _cols, _rows = period_model(m, PeriodSlice(p, period_columns(m, p), None), None)
        result = solve_arrays(arrays, mip=True, mip_gap=1e-9).result
        assert result.status == "optimal"
        total += float(result.objective or 0.0)
    assert total == pytest.approx(whole.objective, rel=1e-9)


def test_a_row_spanning_periods_is_refused_not_dropped(tmp_path: Path) -> None:
    m, _ = _model(tmp_path, budget_usd=1e6)
    assert m.coupled_rows() == ("budget",)
    with pytest.raises(DecompositionError, match="budget"):
        period_model(m, PeriodSlice(0, period_columns(m, 0), None), None)


def test_live_lp_bound_and_cost_changes_match_fresh_solves(tmp_path: Path) -> None:
    m, _ = _model(tmp_path)
    live = LiveLP(m.arrays)
    rng = np.random.default_rng(7)
    for _ in range(6):
        lower, upper = m.bounds_with({"replicas": rng.integers(0, 4, m.size("replicas")).astype(float)})
        cost = m.arrays.cost * rng.uniform(0.5, 1.5, m.arrays.n_cols)
        live.set_cost(cost)
        warm = live.solve(lower, upper).solution.result
        fresh = solve_arrays(dataclasses.replace(m.arrays, lower=lower, upper=upper, cost=cost), mip=False)
        assert warm.status == fresh.result.status
        if fresh.result.objective is not None:
            assert warm.objective == pytest.approx(fresh.result.objective, rel=1e-9, abs=1e-9)


def test_live_lp_sifts_to_the_whole_optimum_after_bound_changes(tmp_path: Path) -> None:
    """A working set kept across solves still reaches each solve's whole-LP optimum."""
    m, _ = _model(tmp_path)
    working = np.ones(m.n_variables, dtype=bool)
    working[m.columns("route")] = False
    working[m.columns("route")[:2]] = True
    live = LiveLP(m.arrays, working=working)
    implied = np.full(m.n_variables, np.inf)
    implied[m.columns("route")] = m.index.cover["rate"].to_numpy()[m.index.route["d"].to_numpy()]
    for fixed in (None, np.ones(m.size("replicas")), np.full(m.size("replicas"), 2.0)):
        lower, upper = m.bounds_with(None if fixed is None else {"replicas": fixed})
        sifted = live.solve(lower, upper, implied)
        plain = solve_arrays(dataclasses.replace(m.arrays, lower=lower, upper=upper), mip=False).result
        assert sifted.converged
        assert sifted.solution.result.objective == pytest.approx(plain.objective, rel=1e-9)


@pytest.mark.skipif(not cbc_available(), reason="no CBC binary here")
@pytest.mark.parametrize("mip", [False, True])
def test_pulp_writer_and_cbc_solve_the_arrays_as_highs_does(tmp_path: Path, mip: bool) -> None:
    m, _ = _model(tmp_path)
    cbc = solve_cbc(m.arrays, m.column_names, m.row_names, mip=mip, mip_gap=1e-9)
    highs = solve_arrays(m.arrays, mip=mip, mip_gap=1e-9)
    assert cbc.result.status == highs.result.status == "optimal"
    assert cbc.result.objective == pytest.approx(highs.result.objective, rel=1e-7)


def test_pulp_writer_writes_every_row_and_column_once(tmp_path: Path) -> None:
    m, _ = _model(tmp_path, budget_usd=1e6)
    written = to_pulp(m.arrays, m.column_names, m.row_names)
    assert [v.name for v in written.columns] == list(m.column_names)
    assert [r.name for r in written.rows] == list(m.row_names)
    assert len(set(m.row_names)) == m.n_constraints
    assert len(set(m.column_names)) == m.n_variables
    assert written.problem.numConstraints() == m.n_constraints


def _with_dummy_family(m: PlanningModel) -> PlanningModel:
    """The model plus an integer horizon family ``dummy`` tied to replicas by an ``adjacent`` row family."""
    n = m.size("replicas")
    dummy = VariableBlock(
        "dummy", "dummy", {}, np.zeros(1), np.full(1, 5.0), True, np.array([0.37]), "horizon"
    )
    rows = np.zeros(n, dtype=np.int64)
    tie = ConstraintBlock(
        "dummytie",
        np.array([0]),
        {},
        (
            Terms("replicas", rows, np.arange(n), np.ones(n)),
            Terms("dummy", np.array([0]), np.array([0]), np.array([-1.0])),
        ),
        "<=",
        np.array([TIE_SLACK]),
        "adjacent",
    )
    return PlanningModel(m.index, {**m.variables, "dummy": dummy}, {**m.constraints, "dummytie": tie})


def test_a_new_coupled_integer_family_is_handled(tmp_path: Path) -> None:
    """An integer family without a rounding rule never comes back fractional (the MILP repairs and
    improves), and per-period slicing of a model with an ``adjacent`` row family is refused, not
    done with its rows dropped."""
    base, s = _model(tmp_path)
    m = _with_dummy_family(base)
    assert not rounding.can_round(m)
    assert m.coupled_rows() == ("dummytie",)
    with pytest.raises(DecompositionError, match="dummytie"):
        period_model(m, PeriodSlice(0, period_columns(m, 0), None), None)
    result = run_engine(m, s.model_copy(update={"mip_gap": 1e-9}), time.monotonic() + 30, decompose=True)
    assert m.is_integral(result.values)
    dummy = float(result.values["dummy"][0])
    assert dummy == round(dummy)
    assert float(result.values["replicas"].sum()) <= dummy + TIE_SLACK + 1e-9  # the tie row holds
    assert result.stage == "milp"


def test_the_engine_refuses_a_fractional_rounded_plan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If stage 2 claimed a block it does not round, its plan (fractional there) is refused and the
    MILP repairs; the plan that comes back is integral and keeps the block's row."""
    base, s = _model(tmp_path)
    m = _with_dummy_family(base)
    monkeypatch.setattr(rounding, "can_round", lambda model: True)
    # no time to improve: only the repair MILP (which always gets a second) can make the plan
    result = run_engine(m, s.model_copy(update={"mip_gap": 1e-9}), time.monotonic())
    assert result.stage == "milp"
    assert m.is_integral(result.values)
    assert float(result.values["replicas"].sum()) <= float(result.values["dummy"][0]) + TIE_SLACK + 1e-9
