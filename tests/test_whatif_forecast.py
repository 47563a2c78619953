"""What-if changes of the forecast selection: ``change: {provision-for: p90}`` and ``--demand`` forecasts.

The base is the hand-written Nixtla frame of ``tests/data/forecast`` (AutoETS and Naive, weekly, in
requests/day, with 80 % and 95 % intervals) over the tiny catalog: one option, tgpu-a at $2 a
replica-hour, 8 requests/s planned per replica, so a plan's cost is the sum over the two weeks of
ceil(total rate / 8) replicas x $2 x 168 h, read from the fixture's columns (``expected_cost``).
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

import planner
from planner.api import prepare_solve
from planner.errors import InputError
from planner.sweeps import sweep
from planner.whatif import apply_changes, changes_from_flags, changes_from_mapping
from tests.conftest import OPTIMIZER_DATA
from tests.test_forecast import DATA, WORKLOADS, expected_cost, forecast_folder

Run = Callable[..., Any]
TINY = OPTIMIZER_DATA / "tiny"
NIXTLA = DATA / "nixtla.csv"
WEEK, PER_DAY = 168.0, 86400.0
#: AutoETS's columns by quantile, as the fixture names them (-lo-95 is p2.5, -hi-80 p90, ...).
QUANTILES = {
    "p2.5": "AutoETS-lo-95",
    "p10": "AutoETS-lo-80",
    "p50": "AutoETS",
    "p90": "AutoETS-hi-80",
    "p97.5": "AutoETS-hi-95",
}


def cost_of(value: str, file: Path = NIXTLA) -> float:
    return expected_cost(file, value, WEEK, "unique_id", PER_DAY)


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    """A planning folder whose demand.csv is the Nixtla frame, read at p50 of AutoETS."""
    return forecast_folder(
        tmp_path,
        "workloads: workloads.csv\nforecast-model: AutoETS\nforecast-unit: requests_per_day\n"
        "accelerators: [tgpu-a]\napis: []\nno-baselines: true\nmip-gap: 0\n",
    )


@pytest.fixture
def plain(tmp_path: Path) -> Path:
    """The tiny demand.csv folder (no forecast)."""
    folder = tmp_path / "tiny"
    shutil.copytree(TINY, folder)
    return folder


def scaled_forecast(path: Path, factor: float) -> Path:
    """A copy of the Nixtla frame with every value times ``factor`` (another forecast, same series)."""
    rows = list(csv.reader(io.StringIO(NIXTLA.read_text(encoding="utf-8"))))
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(rows[0])
        writer.writerows([*row[:2], *(repr(float(v) * factor) for v in row[2:])] for row in rows[1:])
    return path


def load(folder: Path) -> Any:
    return prepare_solve(folder).load_problem()


# --- applying the change (no solve) --------------------------------------------------------------


@pytest.mark.parametrize("quantile", sorted(QUANTILES))
def test_a_provision_for_change_reads_the_forecast_at_that_quantile(fleet: Path, quantile: str) -> None:
    base = load(fleet)
    changed = apply_changes(base, changes_from_mapping({"change": {"provision-for": quantile}}))
    assert changed.demand.forecast is not None
    assert changed.demand.forecast.provision_for == quantile
    assert changed.demand.forecast.workloads == base.demand.forecast.workloads
    assert changed.settings == base.settings  # a forecast change is no solve setting
    by_period = changed.demand.frame.groupby("period")["requests_per_s"].sum()
    with NIXTLA.open(newline="", encoding="utf-8") as handle:
        expected: dict[str, float] = {}
        for row in csv.DictReader(handle):
            expected[row["ds"]] = expected.get(row["ds"], 0.0) + max(0.0, float(row[QUANTILES[quantile]]))
    assert by_period.to_dict() == pytest.approx({ds: v / PER_DAY for ds, v in expected.items()})
    assert (changed.demand.sha256 == base.demand.sha256) == (quantile == "p50")


def test_forecast_model_and_the_flag_spelling(fleet: Path) -> None:
    base = load(fleet)
    from_flags = changes_from_flags(change=["forecast-model=Naive", "provision-for=p90"])
    assert from_flags == changes_from_mapping({"change": {"forecast-model": "Naive", "provision-for": "p90"}})
    changed = apply_changes(base, from_flags)
    with NIXTLA.open(newline="", encoding="utf-8") as handle:
        naive = sum(max(0.0, float(row["Naive-hi-80"])) for row in csv.DictReader(handle))
    assert changed.demand.frame["requests_per_s"].sum() == pytest.approx(naive / PER_DAY)
    assert from_flags.columns() == {"change.forecast-model": "Naive", "change.provision-for": "p90"}
    assert from_flags.sha256() != changes_from_flags(change=["provision-for=p90"]).sha256()


def test_a_prophet_base_takes_an_interval_width_change(tmp_path: Path) -> None:
    shutil.copy(DATA / "prophet.csv", tmp_path / "prophet.csv")
    run = prepare_solve(
        tmp_path / "prophet.csv", [TINY / "catalog"], {"workloads": WORKLOADS, "accelerators": ["tgpu-a"]}
    )
    base = run.load_problem()
    changed = apply_changes(
        base, changes_from_mapping({"change": {"provision-for": "p95", "interval-width": 0.9}})
    )
    with (DATA / "prophet.csv").open(newline="", encoding="utf-8") as handle:
        upper = sum(float(row["yhat_upper"]) for row in csv.DictReader(handle))
    assert changed.demand.frame["requests_per_s"].sum() == pytest.approx(upper)


def test_another_forecast_is_read_with_the_base_workloads_and_selection(fleet: Path, tmp_path: Path) -> None:
    other = scaled_forecast(tmp_path / "double.csv", 2.0)
    base = load(fleet)
    changed = apply_changes(
        base, changes_from_mapping({"demand": str(other), "change": {"provision-for": "p90"}})
    )
    assert changed.demand.path == str(other)
    assert changed.demand.forecast is not None
    assert changed.demand.forecast.forecast_model == "AutoETS"  # the base's, kept
    with NIXTLA.open(newline="", encoding="utf-8") as handle:
        upper = sum(max(0.0, float(row["AutoETS-hi-80"])) for row in csv.DictReader(handle))
    assert changed.demand.frame["requests_per_s"].sum() == pytest.approx(2 * upper / PER_DAY)


def test_a_demand_csv_over_the_same_workloads_may_replace_a_forecast(fleet: Path, tmp_path: Path) -> None:
    other = tmp_path / "actuals.csv"
    other.write_text(
        "period,workload,requests_per_s,input_tokens,output_tokens,model,hours\n"
        "w1,chat,10,1000,200,tmodel,168\nw1,code,1,1000,200,tmodel,168\n",
        encoding="utf-8",
    )
    changed = apply_changes(load(fleet), changes_from_mapping({"demand": str(other)}))
    assert changed.demand.forecast is None
    assert changed.demand.frame["requests_per_s"].tolist() == [10.0, 1.0]


# --- solving: P90 costs at least P50 -------------------------------------------------------------


def test_whatif_p90_costs_at_least_p50_and_each_the_hand_computed_figure(fleet: Path) -> None:
    result = planner.whatif(fleet, {"change": {"provision-for": "p90"}}, time_limit=20)
    assert result.base.plan.objective_usd == pytest.approx(cost_of("AutoETS"))
    assert result.changed.plan.objective_usd == pytest.approx(cost_of("AutoETS-hi-80"))
    assert result.changed.plan.objective_usd >= result.base.plan.objective_usd
    assert result.to_json()["changes"] == {"change": {"provision-for": "p90"}}


def test_a_sweep_of_quantiles_costs_more_at_every_higher_quantile(fleet: Path, tmp_path: Path) -> None:
    scenarios = {q.replace(".", "-"): {"change": {"provision-for": q}} for q in QUANTILES if q != "p50"}
    scenarios["median"] = {"change": {"provision-for": "p50"}}  # the base's own selection
    file = tmp_path / "quantiles.yaml"
    file.write_text(
        yaml.safe_dump(
            {"base": "fleet", "options": {"time-limit": 20, "work-limit": 5}, "scenarios": scenarios}
        ),
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = sweep(file, out, workers=1, charts=False)
    assert result.ok, result.rows
    rows = {r["scenario"]: r for r in csv.DictReader(io.StringIO((out / "summary.csv").read_text("utf-8")))}
    assert rows["median"]["change.provision-for"] == "p50"
    assert rows["base"]["change.provision-for"] == ""
    costs = {q: float(rows[q.replace(".", "-")]["objective_usd"]) for q in QUANTILES if q != "p50"}
    costs["p50"] = float(rows["base"]["objective_usd"])
    for quantile, value in costs.items():
        assert value == pytest.approx(cost_of(QUANTILES[quantile]))
    ordered = [costs[q] for q in sorted(QUANTILES, key=lambda q: float(q[1:]))]
    assert ordered == sorted(ordered)
    assert costs["p90"] > costs["p50"]
    index = json.loads((out / "sweep.json").read_text(encoding="utf-8"))["points"]
    assert index["median"]["hash"] == index["base"]["hash"]  # the same selection: solved once
    assert index["p90"]["hash"] != index["base"]["hash"]
    assert "median" in result.solved
    assert len(result.solved) == len(rows)
    again = sweep(file, out, workers=1, charts=False)
    assert again.solved == []
    assert len(again.reused) == len(rows)


# --- bad uses: exit 2, nothing written -----------------------------------------------------------


def test_cli_whatif_p90_prints_both_cases(run_cli: Run, fleet: Path, tmp_path: Path) -> None:
    out = tmp_path / "whatif.json"
    result = run_cli("whatif", fleet, "--change", "provision-for=p90", "--format", "json", "-o", out)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data == json.loads(out.read_text(encoding="utf-8"))
    assert data["changes"] == {"change": {"provision-for": "p90"}}
    assert data["difference"]["objective_usd"] == pytest.approx(cost_of("AutoETS-hi-80") - cost_of("AutoETS"))


BAD_WHATIF: list[tuple[str, str, list[str], list[str]]] = [
    (
        "selection-over-a-demand-csv",
        "plain",
        ["--change", "provision-for=p90"],
        ["option --change", "'provision-for' picks what to plan for in a forecast", "is a demand.csv"],
    ),
    (
        "quantile-not-in-the-forecast",
        "fleet",
        ["--change", "provision-for=p95"],
        ["option --change", "demand.csv: --provision-for p95 is not in this forecast", "p90 (AutoETS-hi-80)"],
    ),
    (
        "how-the-file-is-read",
        "fleet",
        ["--change", "forecast-unit=requests_per_s"],
        ["option --change", "'forecast-unit' says how the forecast file is read"],
    ),
    (
        "interval-width-out-of-range",
        "fleet",
        ["--change", "interval-width=2"],
        ["option --change", "interval-width"],
    ),
    (
        "forecast-over-a-demand-csv",
        "plain",
        ["--demand", str(NIXTLA)],
        ["option --demand", "is a Nixtla forecast, but the base demand", "a workloads file"],
    ),
    (
        "selection-over-another-demand-csv",
        "fleet",
        ["--demand", str(TINY / "demand.csv"), "--change", "provision-for=p90"],
        ["option --change", "the changed demand", "is a demand.csv"],
    ),
]


@pytest.mark.parametrize(("case", "base", "flags", "fragments"), BAD_WHATIF, ids=[c[0] for c in BAD_WHATIF])
def test_cli_bad_forecast_changes_exit_2_and_write_nothing(
    run_cli: Run,
    fleet: Path,
    plain: Path,
    tmp_path: Path,
    case: str,
    base: str,
    flags: list[str],
    fragments: list[str],
) -> None:
    del case
    out = tmp_path / "whatif.json"
    result = run_cli("whatif", fleet if base == "fleet" else plain, *flags, "-o", out)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr.count("error:") == 1, result.stderr
    for fragment in fragments:
        assert fragment in result.stderr
    assert not out.exists()


def test_a_bad_quantile_scenario_names_its_key_and_writes_nothing(
    run_cli: Run, fleet: Path, tmp_path: Path
) -> None:
    file = tmp_path / "quantiles.yaml"
    file.write_text(
        yaml.safe_dump(
            {
                "base": "fleet",
                "scenarios": {
                    "p90": {"change": {"provision-for": "p90"}},
                    "p95": {"change": {"provision-for": "p95"}},
                },
            }
        ),
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = run_cli("sweep", file, "-o", out)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "key 'scenarios.p95.change'" in result.stderr
    assert "p95 is not in this forecast" in result.stderr
    assert result.stderr.count("error:") == 1, result.stderr  # the p90 scenario is fine
    assert not out.exists()
    with pytest.raises(InputError, match=r"scenarios\.p95\.change"):
        sweep(file, out, workers=1)
    assert not out.exists()
