"""Engine details that the end-to-end optimizer tests do not pin down."""

from __future__ import annotations

import pytest

from planner.api import make_settings
from planner.pipeline import Bracket, Problem, load_problem, solve_problem
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


def _fractional(make_case: CaseFactory) -> Problem:
    """20 req/s at 8 planned per replica: the LP buys 2.5 replicas ($50), a plan 3 ($60)."""
    case = make_case(
        accelerators=[accelerator("tgpu-a", 2.0)],
        rates={"tgpu-a": 10.0},
        demand=[("p1", "chat", 20.0, HOURS)],
    )
    return load_problem(case.demand, [case.catalog], case.profiles, make_settings(case.options()))


def test_a_known_bound_within_its_accept_gap_skips_the_milp(make_case: CaseFactory) -> None:
    problem = _fractional(make_case)
    plain = solve_problem(problem).plan
    assert plain.objective_usd == pytest.approx(60.0)
    assert plain.solver.stopped_by == "proven"
    settled = solve_problem(problem, bracket=Bracket(("a", "b"), (1.0, 3.0), 55.0, 0.1)).plan
    assert settled.objective_usd == pytest.approx(60.0)
    assert settled.solver.bound_usd == pytest.approx(55.0)  # above the LP's $50: the known bound
    assert settled.solver.stopped_by == "bracketed"
    assert settled.status == "feasible"
    assert settled.solver.stage == "lp_rounding"
    assert settled.solver.bracket is not None
    assert settled.solver.bracket.accepted
    assert any("sweep neighbours" in w for w in settled.diagnostics.warnings)


def test_a_known_bound_beyond_its_accept_gap_lets_the_search_go_on(make_case: CaseFactory) -> None:
    problem = _fractional(make_case)
    searched = solve_problem(problem, bracket=Bracket(("a", "b"), (1.0, 3.0), 55.0, 0.05)).plan
    assert searched.objective_usd == pytest.approx(60.0)
    assert searched.solver.stopped_by == "proven"
    assert searched.solver.bound_usd == pytest.approx(60.0)
    assert searched.solver.bracket is not None
    assert not searched.solver.bracket.accepted
