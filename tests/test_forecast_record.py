"""What a forecast plan was provisioned for: ``inputs.forecast``, verify reading it, quantile axes.

The forecasts are the hand-written fixtures of ``tests/data/forecast`` (a Nixtla frame of AutoETS
and Naive with 80 % and 95 % intervals, in requests/day; a Prophet ``predict()`` output) over the
tiny catalog, so every solve takes a fraction of a second. Expected columns and quantiles follow
the tools' naming (``-hi-80`` is p90; Prophet's ``yhat_upper`` is p90 at ``interval_width`` 0.8);
hashes are computed here from the files' bytes.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import planner
from planner.api import prepare_solve
from planner.errors import InputError
from planner.pipeline import forecast_inputs
from planner.planfile import read_plan
from planner.sweeps import read_scenarios, sweep
from tests.conftest import OPTIMIZER_DATA
from tests.test_forecast import DATA, WORKLOADS, forecast_folder

Run = Callable[..., Any]
TINY = OPTIMIZER_DATA / "tiny"
NIXTLA = DATA / "nixtla.csv"
PROPHET = DATA / "prophet.csv"
SOLVE: dict[str, Any] = {"accelerators": ["tgpu-a"], "apis": [], "no_baselines": True, "time_limit": 20}
NIXTLA_OPTIONS: dict[str, Any] = {"forecast_model": "AutoETS", "forecast_unit": "requests_per_day"}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def solve(file: Path, **options: Any) -> planner.Plan:
    solved = planner.solve(
        file,
        catalog_dirs=[TINY / "catalog"],
        profiles=TINY / "profiles.csv",
        workloads=WORKLOADS,
        **SOLVE,
        **options,
    )
    plan: planner.Plan = solved.plan
    return plan


def read_with(file: Path, **options: Any) -> Any:
    run = prepare_solve(file, [TINY / "catalog"], {"workloads": WORKLOADS, **SOLVE, **options})
    return forecast_inputs(run.load_problem().demand)


# --- the record ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("provision_for", "column", "quantile"),
    [("p50", "AutoETS", 50.0), ("p90", "AutoETS-hi-80", 90.0), ("AutoETS-lo-95", "AutoETS-lo-95", 2.5)],
)
def test_a_nixtla_plan_records_the_column_it_read(provision_for: str, column: str, quantile: float) -> None:
    plan = solve(NIXTLA, provision_for=provision_for, **NIXTLA_OPTIONS)
    record = plan.inputs.forecast
    assert record is not None
    assert (record.tool, record.column, record.quantile_percent) == ("nixtla", column, quantile)
    assert (record.model, record.id_column) == ("AutoETS", "unique_id")
    assert record.provision_for == provision_for  # as given
    assert (record.forecast_model, record.forecast_unit) == ("AutoETS", "requests_per_day")
    assert (record.interval_width, record.series_column) == (None, None)
    assert record.workloads_file == str(WORKLOADS)
    assert record.workloads_sha256 == sha256(WORKLOADS)
    assert plan.inputs.demand_sha256 != record.workloads_sha256  # that one covers both files


def test_a_nixtla_column_named_as_written_needs_no_model() -> None:
    record = read_with(NIXTLA, provision_for="Naive-hi-95", forecast_unit="requests_per_day")
    assert (record.column, record.model, record.quantile_percent) == ("Naive-hi-95", "Naive", 97.5)
    assert record.forecast_model is None


@pytest.mark.parametrize(
    ("options", "column", "quantile"),
    [
        ({}, "yhat", 50.0),
        ({"provision_for": "p90", "interval_width": 0.8}, "yhat_upper", 90.0),
        ({"provision_for": "yhat_lower"}, "yhat_lower", None),  # no --interval-width: no quantile
    ],
)
def test_a_prophet_plan_records_the_column_it_read(
    options: dict[str, Any], column: str, quantile: float | None
) -> None:
    plan = solve(PROPHET, **options)
    record = plan.inputs.forecast
    assert record is not None
    assert (record.tool, record.column, record.quantile_percent) == ("prophet", column, quantile)
    assert (record.model, record.id_column) == (None, "workload")
    assert record.provision_for == options.get("provision_for", "p50")
    assert record.interval_width == options.get("interval_width")
    assert record.label == column + ("" if quantile is None else f" (p{quantile:g})")


def test_a_demand_csv_plan_records_no_forecast() -> None:
    solved = planner.solve(TINY, **SOLVE)
    assert solved.plan.inputs.forecast is None
    assert solved.plan.model_dump(mode="json")["inputs"]["forecast"] is None


# --- plan verify -----------------------------------------------------------------------------------

TINY_FLAGS = ["--catalog", TINY / "catalog", "--profiles", TINY / "profiles.csv", "--accelerators", "tgpu-a"]
TINY_FLAGS += ["--apis", ""]
NIXTLA_FLAGS = ["--forecast-model", "AutoETS", "--forecast-unit", "requests_per_day"]


@pytest.fixture
def solved_p90(tmp_path: Path, run_cli: Run) -> Path:
    """``plan solve`` of the Nixtla frame at p90, run in tmp_path with a workloads.csv there."""
    shutil.copy(WORKLOADS, tmp_path / "workloads.csv")
    shutil.copy(NIXTLA, tmp_path / "nixtla.csv")
    flags = ["--workloads", "workloads.csv", "--provision-for", "p90", *NIXTLA_FLAGS, *TINY_FLAGS]
    result = run_cli("solve", "nixtla.csv", *flags, "--no-baselines", "-o", "plan.json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Provisioned for AutoETS-hi-80 (p90) of model AutoETS (--provision-for p90" in result.stdout
    return tmp_path / "plan.json"


def test_verify_reads_the_forecast_as_the_plan_records(solved_p90: Path, run_cli: Run) -> None:
    folder = solved_p90.parent
    result = run_cli("verify", "plan.json", "nixtla.csv", *TINY_FLAGS, "--format", "json", cwd=folder)
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout) == {"ok": True, "problems": [], "warnings": []}


def test_verify_under_another_quantile_warns_and_checks_what_it_reads(solved_p90: Path, run_cli: Run) -> None:
    folder = solved_p90.parent
    flags = ["--provision-for", "p50", *TINY_FLAGS, "--format", "json"]
    report = json.loads(run_cli("verify", "plan.json", "nixtla.csv", *flags, cwd=folder).stdout)
    assert not report["ok"]  # p50 is less demand than the plan's routes carry
    provisioned = "the plan was provisioned for AutoETS-hi-80 (p90), verified against AutoETS (p50)"
    assert f"inputs.forecast: {provisioned}" in report["warnings"]
    recorded = 'inputs.forecast.provision_for: the plan records "p90", verified with "p50"'
    assert any(w.startswith(recorded) for w in report["warnings"])
    assert all(p["check"] != "forecast" for p in report["problems"])  # the same workloads file


def test_verify_fails_on_another_workloads_file(solved_p90: Path, run_cli: Run) -> None:
    folder = solved_p90.parent
    text = (folder / "workloads.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    rows[2][2] = str(int(rows[2][2]) + 1)  # one more output token for 'code'
    (folder / "workloads.csv").write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    result = run_cli("verify", "plan.json", "nixtla.csv", *TINY_FLAGS, "--format", "json", cwd=folder)
    assert result.returncode == 1, result.stdout + result.stderr
    report = json.loads(result.stdout)
    found = [p for p in report["problems"] if p["check"] == "forecast"]
    assert [p["place"] for p in found] == ["inputs.forecast.workloads_sha256"]
    assert "workloads file workloads.csv differs from the one the plan was made with" in found[0]["message"]
    table = run_cli("verify", "plan.json", "nixtla.csv", *TINY_FLAGS, cwd=folder)
    assert table.returncode == 1
    assert "FAIL inputs.forecast.workloads_sha256:" in table.stdout


def test_verify_names_a_recorded_workloads_file_that_is_gone(solved_p90: Path, run_cli: Run) -> None:
    folder = solved_p90.parent
    (folder / "workloads.csv").rename(folder / "attributes.csv")
    result = run_cli("verify", "plan.json", "nixtla.csv", *TINY_FLAGS, cwd=folder)
    assert result.returncode == 2
    assert "the plan was made with the workloads file workloads.csv (inputs.forecast.workloads_file)" in (
        result.stderr
    )
    assert "give --workloads" in result.stderr
    assert "Traceback" not in result.stderr
    flags = ["--workloads", "attributes.csv", *TINY_FLAGS]
    moved = run_cli("verify", "plan.json", "nixtla.csv", *flags, cwd=folder)
    assert moved.returncode == 0, moved.stdout + moved.stderr  # same bytes, another name


def test_an_older_plan_without_the_record_loads_and_verifies(solved_p90: Path, run_cli: Run) -> None:
    folder = solved_p90.parent
    data = json.loads(solved_p90.read_text(encoding="utf-8"))
    data["schema_version"] = "1.5"
    del data["inputs"]["forecast"]
    old = folder / "old.json"
    old.write_text(json.dumps(data), encoding="utf-8")
    plan = read_plan(old)
    assert plan.inputs.forecast is None
    flags = ["--workloads", "workloads.csv", "--provision-for", "p90", *NIXTLA_FLAGS, *TINY_FLAGS]
    result = run_cli("verify", "old.json", "nixtla.csv", *flags, cwd=folder)
    assert result.returncode == 0, result.stdout + result.stderr
    bare = run_cli("verify", "old.json", "nixtla.csv", *TINY_FLAGS, cwd=folder)
    assert bare.returncode == 2  # nothing recorded: the forecast needs its options, as before
    assert "give --workloads too" in bare.stderr


def test_diff_says_what_each_plan_was_provisioned_for(solved_p90: Path, run_cli: Run) -> None:
    folder = solved_p90.parent
    flags = ["--workloads", "workloads.csv", *NIXTLA_FLAGS, *TINY_FLAGS, "--no-baselines", "-o", "p50.json"]
    assert run_cli("solve", "nixtla.csv", *flags, cwd=folder).returncode == 0
    result = run_cli("diff", "p50.json", "plan.json", cwd=folder)
    assert result.returncode == 0, result.stderr
    assert "provisioned for: AutoETS (p50) -> AutoETS-hi-80 (p90)\n" in result.stdout
    same = run_cli("diff", "plan.json", "plan.json", cwd=folder)
    assert "provisioned for" not in same.stdout
    page = planner.report(folder / "p50.json", folder / "both.html", folder / "plan.json").read_text("utf-8")
    assert "Provisioned for <code>AutoETS (p50)</code> and <code>AutoETS-hi-80 (p90)</code>." in page
    single = planner.report(folder / "plan.json", folder / "p90.html").read_text("utf-8")
    assert "provisioned for <code>AutoETS-hi-80 (p90)</code>;" in single


# --- quantiles as a sweep axis ---------------------------------------------------------------------


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    """A planning folder whose demand.csv is the Nixtla frame, read at p50 of AutoETS."""
    return forecast_folder(
        tmp_path,
        "workloads: workloads.csv\nforecast-model: AutoETS\nforecast-unit: requests_per_day\n"
        "accelerators: [tgpu-a]\napis: []\nno-baselines: true\nmip-gap: 0\n",
    )


def scenario_file(folder: Path, scenarios: dict[str, Any]) -> Path:
    path = folder / "quantiles.yaml"
    data = {"base": "fleet", "options": {"time-limit": 20, "work-limit": 5}, "scenarios": scenarios}
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


AXIS = "change.provision-for"


def test_a_quantile_axis_expands_to_one_point_per_value(fleet: Path) -> None:
    scenarios = {
        "q": {"change": {"provision-for": {"values": ["p10", "p50", "p90"]}}},
        "naive": {"change": {"provision-for": "p90", "forecast-model": {"values": ["AutoETS", "Naive"]}}},
    }
    points = read_scenarios(scenario_file(fleet.parent, scenarios)).points
    names = [p.name for p in points]
    assert names == [
        "base",
        f"q[{AXIS}=p10]",
        f"q[{AXIS}=p50]",
        f"q[{AXIS}=p90]",
        "naive[change.forecast-model=AutoETS]",
        "naive[change.forecast-model=Naive]",
    ]
    assert points[3].changes == {"change": {"provision-for": "p90"}}
    assert points[3].columns == {AXIS: "p90"}
    assert points[3].axis_values == {AXIS: "p90"}
    assert points[5].changes == {"change": {"provision-for": "p90", "forecast-model": "Naive"}}


TEXT = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-.", min_size=1, max_size=12)


@settings(max_examples=25, deadline=None)
@given(values=st.lists(TEXT, min_size=1, max_size=6, unique=True), model=st.sampled_from([None, "m"]))
def test_a_text_axis_gives_one_point_per_value_in_file_order(values: list[str], model: str | None) -> None:
    change: dict[str, Any] = {"provision-for": {"values": values}}
    if model is not None:
        change["forecast-model"] = model
    with tempfile.TemporaryDirectory() as folder:
        file = Path(folder) / "s.yaml"
        (Path(folder) / "base.csv").write_text("", encoding="utf-8")
        file.write_text(yaml.safe_dump({"base": "base.csv", "scenarios": {"q": {"change": change}}}), "utf-8")
        points = read_scenarios(file).points[1:]
    assert [p.name for p in points] == [f"q[{AXIS}={v}]" for v in values]
    assert [p.changes["change"]["provision-for"] for p in points] == values
    assert all(p.changes["change"].get("forecast-model") == model for p in points)
    assert [p.columns[AXIS] for p in points] == values


def test_whatif_says_what_each_case_was_provisioned_for(fleet: Path, run_cli: Run) -> None:
    result = run_cli("whatif", fleet, "--change", "provision-for=p90")
    assert result.returncode == 0, result.stderr
    assert "provisioned for: AutoETS (p50) -> AutoETS-hi-80 (p90)\n" in result.stdout
    as_json = json.loads(run_cli("whatif", fleet, "--change", "provision-for=p90", "--format", "json").stdout)
    assert as_json["changed"]["inputs"]["forecast"]["column"] == "AutoETS-hi-80"
    assert as_json["base"]["inputs"]["forecast"]["column"] == "AutoETS"


def test_a_quantile_sweep_records_each_points_column(fleet: Path) -> None:
    file = scenario_file(fleet.parent, {"q": {"change": {"provision-for": {"values": ["p10", "p90"]}}}})
    out = fleet.parent / "out"
    result = sweep(file, out, workers=1, charts=True)
    assert result.ok, result.rows
    rows = {r["scenario"]: r for r in csv.DictReader(io.StringIO((out / "summary.csv").read_text("utf-8")))}
    expected = {"base": ("AutoETS", "50.0"), f"q[{AXIS}=p10]": ("AutoETS-lo-80", "10.0")}
    expected[f"q[{AXIS}=p90]"] = ("AutoETS-hi-80", "90.0")
    assert {name: (r["provision_for"], r["provision_for_percent"]) for name, r in rows.items()} == expected
    assert [r[AXIS] for r in rows.values()] == ["", "p10", "p90"]
    header = next(csv.reader(io.StringIO((out / "summary.csv").read_text("utf-8"))))
    assert header.index("provision_for") == header.index(AXIS) + 1
    index = json.loads((out / "sweep.json").read_text(encoding="utf-8"))["points"]
    for name, (column, _) in expected.items():
        record = read_plan(out / index[name]["plan"]).inputs.forecast
        assert record is not None
        assert record.column == column
    costs = [float(rows[name]["objective_usd"]) for name in (f"q[{AXIS}=p10]", "base", f"q[{AXIS}=p90]")]
    assert costs == sorted(costs)
    assert (out / "cost-q.png").is_file()


def test_a_demand_csv_sweep_has_no_provision_for_column(tmp_path: Path) -> None:
    shutil.copytree(TINY, tmp_path / "tiny")
    path = tmp_path / "s.yaml"
    data = {"base": "tiny", "options": {"time-limit": 20, "work-limit": 5, "apis": [], "no-baselines": True}}
    path.write_text(yaml.safe_dump({**data, "scenarios": {"g": {"scale-demand": 2}}}), encoding="utf-8")
    result = sweep(path, tmp_path / "out", workers=1, charts=False)
    assert "provision_for" not in result.header


@pytest.mark.parametrize(
    ("axis", "message"),
    [
        ({"from": 10, "to": 90, "steps": 3}, "'provision-for' takes text: its axis is {values: [...]}"),
        ({"values": []}, "expected a non-empty list of text values"),
        ({"values": ["p50", 90]}, "the axis of 'provision-for' takes text values: 'values' has 90"),
        ({"values": ["p50", ""]}, "'values' has an empty text"),
        ({"values": ["p50", "p50"]}, "an axis value is given twice"),
    ],
)
def test_a_bad_quantile_axis_is_one_clear_error(
    fleet: Path, run_cli: Run, axis: dict[str, Any], message: str
) -> None:
    file = scenario_file(fleet.parent, {"q": {"change": {"provision-for": axis}}})
    with pytest.raises(InputError, match=re.escape("scenarios.q.change.provision-for")):
        read_scenarios(file)
    out = fleet.parent / "out"
    result = run_cli("sweep", file, "-o", out)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "scenarios.q.change.provision-for" in result.stderr
    assert result.stderr.count("error") == 1
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert not out.exists()


def test_a_quantile_the_forecast_lacks_fails_before_anything_is_written(fleet: Path, run_cli: Run) -> None:
    file = scenario_file(fleet.parent, {"q": {"change": {"provision-for": {"values": ["p90", "p75"]}}}})
    out = fleet.parent / "out"
    result = run_cli("sweep", file, "-o", out)
    assert result.returncode == 2, result.stderr
    assert "p75 is not in this forecast" in result.stderr
    assert not out.exists()
