"""Unmet demand: one instance per reason code, its sentence, and the cheapest way out."""

from __future__ import annotations

import importlib.resources
from pathlib import Path
from typing import Any

import pytest

import planner
from tests.conftest import CaseFactory, accelerator, api

HOURS = 10.0


def _with_columns(case: Any, **columns: object) -> None:
    """Add columns (same value on every row) to a case's demand.csv."""
    lines = case.demand.read_text(encoding="utf-8").splitlines()
    head = ",".join([lines[0], *columns])
    body = [",".join([line, *(str(v) for v in columns.values())]) for line in lines[1:]]
    case.demand.write_text("\n".join([head, *body]) + "\n", encoding="utf-8")


def _only_line(plan: Any) -> Any:
    assert len(plan.diagnostics.unmet) == 1, plan.diagnostics.unmet
    return plan.diagnostics.unmet[0]


def _change(plan: Any) -> dict[str, object]:
    assert plan.diagnostics.relaxations, "no relaxation found"
    best = plan.diagnostics.relaxations[0]
    assert best.saving_usd > 0
    assert best.objective_usd < plan.objective_usd
    return best.change.model_dump(by_alias=True)


def test_latency_names_the_closest_option_and_relaxes_tpot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import planner.catalog.load as catalog_load

    shipped = Path(str(importlib.resources.files("catalogs")))
    monkeypatch.setattr(catalog_load, "shipped_catalog_dir", lambda: shipped)
    demand = tmp_path / "demand.csv"
    demand.write_text(
        "period,workload,requests_per_s,input_tokens,output_tokens,model,hours,ttft_ms,tpot_ms\n"
        "p1,fast,2,500,200,llama-3.1-8b,10,2000,2\n",
        encoding="utf-8",
    )
    plan = planner.solve(demand, accelerators=("h100-sxm",), apis=(), no_baselines=True).plan
    line = _only_line(plan)
    assert line.reason_code == "latency"
    assert "TPOT target of 2 ms: the closest, llama-3.1-8b:h100-sxm" in line.reason
    assert "% over" in line.reason
    change = _change(plan)
    assert change["kind"] == "tpot_ms"
    assert change["from"] == 2.0
    assert isinstance(change["to"], float)
    assert change["to"] > 2.0
    assert plan.diagnostics.unmet_share == pytest.approx(1.0)


def test_self_host_only_blocks_the_api_that_would_serve(make_case: CaseFactory) -> None:
    case = make_case(
        accelerators=[accelerator("tgpu-a", 2.0)],
        rates={"tgpu-a": 10.0},
        apis=[api("tapi", 1.0, 1.0)],
        demand=[("p0", "chat", 5.0, HOURS)],
    )
    _with_columns(case, self_host_only="true")
    plan = case.solve(accelerators=()).plan
    line = _only_line(plan)
    assert line.reason_codes[0] == "self_host_only"
    assert "an allowed API offer could serve it" in line.reason
    assert _change(plan) == {"kind": "allow_api", "target": "chat", "from": "self_host_only", "to": "allowed"}


def test_api_only_blocks_the_self_hosted_option(make_case: CaseFactory) -> None:
    case = make_case(
        accelerators=[accelerator("tgpu-a", 2.0)], rates={"tgpu-a": 10.0}, demand=[("p0", "chat", 5.0, HOURS)]
    )
    _with_columns(case, api_only="true")
    plan = case.solve().plan
    line = _only_line(plan)
    assert line.reason_codes == ("api_only",)
    assert "a self-hosted option could serve it" in line.reason
    assert _change(plan)["kind"] == "allow_self_host"


def test_max_api_share_binds(make_case: CaseFactory) -> None:
    case = make_case(
        accelerators=[accelerator("tgpu-a", 2.0)],
        rates={"tgpu-a": 10.0},
        apis=[api("tapi", 1.0, 1.0)],
        demand=[("p0", "chat", 4.0, HOURS)],
    )
    _with_columns(case, max_api_share=0.5)
    plan = case.solve(accelerators=()).plan
    line = _only_line(plan)
    assert line.requests_per_s == pytest.approx(2.0)
    assert "max_api_share" in line.reason_codes
    assert "max_api_share 0.5 is reached" in line.reason
    assert _change(plan) == {"kind": "max_api_share", "target": "chat", "from": 0.5, "to": 1.0}
    assert plan.diagnostics.unmet_share == pytest.approx(0.5)


def test_api_rate_limit_binds(make_case: CaseFactory) -> None:
    limited = {**api("tapi", 1.0, 1.0), "rate_limit_requests_per_s": 1.0}
    case = make_case(
        accelerators=[accelerator("tgpu-a", 2.0)],
        rates={"tgpu-a": 10.0},
        apis=[limited],
        demand=[("p0", "chat", 3.0, HOURS)],
    )
    plan = case.solve(accelerators=()).plan
    line = _only_line(plan)
    assert line.requests_per_s == pytest.approx(2.0)
    assert "api_rate_limit" in line.reason_codes
    assert "the request-rate limit of API tapi is reached" in line.reason


def test_max_chips_binds_and_the_way_out_names_the_chips_needed(make_case: CaseFactory) -> None:
    case = make_case(
        accelerators=[accelerator("tgpu-a", 2.0)],
        rates={"tgpu-a": 10.0},
        demand=[("p0", "chat", 20.0, HOURS)],
    )
    plan = case.solve(max_chips={"tgpu-a": 1}).plan
    line = _only_line(plan)
    assert line.reason_codes == ("max_chips",)
    assert line.requests_per_s == pytest.approx(12.0)
    assert _change(plan) == {"kind": "max_chips", "target": "tgpu-a", "from": 1.0, "to": 3.0}


def test_budget_binds_and_is_not_called_penalty(make_case: CaseFactory) -> None:
    case = make_case(
        accelerators=[accelerator("tgpu-a", 2.0)],
        rates={"tgpu-a": 10.0},
        demand=[("p0", "chat", 20.0, HOURS)],
    )
    plan = case.solve(budget_usd=45.0).plan  # two replicas cost $40; the third would need $60
    line = _only_line(plan)
    assert line.reason_codes == ("budget",)
    assert "--budget-usd $45.00" in line.reason
    assert "penalty" not in line.reason
    change = _change(plan)
    assert change["kind"] == "budget_usd"
    assert change["to"] == pytest.approx(60.0)


def test_penalty_cheaper(make_case: CaseFactory) -> None:
    case = make_case(
        accelerators=[accelerator("tgpu-a", 2.0)], rates={"tgpu-a": 10.0}, demand=[("p0", "chat", 5.0, HOURS)]
    )
    plan = case.solve(unmet_penalty_usd_per_request=1e-7).plan
    line = _only_line(plan)
    assert line.reason_codes == ("penalty_cheaper",)
    assert "more than the unmet-demand penalty" in line.reason
    assert plan.diagnostics.relaxations == ()


def test_no_option_when_nothing_can_serve(make_case: CaseFactory) -> None:
    case = make_case(
        accelerators=[accelerator("tgpu-a", 2.0)], rates={"tgpu-a": 10.0}, demand=[("p0", "chat", 5.0, HOURS)]
    )
    plan = case.solve(accelerators=()).plan
    line = _only_line(plan)
    assert line.reason_codes == ("no_option",)
    assert "no allowed, priced accelerator can hold tmodel" in line.reason


def test_api_only_with_no_api_serving_it(make_case: CaseFactory) -> None:
    case = make_case(
        accelerators=[accelerator("tgpu-a", 2.0)], rates={"tgpu-a": 10.0}, demand=[("p0", "chat", 5.0, HOURS)]
    )
    _with_columns(case, api_only="true")
    plan = case.solve(accelerators=()).plan
    line = _only_line(plan)
    assert line.reason_codes[0] == "api_only"
    assert "api_only is set and no allowed API offer serves it" in line.reason


def test_token_rate_limit_binds(make_case: CaseFactory) -> None:
    limited = {**api("tapi", 1.0, 1.0), "rate_limit_tokens_per_min": 60_000.0}  # 1,200 tokens a request
    case = make_case(
        accelerators=[accelerator("tgpu-a", 2.0)],
        rates={"tgpu-a": 10.0},
        apis=[limited],
        demand=[("p0", "chat", 3.0, HOURS)],
    )
    plan = case.solve(accelerators=()).plan
    line = _only_line(plan)
    assert line.requests_per_s == pytest.approx(3.0 - 60_000.0 / 60 / 1200)
    assert "the token-rate limit of API tapi is reached" in line.reason


def test_a_plan_stopped_by_the_clock_says_so(make_case: CaseFactory) -> None:
    from planner.extract import _search_warnings

    class Stopped:
        status, stopped_by, gap, bound_usd = "feasible", "time_limit", 0.05, 95.0

    assert _search_warnings(Stopped()) == (  # type: ignore[arg-type]
        "not proven optimal: the --time-limit stopped the search at a gap of 5.00% to the bound $95.00 "
        "(give it more time, or a larger --work-limit)",
    )


def test_no_open_weight_model_meets_the_floor(make_case: CaseFactory) -> None:
    case = make_case(
        accelerators=[accelerator("tgpu-a", 2.0)],
        rates={"tgpu-a": 10.0},
        models=[{"id": "tmodel", "precisions": ["bf16"], "open_weights": False}],
        demand=[("p0", "chat", 5.0, HOURS)],
    )
    plan = case.solve().plan
    line = _only_line(plan)
    assert line.reason_codes == ("no_option",)
    assert "no open-weight model in the catalog meets its model or quality floor" in line.reason


def test_no_option_fits_names_the_most_common_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 7 GiB chip holds Llama 3.1 8B's weights but not the KV cache of a 121k-token request."""
    import planner.catalog.load as catalog_load

    shipped = Path(str(importlib.resources.files("catalogs")))
    monkeypatch.setattr(catalog_load, "shipped_catalog_dir", lambda: shipped)
    catalog = tmp_path / "catalog"
    catalog.mkdir()
    (catalog / "accelerators.yaml").write_text(
        "- {id: tiny, name: tiny, vendor: nvidia, kind: gpu, memory_gib: 7, memory_bandwidth_tb_per_s: 1.0,\n"
        "   bf16_tflops: 100, fp8_tflops: 200, int8_tops: 200, chips_per_node: 1, scale_up_gb_per_s: 64,\n"
        "   max_tensor_parallel: 1, source: test, as_of: 2026-01-01, on_demand_usd_per_chip_hour: 1.0}\n",
        encoding="utf-8",
    )
    demand = tmp_path / "demand.csv"
    demand.write_text(
        "period,workload,requests_per_s,input_tokens,output_tokens,model,hours,ttft_ms\n"
        "p1,long,1,120000,1000,llama-3.1-8b,10,600000\n",
        encoding="utf-8",
    )
    plan = planner.solve(
        demand, catalog_dirs=[catalog], accelerators=("tiny",), apis=(), no_baselines=True
    ).plan
    line = _only_line(plan)
    assert line.reason_codes == ("no_option",)
    assert "no self-hosted option fits (9 tried; most common: weights and KV cache for batch 1" in line.reason


def test_a_plan_whose_search_ended_unproven_says_so() -> None:
    from planner.extract import _search_warnings

    class Ended:
        status, stopped_by, gap, bound_usd = "feasible", "gap", 0.01, 99.0

    assert _search_warnings(Ended())[0].startswith(  # type: ignore[arg-type]
        "not proven optimal: the search ended without proving it at a gap of 1.00%"
    )
