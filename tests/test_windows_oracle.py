"""Window MILPs (``planner.windows``) against the independent oracle (``tests/oracle.py``).

Random small instances (``tests/oracle_gen.py``) of two or three periods under a ``--budget-usd``
(a row across periods, so per-period slicing is refused) are solved with every coupled model sent
through the window MILPs (the size threshold set to 0). Whatever the windows propose, the plan is
never below the oracle's proven optimum, the bound never above it, and ``optimal`` means equal to it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, assume, event, given, note, settings
from hypothesis import strategies as st
from oracle import Instance
from oracle_gen import instances
from test_oracle import check_against_oracle, empty_catalog_dir, solve_fleetplan  # noqa: F401 (fixture)

import planner.engine as engine

BUDGETS_USD = (300.0, 2000.0, 20000.0, 200000.0)


@st.composite
def budget_instances(draw: st.DrawFn) -> Instance:
    """An oracle instance of two or three periods with a budget."""
    instance = draw(instances())
    assume(len({row.period for row in instance.rows}) >= 2)
    budget = draw(st.sampled_from(BUDGETS_USD))
    return dataclasses.replace(instance, settings=dataclasses.replace(instance.settings, budget_usd=budget))


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
    runs: list[int] = []
    original = engine.improve_by_window

    def counted(*args: Any, **kwargs: Any) -> Any:
        runs.append(1)
        return original(*args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(engine, "SMALL_INTEGER_COLUMNS", 0)
        patch.setattr(engine, "improve_by_window", counted)
        ref, plan = solve_fleetplan(instance, tmp_path_factory.mktemp("windows"))
    note(instance.describe())
    note(f"oracle: {ref}")
    event("windows ran" if runs else "no window ran (proven before them, or no plan)")
    check_against_oracle(ref, plan)
