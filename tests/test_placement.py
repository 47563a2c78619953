"""Placements: every replica's chips with one provider and tier, consistent with the chip lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.placement import place_period, placement_problems
from planner.plan import SCHEMA_VERSION, AcceleratorLine, DeploymentLine, PlacementLine, Plan

PLANS = sorted((Path(__file__).resolve().parent / "data" / "exports").glob("*.plan.json"))


def _acc(provider: str, tier: str, chips: int, acc: str = "g") -> AcceleratorLine:
    return AcceleratorLine(accelerator=acc, provider=provider, tier=tier, chips=chips, usd=float(chips))


def _dep(name: str, tp: int, replicas: int, acc: str = "g") -> DeploymentLine:
    return DeploymentLine(
        id=name,
        model="m",
        accelerator=acc,
        tensor_parallel=tp,
        pipeline_parallel=1,
        precision="bf16",
        replicas=replicas,
        capacity_requests_per_s=1.0,
        utilization=0.5,
        usd=1.0,
    )


def test_replicas_fill_committed_before_on_demand_and_fit_whole_replicas() -> None:
    lines = [_acc("a", "on_demand", 6), _acc("a", "committed_1y", 4), _acc("b", "spot", 2)]
    deps = [_dep("big", 4, 2), _dep("small", 1, 4)]
    placements, warnings = place_period("p", lines, deps)
    assert warnings == ()
    assert placement_problems("p", lines, deps, placements) == []
    by_key = {(pl.deployment, pl.provider, pl.tier): pl.replicas for pl in placements}
    assert by_key[("big", "a", "committed_1y")] == 1  # committed chips are filled first
    assert by_key[("big", "a", "on_demand")] == 1
    assert sum(n for (d, _, _), n in by_key.items() if d == "small") == 4


def test_a_replica_split_over_lines_is_placed_with_a_warning() -> None:
    lines = [_acc("a", "on_demand", 10), _acc("a", "spot", 2)]
    deps = [_dep("tp4", 4, 3)]
    placements, warnings = place_period("p1", lines, deps)
    assert sum(pl.replicas for pl in placements) == 3
    assert len(warnings) == 1
    assert "p1" in warnings[0]
    assert "tp4" in warnings[0]
    assert "2 more chips" in warnings[0]
    assert placement_problems("p1", lines, deps, placements) == [
        "period p1: 12 chips placed on g/a/on_demand, which has 10"
    ]


def test_placements_that_miss_replicas_are_reported() -> None:
    lines, deps = [_acc("a", "on_demand", 4)], [_dep("d", 1, 3)]
    short = (
        PlacementLine(
            deployment="d", accelerator="g", provider="a", tier="on_demand", replicas=2, chips_per_replica=1
        ),
    )
    assert placement_problems("p", lines, deps, short) == [
        "period p: placements of d do not add up to its 3 replicas"
    ]


@pytest.mark.parametrize("path", PLANS, ids=lambda p: p.name)
def test_example_plans_place_every_replica_within_its_chip_lines(path: Path) -> None:
    plan = Plan.model_validate_json(path.read_text(encoding="utf-8"))
    assert plan.schema_version == SCHEMA_VERSION
    for p in plan.periods:
        assert placement_problems(p.period, p.accelerators, p.deployments, p.placements) == []
        for d in p.deployments:
            assert d.max_model_len_tokens is not None
            assert d.precision_kind in ("checkpoint", "quantized")
