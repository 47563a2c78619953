"""Window MILPs (``planner.windows``) against the independent oracle (``tests/oracle.py``).

Random small instances (``tests/oracle_gen.py``) of two or three periods under a ``--budget-usd``
(a row across periods, so per-period slicing is refused) are solved with every coupled model sent
through the window MILPs (the size threshold set to 0). Whatever the windows propose, the plan is
never below the oracle's proven optimum, the bound never above it, and ``optimal`` means equal to it.
"""

from __future__ import annotations

import dataclasses
import importlib.resources
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, assume, event, given, note, settings
from hypothesis import strategies as st
from oracle import Instance, Written, reference_optimum, tolerance
from oracle_gen import instances

import planner
import planner.engine as engine
from planner.errors import PlannerError
from planner.plan import Plan

BUDGETS_USD = (300.0, 2000.0, 20000.0, 200000.0)


@pytest.fixture(scope="session")
def empty_catalog_dir() -> Path:
    """These tests plan on the shipped catalogs (conftest's autouse fixture points at this folder)."""
    return Path(str(importlib.resources.files("catalogs")))


@st.composite
def budget_instances(draw: st.DrawFn) -> Instance:
    """An oracle instance of two or three periods with a budget."""
    instance = draw(instances())
    assume(len({row.period for row in instance.rows}) >= 2)
    budget = draw(st.sampled_from(BUDGETS_USD))
    return dataclasses.replace(instance, settings=dataclasses.replace(instance.settings, budget_usd=budget))


def _solve(instance: Instance, written: Written) -> Plan | PlannerError:
    try:
        return planner.solve(
            written.demand,
            catalog_dirs=[written.catalog],
            no_baselines=True,
            time_limit=60,
            mip_gap=0.0,
            **instance.settings.solve_options(),
        ).plan
    except PlannerError as exc:
        return exc


@settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    phases=tuple(p for p in Phase if p != Phase.shrink),
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.filter_too_much,
    ],
)
@given(instance=budget_instances())
def test_plans_found_through_windows_match_the_oracle(
    tmp_path_factory: pytest.TempPathFactory, instance: Instance
) -> None:
    folder = tmp_path_factory.mktemp("windows")
    written = instance.write(folder)
    ref = reference_optimum(instance, written)
    note(instance.describe())
    note(f"oracle: {ref}")
    assert ref.status in ("Optimal", "Infeasible"), f"HiGHS did not prove the oracle: {ref.status}"
    runs: list[int] = []
    original = engine.improve_by_window

    def counted(*args: Any, **kwargs: Any) -> Any:
        runs.append(1)
        return original(*args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(engine, "SMALL_INTEGER_COLUMNS", 0)
        patch.setattr(engine, "improve_by_window", counted)
        solved = _solve(instance, written)
    if isinstance(solved, PlannerError):
        assert not ref.feasible, (
            f"fleetplan made no plan ({solved}); the oracle's optimum is ${ref.objective_usd}"
        )
        return
    plan = solved
    event("windows ran" if runs else "proven before the windows")
    assert ref.objective_usd is not None, "fleetplan made a plan where none exists"
    best, tol = ref.objective_usd, tolerance(ref.objective_usd)
    where = (
        f"fleetplan {plan.status} at ${plan.objective_usd} (bound ${plan.solver.bound_usd}), oracle ${best}"
    )
    assert plan.objective_usd >= best - tol, f"below the proven optimum: {where}"
    assert plan.solver.bound_usd <= best + tol, f"bound above the optimum: {where}"
    if plan.status == "optimal":
        assert abs(plan.objective_usd - best) <= tol, f"'optimal' but not optimal: {where}"
