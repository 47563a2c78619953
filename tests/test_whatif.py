"""What-if runs through the Python API: monotone costs, untouched plans, comparisons, sensitivity.

Every case is tiny (one or two workloads, measured capacities, two periods) and solved to proven
optimality (``mip_gap=0``), so the properties hold exactly, not within a gap.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import planner
from planner.plan import Plan
from planner.whatif.compare import compare, figures
from planner.whatif.sensitivity import FACTOR_RANGE, fleet_of
from tests.conftest import Case, accelerator, api, build_case

PRICE_PATH = "accelerators.tgpu-a.prices.tp.on_demand.usd_per_chip_hour"


def _case(folder: Path, rates: tuple[float, float], api_out: float = 6.0, api_in: float = 1.0) -> Case:
    return build_case(
        folder,
        accelerators=[accelerator("tgpu-a", 2.0), accelerator("tgpu-b", 1.3)],
        rates={"tgpu-a": 10.0, "tgpu-b": 4.0},
        apis=[api("tapi", api_in, api_out)],
        demand=[
            ("2027-01", "chat", rates[0], 100),
            ("2027-02", "chat", rates[1], 100),
            ("2027-01", "rag", 1.5, 100),
            ("2027-02", "rag", 2.5, 100),
        ],
    )


def _whatif(case: Case, changes: dict[str, Any]) -> Any:
    return planner.whatif(
        case.demand, changes, catalog_dirs=[case.catalog], profiles=case.profiles, **case.options()
    )


_rates = st.tuples(st.floats(1, 40).map(lambda x: round(x, 1)), st.floats(1, 40).map(lambda x: round(x, 1)))
_slow = settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@_slow
@given(rates=_rates, factor=st.floats(1.0, 4.0))
def test_a_dearer_used_accelerator_never_lowers_the_cost(tmp_path: Path, rates: Any, factor: float) -> None:
    case = _case(tmp_path / "c", rates)
    base = case.solve().plan
    used = {(a.accelerator, a.provider, a.tier) for p in base.periods for a in p.accelerators}
    acc, provider, tier = sorted(used)[0]
    path = f"accelerators.{acc}.prices.{provider}.{tier}.usd_per_chip_hour"
    price = next(
        o.usd_per_chip_hour for o in case.problem().catalog.accelerators[acc].prices if o.tier == tier
    )
    run = _whatif(case, {"set": {path: price * factor}})
    assert run.base.plan.solver.stopped_by == run.changed.plan.solver.stopped_by == "proven"
    assert run.changed.plan.objective_usd >= run.base.plan.objective_usd - 1e-6
    assert run.comparison.difference()["objective_usd"] >= -1e-6


@_slow
@given(rates=_rates, factor=st.floats(1.0, 3.0))
def test_more_demand_never_lowers_the_cost(tmp_path: Path, rates: Any, factor: float) -> None:
    run = _whatif(_case(tmp_path / "c", rates), {"scale-demand": factor})
    assert run.changed.plan.objective_usd >= run.base.plan.objective_usd - 1e-6
    assert run.comparison.difference()["split"]["requests"] >= -1e-6


@_slow
@given(rates=_rates, factor=st.floats(1.5, 10.0))
def test_a_change_to_nothing_the_plan_uses_leaves_it_the_same(
    tmp_path: Path, rates: Any, factor: float
) -> None:
    case = _case(tmp_path / "c", rates, api_out=60.0)  # the API is too dear to be used
    base = case.solve().plan
    used = {a.accelerator for p in base.periods for a in p.accelerators}
    assert "tapi" not in fleet_of(base)[1]
    changes: dict[str, Any] = {"set": {"apis.tapi.usd_per_1m_output_tokens": 60.0 * factor}}
    unused = sorted({"tgpu-a", "tgpu-b"} - used)
    if unused:
        changes["set"][f"accelerators.{unused[0]}.prices.tp.on_demand.usd_per_chip_hour"] = 5.0 * factor
    run = _whatif(case, changes)
    assert fleet_of(run.changed.plan) == fleet_of(run.base.plan)
    assert run.changed.plan.objective_usd == pytest.approx(run.base.plan.objective_usd, abs=1e-6)
    difference = run.comparison.difference()
    assert difference["deployments"] == []
    assert all(line["peak_chips"] == 0 for line in difference["chips"])


def test_comparison_of_a_plan_with_itself_is_all_zero(tmp_path: Path) -> None:
    plan = _case(tmp_path / "c", (12, 20)).solve().plan
    difference = compare(plan, plan).difference()
    assert difference["objective_usd"] == 0
    assert set(difference["cost_usd"].values()) == {0.0}
    assert difference["deployments"] == []
    assert all(w["usd"] == 0 and w["requests"] == 0 for w in difference["workloads"])


def test_comparison_figures_add_up(tmp_path: Path) -> None:
    case = _case(tmp_path / "c", (12, 20), api_out=0.5)
    plan = case.solve().plan
    f = figures(plan)
    seconds = 3600 * 100
    assert f.split["requests"] == pytest.approx((12 + 20 + 1.5 + 2.5) * seconds)
    assert f.split["self_hosted_requests"] + f.split["api_requests"] + f.split[
        "unmet_requests"
    ] == pytest.approx(f.split["requests"])
    assert sum(w["usd"] for w in f.workloads.values()) == pytest.approx(
        plan.cost_usd.accelerators + plan.cost_usd.api, rel=1e-6
    )
    assert f.split["api_cost_share"] == pytest.approx(
        plan.cost_usd.api / (plan.cost_usd.accelerators + plan.cost_usd.api)
    )


def test_whatif_sets_the_price_trend_and_changes_only_the_changed_case(tmp_path: Path) -> None:
    run = _whatif(
        _case(tmp_path / "c", (12, 20)), {"price-trend": {"apis": "-0.9/yr"}, "change": {"mip-gap": 0.01}}
    )
    assert run.base.plan.inputs.settings["price_trends"] == []
    assert run.changed.plan.inputs.settings["price_trends"] == [{"target": "apis", "rate_per_year": -0.9}]
    assert run.base.plan.inputs.settings["mip_gap"] == 0.0
    assert run.changed.plan.inputs.settings["mip_gap"] == 0.01
    assert run.to_json()["changes"] == {"change": {"mip-gap": 0.01}, "price-trend": {"apis": -0.9}}


def test_planner_whatif_is_the_package_and_the_function(tmp_path: Path) -> None:
    import planner.whatif.changes

    assert callable(planner.whatif)
    assert planner.whatif.changes.ChangeSet is planner.whatif.ChangeSet
    a, b = (tmp_path / "a.json", tmp_path / "b.json")
    case = _case(tmp_path / "c", (12, 20))
    planner.write_plan(case.solve().plan, a)
    planner.write_plan(case.solve(accelerators=["tgpu-b"]).plan, b)
    difference = planner.diff(a, b).difference()
    assert difference["objective_usd"] == pytest.approx(
        planner.read_plan(b).objective_usd - planner.read_plan(a).objective_usd
    )


# --- sensitivity ------------------------------------------------------------------------------


def _one_replica_case(folder: Path) -> Case:
    """8 req/s for 100 h: one tgpu-a replica (10 req/s at 80 %) for $200, or the API for $403.20.

    The API charges (1000 x 0.1 + 200 x 0.2) / 1e6 = $0.00014 a request, 2.88M requests: $403.20.
    So tgpu-a stays until its price is 403.2 / 200 = 2.016 times as high; the API would enter only
    at 0.496 times its price (more than 20 % off: it is no candidate).
    """
    return build_case(
        folder,
        accelerators=[accelerator("tgpu-a", 2.0)],
        rates={"tgpu-a": 10.0},
        apis=[api("tapi", 0.1, 0.2)],
        demand=[("p1", "chat", 8, 100)],
    )


def test_sensitivity_finds_the_hand_computed_break_even(tmp_path: Path) -> None:
    plan = _one_replica_case(tmp_path / "c").solve(sensitivity=True).plan
    section = plan.sensitivity
    assert section is not None
    assert section.resolves <= section.max_resolves
    assert section.resolves_stopped_by_time == 0
    assert [r.path for r in section.ranges] == [PRICE_PATH]
    (offer,) = section.ranges
    assert offer.in_plan
    assert offer.usd == 2.0
    assert offer.high_factor <= 2.016 * (1 + 1e-9)
    assert offer.changes_above is not None
    assert offer.changes_above >= 2.016 * (1 - 1e-9)
    assert offer.changes_above / offer.high_factor < 1.2  # bisected, not only stepped
    assert offer.above == "tgpu-a/tp/on_demand -1 chips at peak; API tapi starts"
    assert offer.low_factor == FACTOR_RANGE[0]
    assert offer.changes_below is None
    assert offer.lp_high_factor == pytest.approx(2.016, rel=1e-6)
    assert "re-solves" in section.method
    assert "work limit" in section.method


def test_sensitivity_is_deterministic_and_survives_the_plan_file(tmp_path: Path) -> None:
    case = _one_replica_case(tmp_path / "c")
    first = case.solve(sensitivity=True, output=str(tmp_path / "p.json")).plan
    second = case.solve(sensitivity=True).plan
    assert first.sensitivity == second.sensitivity
    read: Plan = planner.read_plan(tmp_path / "p.json")
    assert read.sensitivity == first.sensitivity


def test_a_falling_api_price_trend_lowers_the_changed_case_alone(tmp_path: Path) -> None:
    case = _case(tmp_path / "c", (12, 20), api_out=0.01, api_in=0.01)  # the API is the cheapest
    run = _whatif(case, {"price-trend": {"apis": "-0.9/yr"}})
    base_api = [r.usd for p in run.base.plan.periods for r in p.routing if r.kind == "api"]
    assert sum(base_api) > 0
    assert run.base.plan.objective_usd == pytest.approx(case.solve().plan.objective_usd)
    # the second period starts 31 days in: API prices there are 0.1 ** (31 / 365.25) of the first's
    assert run.changed.plan.objective_usd < run.base.plan.objective_usd
    assert run.comparison.difference()["cost_usd"]["api"] < 0
    for p, factor in ((0, 1.0), (1, 0.1 ** (31 / 365.25))):
        before = sum(r.usd for r in run.base.plan.periods[p].routing if r.kind == "api")
        after = sum(r.usd for r in run.changed.plan.periods[p].routing if r.kind == "api")
        assert after == pytest.approx(before * factor, rel=1e-6)
