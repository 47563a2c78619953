"""The verifier trusts no summary: real plans tampered with in many ways, each caught at its place.

Plans come from ``verify_cases`` (solved once per module). Every tamper is applied to the plan's
JSON data, read back through the one plan loader and verified in-process; a few go through the
real command line (``run_cli``) for the exit codes and the output formats.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from verify_cases import Solved, solve_case

from planner.errors import InputError
from planner.plan import SCHEMA_VERSION
from planner.planfile import plan_from_data

Data = dict[str, Any]
Run = Callable[..., Any]


@pytest.fixture(scope="module")
def spot(tmp_path_factory: pytest.TempPathFactory) -> Solved:
    """Months: on-demand + spot tgpu-a (a commitment would cost far more), the api_only workload on tapi."""
    root = tmp_path_factory.mktemp("spot")
    return solve_case(root / "case", tmp_path_factory.mktemp("shipped"), 730.0)


@pytest.fixture(scope="module")
def committed(tmp_path_factory: pytest.TempPathFactory) -> Solved:
    """Half years: a one-year tgpu-b commitment (charged whole, the horizon being one year)."""
    root = tmp_path_factory.mktemp("committed")
    return solve_case(root / "case", tmp_path_factory.mktemp("shipped"), 4380.0)


@pytest.fixture(scope="module")
def horizon(tmp_path_factory: pytest.TempPathFactory) -> Solved:
    """Two periods of 1,095 h (a quarter in all); the one-year commitment is charged for the horizon only."""
    root = tmp_path_factory.mktemp("horizon")
    return solve_case(root / "case", tmp_path_factory.mktemp("shipped"), 1095.0, commitment_cost="horizon")


@pytest.fixture(scope="module")
def unmet(tmp_path_factory: pytest.TempPathFactory) -> Solved:
    """--max-chips tgpu-a=2 and no tgpu-b: part of the demand is unmet."""
    root = tmp_path_factory.mktemp("unmet")
    return solve_case(
        root / "case",
        tmp_path_factory.mktemp("shipped"),
        2190.0,
        accelerators=("tgpu-a",),
        max_chips={"tgpu-a": 2},
    )


def _set(path: str, value: object) -> Callable[[Data], None]:
    """A tamper setting one field: ``_set("periods[0].routing[1].usd", 3.0)``."""

    def tamper(data: Data) -> None:
        parent, key = _walk(data, path)
        parent[key] = value

    return tamper


def _scale(path: str, factor: float) -> Callable[[Data], None]:
    def tamper(data: Data) -> None:
        parent, key = _walk(data, path)
        parent[key] = parent[key] * factor

    return tamper


def _add(path: str, amount: float) -> Callable[[Data], None]:
    def tamper(data: Data) -> None:
        parent, key = _walk(data, path)
        parent[key] = parent[key] + amount

    return tamper


def _walk(data: Data, path: str) -> tuple[Any, Any]:
    parts: list[Any] = []
    for chunk in path.split("."):
        name, _, rest = chunk.partition("[")
        parts.append(name)
        parts += [int(i) for i in rest.rstrip("]").split("][")] if rest else []
    node: Any = data
    for part in parts[:-1]:
        node = node[part]
    return node, parts[-1]


def _zero_fleet(data: Data) -> None:
    for period in data["periods"]:
        period["accelerators"], period["deployments"], period["routing"] = [], [], []
        period["usd"] = 0.0
    data["cost_usd"] = {k: 0.0 for k in data["cost_usd"]}
    data["objective_usd"] = 0.0


def _retarget_api_only_to_deployment(data: Data) -> None:
    route = data["periods"][0]["routing"][2]
    route["kind"], route["target"] = "deployment", data["periods"][0]["deployments"][0]["id"]


def _batch_to_api(data: Data) -> None:
    route = data["periods"][0]["routing"][1]
    route["kind"], route["target"] = "api", "tapi"


def _duplicate_deployment(data: Data) -> None:
    period = data["periods"][0]
    period["deployments"].append(dict(period["deployments"][0]))


def _swap_periods(data: Data) -> None:
    data["periods"].reverse()


def _committed_index(data: Data, period: int) -> int:
    """Position of the committed accelerator line in a period (engines may order lines differently)."""
    lines = data["periods"][period]["accelerators"]
    return next(j for j, line in enumerate(lines) if line["tier"].startswith("committed"))


def _committed_line(period: int, changes: dict[str, Any] | None) -> Callable[[Data], None]:
    """Change (or, with None, delete) the committed accelerator line of a period."""

    def tamper(data: Data) -> None:
        lines = data["periods"][period]["accelerators"]
        j = _committed_index(data, period)
        if changes is None:
            del lines[j]
        else:
            lines[j].update(changes)

    return tamper


def _delete(path: str) -> Callable[[Data], None]:
    def tamper(data: Data) -> None:
        parent, key = _walk(data, path)
        del parent[key]

    return tamper


#: (name, tamper, place the problem must name, check) on the spot plan. Period 0 holds accelerator
#: lines [tgpu-a on-demand, tgpu-a spot], one deployment, routes [chat, batch, tiny -> tapi] and
#: workload lines [chat, batch, tiny].
SPOT_TAMPERS: list[tuple[str, Callable[[Data], None], str, str]] = [
    (
        "route rate doubled",
        _scale("periods[0].routing[0].requests_per_s", 2),
        "periods[0].routing[0].requests_per_s",
        "demand",
    ),
    (
        "route rate doubled overloads",
        _scale("periods[0].routing[0].requests_per_s", 2),
        "periods[0].deployments[0].replicas",
        "capacity",
    ),
    (
        "only route halved",
        _scale("periods[0].routing[2].requests_per_s", 0.5),
        "periods[0].routing[2].requests_per_s",
        "demand",
    ),
    (
        "negative route",
        _set("periods[0].routing[1].requests_per_s", -6.0),
        "periods[0].routing[1].requests_per_s",
        "route",
    ),
    (
        "route to a missing deployment",
        _set("periods[0].routing[0].target", "tmodel:tgpu-b:tp1:pp1:bf16"),
        "periods[0].routing[0].target",
        "route",
    ),
    (
        "route to an API of another model",
        _set("periods[0].routing[2].target", "tapi2"),
        "periods[0].routing[2].target",
        "route",
    ),
    (
        "route to an unknown API",
        _set("periods[0].routing[2].target", "nope"),
        "periods[0].routing[2].target",
        "route",
    ),
    (
        "api_only workload self-hosted",
        _retarget_api_only_to_deployment,
        "periods[0].routing[2].kind",
        "route",
    ),
    (
        "route to an unknown workload",
        _set("periods[0].routing[1].workload", "ghost"),
        "periods[0].routing[1].workload",
        "route",
    ),
    ("fleet deleted and costs zeroed", _zero_fleet, "periods[0].workloads[0].unmet_requests_per_s", "demand"),
    (
        "replicas below the load",
        _set("periods[0].deployments[0].replicas", 3),
        "periods[0].deployments[0].replicas",
        "capacity",
    ),
    (
        "replicas below min_replicas",
        _set("periods[1].deployments[0].replicas", 1),
        "periods[1].deployments",
        "min_replicas",
    ),
    (
        "negative replicas",
        _set("periods[0].deployments[0].replicas", -4),
        "periods[0].deployments[0].replicas",
        "deployment",
    ),
    (
        "chips below the replicas",
        _set("periods[0].accelerators[0].chips", 1),
        "periods[0].accelerators[0].chips",
        "chips",
    ),
    (
        "accelerator price changed",
        _add("periods[0].accelerators[0].usd", 100.0),
        "periods[0].accelerators[0].usd",
        "price",
    ),
    (
        "offer that does not exist",
        _set("periods[0].accelerators[0].tier", "committed_3y"),
        "periods[0].accelerators[0]",
        "price",
    ),
    ("API price changed", _scale("periods[0].routing[2].usd", 2), "periods[0].routing[2].usd", "price"),
    ("period usd changed", _add("periods[1].usd", 50.0), "periods[1].usd", "total"),
    ("period hours changed", _set("periods[0].hours", 100.0), "periods[0].hours", "period"),
    ("period renamed", _set("periods[1].period", "p9"), "periods[1].period", "period"),
    ("period missing", _delete("periods[1]"), "periods", "period"),
    ("periods out of order", _swap_periods, "periods[1].period", "period"),
    (
        "workload summary changed",
        _set("periods[0].workloads[0].self_hosted_requests_per_s", 20.0),
        "periods[0].workloads[0].self_hosted_requests_per_s",
        "summary",
    ),
    (
        "workload demand changed",
        _set("periods[0].workloads[0].demand_requests_per_s", 12.0),
        "periods[0].workloads[0].demand_requests_per_s",
        "summary",
    ),
    (
        "API summary changed",
        _set("periods[1].workloads[2].api_requests_per_s", 0.0),
        "periods[1].workloads[2].api_requests_per_s",
        "summary",
    ),
    (
        "unmet line changed",
        _set("periods[0].workloads[1].unmet_requests_per_s", 1.0),
        "periods[0].workloads[1].unmet_requests_per_s",
        "demand",
    ),
    ("workload line removed", _delete("periods[0].workloads[1]"), "periods[0].workloads", "demand"),
    ("cost_usd part changed", _add("cost_usd.api", 1.0), "cost_usd.api", "total"),
    ("accelerator total changed", _scale("cost_usd.accelerators", 0.5), "cost_usd.accelerators", "total"),
    ("unmet penalty invented", _set("cost_usd.unmet_penalty", 5.0), "cost_usd.unmet_penalty", "total"),
    ("objective changed", _add("objective_usd", -1000.0), "objective_usd", "total"),
    (
        "spot share exceeded",
        _set("periods[0].accelerators[1].chips", 3),
        "periods[0].accelerators[1].chips",
        "spot_share",
    ),
    (
        "deployment capacity inflated",
        _set("periods[0].deployments[0].capacity_requests_per_s", 64.0),
        "periods[0].deployments[0].capacity_requests_per_s",
        "capacity",
    ),
    (
        "utilisation changed",
        _set("periods[0].deployments[0].utilization", 0.5),
        "periods[0].deployments[0].utilization",
        "summary",
    ),
    (
        "deployment usd changed",
        _add("periods[0].deployments[0].usd", 10.0),
        "periods[0].deployments[0].usd",
        "summary",
    ),
    (
        "route allocation changed",
        _add("periods[0].routing[0].usd", 10.0),
        "periods[0].routing[0].usd",
        "summary",
    ),
    (
        "deployment id inconsistent",
        _set("periods[0].deployments[0].tensor_parallel", 2),
        "periods[0].deployments[0].id",
        "deployment",
    ),
    (
        "deployment layout impossible",
        _set("periods[0].deployments[0].precision", "fp8"),
        "periods[0].deployments[0]",
        "deployment",
    ),
    ("deployment listed twice", _duplicate_deployment, "periods[0].deployments[1].id", "deployment"),
    (
        "precision source contradicts the catalog",
        _set("periods[0].deployments[0].precision_source", "on_the_fly"),
        "periods[0].deployments[0].precision_source",
        "deployment",
    ),
    ("max_api_share exceeded", _batch_to_api, "periods[0].routing[1].requests_per_s", "api_share"),
    (
        "API rate limit exceeded",
        _set("periods[1].routing[2].requests_per_s", 0.15),
        "periods[1].routing[2].requests_per_s",
        "api_rate_limit",
    ),
    ("solver gap changed", _set("solver.gap", 0.5), "solver.gap", "summary"),
    (
        "unmet diagnostics invented",
        _set("diagnostics.unmet_share", 0.25),
        "diagnostics.unmet_share",
        "diagnostics",
    ),
]


def _caught(problems: list[Any], place: str, check: str) -> bool:
    return any(p.place == place and p.check == check for p in problems)


def test_the_untampered_plans_verify_clean(
    spot: Solved, committed: Solved, horizon: Solved, unmet: Solved
) -> None:
    for solved in (spot, committed, horizon, unmet):
        assert solved.problems() == []


def test_the_cases_hold_what_the_tampers_need(
    spot: Solved, committed: Solved, horizon: Solved, unmet: Solved
) -> None:
    p0 = spot.data["periods"][0]
    assert [(a["accelerator"], a["tier"]) for a in p0["accelerators"]] == [
        ("tgpu-a", "on_demand"),
        ("tgpu-a", "spot"),
    ]
    assert [(r["workload"], r["kind"]) for r in p0["routing"]] == [
        ("chat", "deployment"),
        ("batch", "deployment"),
        ("tiny", "api"),
    ]
    assert [w["workload"] for w in p0["workloads"]] == ["chat", "batch", "tiny"]
    assert len(committed.data["commitments"]) == 1
    assert len(horizon.data["commitments"]) == 1
    assert unmet.data["diagnostics"]["unmet"]
    assert unmet.data["cost_usd"]["unmet_penalty"] > 0


@pytest.mark.parametrize(("name", "tamper", "place", "check"), SPOT_TAMPERS, ids=[t[0] for t in SPOT_TAMPERS])
def test_a_tampered_plan_is_caught_at_its_place(
    spot: Solved, name: str, tamper: Callable[[Data], None], place: str, check: str
) -> None:
    problems = spot.problems(tamper)
    assert _caught(problems, place, check), f"{name}: {[str(p) for p in problems]}"


def test_tamper_families_are_distinct() -> None:
    assert len({t[0] for t in SPOT_TAMPERS}) == len(SPOT_TAMPERS) >= 20
    assert len({t[3] for t in SPOT_TAMPERS}) >= 12


def test_max_chips_and_budget_are_the_given_settings(spot: Solved) -> None:
    problems = spot.problems(max_chips={"tgpu-a": 3})
    assert _caught(problems, "periods[0].deployments[0].replicas", "max_chips"), problems
    problems = spot.problems(budget_usd=1000.0)
    assert _caught(problems, "cost_usd", "budget"), problems
    problems = spot.problems(apis=("tapi2",))
    assert _caught(problems, "periods[0].routing[2].target", "settings"), problems


def test_the_recorded_settings_are_not_used(spot: Solved) -> None:
    """Settings come from the command line, never from the plan: its own record changes nothing."""
    assert spot.problems(_set("inputs.settings.target_utilization", 1.0)) == []
    assert spot.problems(_set("inputs.settings.max_spot_share", 0.0)) == []
    problems = spot.problems(target_utilization=1.0)  # capacities are figures at the utilisation given
    assert _caught(problems, "periods[0].deployments[0].capacity_requests_per_s", "capacity"), problems


def test_a_plan_made_at_full_utilisation_fails_at_the_default(
    tmp_path: Path, empty_catalog_dir: Path
) -> None:
    solved = solve_case(tmp_path / "case", empty_catalog_dir, 2190.0, target_utilization=1.0)
    assert solved.problems(target_utilization=1.0) == []
    problems = solved.problems(target_utilization=0.8)
    assert any(p.check == "capacity" and p.place.endswith(".replicas") for p in problems), problems


@pytest.mark.parametrize(
    ("tamper", "place", "check"),
    [
        (_set("commitments", []), "periods[0].accelerators[{j}]", "commitment"),
        (_add("commitments[0].usd", 100.0), "commitments[0].usd", "price"),
        (_set("commitments[0].usd_obligation", 1.0), "commitments[0].usd_obligation", "price"),
        (_committed_line(1, {"chips": 5}), "periods[1].accelerators[{j}].chips", "commitment"),
        (_set("commitments[0].chips", 20), "periods[0].accelerators[{j}].chips", "commitment"),
        (_committed_line(1, None), "periods[1].accelerators", "commitment"),
    ],
)
def test_a_tampered_commitment_is_caught(
    committed: Solved, tamper: Callable[[Data], None], place: str, check: str
) -> None:
    period = int(place.split("]")[0].split("[")[1]) if place.startswith("periods[") else 0
    place = place.format(j=_committed_index(committed.data, period))
    problems = committed.problems(tamper)
    assert _caught(problems, place, check), [str(p) for p in problems]


def test_horizon_commitments_report_the_obligation_beyond(horizon: Solved) -> None:
    """A one-year commitment in a three-month plan: three months charged, nine reported."""
    line = horizon.data["commitments"][0]
    assert line["usd"] == pytest.approx(line["usd_within_horizon"])
    assert line["usd_obligation"] == pytest.approx(4 * line["usd_within_horizon"])
    assert line["usd_beyond_horizon"] == pytest.approx(3 * line["usd_within_horizon"])
    assert horizon.data["cost_usd"]["committed_beyond_horizon"] == 0.0
    problems = horizon.problems(_set("commitments[0].usd_beyond_horizon", 0.0))
    assert _caught(problems, "commitments[0].usd_beyond_horizon", "price"), problems
    problems = horizon.problems(commitment_cost="term")  # charged whole: usd and the totals differ
    assert _caught(problems, "commitments[0].usd", "price"), problems
    assert _caught(problems, "cost_usd.committed_beyond_horizon", "total"), problems


def test_term_commitments_charge_the_obligation(committed: Solved) -> None:
    line = committed.data["commitments"][0]
    assert line["usd"] == pytest.approx(line["usd_obligation"])
    assert line["usd_within_horizon"] + line["usd_beyond_horizon"] == pytest.approx(line["usd_obligation"])


@pytest.mark.parametrize(
    ("tamper", "place", "check"),
    [
        (_set("diagnostics.unmet", []), "diagnostics.unmet", "diagnostics"),
        (
            _add("diagnostics.unmet[0].requests_per_s", 1.0),
            "diagnostics.unmet[0].requests_per_s",
            "diagnostics",
        ),
        (_set("diagnostics.unmet_share", 0.0), "diagnostics.unmet_share", "diagnostics"),
        (_set("cost_usd.unmet_penalty", 0.0), "cost_usd.unmet_penalty", "total"),
    ],
)
def test_tampered_unmet_accounting_is_caught(
    unmet: Solved, tamper: Callable[[Data], None], place: str, check: str
) -> None:
    problems = unmet.problems(tamper)
    assert _caught(problems, place, check), [str(p) for p in problems]


def test_an_unmet_line_removed_is_caught(unmet: Solved) -> None:
    data = unmet.data
    period, workload = next(
        (i, k)
        for i, p in enumerate(data["periods"])
        for k, w in enumerate(p["workloads"])
        if w["unmet_requests_per_s"] > 0
    )
    problems = unmet.problems(_set(f"periods[{period}].workloads[{workload}].unmet_requests_per_s", 0.0))
    assert _caught(problems, f"periods[{period}].workloads[{workload}].unmet_requests_per_s", "demand"), (
        problems
    )


@pytest.mark.parametrize("version", ["9.0", "2.0", "1.8", "x", "1", "1.2.0", ""])
def test_unsupported_schema_versions_are_refused(spot: Solved, version: str) -> None:
    data = {**spot.data, "schema_version": version}
    with pytest.raises(InputError, match="schema_version"):
        plan_from_data(data, "plan.json")


@pytest.mark.parametrize("version", ["1.0", "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7"])
def test_supported_schema_versions_are_read(spot: Solved, version: str) -> None:
    assert (
        plan_from_data({**spot.data, "schema_version": version}, "plan.json").schema_version == SCHEMA_VERSION
    )


def test_a_1_1_plan_is_upgraded_with_its_obligation(horizon: Solved) -> None:
    """1.1 wrote usd and usd_beyond_horizon only (0 with --commitment-cost horizon)."""
    line = dict(horizon.data["commitments"][0])
    old = {k: v for k, v in line.items() if k not in ("usd_within_horizon", "usd_obligation")}
    old["usd_beyond_horizon"] = 0.0
    data = {**horizon.data, "schema_version": "1.1", "commitments": [old]}
    plan = plan_from_data(data, "plan.json")
    assert plan.commitments[0].usd_obligation == pytest.approx(line["usd_obligation"])
    assert plan.commitments[0].usd_beyond_horizon == pytest.approx(line["usd_beyond_horizon"])


def test_a_1_0_plan_is_upgraded(unmet: Solved) -> None:
    data = json.loads(json.dumps(unmet.data))
    data["schema_version"] = "1.0"
    del data["solver"]["stopped_by"]
    for line in data["diagnostics"]["unmet"]:
        line["reason"] = "blocked by --max-chips on tgpu-a"
        del line["reason_code"], line["reason_codes"]
    plan = plan_from_data(data, "plan.json")
    assert plan.solver.stopped_by == "proven"
    assert plan.diagnostics.unmet[0].reason_codes == ("max_chips",)


# --- through the command line -------------------------------------------------------------------


def _write(solved: Solved, data: Data, name: str = "plan.json") -> Path:
    path = solved.folder / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_cli_exit_codes_and_places(run_cli: Run, spot: Solved) -> None:
    clean = _write(spot, spot.data, "clean.json")
    result = run_cli("verify", clean, spot.folder)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "plan verified" in result.stdout
    refused = run_cli("verify", clean, spot.folder, "-o", spot.folder / "out.json")
    assert refused.returncode == 2
    assert "plan verify writes no file" in refused.stderr

    tampered = json.loads(json.dumps(spot.data))
    tampered["periods"][0]["routing"][1]["workload"] = "ghost"
    path = _write(spot, tampered, "ghost.json")
    result = run_cli("verify", path, spot.folder)
    assert result.returncode == 1, result.stderr
    assert "FAIL periods[0].routing[1].workload:" in result.stdout
    assert "Traceback" not in result.stderr
    assert "internal error" not in result.stderr

    result = run_cli("verify", path, spot.folder, "--format", "json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert set(report) == {"ok", "problems", "warnings"}
    first = report["problems"][0]
    assert (first["place"], first["check"]) == ("periods[0].routing[1].workload", "route")

    tampered = {**spot.data, "schema_version": "9.0"}
    result = run_cli("verify", _write(spot, tampered, "v9.json"), spot.folder)
    assert result.returncode == 2
    assert "schema_version '9.0'" in result.stderr
    assert "v9.json" in result.stderr


def test_cli_reads_yaml_refuses_csv(run_cli: Run, spot: Solved, tmp_path: Path) -> None:
    for name in ("plan.yaml", "plan.csv"):
        result = run_cli("solve", spot.folder, "-o", tmp_path / name)
        assert result.returncode == 0, result.stderr
    assert run_cli("verify", tmp_path / "plan.yaml", spot.folder).returncode == 0
    result = run_cli("verify", tmp_path / "plan.csv", spot.folder)
    assert result.returncode == 2
    assert "a CSV plan cannot be read back" in result.stderr
    assert "plan.csv" in result.stderr


def test_cli_settings_from_the_command_line_not_the_plan(run_cli: Run, spot: Solved, tmp_path: Path) -> None:
    plan = tmp_path / "full.json"
    assert run_cli("solve", spot.folder, "--target-utilization", "1.0", "-o", plan).returncode == 0
    assert run_cli("verify", plan, spot.folder, "--target-utilization", "1.0").returncode == 0
    result = run_cli("verify", plan, spot.folder)
    assert result.returncode == 1
    assert "inputs.settings.target_utilization" in result.stderr
    assert "[capacity]" in result.stdout


def test_cli_hints_at_profiles_not_given(run_cli: Run, spot: Solved, tmp_path: Path) -> None:
    folder = tmp_path / "moved"
    folder.mkdir()
    for name in ("demand.csv", "options.yaml"):
        (folder / name).write_text((spot.folder / name).read_text(encoding="utf-8"), encoding="utf-8")
    profiles = tmp_path / "measured.csv"
    profiles.write_text((spot.folder / "profiles.csv").read_text(encoding="utf-8"), encoding="utf-8")
    plan = tmp_path / "plan.json"
    args = ("--catalog", spot.folder / "catalog")
    assert run_cli("solve", folder, *args, "--profiles", profiles, "-o", plan).returncode == 0
    assert run_cli("verify", plan, folder, *args, "--profiles", profiles).returncode == 0
    result = run_cli("verify", plan, folder, *args)
    assert result.returncode == 1
    assert result.stderr.splitlines()[0].startswith(
        "warning: this plan was made with --profiles you did not give"
    )


def test_csv_plan_has_one_usd_column_that_sums_to_the_objective(
    run_cli: Run, committed: Solved, unmet: Solved, tmp_path: Path
) -> None:
    import csv

    for solved, extra in ((committed, ()), (unmet, ("--accelerators", "tgpu-a", "--max-chips", "tgpu-a=2"))):
        out = tmp_path / "plan.csv"
        run_cli("solve", solved.folder, *extra, "-o", out)
        with out.open(encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        header = list(rows[0])
        assert header.count("usd") == 1
        total = sum(float(r["usd"]) for r in rows if r["usd"])
        assert total == pytest.approx(solved.data["objective_usd"], abs=0.01)
        assert all(not r["usd"] for r in rows if r["kind"] in ("deployment", "route-deployment"))


def test_warnings_name_other_inputs_first_then_settings(spot: Solved) -> None:
    from planner.verify import verify

    data = json.loads(json.dumps(spot.data))
    data["inputs"]["catalog_sha256"] = "0" * 64
    report = verify(plan_from_data(data, "plan.json"), spot.problem_with(max_spot_share=0.2))
    assert report.warnings[0].startswith("the catalogs differ from those the plan was made with")
    assert any(w.startswith("inputs.settings.max_spot_share: the plan records 0.5") for w in report.warnings)
    assert not report.ok  # 2 of 4 chips spot is above the share given
    assert report.problems[0].check == "spot_share"
    clean = verify(spot.plan, spot.problem)
    assert clean.ok
    assert clean.warnings == ()


def test_the_readme_lists_every_check_name() -> None:
    from typing import get_args

    from planner.verify.findings import Check

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    listed = readme[readme.index("`check` is one of") :].split(".")[0]
    for name in get_args(Check):
        assert f"`{name}`" in listed, name


def test_a_1_2_plan_gets_its_precision_source(spot: Solved) -> None:
    """1.2 said precision_kind (checkpoint|quantized); 1.3 adds precision_source from it."""
    data = json.loads(json.dumps(spot.data))
    data["schema_version"] = "1.2"
    lines = [d for p in data["periods"] for d in p["deployments"]]
    assert lines
    for i, line in enumerate(lines):
        line.pop("precision_source", None)
        line["precision_kind"] = "quantized" if i % 2 else "checkpoint"
    plan = plan_from_data(data, "plan.json")
    read = [d for p in plan.periods for d in p.deployments]
    assert [d.precision_source for d in read] == [
        "on_the_fly" if i % 2 else "checkpoint" for i in range(len(read))
    ]
