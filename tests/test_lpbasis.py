"""An LP relaxation started from another run's basis (``planner.lpbasis``, ``solvers.live``).

The start changes the pivots, never the optimum: random LPs started from the basis of another LP
(other costs, other columns) reach the plain solve's objective; the engine's relaxation from a
basis gives the same bound; a sweep hands the base row's basis to the points that wait for it and
keeps it in its folder for a rerun.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_sifting import covering_lp
from test_sweep_bracket import A_PRICE, _point, scenario_file, tiny  # noqa: F401 (the fixture)

from planner.lpbasis import LpBasis
from planner.pipeline import load_problem
from planner.session import Session
from planner.settings import SolveSettings
from planner.sweeps.folder import BASIS, Finished, plan_file_names, reuse
from planner.sweeps.run import prepare, sweep
from planner.sweeps.runner import Outcome
from planner.sweeps.schedule import Schedule
from solvers.arrays import ArrayModel, solve_arrays
from solvers.live import BASIC, LOWER, LiveLP


@dataclass(frozen=True)
class Named:
    """The names :class:`LpBasis` reads from a model."""

    column_names: tuple[str, ...]
    row_names: tuple[str, ...]


def _names(n_cols: int, n_rows: int, keep: np.ndarray) -> Named:
    return Named(tuple(f"c{j}" for j in np.flatnonzero(keep)), tuple(f"r{i}" for i in range(n_rows)))


def _drop(model: ArrayModel, keep: np.ndarray) -> ArrayModel:
    """The model without the columns ``keep`` is False for (rows unchanged)."""
    new_index = np.cumsum(keep) - 1
    rows = np.repeat(np.arange(model.n_rows), np.diff(model.start))
    entry = keep[model.index]
    counts = np.bincount(rows[entry], minlength=model.n_rows)
    return replace(
        model,
        cost=model.cost[keep],
        lower=model.lower[keep],
        upper=model.upper[keep],
        integer=model.integer[keep],
        start=np.concatenate([[0], np.cumsum(counts)]),
        index=new_index[model.index[entry]],
        value=model.value[entry],
    )


@settings(max_examples=60, deadline=None, derandomize=bool(os.environ.get("CI")))
@given(
    seed=st.integers(0, 2**32 - 1),
    n_rows=st.integers(1, 10),
    n_cols=st.integers(1, 60),
    scale=st.floats(0.2, 5.0),
)
def test_a_start_from_another_lps_basis_reaches_the_plain_optimum(
    seed: int, n_rows: int, n_cols: int, scale: float
) -> None:
    base, _initial, _implied = covering_lp(seed, n_rows, n_cols)
    live = LiveLP(base)
    assert live.solve(base.lower, base.upper).solution.result.status == "optimal"
    every = np.ones(base.n_cols, dtype=bool)
    basis = LpBasis.of(_names(base.n_cols, base.n_rows, every), *live.basis())  # type: ignore[arg-type]
    rng = np.random.default_rng(seed)
    keep = rng.random(base.n_cols) < 0.8
    keep[n_cols:] = True  # the slacks keep every variant feasible
    cost = base.cost * np.where(rng.random(base.n_cols) < 0.5, scale, 1.0)
    variant = _drop(replace(base, cost=cost), keep)
    codes = basis.on(_names(base.n_cols, base.n_rows, keep))  # type: ignore[arg-type]
    started = LiveLP(variant).solve(variant.lower, variant.upper, basis=codes).solution
    plain = solve_arrays(variant, mip=False)
    assert started.result.status == "optimal"
    assert started.result.objective == pytest.approx(plain.result.objective, rel=1e-7, abs=1e-7)


def test_an_lps_own_optimal_basis_needs_no_pivots() -> None:
    model, _initial, _implied = covering_lp(11, 8, 50)
    first = LiveLP(model)
    solved = first.solve(model.lower, model.upper).solution
    again = LiveLP(model)
    restarted = again.solve(model.lower, model.upper, basis=first.basis()).solution
    assert again.highs.getInfo().simplex_iteration_count == 0
    assert restarted.result.objective == pytest.approx(solved.result.objective)


def test_the_basis_is_placed_by_name_with_defaults_for_names_it_lacks() -> None:
    source = Named(("a", "b", "c"), ("r1", "r2"))
    basis = LpBasis.of(source, np.array([BASIC, LOWER, 2]), np.array([LOWER, BASIC]))  # type: ignore[arg-type]
    assert list(basis.col_names) == ["a", "c"]
    assert list(basis.row_names) == ["r1"]
    cols, rows = basis.on(Named(("c", "new", "a"), ("r2", "r0", "r1")))  # type: ignore[arg-type]
    assert cols.tolist() == [2, LOWER, BASIC]
    assert rows.tolist() == [BASIC, BASIC, LOWER]


def test_a_saved_basis_loads_only_under_its_tag_and_never_from_a_bad_file(tmp_path: Path) -> None:
    basis = LpBasis(np.array(["a"]), np.array([1], np.int8), np.array(["r"]), np.array([0], np.int8))
    path = tmp_path / "b.npz"
    basis.save(path, "key-1")
    loaded = LpBasis.load(path, "key-1")
    assert loaded is not None
    assert loaded.col_names.tolist() == ["a"]
    assert loaded.row_status.tolist() == [0]
    assert oct(path.stat().st_mode & 0o777) != oct(0o600)  # the umask's mode, not the temp file's
    assert LpBasis.load(path, "key-2") is None
    assert LpBasis.load(tmp_path / "missing.npz", "key-1") is None
    path.write_bytes(b"not a basis")
    assert LpBasis.load(path, "key-1") is None
    np.savez(path, tag=np.array("key-1"), col_names=np.array([1]), col_status=np.array([9], np.int8),
             row_names=np.array(["r"]), row_status=np.array([0], np.int8))  # fmt: skip
    assert LpBasis.load(path, "key-1") is None  # names that are not text, a code out of range


@pytest.mark.parametrize("sift", [False, True])
def test_the_relaxation_from_a_kept_basis_has_the_same_bound(tiny: Path, sift: bool) -> None:  # noqa: F811
    from unittest import mock

    import planner.relaxation
    from planner.formulation.build import build_model
    from planner.options import allowed_apis, build_options

    settings_ = SolveSettings(threads=1)
    problem = load_problem(tiny / "demand.csv", [tiny / "catalog"], tiny / "profiles.csv", settings_)
    options = build_options(problem.catalog, problem.demand, problem.profiles, settings_)
    model = build_model(
        options, problem.demand, problem.catalog, settings_, allowed_apis(problem.catalog, settings_)
    )
    with mock.patch.object(planner.relaxation, "SIFT_MIN_ROUTES", 0 if sift else 10**9):
        kept = Session(model, settings_, keep_basis=True)
        cold = kept.relaxation()
        assert kept.kept_basis is not None
        assert len(kept.kept_basis.col_names) > 0
        warm = Session(model, settings_, start_basis=kept.kept_basis)
        started = warm.relaxation()
    assert started.objective == pytest.approx(cold.objective, rel=1e-9)
    assert warm.live is not None
    assert warm.live.highs.getInfo().simplex_iteration_count <= 1


def test_points_that_wait_for_the_base_row_start_from_its_basis(tiny: Path) -> None:  # noqa: F811
    path = scenario_file(tiny.parent, {"a-price": {"set": {A_PRICE: {"from": 1, "to": 3, "steps": 5}}}})
    out = tiny.parent / "with-basis"
    sweep(path, out, workers=1, charts=False)
    spec, jobs, _points = prepare(path)
    base_key = jobs[0].key
    kept = LpBasis.load(out / BASIS, base_key)
    assert kept is not None
    assert len(kept.col_names) > 0

    folder = tiny.parent / "scheduled"
    (folder / "plans").mkdir(parents=True)
    run = Finished(
        folder,
        spec,
        plan_file_names([j.name for j in jobs]),
        {j.name: j.key for j in jobs},
        lambda *_: None,
        7,
    )
    todo, twins = reuse(folder, jobs, run, {})
    schedule = Schedule(folder, {}, "base", todo, twins, [])
    first = schedule.pull(run)
    assert [j.name for j in first] == ["base"]
    assert first[0].keep_basis
    assert first[0].lp_start is None
    plan = (out / "plans" / "base.json").read_text(encoding="utf-8")
    import json

    run.finished(Outcome("base", json.loads(plan), None, 1.0, kept), twins[base_key])
    later = schedule.pull(run)
    assert {j.name for j in later} == {_point(x) for x in (1, 1.5, 2.5, 3)}
    assert all(j.lp_start is kept and not j.keep_basis for j in later)
    assert LpBasis.load(folder / BASIS, base_key) is not None  # written as the base row finished


def test_a_rerun_that_takes_the_base_rows_plan_takes_its_basis(tiny: Path) -> None:  # noqa: F811
    path = scenario_file(tiny.parent, {"a-price": {"set": {A_PRICE: {"values": [1, 3]}}}})
    out = tiny.parent / "rerun"
    sweep(path, out, workers=1, charts=False)
    spec, jobs, _points = prepare(path)
    run = Finished(out, spec, plan_file_names([j.name for j in jobs]), {j.name: j.key for j in jobs},
                   lambda *_: None, len(jobs))  # fmt: skip
    from planner.sweeps.folder import read_index

    todo, _twins = reuse(out, jobs, run, read_index(out))
    assert todo == []
    assert run.base_basis is not None


@settings(max_examples=40, deadline=None, derandomize=bool(os.environ.get("CI")))
@given(seed=st.integers(0, 2**32 - 1), n_rows=st.integers(1, 8), n_cols=st.integers(1, 40))
def test_any_status_codes_at_all_still_reach_the_optimum(seed: int, n_rows: int, n_cols: int) -> None:
    """A basis file a person edited (any valid code anywhere) only changes where the simplex starts."""
    model, _initial, _implied = covering_lp(seed, n_rows, n_cols)
    rng = np.random.default_rng(seed)
    codes = (
        rng.integers(0, 5, model.n_cols).astype(np.int8),
        rng.integers(0, 5, model.n_rows).astype(np.int8),
    )
    started = LiveLP(model).solve(model.lower, model.upper, basis=codes).solution
    plain = solve_arrays(model, mip=False)
    assert started.result.status == "optimal"
    assert started.result.objective == pytest.approx(plain.result.objective, rel=1e-7, abs=1e-7)
