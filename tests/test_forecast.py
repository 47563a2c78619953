"""Forecasts as forecasting tools write them (Prophet ``predict()`` output, Nixtla frames) + workloads.csv.

The fixtures in ``tests/data/forecast`` are written by hand in the tools' own layouts:
``prophet.csv`` (daily, components with bounds, a ``workload`` series column), ``nixtla.csv``
(statsforecast ``forecast(level=[80, 95])`` of two models, weekly, in requests/day) and
``timegpt.csv`` (TimeGPT ``quantiles=[0.1, 0.5, 0.9]``, every 6 hours). Expected figures are read
from the fixtures with the csv module, never typed in.
"""

from __future__ import annotations

import csv
import json
import math
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import planner
from planner.catalog.load import load_catalog
from planner.catalog.schema import Catalog
from planner.demand import Demand, load_demand
from planner.demand.forecast import ForecastOptions, load_forecast
from planner.errors import EXIT_INPUT, InputError, InputErrors
from tests.conftest import OPTIMIZER_DATA

DATA = Path(__file__).resolve().parent / "data" / "forecast"
TINY = OPTIMIZER_DATA / "tiny"
WORKLOADS = DATA / "workloads.csv"
#: tgpu-a: $2 per chip-hour, one chip; 10 requests/s per replica (tiny/profiles.csv), planned at 0.8.
USD_PER_REPLICA_HOUR, REPLICA_REQUESTS_PER_S, UTILIZATION = 2.0, 10.0, 0.8
Run = Callable[..., Any]


def column(name: str, file: Path, value: str, series: str = "workload") -> dict[tuple[str, str], float]:
    """``(ds, series) -> value`` of one column of a fixture, read independently of the planner."""
    with file.open(newline="", encoding="utf-8") as handle:
        return {(row["ds"], row[series]): float(row[value]) for row in csv.DictReader(handle)}


def catalog() -> Catalog:
    return load_catalog([TINY / "catalog"])


def load(file: Path, **options: Any) -> Demand:
    return load_forecast(
        file, ForecastOptions(workloads=str(options.pop("workloads", WORKLOADS)), **options), catalog()
    )


def rates(demand: Any) -> dict[tuple[str, str], float]:
    frame = demand.frame
    return dict(
        zip(zip(frame["period"], frame["workload"], strict=True), frame["requests_per_s"], strict=True)
    )


# --- Prophet --------------------------------------------------------------------------------------


def test_prophet_point_forecast_is_the_default() -> None:
    demand = load(DATA / "prophet.csv")
    assert rates(demand) == column("yhat", DATA / "prophet.csv", "yhat")
    assert demand.periods == ("2027-01-01", "2027-01-02", "2027-01-03")
    assert demand.hours == dict.fromkeys(demand.periods, 24.0)  # daily; the last takes the spacing before
    assert demand.workloads == ("chat", "code")  # workloads.csv order
    assert demand.warnings == ()


def test_prophet_bounds_by_interval_width_and_negative_lower_bounds() -> None:
    upper = column("yhat_upper", DATA / "prophet.csv", "yhat_upper")
    assert rates(load(DATA / "prophet.csv", provision_for="p90", interval_width=0.8)) == upper
    assert rates(load(DATA / "prophet.csv", provision_for="yhat_upper")) == upper
    assert rates(load(DATA / "prophet.csv", provision_for="p97.5", interval_width=0.95)) == upper
    lower = load(DATA / "prophet.csv", provision_for="p10", interval_width=0.8)
    expected = {
        key: max(0.0, value) for key, value in column("x", DATA / "prophet.csv", "yhat_lower").items()
    }
    assert rates(lower) == expected
    negative = sum(value < 0 for value in column("x", DATA / "prophet.csv", "yhat_lower").values())
    assert negative > 0
    (warning,) = lower.warnings
    assert f"{negative} values of 'yhat_lower (p10)' are negative: planned as 0 requests/s" in warning
    assert "prophet.csv" in warning


def test_the_only_non_prophet_column_names_the_series_and_series_column_overrides(tmp_path: Path) -> None:
    text = (DATA / "prophet.csv").read_text(encoding="utf-8").replace(",workload\n", ",service\n", 1)
    renamed = tmp_path / "renamed.csv"
    renamed.write_text(text, encoding="utf-8")
    assert rates(load(renamed)) == column("yhat", DATA / "prophet.csv", "yhat")
    assert rates(load(renamed, series_column="SERVICE")) == rates(load(renamed))


def test_a_forecast_is_an_ordinary_demand(tmp_path: Path) -> None:
    """The frame equals the demand reader's for a demand.csv with the same rates, hours and attributes."""
    forecast = load(DATA / "prophet.csv", provision_for="yhat_upper")
    lines = ["period,workload,requests_per_s,input_tokens,output_tokens,model,hours"]
    lines += [
        f"{p},{w},{r!r},1000,200,tmodel,24"
        for p, w, r in zip(
            forecast.frame["period"],
            forecast.frame["workload"],
            forecast.frame["requests_per_s"],
            strict=True,
        )
    ]
    (tmp_path / "demand.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    plain = load_demand(tmp_path / "demand.csv", catalog())
    columns = [c for c in plain.frame.columns if c != "source_row"]
    assert forecast.frame[columns].equals(plain.frame[columns])
    assert forecast.periods == plain.periods
    assert forecast.hours == plain.hours


# --- Nixtla ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("provision_for", "column_name"),
    [("p90", "AutoETS-hi-80"), ("p97.5", "AutoETS-hi-95"), ("p10", "AutoETS-lo-80"), ("p50", "AutoETS")],
)
def test_nixtla_quantiles_from_level_names(provision_for: str, column_name: str) -> None:
    demand = load(
        DATA / "nixtla.csv", provision_for=provision_for, forecast_model="AutoETS", unit="requests_per_day"
    )
    expected = column("x", DATA / "nixtla.csv", column_name, series="unique_id")
    assert rates(demand) == pytest.approx({key: max(0.0, v) / 86400 for key, v in expected.items()})
    assert demand.hours == {"2027-01-01": 168.0, "2027-01-08": 168.0}


def test_nixtla_column_as_written_needs_no_model_and_units_scale() -> None:
    per_hour = load(DATA / "nixtla.csv", provision_for="Naive-hi-95", unit="requests_per_hour")
    per_day = load(DATA / "nixtla.csv", provision_for="naive-HI-95", unit="requests_per_day")  # any case
    expected = column("x", DATA / "nixtla.csv", "Naive-hi-95", series="unique_id")
    assert rates(per_hour) == pytest.approx({key: v / 3600 for key, v in expected.items()})
    assert rates(per_day) == pytest.approx({key: v / 86400 for key, v in expected.items()})
    assert per_hour.sha256 != per_day.sha256


def test_timegpt_quantiles_and_median_over_the_point_forecast() -> None:
    p90 = load(DATA / "timegpt.csv", provision_for="p90")
    assert rates(p90) == {
        (ds.replace(" ", "T"), s): v
        for (ds, s), v in column("x", DATA / "timegpt.csv", "TimeGPT-q-90", series="unique_id").items()
    }
    assert p90.periods == ("2027-01-01T00:00:00", "2027-01-01T06:00:00", "2027-01-01T12:00:00")
    assert set(p90.hours.values()) == {6.0}
    median = column("x", DATA / "timegpt.csv", "TimeGPT-q-50", series="unique_id")
    assert sorted(rates(load(DATA / "timegpt.csv")).values()) == sorted(median.values())


@settings(max_examples=40, deadline=None)
@given(level=st.integers(min_value=1, max_value=99), side=st.sampled_from(["lo", "hi"]))
def test_level_names_give_the_quantile(
    tmp_path_factory: pytest.TempPathFactory, level: int, side: str
) -> None:
    folder = tmp_path_factory.mktemp("levels")
    name = f"M-{side}-{level}"
    (folder / "f.csv").write_text(
        f"unique_id,ds,M,{name}\nchat,2027-01-01,1,2\ncode,2027-01-01,1,3\n", encoding="utf-8"
    )
    (folder / "w.csv").write_text(
        (WORKLOADS.read_text(encoding="utf-8"))
        .replace("model\n", "model,hours\n", 1)
        .replace("tmodel\n", "tmodel,5\n"),
        encoding="utf-8",
    )
    quantile = 50 + level / 2 if side == "hi" else 50 - level / 2
    demand = load(folder / "f.csv", workloads=folder / "w.csv", provision_for=f"p{quantile:g}")
    assert sorted(demand.frame["requests_per_s"]) == [2.0, 3.0]
    assert demand.hours == {"2027-01-01": 5.0}


# --- hours, gaps, fingerprint ---------------------------------------------------------------------


def test_workloads_hours_override_the_spacing_and_missing_points_warn(tmp_path: Path) -> None:
    (tmp_path / "w.csv").write_text(
        "workload,input_tokens,output_tokens,model,hours\nchat,1000,200,tmodel,730\ncode,1000,200,tmodel,\n",
        encoding="utf-8",
    )
    (tmp_path / "f.csv").write_text(
        "unique_id,ds,M\nchat,2027-01,5\ncode,2027-01,1\nchat,2027-02,6\n", encoding="utf-8"
    )
    demand = load(tmp_path / "f.csv", workloads=tmp_path / "w.csv")
    assert demand.periods == ("2027-01-01", "2027-02-01")  # YYYY-MM is the first of the month
    assert demand.hours == {"2027-01-01": 730.0, "2027-02-01": 730.0}
    assert any("workload 'code' has no row in period '2027-02-01'" in w for w in demand.warnings)


def test_irregular_spacing_and_the_last_period(tmp_path: Path) -> None:
    (tmp_path / "f.csv").write_text(
        "unique_id,ds,M\nchat,2027-01-01,5\ncode,2027-01-01,1\nchat,2027-02-01,6\ncode,2027-02-01,1\n"
        "chat,2027-03-01,6\ncode,2027-03-01,1\n",
        encoding="utf-8",
    )
    demand = load(tmp_path / "f.csv")
    assert demand.hours == {"2027-01-01": 31 * 24.0, "2027-02-01": 28 * 24.0, "2027-03-01": 28 * 24.0}


def test_fingerprint_covers_both_files_and_the_selection(tmp_path: Path) -> None:
    base = load(DATA / "prophet.csv")
    assert load(DATA / "prophet.csv").sha256 == base.sha256
    assert load(DATA / "prophet.csv", provision_for="yhat_upper").sha256 != base.sha256
    other = tmp_path / "w.csv"
    other.write_text(
        WORKLOADS.read_text(encoding="utf-8").replace("1000,200,tmodel\n", "1000,201,tmodel\n", 1),
        encoding="utf-8",
    )
    assert load(DATA / "prophet.csv", workloads=other).sha256 != base.sha256


# --- solving, through the API and the CLI ---------------------------------------------------------


def expected_cost(
    file: Path, value: str, hours: float, series: str = "workload", divisor: float = 1.0
) -> float:
    """Both workloads share one option: ceil(total rate / 8 per replica) replicas per period."""
    per_period: dict[str, float] = {}
    for (ds, _), rate in column("x", file, value, series).items():
        per_period[ds] = per_period.get(ds, 0.0) + max(0.0, rate) / divisor
    replicas = sum(
        math.ceil(total / (REPLICA_REQUESTS_PER_S * UTILIZATION) - 1e-9) for total in per_period.values()
    )
    return replicas * USD_PER_REPLICA_HOUR * hours


SOLVE = {"accelerators": ["tgpu-a"], "apis": [], "no_baselines": True, "time_limit": 30}


def test_python_api_solves_a_forecast() -> None:
    solved = planner.solve(
        DATA / "prophet.csv",
        catalog_dirs=[TINY / "catalog"],
        profiles=TINY / "profiles.csv",
        workloads=WORKLOADS,
        provision_for="p90",
        interval_width=0.8,
        **SOLVE,
    )
    assert solved.plan.objective_usd == pytest.approx(expected_cost(DATA / "prophet.csv", "yhat_upper", 24.0))
    assert [p.period for p in solved.plan.periods] == ["2027-01-01", "2027-01-02", "2027-01-03"]
    low = planner.solve(
        DATA / "prophet.csv",
        catalog_dirs=[TINY / "catalog"],
        profiles=TINY / "profiles.csv",
        workloads=WORKLOADS,
        provision_for="yhat_lower",
        **SOLVE,
    )
    assert low.plan.objective_usd == pytest.approx(expected_cost(DATA / "prophet.csv", "yhat_lower", 24.0))
    assert any("'yhat_lower' are negative: planned as 0" in w for w in low.plan.diagnostics.warnings)


@pytest.fixture
def nixtla_folder(tmp_path: Path) -> Path:
    """A planning folder whose demand.csv is a Nixtla frame and whose options.yaml reads it."""
    return forecast_folder(
        tmp_path,
        "workloads: workloads.csv\nprovision-for: p90\nforecast-model: AutoETS\n"
        "forecast-unit: requests_per_day\naccelerators: [tgpu-a]\napis: []\nno-baselines: true\n",
    )


def forecast_folder(tmp_path: Path, options_yaml: str) -> Path:
    """``tmp_path/fleet``: the Nixtla frame as demand.csv, with its workloads and ``options_yaml``.

    The profiles and catalog are the tiny case's.
    """
    folder = tmp_path / "fleet"
    folder.mkdir()
    shutil.copy(DATA / "nixtla.csv", folder / "demand.csv")
    shutil.copy(WORKLOADS, folder / "workloads.csv")
    shutil.copy(TINY / "profiles.csv", folder / "profiles.csv")
    shutil.copytree(TINY / "catalog", folder / "catalog")
    (folder / "options.yaml").write_text(options_yaml, encoding="utf-8")
    return folder


def test_cli_solves_a_prophet_forecast_end_to_end_and_verifies(run_cli: Run, tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.json"
    flags = ["--workloads", WORKLOADS, "--provision-for", "yhat_upper", "--catalog", TINY / "catalog"]
    flags += ["--profiles", TINY / "profiles.csv", "--accelerators", "tgpu-a", "--apis", "", "--no-baselines"]
    result = run_cli("solve", DATA / "prophet.csv", *flags, "--format", "json", "-o", plan_file)
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert plan["objective_usd"] == pytest.approx(expected_cost(DATA / "prophet.csv", "yhat_upper", 24.0))
    assert plan["inputs"]["demand_file"].endswith("prophet.csv")
    verified = run_cli("verify", plan_file, DATA / "prophet.csv", *flags)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    changed = run_cli(
        "verify",
        plan_file,
        DATA / "prophet.csv",
        *flags[:2],
        "--provision-for",
        "yhat",
        "--catalog",
        TINY / "catalog",
        "--profiles",
        TINY / "profiles.csv",
        "--accelerators",
        "tgpu-a",
        "--apis",
        "",
    )
    assert changed.returncode == 1  # p50 needs fewer replicas: the plan is checked against what it reads
    assert "the plan was provisioned for yhat_upper, verified against yhat (p50)" in changed.stderr


def test_cli_reads_a_nixtla_forecast_from_a_folder(run_cli: Run, nixtla_folder: Path) -> None:
    result = run_cli("solve", nixtla_folder, "--format", "json")
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    cost = expected_cost(nixtla_folder / "demand.csv", "AutoETS-hi-80", 168.0, "unique_id", 86400.0)
    assert plan["objective_usd"] == pytest.approx(cost)


# --- bad files: one clear message, exit 2, nothing written -----------------------------------------

PROPHET_HEAD = "ds,yhat_lower,yhat_upper,yhat,workload\n"
NIXTLA_HEAD = "unique_id,ds,AutoETS,AutoETS-lo-80,AutoETS-hi-80\n"
GOOD_PROPHET_ROWS = (
    "2027-01-01,1,3,2,chat\n2027-01-01,1,3,2,code\n2027-01-02,1,3,2,chat\n2027-01-02,1,3,2,code\n"
)

BAD_FORECASTS: list[tuple[str, str, dict[str, Any], list[str]]] = [
    ("empty", "", {}, ["the file is empty"]),
    ("header-only", PROPHET_HEAD, {}, ["header but no data rows"]),
    (
        "no-ds",
        "date,yhat,workload\n2027-01-01,1,chat\n",
        {},
        ["row 1", "column 'ds'", "missing column 'ds'", "columns found: date, yhat, workload", "accepted:"],
    ),
    (
        "neither",
        "ds,value,workload\n2027-01-01,1,chat\n",
        {},
        ["neither a Prophet forecast", "columns found: ds, value, workload"],
    ),
    ("prophet-no-series", "ds,yhat\n2027-01-01,1\n", {}, ["no column names the series", "--series-column"]),
    (
        "prophet-two-extra",
        "ds,yhat,workload,region\n2027-01-01,1,chat,eu\n",
        {},
        ["several columns are not Prophet's ('workload', 'region')"],
    ),
    (
        "prophet-series-missing",
        PROPHET_HEAD + GOOD_PROPHET_ROWS,
        {"series_column": "service"},
        ["no column 'service' (--series-column)", "columns found"],
    ),
    (
        "prophet-series-is-prophet",
        PROPHET_HEAD + GOOD_PROPHET_ROWS,
        {"series_column": "yhat"},
        ["'yhat' is a column of Prophet's output"],
    ),
    (
        "prophet-unknown-extra",
        "ds,yhat,workload,region\n2027-01-01,1,chat,eu\n",
        {"series_column": "workload"},
        ["unknown column 'region'", "columns found"],
    ),
    (
        "prophet-width-needed",
        PROPHET_HEAD + GOOD_PROPHET_ROWS,
        {"provision_for": "p90"},
        ["option --interval-width", "needs --interval-width"],
    ),
    (
        "prophet-quantile-absent",
        PROPHET_HEAD + GOOD_PROPHET_ROWS,
        {"provision_for": "p95", "interval_width": 0.8},
        ["p95 is not in this forecast", "p10 (yhat_lower), p50 (yhat), p90 (yhat_upper)"],
    ),
    (
        "prophet-model",
        PROPHET_HEAD + GOOD_PROPHET_ROWS,
        {"forecast_model": "AutoETS"},
        ["option --forecast-model", "holds one model"],
    ),
    (
        "prophet-component",
        "ds,trend,yhat,workload\n2027-01-01,1,1,chat\n",
        {"provision_for": "trend"},
        ["column 'trend'", "is a component"],
    ),
    (
        "prophet-unknown-column",
        PROPHET_HEAD + GOOD_PROPHET_ROWS,
        {"provision_for": "yhat_high"},
        ["'yhat_high' is not a column of the file"],
    ),
    (
        "quantile-range",
        PROPHET_HEAD + GOOD_PROPHET_ROWS,
        {"provision_for": "p100"},
        ["strictly between p0 and p100"],
    ),
    (
        "nixtla-several",
        "unique_id,ds,AutoETS,Naive\nchat,2027-01-01,1,1\n",
        {"provision_for": "p50"},
        ["several models (AutoETS, Naive)", "option --forecast-model"],
    ),
    (
        "nixtla-unknown-model",
        NIXTLA_HEAD + "chat,2027-01-01,1,0,2\n",
        {"forecast_model": "AutoETZ"},
        ["'AutoETZ' is not a model", "did you mean 'AutoETS'"],
    ),
    (
        "nixtla-unknown-column",
        NIXTLA_HEAD + "chat,2027-01-01,1,0,2\n",
        {"provision_for": "AutoETS-hi-99"},
        ["'AutoETS-hi-99' is not a forecast column", "did you mean"],
    ),
    (
        "nixtla-quantile-absent",
        NIXTLA_HEAD + "chat,2027-01-01,1,0,2\n",
        {"provision_for": "p95"},
        ["p95 is not in this forecast for model 'AutoETS'", "p10 (AutoETS-lo-80)"],
    ),
    (
        "nixtla-cross-validation",
        "unique_id,ds,cutoff,y,AutoETS\nchat,2027-01-02,2027-01-01,1,1\n",
        {},
        ["column 'cutoff' is not a forecast", "cross_validation"],
    ),
    (
        "nixtla-fitted",
        "unique_id,ds,y,AutoETS\nchat,2027-01-02,1,1\n",
        {},
        ["column 'y' is not a forecast", "observed values"],
    ),
    (
        "nixtla-level",
        "unique_id,ds,M,M-hi-150\nchat,2027-01-01,1,1\n",
        {},
        ["column 'M-hi-150'", "between 0 and 100"],
    ),
    (
        "nixtla-width",
        NIXTLA_HEAD + "chat,2027-01-01,1,0,2\n",
        {"interval_width": 0.8},
        ["--interval-width is for Prophet"],
    ),
    (
        "nixtla-model-mismatch",
        "unique_id,ds,A,B\nchat,2027-01-01,1,1\n",
        {"provision_for": "A", "forecast_model": "B"},
        ["'A' is a column of model 'A', not of --forecast-model 'B'"],
    ),
    (
        "pandas-index",
        ",unique_id,ds,M\n0,chat,2027-01-01,1\n",
        {},
        ["first column has no name", "index=False"],
    ),
    ("repeated-column", "unique_id,ds,M,m\nchat,2027-01-01,1,1\n", {}, ["column 'm' appears twice"]),
    (
        "bad-date",
        PROPHET_HEAD + "01/02/2027,1,3,2,chat\n",
        {},
        ["row 2", "column 'ds'", "expected an ISO date"],
    ),
    ("time-zone", PROPHET_HEAD + "2027-01-01T00:00:00+02:00,1,3,2,chat\n", {}, ["row 2", "time-zone offset"]),
    (
        "nan",
        PROPHET_HEAD + "2027-01-01,1,3,nan,chat\n",
        {},
        ["row 2", "column 'yhat'", "NaN and infinity are not allowed"],
    ),
    ("blank-value", PROPHET_HEAD + "2027-01-01,1,3,,chat\n", {}, ["row 2", "column 'yhat'", "missing value"]),
    (
        "text-value",
        PROPHET_HEAD + "2027-01-01,1,3,lots,chat\n",
        {},
        ["row 2", "expected a number, got 'lots'"],
    ),
    (
        "bad-series-id",
        PROPHET_HEAD + "2027-01-01,1,3,2,Chat Bot\n",
        {},
        ["row 2", "column 'workload'", "not a valid id", "try 'chat-bot'"],
    ),
    (
        "unknown-series",
        PROPHET_HEAD + GOOD_PROPHET_ROWS + "2027-01-01,1,3,2,chatt\n",
        {},
        ["row 6", "series 'chatt' has no row in", "workloads.csv"],
    ),
    (
        "workload-without-series",
        PROPHET_HEAD + "2027-01-01,1,3,2,chat\n2027-01-02,1,3,2,chat\n",
        {},
        ["workloads.csv, row 3, column 'workload'", "workload 'code' has no series"],
    ),
    (
        "duplicate-point",
        PROPHET_HEAD + GOOD_PROPHET_ROWS + "2027-01-02,1,3,2,chat\n",
        {},
        ["row 6", "series 'chat' has two rows at ds 2027-01-02: rows 4 and 6"],
    ),
    (
        "too-large",
        PROPHET_HEAD
        + "2027-01-01,1,3,2e6,chat\n2027-01-01,1,3,2,code\n2027-01-02,1,3,2,chat\n2027-01-02,1,3,2,code\n",
        {},
        ["row 2", "above the bound", "--forecast-unit"],
    ),
    (
        "one-ds",
        PROPHET_HEAD + "2027-01-01,1,3,2,chat\n2027-01-01,1,3,2,code\n",
        {},
        ["column 'ds'", "one ds", "give 'hours'"],
    ),
    (
        "too-many-cells",
        PROPHET_HEAD + GOOD_PROPHET_ROWS + "2027-01-03,1,3,2,chat,extra\n",
        {},
        ["row 6", "6 cells but the header names 5"],
    ),
    ("not-utf8", "ds,yhat,workload\n2027-01-01,1,caf\xe9\n", {}, ["not UTF-8"]),
]


def write_bad(tmp_path: Path, text: str) -> Path:
    file = tmp_path / "forecast.csv"
    if "\xe9" in text:
        file.write_bytes(text.encode("latin-1"))
    else:
        file.write_text(text, encoding="utf-8")
    return file


def message_of(file: Path, workloads: Path = WORKLOADS, **options: Any) -> str:
    with pytest.raises(InputError) as info:
        load(file, workloads=workloads, **options)
    assert info.value.exit_code == EXIT_INPUT
    return str(info.value)


@pytest.mark.parametrize(
    ("case", "text", "options", "fragments"), BAD_FORECASTS, ids=[c[0] for c in BAD_FORECASTS]
)
def test_bad_forecast_files(
    tmp_path: Path, case: str, text: str, options: dict[str, Any], fragments: list[str]
) -> None:
    message = message_of(write_bad(tmp_path, text), **options)
    assert "forecast.csv" in message or "workloads.csv" in message
    for fragment in fragments:
        assert fragment in message, (case, message)


BAD_WORKLOADS: list[tuple[str, str, list[str]]] = [
    (
        "missing-tokens",
        "workload,output_tokens,model\nchat,200,tmodel\ncode,200,tmodel\n",
        ["missing required column 'input_tokens'"],
    ),
    (
        "unknown-model",
        "workload,input_tokens,output_tokens,model\nchat,1000,200,tmodle\ncode,1000,200,tmodel\n",
        ["row 2", "unknown model 'tmodle'", "did you mean 'tmodel'"],
    ),
    (
        "both-targets",
        "workload,input_tokens,output_tokens,model,min_quality\nchat,1000,200,tmodel,3\ncode,1000,200,tmodel,\n",
        ["row 2", "gives both 'model' and 'min_quality'"],
    ),
    (
        "duplicate",
        "workload,input_tokens,output_tokens,model\nchat,1000,200,tmodel\ncode,1000,200,tmodel\nchat,1,2,tmodel\n",
        ["row 4", "workload 'chat' appears twice: rows 2 and 4"],
    ),
    (
        "hours-disagree",
        "workload,input_tokens,output_tokens,model,hours\nchat,1000,200,tmodel,24\ncode,1000,200,tmodel,12\n",
        ["row 3", "column 'hours'", "every period has one length"],
    ),
    (
        "bad-tokens",
        "workload,input_tokens,output_tokens,model\nchat,many,200,tmodel\ncode,1000,200,tmodel\n",
        ["row 2", "column 'input_tokens'", "expected a number"],
    ),
    (
        "period-column",
        "workload,period,input_tokens,output_tokens,model\nchat,p1,1000,200,tmodel\n",
        ["unknown column 'period'"],
    ),
]


@pytest.mark.parametrize(("case", "text", "fragments"), BAD_WORKLOADS, ids=[c[0] for c in BAD_WORKLOADS])
def test_bad_workloads_files(tmp_path: Path, case: str, text: str, fragments: list[str]) -> None:
    workloads = tmp_path / "workloads.csv"
    workloads.write_text(text, encoding="utf-8")
    message = message_of(DATA / "prophet.csv", workloads)
    assert str(workloads) in message
    for fragment in fragments:
        assert fragment in message, (case, message)


def test_errors_of_both_files_come_together(tmp_path: Path) -> None:
    workloads = tmp_path / "workloads.csv"
    workloads.write_text(
        "workload,input_tokens,output_tokens,model\nchat,0,200,tmodel\ncode,1000,200,tmodel\n",
        encoding="utf-8",
    )
    forecast = write_bad(tmp_path, PROPHET_HEAD + "2027-01-01,1,3,x,chat\n" + GOOD_PROPHET_ROWS)
    with pytest.raises(InputErrors) as info:
        load(forecast, workloads=workloads)
    files = {error.location.file for error in info.value.errors}
    assert files == {str(forecast), str(workloads)}


def test_missing_workloads_file(tmp_path: Path) -> None:
    message = message_of(DATA / "prophet.csv", tmp_path / "nowhere.csv")
    assert "nowhere.csv: file not found" in message


def test_forecast_options_need_workloads() -> None:
    with pytest.raises(InputError, match="--provision-for reads a forecast: give --workloads too"):
        planner.solve(DATA / "prophet.csv", catalog_dirs=[TINY / "catalog"], provision_for="p90")


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--provision-for", "p90", "--interval-width", "0.8"], "give --workloads too"),
        (["--workloads", WORKLOADS, "--provision-for", "trend"], "is a component of Prophet's output"),
        (["--workloads", WORKLOADS, "--interval-width", "1.5"], "must be above 0 and below 1"),
        (
            ["--workloads", WORKLOADS, "--forecast-unit", "requests_per_week"],
            "Invalid value for '--forecast-unit'",
        ),
    ],
)
def test_cli_bad_forecast_exits_2_with_nothing_written(
    run_cli: Run, tmp_path: Path, args: list[Any], fragment: str
) -> None:
    plan_file = tmp_path / "plan.json"
    result = run_cli(
        "solve",
        DATA / "prophet.csv",
        "--catalog",
        TINY / "catalog",
        *args,
        "-o",
        plan_file,
        "--format",
        "json",
    )
    assert result.returncode == 2, result.stderr
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert not plan_file.exists()
    assert list(tmp_path.iterdir()) == []


def test_price_trends_read_the_forecast_dates(tmp_path: Path) -> None:
    """Period labels are ISO dates, so a --price-trend plays out over a monthly forecast."""
    (tmp_path / "f.csv").write_text(
        "unique_id,ds,M\nchat,2027-01-01,4\ncode,2027-01-01,1\nchat,2027-07-02,4\ncode,2027-07-02,1\n",
        encoding="utf-8",
    )
    solved = planner.solve(
        tmp_path / "f.csv",
        catalog_dirs=[TINY / "catalog"],
        profiles=TINY / "profiles.csv",
        workloads=WORKLOADS,
        price_trend=["accelerators=-0.5/yr"],
        **SOLVE,
    )
    days = (182.0, 182.0)  # both periods last 182 days; the second starts 182 days in
    factors = (1.0, 0.5 ** (days[0] / 365.25))
    expected = sum(USD_PER_REPLICA_HOUR * factor * d * 24 for factor, d in zip(factors, days, strict=True))
    assert solved.plan.objective_usd == pytest.approx(expected)  # one replica (5 req/s) per period


@pytest.mark.parametrize(("file", "tool"), [("prophet.csv", "Prophet"), ("nixtla.csv", "Nixtla")])
def test_a_forecast_without_workloads_says_so(file: str, tool: str) -> None:
    with pytest.raises(InputError) as info:
        planner.solve(DATA / file, catalog_dirs=[TINY / "catalog"])
    assert info.value.exit_code == EXIT_INPUT
    assert f"this is a {tool} forecast, not a demand.csv: give --workloads too" in str(info.value)


def test_a_plain_demand_error_is_unchanged(tmp_path: Path) -> None:
    (tmp_path / "demand.csv").write_text("period,workload,requests_per_s\np1,chat,1\n", encoding="utf-8")
    with pytest.raises(InputError, match="missing required column 'input_tokens'"):
        planner.solve(tmp_path / "demand.csv", catalog_dirs=[TINY / "catalog"])


def test_nixtla_series_column_other_than_unique_id(tmp_path: Path) -> None:
    (tmp_path / "f.csv").write_text(
        "unique_id,service,ds,M\n0,chat,2027-01-01,5\n1,code,2027-01-01,1\n", encoding="utf-8"
    )
    (tmp_path / "w.csv").write_text(
        "workload,input_tokens,output_tokens,model,hours\nchat,1000,200,tmodel,2\ncode,1000,200,tmodel,\n",
        encoding="utf-8",
    )
    demand = load(tmp_path / "f.csv", workloads=tmp_path / "w.csv", series_column="service")
    assert rates(demand) == {("2027-01-01", "chat"): 5.0, ("2027-01-01", "code"): 1.0}
