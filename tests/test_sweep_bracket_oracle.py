"""Price axes of a sweep against the independent oracle (``tests/oracle.py``).

Random small instances (``tests/oracle_gen.py``) are swept over the price of one user
accelerator's offer, or an API's input or output token price; at every point the oracle's
unpruned MILP, solved to proven optimality with the price changed in its catalog, gives the
optimum. Whether a point was searched or settled by
its neighbours' bounds (``planner.sweeps.bracket``), its plan is never below the optimum, its
bound (and the neighbours' bound it records) never above it, and ``optimal`` means within
``--mip-gap`` of it.
"""

from __future__ import annotations

import dataclasses
import importlib.resources
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, Phase, assume, event, given, note, settings
from hypothesis import strategies as st
from oracle import Instance, reference_optimum, tolerance
from oracle_gen import instances

from planner.errors import PlannerError
from planner.plan import Plan
from planner.sweeps import sweep


@pytest.fixture(scope="session")
def empty_catalog_dir() -> Path:
    """These tests plan on the shipped catalogs (conftest's autouse fixture points at this folder)."""
    return Path(str(importlib.resources.files("catalogs")))


def _plans(out: Path) -> dict[str, Plan]:
    index = json.loads((out / "sweep.json").read_text(encoding="utf-8"))["points"]
    return {
        name: Plan.model_validate_json((out / entry["plan"]).read_text(encoding="utf-8"))
        for name, entry in index.items()
    }


#: Multiples of the swept price along the axis (its own price is among them).
MULTIPLES = (0.25, 0.5, 0.75, 1.0, 1.5, 2.5, 4.0)


@dataclass(frozen=True)
class Target:
    """The price an axis sweeps: its catalog path, its price in the instance, how to change it."""

    path: str
    price: float
    kind: str
    entry: str
    field: str

    def priced(self, instance: Instance, value: float) -> Instance:
        """The instance with this price set to ``value``."""
        if self.kind == "api":
            apis = tuple({**e, self.field: value} if e["id"] == self.entry else e for e in instance.apis)
            return dataclasses.replace(instance, apis=apis)
        entries = []
        for entry in instance.accelerators:
            if entry["id"] == self.entry:
                prices = [dict(p) for p in entry["prices"]]
                prices[0]["usd_per_chip_hour"] = value
                entry = {**entry, "prices": prices}
            entries.append(entry)
        return dataclasses.replace(instance, accelerators=tuple(entries))


def target(instance: Instance, which: str) -> Target | None:
    """The first user accelerator's first offer, or the first API's input or output price."""
    if which == "accelerator":
        acc = next((e for e in instance.accelerators if e["id"].startswith("ox-")), None)
        if acc is None:
            return None
        offer = acc["prices"][0]
        path = f"accelerators.{acc['id']}.prices.{offer['provider']}.{offer['tier']}.usd_per_chip_hour"
        return Target(path, float(offer["usd_per_chip_hour"]), "accelerator", acc["id"], "usd_per_chip_hour")
    if not instance.apis:
        return None
    api = instance.apis[0]
    field = f"usd_per_1m_{which.removeprefix('api-')}_tokens"
    return Target(f"apis.{api['id']}.{field}", float(api[field]), "api", api["id"], field)


def _axis_sweep(instance: Instance, aim: Target, folder: Path, mip_gap: float) -> dict[str, Plan]:
    """Sweep the target's price over MULTIPLES of it."""
    written = instance.write(folder)
    file = folder / "scenarios.yaml"
    values = [round(m * aim.price, 6) for m in MULTIPLES]
    file.write_text(
        yaml.safe_dump(
            {"base": "demand.csv", "scenarios": {"axis": {"set": {aim.path: {"values": values}}}}}
        ),
        encoding="utf-8",
    )
    options: dict[str, Any] = {**instance.settings.solve_options(), "no_baselines": True, "mip_gap": mip_gap}
    sweep(
        file,
        folder / "out",
        catalog_dirs=[written.catalog],
        workers=1,
        charts=False,
        work_limit=50,
        **options,
    )
    return _plans(folder / "out")


@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    phases=tuple(p for p in Phase if p != Phase.shrink),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(instance=instances(), which=st.sampled_from(("accelerator", "accelerator", "api-output", "api-input")))
def test_every_point_of_a_price_axis_agrees_with_the_oracle(
    tmp_path_factory: pytest.TempPathFactory, instance: Instance, which: str
) -> None:
    aim = target(instance, which)
    assume(aim is not None)
    assert aim is not None
    folder = tmp_path_factory.mktemp("axis")
    mip_gap = 0.02
    try:
        plans = _axis_sweep(instance, aim, folder, mip_gap)
    except PlannerError as exc:  # the base has no plan (min_replicas against limits)
        note(str(exc))
        assume(False)
        return
    note(instance.describe())
    note(f"axis: {aim.path} x {MULTIPLES}")
    for name, plan in plans.items():
        if name == "base":
            continue
        value = float(name.rsplit("=", 1)[1].rstrip("]"))
        priced = aim.priced(instance, value)
        ref = reference_optimum(priced, priced.write(folder / f"ref-{len(name)}-{value}"))
        assert ref.status == "Optimal", f"{name}: the oracle did not prove it ({ref.status})"
        assert ref.objective_usd is not None
        best, tol = ref.objective_usd, tolerance(ref.objective_usd)
        bracket = plan.solver.bracket
        event(f"{aim.kind}: " + ("bracketed" if bracket is not None and bracket.accepted else "searched"))
        where = f"{name}: ${plan.objective_usd} bound ${plan.solver.bound_usd}, oracle ${best}"
        assert plan.objective_usd >= best - tol, f"below the optimum: {where}"
        assert plan.solver.bound_usd <= best + tol, f"bound above the optimum: {where}"
        if bracket is not None:
            assert bracket.bound_usd <= best + tol, f"the neighbours' bound is above the optimum: {where}"
            if bracket.period_bounds is not None:
                assert sum(bracket.period_bounds) <= best + tol, f"their period bounds add up above: {where}"
        period_bounds = [q.bound_usd for q in plan.periods]
        if all(b is not None for b in period_bounds):
            assert sum(b or 0.0 for b in period_bounds) <= best + tol, f"period bounds add up above: {where}"
        if plan.status == "optimal":
            assert plan.objective_usd <= best * (1 + mip_gap) + tol, f"'optimal' beyond --mip-gap: {where}"
