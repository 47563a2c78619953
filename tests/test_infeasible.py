"""No plan exists: exit 1 with the rows and limits that conflict, never a generic failure."""

from __future__ import annotations

from typing import Any

import pytest

from planner.errors import SolveError
from tests.conftest import CaseFactory, accelerator

HOURS = 10.0


def _floor(case: Any, replicas: int) -> None:
    lines = case.demand.read_text(encoding="utf-8").splitlines()
    body = [line + f",{replicas}" for line in lines[1:]]
    case.demand.write_text("\n".join([lines[0] + ",min_replicas", *body]) + "\n", encoding="utf-8")


def test_a_floor_above_the_chip_limit_is_named(make_case: CaseFactory) -> None:
    case = make_case(
        accelerators=[accelerator("tgpu-a", 2.0)], rates={"tgpu-a": 10.0}, demand=[("p0", "chat", 5.0, HOURS)]
    )
    _floor(case, 3)
    with pytest.raises(SolveError) as err:
        case.solve(max_chips={"tgpu-a": 2})
    assert "`min_replicas` 3 of chat in period p0 needs 3 chips of tgpu-a, above `--max-chips` 2" in str(
        err.value
    )
    assert err.value.exit_code == 1


def test_a_floor_on_spot_only_chips_is_named(make_case: CaseFactory) -> None:
    spot = {
        "id": "tgpu-s",
        "chips_per_node": 8,
        "prices": [{"provider": "tp", "tier": "spot", "usd_per_chip_hour": 1.0}],
    }
    case = make_case(accelerators=[spot], rates={"tgpu-s": 10.0}, demand=[("p0", "chat", 5.0, HOURS)])
    _floor(case, 1)
    with pytest.raises(SolveError) as err:
        case.solve()
    assert "only spot offers" in str(err.value)
    assert "`--max-spot-share` 0.2" in str(err.value)


def test_a_floor_above_the_budget_is_named(make_case: CaseFactory) -> None:
    case = make_case(
        accelerators=[accelerator("tgpu-a", 2.0)], rates={"tgpu-a": 10.0}, demand=[("p0", "chat", 5.0, HOURS)]
    )
    _floor(case, 2)
    with pytest.raises(SolveError) as err:
        case.solve(budget_usd=30.0)  # two replicas: 2 chips x $2 x 10 h = $40
    assert "need at least $40.00 of accelerators, above `--budget-usd` $30.00" in str(err.value)


def test_floors_that_conflict_only_together_are_named(make_case: CaseFactory) -> None:
    case = make_case(
        accelerators=[accelerator("tgpu-a", 2.0)],
        rates={"tgpu-a": 10.0},
        models=[{"id": "tmodel", "precisions": ["bf16"]}, {"id": "tother", "precisions": ["bf16"]}],
        demand=[("p0", "a", 5.0, 1000, 200, "tmodel", HOURS), ("p0", "b", 5.0, 1000, 200, "tother", HOURS)],
    )
    profiles = case.profiles.read_text(encoding="utf-8")
    case.profiles.write_text(profiles + "tother,tgpu-a,1000,200,10\n", encoding="utf-8")
    _floor(case, 2)
    with pytest.raises(SolveError) as err:
        case.solve(max_chips={"tgpu-a": 3})  # each floor fits alone (2 chips); together they need 4
    assert "floors together need more chips than `--max-chips` tgpu-a=3 allows" in str(err.value)
