"""The sweep's options cache returns exactly what ``build_options`` computes, evaluating less."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

from planner.api import prepare_solve
from planner.catalog import load as catalog_load
from planner.options import Options, build_options
from planner.pipeline import Problem, solve_problem
from planner.sweeps.cache import OptionsCache
from planner.whatif.changes import apply_changes, changes_from_mapping

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def real_catalogs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(catalog_load, "shipped_catalog_dir", lambda: ROOT / "catalogs")


@pytest.fixture
def base() -> Problem:
    return prepare_solve(
        ROOT / "examples" / "self-host-vs-api", options={"no_baselines": True}
    ).load_problem()


def changed(problem: Problem, changes: dict[str, object]) -> Problem:
    return apply_changes(problem, changes_from_mapping(changes))


def same(a: Options, b: Options) -> None:
    for item in dataclasses.fields(Options):
        left, right = getattr(a, item.name), getattr(b, item.name)
        if isinstance(left, pd.DataFrame):
            pd.testing.assert_frame_equal(left, right)
        else:
            assert left == right, item.name


def test_cached_options_equal_fresh_ones_and_the_perf_model_runs_once(base: Problem) -> None:
    cache = OptionsCache()
    cases = [
        base,
        changed(base, {"set": {"accelerators.h100-sxm.prices.aws.on_demand.usd_per_chip_hour": 2.0}}),
        changed(base, {"scale-demand": 3}),
        changed(base, {"set": {"apis.together-llama-3.3-70b.usd_per_1m_output_tokens": 0.1}}),
        base,
    ]
    for problem in cases:
        args = (problem.catalog, problem.demand, problem.profiles, problem.settings)
        same(cache.build_options(*args), build_options(*args))
    assert cache.perf_runs == 1  # prices and demand levels never re-run the performance model
    assert cache.option_builds == 3  # base, H100 price, API price; the demand scale reuses the base's
    tokens = changed(base, {"scale-tokens": {"output": 3}})
    args = (tokens.catalog, tokens.demand, tokens.profiles, tokens.settings)
    same(cache.build_options(*args), build_options(*args))
    assert cache.perf_runs == 2  # new request shapes: evaluated anew


def test_plans_from_cached_options_equal_plain_solves(base: Problem) -> None:
    cache = OptionsCache()
    settings = base.settings.model_copy(update={"work_limit": 3, "threads": 1})
    problem = dataclasses.replace(base, settings=settings)
    for case in (problem, changed(problem, {"scale-demand": 2}), changed(problem, {"scale-demand": 2})):
        plain = solve_problem(case).plan
        cached = solve_problem(case, options_builder=cache.build_options).plan
        assert cached.model_dump(exclude={"timings", "solver"}) == plain.model_dump(
            exclude={"timings", "solver"}
        )
        assert cached.solver.gap == plain.solver.gap
