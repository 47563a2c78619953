"""Sifting (``solvers.sifting``, ``planner.relaxation``): the whole LP's optimum, and a valid bound.

Random LPs check the sift against a plain HiGHS solve of the same arrays; the oracle property test
runs again with sifting forced on every model, so the engine's sifted LPs (relaxation, rounding,
fixed LP) are checked against the independent, unpruned MILP.
"""

from __future__ import annotations

import os
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
import test_oracle
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from oracle import Instance
from oracle_gen import instances
from test_oracle import empty_catalog_dir  # noqa: F401 (the fixture these tests need)

import planner.relaxation
from benchmarks.highs_reuse import random_lp
from solvers.arrays import ArrayModel, solve_arrays
from solvers.live import sifted_lp


def covering_lp(seed: int, n_rows: int, n_cols: int) -> tuple[ArrayModel, np.ndarray, np.ndarray]:
    """``min c x``: each row ``sum_j a_ij x_j + s_i = b_i`` with an expensive slack ``s_i``.

    Columns are random routes (``benchmarks.highs_reuse.random_lp``: cost >= 0, lower 0, no upper
    bound, coefficient 1 in one row and a share below 0.5 in another); each slack always keeps the
    LP feasible. Every coefficient is >= 0, so a column with coefficient 1 in row i has
    ``x_j <= b_i``: its implied upper bound. Returns the model, a random first working set, and
    those bounds.
    """
    rng = np.random.default_rng(seed)
    model = random_lp(rng, n_rows, n_cols)
    rows = np.repeat(np.arange(model.n_rows), np.diff(model.start))
    own = model.value == 1.0  # each route's coefficient 1, and each slack's
    implied = np.full(model.n_cols, np.inf)
    implied[model.index[own]] = model.row_lower[rows[own]]
    implied[n_cols:] = np.inf
    initial = np.concatenate([rng.random(n_cols) < 0.2, np.ones(n_rows, dtype=bool)])
    return model, initial, implied


@settings(max_examples=60, deadline=None, derandomize=bool(os.environ.get("CI")))
@given(seed=st.integers(0, 2**32 - 1), n_rows=st.integers(1, 12), n_cols=st.integers(1, 80))
def test_sift_reaches_the_whole_lp_optimum(seed: int, n_rows: int, n_cols: int) -> None:
    model, initial, implied = covering_lp(seed, n_rows, n_cols)
    plain = solve_arrays(model, mip=False)
    sift = sifted_lp(model, initial, implied)
    assert plain.result.objective is not None
    assert sift.converged
    assert sift.bound == pytest.approx(plain.result.objective, rel=1e-7, abs=1e-7)
    x = sift.solution.x
    assert x is not None
    activity = np.bincount(
        np.repeat(np.arange(model.n_rows), np.diff(model.start)), weights=model.value * x[model.index]
    )
    assert np.allclose(activity, model.row_lower, atol=1e-6)
    assert float(model.cost @ x) == pytest.approx(plain.result.objective, rel=1e-7, abs=1e-7)


@settings(max_examples=40, deadline=None, derandomize=bool(os.environ.get("CI")))
@given(seed=st.integers(0, 2**32 - 1), n_rows=st.integers(1, 12), n_cols=st.integers(1, 80))
def test_a_sift_stopped_early_gives_a_valid_bound(seed: int, n_rows: int, n_cols: int) -> None:
    """Stopped after its first round (time limit 0), the Lagrangian bound is below the optimum."""
    model, initial, implied = covering_lp(seed, n_rows, n_cols)
    plain = solve_arrays(model, mip=False)
    sift = sifted_lp(model, initial, implied, time_limit_s=0.0)
    assert plain.result.objective is not None
    assert sift.bound <= plain.result.objective + 1e-6 * max(1.0, abs(plain.result.objective))
    assert sift.solution.result.objective is not None
    assert sift.solution.result.objective >= plain.result.objective - 1e-6 * max(1.0, plain.result.objective)


def test_columns_with_implied_bound_zero_never_enter() -> None:
    model, _initial, implied = covering_lp(7, 4, 30)
    implied = implied.copy()
    implied[:30] = 0.0  # every route forced to 0: only the slacks may carry the rows
    sift = sifted_lp(model, np.zeros(model.n_cols, dtype=bool) | (np.arange(model.n_cols) >= 30), implied)
    assert sift.columns == 4
    assert sift.bound == pytest.approx(100.0 * model.row_lower.sum())


@settings(
    max_examples=60,
    deadline=None,
    derandomize=bool(os.environ.get("CI")),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    phases=[Phase.explicit, Phase.generate],
)
@given(instance=instances())
def test_fleetplan_matches_the_oracle_with_sifting_forced(
    tmp_path_factory: pytest.TempPathFactory, instance: Instance
) -> None:
    with mock.patch.object(planner.relaxation, "SIFT_MIN_ROUTES", 0):
        test_oracle.test_fleetplan_matches_the_oracle.hypothesis.inner_test(tmp_path_factory, instance)  # type: ignore[attr-defined]


def test_forcing_reaches_the_engine(tmp_path: Path) -> None:
    """Guard: with the threshold at 0 every HiGHS model sifts (the test above is not vacuous)."""
    from planner.settings import SolveSettings

    class Model:
        def size(self, block: str) -> int:
            return 1 if block == "route" else 0

    with mock.patch.object(planner.relaxation, "SIFT_MIN_ROUTES", 0):
        assert planner.relaxation.use_sifting(Model(), SolveSettings())  # type: ignore[arg-type]
    assert not planner.relaxation.use_sifting(Model(), SolveSettings())  # type: ignore[arg-type]


def test_thread_counts_can_change_between_solves() -> None:
    """HiGHS's process-wide scheduler keeps its first thread count; a later count must not fail
    the run ("Not Set"), as it did for a sweep worker at 1 thread after a solve at the default."""
    model, initial, implied = covering_lp(3, 4, 20)
    for threads in (None, 1, 2, None, 1):
        plain = solve_arrays(model, mip=False, threads=threads)
        assert plain.result.status == "optimal", (threads, plain.result.detail)
        assert sifted_lp(model, initial, implied, threads=threads).converged
