"""The model as arrays: the one walk of PuLP, whole-model solves and per-period slices agree with PuLP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import solvers
from planner.api import make_settings
from planner.formulation.build import build_model
from planner.formulation.index import slice_period
from planner.formulation.matrix import SEVERAL_PERIODS, build_matrix, period_model, solve_whole, split_values
from planner.formulation.model import FAMILIES, PlanningModel, fix_values, read_values
from planner.options import allowed_apis, build_options
from planner.periods import Rebuilder
from planner.pipeline import load_problem
from solvers.arrays import solve_arrays
from tests.conftest import accelerator, api, build_case

HOURS = 24.0


def _model(tmp_path: Path, **settings: Any) -> tuple[PlanningModel, Rebuilder]:
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
    m = build_model(options, problem.demand, problem.catalog, s, allowed_apis(problem.catalog, s))
    return m, Rebuilder(options, problem.catalog, s)


@pytest.mark.parametrize("mip", [False, True])
def test_whole_model_arrays_solve_like_pulp(tmp_path: Path, mip: bool) -> None:
    m, _ = _model(tmp_path)
    pulp_result = solvers.solve(m.prob, "highs", mip=mip, mip_gap=1e-9)
    pulp_values = read_values(m)
    pulp_duals = {name: [r.pi for r in rows] for name, (rows, _i) in m.rows.items()}
    mx = build_matrix(m)
    arrays = solve_whole(mx, mip=mip, time_limit_s=None, mip_gap=1e-9, threads=None).result
    assert arrays.status == pulp_result.status == "optimal"
    assert arrays.objective == pytest.approx(pulp_result.objective, rel=1e-9)
    values = read_values(m)  # the written-back values price to the objective (optima may tie)
    priced = sum(float(np.dot(m.cost[name], values[name])) for name in FAMILIES)
    assert priced == pytest.approx(arrays.objective, rel=1e-9)
    assert sum(float(np.dot(m.cost[n], pulp_values[n])) for n in FAMILIES) == pytest.approx(priced, rel=1e-9)
    if not mip:
        cover = [r.pi for r in m.rows["cover"][0]]
        assert cover == pytest.approx(pulp_duals["cover"], rel=1e-6)


def test_slacks_written_back_match_the_rows(tmp_path: Path) -> None:
    m, _ = _model(tmp_path)
    solve_whole(build_matrix(m), mip=True, time_limit_s=None, mip_gap=1e-9, threads=None)
    for rows, _index in m.rows.values():
        for row in rows:
            activity = sum(c * v.varValue for v, c in row.items())
            expected = (-row.constant - activity) if row.sense == -1 else (activity + row.constant)
            assert row.slack == pytest.approx(expected, abs=1e-7), row.name


def test_fixed_bounds_are_read_from_the_pulp_variables(tmp_path: Path) -> None:
    m, _ = _model(tmp_path)
    mx = build_matrix(m)
    fix_values(m.replicas, np.zeros(len(m.replicas)))
    result = solve_whole(mx, mip=False, time_limit_s=None, mip_gap=1e-9, threads=None).result
    assert result.status == "optimal"
    assert np.all(read_values(m)["route"] == 0)


@pytest.mark.parametrize(("share", "fixed"), [(0.5, None), (None, "commit")])
def test_period_slice_solves_like_the_rebuilt_period_model(
    tmp_path: Path, share: float | None, fixed: str | None
) -> None:
    m, rebuild = _model(tmp_path)
    mx = build_matrix(m)
    commit = np.full(len(m.commit), 2.0) if fixed else None
    for p in (0, 1):
        sub_ix, rows = slice_period(m.index, p, share)
        sub = rebuild(sub_ix)
        if commit is not None:
            fix_values(sub.commit, commit)
        rebuilt = solvers.solve(sub.prob, "highs", mip=True, mip_gap=1e-9)
        sliced = solve_arrays(period_model(mx, p, rows, share, commit), mip=True, mip_gap=1e-9)
        assert sliced.result.status == rebuilt.status == "optimal"
        assert sliced.result.objective == pytest.approx(rebuilt.objective, rel=1e-9)
        assert sliced.x is not None
        values = split_values(sliced.x, rows)
        assert {k: len(v) for k, v in values.items()} == {k: len(rows[k]) for k in FAMILIES}


def test_rows_know_their_period_and_the_budget_row_spans_several(tmp_path: Path) -> None:
    m, _ = _model(tmp_path, budget_usd=1e6)
    mx = build_matrix(m)
    (budget,) = m.rows["budget"][0]
    periods = dict(zip([r.name for r in mx.rows], mx.row_period, strict=True))
    assert periods[budget.name] == SEVERAL_PERIODS
    assert periods["cover_p0_w0"] == 0
    assert periods["capacity_p1_o0"] == 1
    assert len(mx.rows) == m.prob.numConstraints()
