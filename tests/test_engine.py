"""Engine details that the end-to-end optimizer tests do not pin down."""

from __future__ import annotations

import pytest

from planner.api import make_settings
from planner.pipeline import load_problem, solve_problem
from planner.rounding import fixed_lp
from planner.session import Session
from tests.conftest import CaseFactory, accelerator

HOURS = 10.0


def test_fixed_lp_takes_integer_values_within_the_solvers_tolerance(make_case: CaseFactory) -> None:
    """A MILP may return 3.0000004 replicas; fixing that as is broke the chip row (chips are 3)."""
    case = make_case(
        accelerators=[accelerator("tgpu-a", 2.0)],
        rates={"tgpu-a": 10.0},
        demand=[("p1", "chat", 24.0, HOURS)],
    )
    settings = make_settings(case.options())
    solved = solve_problem(load_problem(case.demand, [case.catalog], case.profiles, settings))
    values = solved.result.values
    assert values["replicas"].sum() == pytest.approx(3.0)
    nudged = values["replicas"] + 4e-7 * (values["replicas"] > 0.5)
    plan = {**values, "replicas": nudged}
    fixed = fixed_lp(Session(solved.model, settings), plan)
    assert fixed.has_solution
    assert fixed.objective == pytest.approx(solved.plan.objective_usd, rel=1e-9)
