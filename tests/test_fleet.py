"""``--fleet``: chips you already have, at no cost, with what to add, keep and release per period.

Priced by hand: one replica (1 chip at $2/chip-hour) serves 1 req/s, so 0.8 req/s at the default
80 % utilisation needs one chip: $2 x 730 h = $1,460 a month when bought, $0 when owned.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import CaseFactory, accelerator, write_csv

from planner.errors import InputError
from planner.plan import FleetChange, OwnedLine

MONTH = 730.0
BOUGHT_USD = 2.0 * MONTH
HEADER = ("accelerator", "provider", "tier", "chips", "until")


def two_months(
    make_case: CaseFactory, rows: list[tuple[object, ...]], **kwargs: object
) -> tuple[object, Path]:
    case = make_case(
        accelerators=kwargs.pop("accelerators", [accelerator("acc", 2.0)]),  # type: ignore[arg-type]
        rates=kwargs.pop("rates", {"acc": 1.0}),  # type: ignore[arg-type]
        demand=[("2027-01", "w", 0.8, MONTH), ("2027-02", "w", 0.8, MONTH)],
    )
    fleet = case.folder / "fleet-in.csv"
    write_csv(fleet, HEADER, rows)
    return case, fleet


def test_owned_chips_cost_nothing_until_they_end(make_case: CaseFactory) -> None:
    case, fleet = two_months(make_case, [("acc", "own", "on_demand", 1, "2027-01")])
    plan = case.solve(fleet=fleet).plan  # type: ignore[attr-defined]
    assert plan.status == "optimal"
    assert plan.objective_usd == pytest.approx(BOUGHT_USD)
    first, second = plan.periods
    assert first.owned == (OwnedLine(accelerator="acc", provider="own", tier="on_demand", chips=1),)
    assert not first.accelerators
    assert second.owned == ()
    assert [(a.provider, a.chips) for a in second.accelerators] == [("tp", 1)]
    assert first.fleet_changes == (
        FleetChange(
            accelerator="acc", provider="own", tier="on_demand", added_chips=0, kept_chips=1, released_chips=0
        ),
    )
    assert second.fleet_changes == (
        FleetChange(
            accelerator="acc", provider="own", tier="on_demand", added_chips=0, kept_chips=0, released_chips=1
        ),
        FleetChange(
            accelerator="acc", provider="tp", tier="on_demand", added_chips=1, kept_chips=0, released_chips=0
        ),
    )
    assert [p.placements[0].provider for p in plan.periods] == ["own", "tp"]
    assert plan.inputs.fleet_sha256 is not None
    assert case.verify(plan, fleet=fleet) == []  # type: ignore[attr-defined]


def test_a_fleet_for_the_whole_horizon_serves_everything_for_free(make_case: CaseFactory) -> None:
    case, fleet = two_months(make_case, [("acc", "own", "committed_1y", 3, "")])
    plan = case.solve(fleet=fleet).plan  # type: ignore[attr-defined]
    assert plan.status == "optimal"
    assert plan.objective_usd == pytest.approx(0.0, abs=1e-6)
    assert all(not p.accelerators for p in plan.periods)
    assert [c.kept_chips for p in plan.periods for c in p.fleet_changes] == [3, 3]
    assert case.verify(plan, fleet=fleet) == []  # type: ignore[attr-defined]


def test_the_verifier_counts_the_fleet_file_not_the_plan(make_case: CaseFactory) -> None:
    case, fleet = two_months(make_case, [("acc", "own", "on_demand", 1, "")])
    plan = case.solve(fleet=fleet).plan  # type: ignore[attr-defined]
    without = case.verify(plan)  # type: ignore[attr-defined]
    assert any("owned" in str(x) for x in without)
    assert any("chips" in str(x) for x in without)
    tampered = plan.model_copy(
        update={"periods": tuple(p.model_copy(update={"owned": ()}) for p in plan.periods)}
    )
    found = [str(x) for x in case.verify(tampered, fleet=fleet)]  # type: ignore[attr-defined]
    assert any("the fleet file gives 1" in x for x in found)
    assert any("fleet_changes" in x for x in found)


def test_owned_chips_keep_a_dominated_accelerator(make_case: CaseFactory) -> None:
    """acc-a costs 1.5x acc-b per chip (dominated without a fleet), but its chips are already paid."""
    case, fleet = two_months(
        make_case,
        [("acc-a", "own", "on_demand", 1, "")],
        accelerators=[accelerator("acc-a", 3.0), accelerator("acc-b", 2.0)],
        rates={"acc-a": 1.0, "acc-b": 1.0},
    )
    plan = case.solve(fleet=fleet).plan  # type: ignore[attr-defined]
    assert plan.objective_usd == pytest.approx(0.0, abs=1e-6)
    cross = next(r for r in plan.solver.reductions if r.rule == "cross-accelerator-dominance")
    assert "acc-a (chips in --fleet)" in cross.reason
    plain = case.solve().plan  # type: ignore[attr-defined]
    assert plain.objective_usd == pytest.approx(2 * BOUGHT_USD)


@pytest.mark.parametrize(
    ("row", "needle"),
    [
        (("acx", "own", "on_demand", 1, ""), "unknown accelerator 'acx'"),
        (("acc", "own", "reserved", 1, ""), "unknown tier 'reserved'"),
        (("acc", "own", "on_demand", 1, "2027-13"), "'2027-13' is not a period of the demand"),
        (("acc", "own", "on_demand", -1, ""), "chips"),
        (("acc", "own", "on_demand", 1.5, ""), "chips"),
    ],
)
def test_bad_fleet_rows(make_case: CaseFactory, row: tuple[object, ...], needle: str) -> None:
    case, fleet = two_months(make_case, [row])
    with pytest.raises(InputError) as info:
        case.solve(fleet=fleet)  # type: ignore[attr-defined]
    text = info.value.render()
    assert needle in text
    assert "fleet-in.csv" in text


def test_cli_folder_fleet_and_bad_files(make_case: CaseFactory, run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    case, _ = two_months(make_case, [])
    write_csv(case.folder / "fleet.csv", HEADER, [("acc", "own", "on_demand", 1, "")])  # type: ignore[attr-defined]
    common = ("--catalog", case.catalog, "--profiles", case.profiles, "--no-baselines")  # type: ignore[attr-defined]
    proc = run_cli("solve", case.folder, *common, "--format", "json")  # type: ignore[attr-defined]
    assert proc.returncode == 0, proc.stderr
    plan = json.loads(proc.stdout)
    assert plan["objective_usd"] == pytest.approx(0.0, abs=1e-6)
    assert plan["periods"][0]["owned"][0]["chips"] == 1
    bad = tmp_path / "bad.csv"
    bad.write_text("accelerator,provider,tier\nacc,own,on_demand\n", encoding="utf-8")
    out = tmp_path / "plan.json"
    proc = run_cli("solve", case.demand, *common, "--fleet", bad, "-o", out)  # type: ignore[attr-defined]
    assert proc.returncode == 2
    assert "chips" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists()


def test_whatif_shows_what_the_fleet_change_adds(make_case: CaseFactory) -> None:
    """Twice the demand needs a second chip each month: bought once (added), then kept."""
    import planner

    case, fleet = two_months(make_case, [("acc", "own", "on_demand", 1, "")])
    run = planner.whatif(
        case.demand,  # type: ignore[attr-defined]
        {"scale-demand": 2},
        catalog_dirs=[case.catalog],  # type: ignore[attr-defined]
        **case.options(profiles=case.profiles, fleet=fleet),  # type: ignore[attr-defined]
    )
    assert run.changed.plan.objective_usd == pytest.approx(2 * BOUGHT_USD)
    moves = {(m["provider"]): m for m in run.comparison.difference()["fleet_changes"]}
    assert moves["tp"]["added_chips"] == 1
    assert moves["tp"]["kept_chips"] == 1
    assert moves["own"]["kept_chips"] == 0


def test_a_sweep_point_with_another_fleet_is_solved_again(make_case: CaseFactory) -> None:
    """The sweep's content hash (what a resumed sweep reuses by) covers the fleet file."""
    from planner.sweeps.run import content_hash

    case, fleet = two_months(make_case, [("acc", "own", "on_demand", 1, "")])
    other = case.folder / "other-fleet.csv"  # type: ignore[attr-defined]
    write_csv(other, HEADER, [("acc", "own", "on_demand", 2, "")])
    hashes = {
        content_hash(case.problem(fleet=f))  # type: ignore[attr-defined]
        for f in (None, fleet, other)
    }
    assert len(hashes) == 3
