"""Property tests: random small instances, every plan checked by the independent verifier."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from conftest import accelerator, api, build_case
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

_COUNTER = itertools.count()

prices = st.floats(min_value=0.5, max_value=8.0, allow_nan=False).map(lambda x: round(x, 2))
capacities = st.floats(min_value=0.5, max_value=30.0, allow_nan=False).map(lambda x: round(x, 2))
rates = st.floats(min_value=0.0, max_value=60.0, allow_nan=False).map(lambda x: round(x, 3))


@st.composite
def instances(draw: st.DrawFn) -> dict[str, object]:
    n_acc = draw(st.integers(1, 3))
    accs = []
    for i in range(n_acc):
        tiers = {}
        if draw(st.booleans()):
            tiers["spot"] = round(draw(prices) * 0.5, 2)
        if draw(st.booleans()):
            tiers["committed_1y"] = round(draw(prices) * 0.6, 2)
        accs.append(
            accelerator(f"tgpu-{i}", draw(prices), chips_per_node=draw(st.sampled_from([1, 4, 8])), **tiers)
        )
    rates_by_acc = {a["id"]: draw(capacities) for a in accs}
    apis = [api("tapi", draw(prices), draw(prices))] if draw(st.booleans()) else []
    periods = draw(st.integers(1, 3))
    hours = draw(st.sampled_from([1.0, 24.0, 730.0]))
    demand = [(f"p{p}", "chat", draw(rates), hours) for p in range(periods)]
    options = {
        "target_utilization": draw(st.sampled_from([0.5, 0.8, 1.0])),
        "max_spot_share": draw(st.sampled_from([0.0, 0.2, 0.5])),
        "commitment_cost": draw(st.sampled_from(["term", "horizon"])),
        "whole_nodes": draw(st.booleans()),
    }
    if draw(st.booleans()):
        options["max_chips"] = {accs[0]["id"]: draw(st.integers(0, 6))}
    return {"accelerators": accs, "rates": rates_by_acc, "apis": apis, "demand": demand, "options": options}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=instances())
def test_every_plan_verifies_and_respects_its_bound(tmp_path: Path, case: dict[str, object]) -> None:
    folder = tmp_path / f"case{next(_COUNTER)}"
    options = dict(case.pop("options"))  # type: ignore[call-overload]
    built = build_case(folder, **case)  # type: ignore[arg-type]
    solved = built.solve(**options)
    plan = solved.plan
    assert built.verify(plan, **options) == []
    assert plan.objective_usd >= plan.solver.bound_usd - 1e-6 * max(1.0, plan.objective_usd)
    assert plan.status in ("optimal", "feasible")
    if plan.status == "optimal":
        assert plan.solver.gap <= 1e-6 + 1e-9
    unmet = sum(w.unmet_requests_per_s for p in plan.periods for w in p.workloads)
    if "max_chips" not in options and unmet > 1e-6:
        pytest.fail(f"unmet demand {unmet} without a chip limit: {plan.diagnostics.unmet}")
