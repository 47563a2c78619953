"""Warnings in the plan: workloads that cannot be self-hosted, availability floors that cannot hold."""

from __future__ import annotations

from conftest import IN_TOKENS, OUT_TOKENS, CaseFactory, accelerator, api


def test_workload_without_a_self_hosted_option_is_warned_about(make_case: CaseFactory) -> None:
    case = make_case(
        accelerators=[accelerator("tgpu-a", 2.0)],
        rates={"tgpu-a": 10.0},
        models=[{"id": "tmodel", "precisions": ["bf16"]}, {"id": "tother", "precisions": ["bf16"]}],
        apis=[api("tapi", 1.0, 1.0, model="tother")],
        demand=[("p0", "chat", 5.0, IN_TOKENS, OUT_TOKENS, "tother", 1.0)],
    )
    text = case.demand.read_text(encoding="utf-8").splitlines()
    case.demand.write_text("\n".join([text[0] + ",min_replicas", text[1] + ",2"]) + "\n", encoding="utf-8")
    plan = case.solve().plan
    assert plan.unmet_requests == 0
    warnings = " | ".join(plan.diagnostics.warnings)
    assert "workload 'chat' cannot be self-hosted" in warnings
    assert "min_replicas 2 cannot be met" in warnings
    assert case.verify(plan) == []


def test_no_warning_when_everything_can_be_self_hosted(make_case: CaseFactory) -> None:
    case = make_case(
        accelerators=[accelerator("tgpu-a", 2.0)], rates={"tgpu-a": 10.0}, demand=[("p0", "chat", 5.0, 1.0)]
    )
    assert case.solve().plan.diagnostics.warnings == ()


def test_a_workload_missing_from_a_period_is_planned_as_zero_with_a_warning(make_case: CaseFactory) -> None:
    case = make_case(
        accelerators=[accelerator("tgpu-a", 2.0)],
        rates={"tgpu-a": 10.0},
        demand=[("p0", "chat", 5.0, 1.0), ("p0", "bulk", 5.0, 1.0), ("p1", "chat", 5.0, 1.0)],
    )
    plan = case.solve().plan
    assert plan.diagnostics.warnings == (
        "workload 'bulk' has no row in period 'p1': planned as 0 requests/s there "
        "(add a row with requests_per_s 0 to say so)",
    )
    assert [d.replicas for d in plan.periods[1].deployments] == [1]  # only chat's 5 req/s in p1
    assert case.verify(plan) == []
