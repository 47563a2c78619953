"""Tests of the demand loader: the format, its defaults, and one clear error per user mistake."""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.catalog.schema import ApiOffering, Catalog, Model
from planner.demand import (
    DEFAULT_TPOT_MS,
    DEFAULT_TTFT_MS,
    DEMAND_COLUMNS,
    MAX_HOURS,
    MAX_LATENCY_MS,
    MAX_REQUESTS_PER_S,
    MAX_TOKENS,
    check_demand,
    load_demand,
    read_demand_frame,
)
from planner.errors import EXIT_INPUT, InputError, InputErrors

DATA = Path(__file__).parent / "data" / "demand"
HEADER = "period,workload,requests_per_s,input_tokens,output_tokens,model,min_quality"
FRAME_COLUMNS = [
    "period",
    "period_index",
    "workload",
    "requests_per_s",
    "input_tokens",
    "output_tokens",
    "model",
    "min_quality",
    "ttft_ms",
    "tpot_ms",
    "self_host_only",
    "api_only",
    "max_api_share",
    "target_utilization",
    "min_replicas",
    "hours",
    "source_row",
]


def make_catalog(scored: bool = True) -> Catalog:
    """A small catalog: three scored models, one bare model, a scored API and an API serving a model."""

    def quality(value: float) -> float | None:
        return value if scored else None

    models = {
        "llama-3.1-8b": Model(id="llama-3.1-8b", quality=quality(45), max_context_tokens=131072),
        "llama-3.1-70b": Model(id="llama-3.1-70b", quality=quality(65), max_context_tokens=131072),
        "qwen-2.5-7b": Model(id="qwen-2.5-7b", quality=quality(40), max_context_tokens=32768),
        "mystery-model": Model(id="mystery-model"),
    }
    prices = {"usd_per_1m_input_tokens": 1.0, "usd_per_1m_output_tokens": 3.0}
    apis = {
        "frontier-api": ApiOffering(
            id="frontier-api", quality=quality(90), max_context_tokens=200000, **prices
        ),
        "hosted-llama-70b": ApiOffering(
            id="hosted-llama-70b", model="llama-3.1-70b", max_context_tokens=65536, **prices
        ),
    }
    return Catalog(accelerators={}, models=models, apis=apis)


CATALOG = make_catalog()


def write(tmp_path: Path, text: str, name: str = "demand.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def rows(*lines: str, header: str = HEADER) -> str:
    return "\n".join([header, *lines]) + "\n"


def load_error(path: Path, catalog: Catalog = CATALOG) -> InputError:
    with pytest.raises(InputError) as info:
        load_demand(path, catalog)
    assert info.value.exit_code == EXIT_INPUT
    return info.value


def messages(error: InputError) -> list[str]:
    return [e.render() for e in error.errors] if isinstance(error, InputErrors) else [error.render()]


def assert_one_error(
    error: InputError, path: Path, row: int | None, column: str | None, *fragments: str
) -> None:
    """Exactly one error, naming the file, row and column, containing every fragment."""
    [text] = messages(error)
    assert text.startswith(str(path))
    if row is not None:
        assert f"row {row}" in text
    if column is not None:
        assert f"column '{column}'" in text
    for fragment in fragments:
        assert fragment in text, text


# --- files that load ------------------------------------------------------------------------


def test_good_file_loads() -> None:
    path = DATA / "good.csv"
    demand = load_demand(path, CATALOG)
    assert demand.path == str(path)
    assert demand.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert demand.periods == ("2026-01", "Q2 2026")
    assert demand.hours == {"2026-01": 744.0, "Q2 2026": 2184.0}
    assert demand.workloads == ("chat-short", "chat-long", "summarize")
    frame = demand.frame
    assert list(frame.columns) == FRAME_COLUMNS
    assert frame["source_row"].tolist() == [2, 3, 4, 5, 6]
    assert frame["period_index"].tolist() == [0, 0, 0, 1, 1]
    assert frame["hours"].tolist() == [744.0, 744.0, 744.0, 2184.0, 2184.0]
    assert frame["requests_per_s"].tolist() == [120.0, 12.5, 3.0, 150.0, 0.0]
    assert frame["output_tokens"].tolist() == [250.0, 600.5, 300.0, 250.0, 300.0]


def test_good_file_values_and_defaults() -> None:
    frame = load_demand(DATA / "good.csv", CATALOG).frame
    first, long, summarize = (frame.iloc[i] for i in range(3))
    assert first["model"] == "llama-3.1-70b"
    assert math.isnan(first["min_quality"])
    assert (first["ttft_ms"], first["tpot_ms"]) == (1500.0, DEFAULT_TPOT_MS)
    assert first["self_host_only"]
    assert not first["api_only"]
    assert (first["target_utilization"], first["min_replicas"]) == (0.8, 2)
    assert long["max_api_share"] == 0.25
    assert math.isnan(long["target_utilization"])
    assert summarize["model"] is None
    assert summarize["min_quality"] == 60.0
    assert (summarize["ttft_ms"], summarize["tpot_ms"]) == (DEFAULT_TTFT_MS, 40.0)
    assert summarize["api_only"]
    assert summarize["max_api_share"] == 1.0


def test_dtypes() -> None:
    frame = load_demand(DATA / "good.csv", CATALOG).frame
    assert frame["model"].dtype == object
    assert frame["min_replicas"].dtype == "int64"
    assert frame["source_row"].dtype == "int64"
    assert frame["self_host_only"].dtype == bool
    assert frame["target_utilization"].dtype == "float64"
    assert all(isinstance(p, str) for p in frame["period"])


def test_bom_crlf_quoted_variant_gives_the_same_frame() -> None:
    raw = (DATA / "good_excel.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in raw
    assert b'"period"' in raw
    excel = load_demand(DATA / "good_excel.csv", CATALOG)
    plain = load_demand(DATA / "good.csv", CATALOG)
    pd.testing.assert_frame_equal(excel.frame, plain.frame)
    assert excel.periods == plain.periods
    assert excel.sha256 != plain.sha256


def test_minimal_columns_take_documented_defaults(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "period,workload,requests_per_s,input_tokens,output_tokens,model\nw1,chat,5,100,50,llama-3.1-8b\n",
    )
    row = load_demand(path, CATALOG).frame.iloc[0]
    assert (row["ttft_ms"], row["tpot_ms"], row["hours"]) == (2000.0, 100.0, 1.0)
    assert (bool(row["self_host_only"]), bool(row["api_only"])) == (False, False)
    assert (row["max_api_share"], row["min_replicas"]) == (1.0, 0)
    assert math.isnan(row["target_utilization"])
    assert math.isnan(row["min_quality"])


def test_constants() -> None:
    assert (DEFAULT_TTFT_MS, DEFAULT_TPOT_MS, MAX_REQUESTS_PER_S) == (2000.0, 100.0, 1e6)
    assert DEMAND_COLUMNS[:5] == ("period", "workload", "requests_per_s", "input_tokens", "output_tokens")
    assert len(set(DEMAND_COLUMNS)) == len(DEMAND_COLUMNS) == 15


def test_period_labels_are_verbatim_in_first_appearance_order(tmp_path: Path) -> None:
    labels = ["2026-02", "2026-01", "Q2 2026", "2026-01-01", "01/02/2026", "1e3", "Q3, peak", "nan"]
    body = [f'"{label}",chat,1,10,10,llama-3.1-8b,' for label in labels] + [
        "2026-01,batch,1,10,10,llama-3.1-8b,"
    ]
    demand = load_demand(write(tmp_path, rows(*body)), CATALOG)
    assert demand.periods == tuple(labels)
    assert demand.frame["period_index"].tolist() == [*range(len(labels)), 1]


def test_whitespace_is_trimmed(tmp_path: Path) -> None:
    path = write(tmp_path, rows("  2026-01 , chat ,  1.5 , 10,10 , llama-3.1-8b ,"))
    row = load_demand(path, CATALOG).frame.iloc[0]
    assert (row["period"], row["workload"], row["requests_per_s"], row["model"]) == (
        "2026-01",
        "chat",
        1.5,
        "llama-3.1-8b",
    )


def test_workload_may_change_rate_and_shape_across_periods(tmp_path: Path) -> None:
    path = write(tmp_path, rows("a,chat,1,10,10,llama-3.1-8b,", "b,chat,2,20,30,,50"))
    frame = load_demand(path, CATALOG).frame
    assert frame["input_tokens"].tolist() == [10.0, 20.0]
    assert frame["model"].tolist() == ["llama-3.1-8b", None]


def test_blank_lines_count_as_spreadsheet_rows(tmp_path: Path) -> None:
    path = write(tmp_path, rows("a,chat,1,10,10,llama-3.1-8b,", "", "a,bulk,1,10,10,llama-3.1-8b,", ",,,,,,"))
    assert load_demand(path, CATALOG).frame["source_row"].tolist() == [2, 4]
    error = load_error(
        write(tmp_path, rows("a,chat,1,10,10,llama-3.1-8b,", "", "a,bulk,x,10,10,llama-3.1-8b,"))
    )
    assert_one_error(error, tmp_path / "demand.csv", 4, "requests_per_s", "expected a number, got 'x'")


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("true", True),
        ("TRUE", True),
        ("Yes", True),
        ("1", True),
        ("false", False),
        ("no", False),
        ("0", False),
        ("", False),
    ],
)
def test_booleans(tmp_path: Path, cell: str, expected: bool) -> None:
    path = write(tmp_path, rows(f"a,chat,1,10,10,llama-3.1-8b,,{cell}", header=HEADER + ",self_host_only"))
    assert bool(load_demand(path, CATALOG).frame["self_host_only"].iloc[0]) is expected


def test_api_only_with_zero_min_replicas_is_fine(tmp_path: Path) -> None:
    path = write(
        tmp_path, rows("a,chat,1,10,10,llama-3.1-8b,,yes,0", header=HEADER + ",api_only,min_replicas")
    )
    assert load_demand(path, CATALOG).frame["min_replicas"].tolist() == [0]


def test_bounds_are_inclusive(tmp_path: Path) -> None:
    line = "a,chat,1000000,1e7,1e7,mystery-model,,876600,86400000"
    path = write(tmp_path, rows(line, header=HEADER + ",hours,ttft_ms"))
    row = load_demand(path, CATALOG).frame.iloc[0]
    assert (row["requests_per_s"], row["hours"], row["ttft_ms"]) == (
        MAX_REQUESTS_PER_S,
        MAX_HOURS,
        MAX_LATENCY_MS,
    )
    assert row["input_tokens"] == MAX_TOKENS


def test_a_workload_missing_from_a_period_is_zero_there_with_a_warning(tmp_path: Path) -> None:
    lines = ["a,chat,1,10,10,llama-3.1-8b,", "a,bulk,2,10,10,llama-3.1-8b,", "b,chat,1,10,10,llama-3.1-8b,"]
    lines += ["c,chat,1,10,10,llama-3.1-8b,"]
    demand = load_demand(write(tmp_path, rows(*lines)), CATALOG)
    assert demand.warnings == (
        "workload 'bulk' has no row in periods 'b', 'c': planned as 0 requests/s there "
        "(add a row with requests_per_s 0 to say so)",
    )
    [good] = load_demand(DATA / "good.csv", CATALOG).warnings
    assert good.startswith("workload 'chat-long' has no row in period 'Q2 2026':")
    full = write(tmp_path, rows("a,chat,1,10,10,llama-3.1-8b,", "b,chat,0,10,10,llama-3.1-8b,"), name="f.csv")
    assert load_demand(full, CATALOG).warnings == ()


def test_min_replicas_accepts_whole_floats(tmp_path: Path) -> None:
    path = write(tmp_path, rows("a,chat,1,10,10,llama-3.1-8b,,3.0", header=HEADER + ",min_replicas"))
    assert load_demand(path, CATALOG).frame["min_replicas"].tolist() == [3]


def test_blank_hours_take_the_period_length(tmp_path: Path) -> None:
    lines = [
        "a,chat,1,10,10,llama-3.1-8b,,",
        "a,bulk,1,10,10,llama-3.1-8b,,720",
        "b,chat,1,10,10,llama-3.1-8b,,",
    ]
    demand = load_demand(write(tmp_path, rows(*lines, header=HEADER + ",hours")), CATALOG)
    assert demand.hours == {"a": 720.0, "b": 1.0}
    assert demand.frame["hours"].tolist() == [720.0, 720.0, 1.0]


def test_read_frame_needs_no_catalog_and_check_is_separate(tmp_path: Path) -> None:
    path = write(tmp_path, rows("a,chat,1,10,10,no-such-model,"))
    frame = read_demand_frame(path)
    assert frame["model"].tolist() == ["no-such-model"]
    with pytest.raises(InputError, match="unknown model 'no-such-model'"):
        check_demand(frame, CATALOG, path)
    check_demand(read_demand_frame(DATA / "good.csv"), CATALOG, DATA / "good.csv")


# --- one error per mistake --------------------------------------------------------------------

ROW_ERRORS = [
    # (data row, extra header columns, row, column, fragments)
    ("a,chat,,10,10,llama-3.1-8b,", "", 2, "requests_per_s", ["missing value"]),
    (",chat,1,10,10,llama-3.1-8b,", "", 2, "period", ["missing value"]),
    ("a,chat,abc,10,10,llama-3.1-8b,", "", 2, "requests_per_s", ["expected a number, got 'abc'"]),
    ("a,chat,1,ten,10,llama-3.1-8b,", "", 2, "input_tokens", ["expected a number, got 'ten'"]),
    ("a,chat,nan,10,10,llama-3.1-8b,", "", 2, "requests_per_s", ["NaN and infinity", "'nan'"]),
    ("a,chat,1,inf,10,llama-3.1-8b,", "", 2, "input_tokens", ["NaN and infinity", "'inf'"]),
    ("a,chat,1,10,-Infinity,llama-3.1-8b,", "", 2, "output_tokens", ["NaN and infinity"]),
    ("a,chat,1e999,10,10,llama-3.1-8b,", "", 2, "requests_per_s", ["too large"]),
    ("a,chat,\u0661,10,10,llama-3.1-8b,", "", 2, "requests_per_s", ["expected a number"]),
    ("a,chat,0x10,10,10,llama-3.1-8b,", "", 2, "requests_per_s", ["expected a number"]),
    ("a,chat,-1,10,10,llama-3.1-8b,", "", 2, "requests_per_s", ["cannot be negative"]),
    ("a,chat,2e6,10,10,llama-3.1-8b,", "", 2, "requests_per_s", ["1,000,000", "MAX_REQUESTS_PER_S"]),
    ("a,chat,1,0,10,llama-3.1-8b,", "", 2, "input_tokens", ["greater than 0, got '0'"]),
    ("a,chat,1,10,-3,llama-3.1-8b,", "", 2, "output_tokens", ["greater than 0, got '-3'"]),
    ("a,Chat_Bot,1,10,10,llama-3.1-8b,", "", 2, "workload", ["not a valid id", "try 'chat-bot'"]),
    ("a,chat,1,10,10,Llama 3.1 8B,", "", 2, "model", ["not a valid id", "try 'llama-3.1-8b'"]),
    ("a,chat,1,10,10,-llama,", "", 2, "model", ["not a valid id"]),
    ("a,chat,1,10,10,,", "", 2, "model", ["needs a 'model' or a 'min_quality'"]),
    ("a,chat,1,10,10,llama-3.1-8b,40", "", 2, "min_quality", ["both 'model' and 'min_quality'"]),
    ("a,chat,1,10,10,,-1", "", 2, "min_quality", ["0 or more"]),
    (
        "a,chat,1,10,10,llama-3.1-8b,,maybe",
        ",api_only",
        2,
        "api_only",
        ["true/false, yes/no or 1/0, got 'maybe'"],
    ),
    ("a,chat,1,10,10,llama-3.1-8b,,yes,true", ",self_host_only,api_only", 2, "api_only", ["both true"]),
    (
        "a,chat,1,10,10,llama-3.1-8b,,yes,0.5",
        ",api_only,max_api_share",
        2,
        "max_api_share",
        ["'api_only' is true"],
    ),
    ("a,chat,1,10,10,llama-3.1-8b,,1.5", ",max_api_share", 2, "max_api_share", ["fraction from 0 to 1"]),
    ("a,chat,1,10,10,llama-3.1-8b,,80", ",max_api_share", 2, "max_api_share", ["write 0.8 for 80%"]),
    (
        "a,chat,1,10,10,llama-3.1-8b,,0",
        ",target_utilization",
        2,
        "target_utilization",
        ["fraction from 0.01 to 1"],
    ),
    ("a,chat,1,10,10,llama-3.1-8b,,1.2", ",target_utilization", 2, "target_utilization", ["0.01 to 1"]),
    ("a,chat,1,10,10,llama-3.1-8b,,-1", ",min_replicas", 2, "min_replicas", ["from 0 to"]),
    ("a,chat,1,10,10,llama-3.1-8b,,2.5", ",min_replicas", 2, "min_replicas", ["whole number, got '2.5'"]),
    ("a,chat,1,10,10,llama-3.1-8b,,0", ",hours", 2, "hours", ["greater than 0"]),
    ("a,chat,1,10,10,llama-3.1-8b,,-2", ",ttft_ms", 2, "ttft_ms", ["greater than 0"]),
    ("a,chat,1,10,10,llama-3.1-8b,,1e300", ",hours", 2, "hours", ["876,600 hours (100 years)", "MAX_HOURS"]),
    ("a,chat,1,10,10,llama-3.1-8b,,876601", ",hours", 2, "hours", ["above the bound"]),
    ("a,chat,1,2e7,10,llama-3.1-8b,", "", 2, "input_tokens", ["10,000,000 tokens", "MAX_TOKENS"]),
    ("a,chat,1,10,1e300,llama-3.1-8b,", "", 2, "output_tokens", ["MAX_TOKENS"]),
    ("a,chat,1,10,10,llama-3.1-8b,,1e12", ",tpot_ms", 2, "tpot_ms", ["MAX_LATENCY_MS"]),
    ("a,chat,1e300,10,10,llama-3.1-8b,", "", 2, "requests_per_s", ["MAX_REQUESTS_PER_S"]),
    ("a,chat,1e-20,10,10,llama-3.1-8b,", "", 2, "requests_per_s", ["MIN_REQUESTS_PER_S", "write 0"]),
    ("a,chat,1,0.5,10,llama-3.1-8b,", "", 2, "input_tokens", ["MIN_TOKENS"]),
    ("a,chat,1,10,10,llama-3.1-8b,,1e-6", ",hours", 2, "hours", ["MIN_HOURS"]),
    ("a,chat,1,10,10,llama-3.1-8b,,1e-300", ",target_utilization", 2, "target_utilization", ["0.01 to 1"]),
    (
        "a,chat,1,10,10,llama-3.1-8b,,yes,2",
        ",api_only,min_replicas",
        2,
        "min_replicas",
        ["'api_only' is true", "'min_replicas' must be 0", "got 2"],
    ),
    ("a,chat,1,10,10,llama-3.1-8b,,abc", ",tpot_ms", 2, "tpot_ms", ["expected a number"]),
    ('"a\tb",chat,1,10,10,llama-3.1-8b,', "", 2, "period", ["control character (U+0009)"]),
    ("a,chat,1,10,10,llama-3.1-8b,,x", "", 2, None, ["8 cells", "7 columns"]),
]


@pytest.mark.parametrize(("line", "extra", "row", "column", "fragments"), ROW_ERRORS)
def test_row_errors(
    tmp_path: Path, line: str, extra: str, row: int, column: str | None, fragments: list[str]
) -> None:
    path = write(tmp_path, rows(line, header=HEADER + extra))
    assert_one_error(load_error(path), path, row, column, *fragments)
    with pytest.raises(InputError):
        read_demand_frame(path)


def test_trailing_empty_cells_are_fine(tmp_path: Path) -> None:
    path = write(tmp_path, rows("a,chat,1,10,10,llama-3.1-8b,,,,", "a,bulk,1,10,10,llama-3.1-8b"))
    assert len(load_demand(path, CATALOG).frame) == 2


def test_duplicate_rows_name_both_rows(tmp_path: Path) -> None:
    path = write(
        tmp_path, rows("a,chat,1,10,10,llama-3.1-8b,", "b,chat,1,10,10,llama-3.1-8b,", "a,chat,2,10,10,,50")
    )
    assert_one_error(load_error(path), path, 4, "workload", "appears twice in period 'a'", "rows 2 and 4")


def test_hours_must_agree_within_a_period(tmp_path: Path) -> None:
    lines = ["a,chat,1,10,10,llama-3.1-8b,,744", "a,bulk,1,10,10,llama-3.1-8b,,720"]
    path = write(tmp_path, rows(*lines, header=HEADER + ",hours"))
    assert_one_error(load_error(path), path, 3, "hours", "720 hours here but 744 in row 2")


HEADER_ERRORS = [
    # (header, column, fragments)
    (
        HEADER.replace("requests_per_s", "request_per_s"),
        "request_per_s",
        ["unknown column", "did you mean 'requests_per_s'?"],
    ),
    (HEADER.replace("input_tokens", "Input_Tokenz"), "Input_Tokenz", ["did you mean 'input_tokens'"]),
    (HEADER + ",zzz", "zzz", ["unknown column 'zzz'", "valid columns: api_only"]),
    (HEADER + ",model", "model", ["appears twice", "columns 6 and 8"]),
]


@pytest.mark.parametrize(("header", "column", "fragments"), HEADER_ERRORS)
def test_header_errors(tmp_path: Path, header: str, column: str, fragments: list[str]) -> None:
    line = "a,chat,1,10,10,llama-3.1-8b," + "," * (header.count(",") - HEADER.count(","))
    path = write(tmp_path, rows(line, header=header))
    errors = messages(load_error(path))
    matching = [text for text in errors if f"column '{column}'" in text]
    assert matching, errors
    assert all(f in matching[0] for f in fragments), matching[0]
    assert all("row 1" in text for text in errors)


def test_headers_are_case_insensitive(tmp_path: Path) -> None:
    upper = write(tmp_path, rows("a,chat,1,10,10,llama-3.1-8b,", header=HEADER.upper()), name="upper.csv")
    plain = write(tmp_path, rows("a,chat,1,10,10,llama-3.1-8b,"))
    pd.testing.assert_frame_equal(load_demand(upper, CATALOG).frame, load_demand(plain, CATALOG).frame)
    mixed = write(tmp_path, rows("a,chat,1,10,10,llama-3.1-8b,", header=" Period ,WorkLoad" + HEADER[15:]))
    assert load_demand(mixed, CATALOG).frame["workload"].tolist() == ["chat"]


def test_a_comma_header_of_unknown_names_gets_close_matches_not_the_save_as_csv_hint(tmp_path: Path) -> None:
    path = write(tmp_path, "periode,workloads,rate\na,chat,1\n")
    text = load_error(path).render()
    assert "save the file as CSV" not in text
    assert "unknown column 'periode'" in text
    assert "did you mean 'period'" in text
    assert "missing required column 'requests_per_s'" in text


def test_missing_required_columns_are_all_named(tmp_path: Path) -> None:
    path = write(tmp_path, "period,workload,model\na,chat,llama-3.1-8b\n")
    errors = messages(load_error(path))
    assert len(errors) == 3
    for column in ("requests_per_s", "input_tokens", "output_tokens"):
        assert any(f"column '{column}': missing required column '{column}'" in text for text in errors)


def test_model_or_min_quality_column_is_required(tmp_path: Path) -> None:
    path = write(tmp_path, "period,workload,requests_per_s,input_tokens,output_tokens\na,chat,1,10,10\n")
    assert_one_error(load_error(path), path, 1, "model", "missing column 'model' or 'min_quality'")


def test_a_value_under_an_unnamed_column(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        rows("a,chat,1,10,10,llama-3.1-8b,,", "a,bulk,1,10,10,llama-3.1-8b,,oops", header=HEADER + ","),
    )
    assert_one_error(load_error(path), path, 3, None, "column 8, which has no name")


# --- catalog checks ----------------------------------------------------------------------------

CATALOG_ERRORS = [
    (
        "a,chat,1,10,10,lama-3.1-70b,",
        "model",
        ["unknown model 'lama-3.1-70b'", "did you mean 'llama-3.1-70b'"],
    ),
    ("a,chat,1,10,10,gpt-9,", "model", ["unknown model 'gpt-9'", "valid models: llama-3.1-70b"]),
    ("a,chat,1,10,10,hosted-llama-70b,", "model", ["is an API offering", "'llama-3.1-70b'"]),
    ("a,chat,1,10,10,frontier-api,", "model", ["is an API offering", "min_quality"]),
    (
        "a,chat,1,10,10,,95",
        "min_quality",
        ["above every model and API", "best score is 90 (API 'frontier-api')"],
    ),
    (
        "a,chat,1,30000,5000,qwen-2.5-7b,",
        "input_tokens",
        ["35000", "32768-token context of model 'qwen-2.5-7b'"],
    ),
    ("a,chat,1,190000,20000,,85", "input_tokens", ["210000", "quality >= 85", "largest: 200000"]),
    ("a,chat,1,140000,10,,50", None, None),
    ("a,chat,1,1e7,1e7,mystery-model,", None, None),
    ("a,chat,1,1e7,1e7,hosted-llama-70b,", "model", ["API offering"]),
]


@pytest.mark.parametrize(("line", "column", "fragments"), CATALOG_ERRORS)
def test_catalog_errors(tmp_path: Path, line: str, column: str | None, fragments: list[str] | None) -> None:
    path = write(tmp_path, rows(line))
    if fragments is None:
        load_demand(path, CATALOG)
        return
    assert_one_error(load_error(path), path, 2, column, *fragments)
    frame = read_demand_frame(path)
    with pytest.raises(InputError, match=fragments[0].replace("(", r"\(")):
        check_demand(frame, CATALOG, path)


def test_min_quality_without_any_scores(tmp_path: Path) -> None:
    path = write(tmp_path, rows("a,chat,1,10,10,,10"))
    assert_one_error(
        load_error(path, make_catalog(scored=False)),
        path,
        2,
        "min_quality",
        "no model or API",
        "pin a 'model'",
    )


def test_api_quality_comes_from_its_model(tmp_path: Path) -> None:
    prices = {"usd_per_1m_input_tokens": 1.0, "usd_per_1m_output_tokens": 3.0}
    catalog = Catalog(
        accelerators={},
        models={
            "big": Model(id="big", quality=70),
            "small": Model(id="small", quality=30, max_context_tokens=10**6),
        },
        apis={"big-api": ApiOffering(id="big-api", model="big", max_context_tokens=65536, **prices)},
    )
    path = write(tmp_path, rows("a,chat,1,100000,10,,60"))
    assert_one_error(
        load_error(path, catalog), path, 2, "input_tokens", "quality >= 60 (largest: 65536 tokens)"
    )
    load_demand(write(tmp_path, rows("a,chat,1,60000,10,,60")), catalog)


# --- files that are not demand files ------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.csv"
    assert_one_error(load_error(path), path, None, None, "file not found")
    with pytest.raises(InputError, match="file not found"):
        read_demand_frame(path)


@pytest.mark.parametrize("name", ["bad\x00name.csv", "x" * 300 + ".csv"])
def test_unopenable_path(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    assert_one_error(load_error(path), path, None, None, "cannot be")


def test_directory(tmp_path: Path) -> None:
    assert_one_error(load_error(tmp_path), tmp_path, None, None, "is a directory")


@pytest.mark.parametrize("content", [b"", b"   \n\n", b"\xef\xbb\xbf", b",,,\n,,\n"])
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "demand.csv"
    path.write_bytes(content)
    assert_one_error(load_error(path), path, None, None, "the file is empty", "period, workload")


def test_header_only(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "\n")
    assert_one_error(load_error(path), path, None, None, "no data rows")


def test_not_utf8() -> None:
    path = DATA / "latin1.csv"
    assert_one_error(load_error(path), path, None, None, "not UTF-8", "byte 0xe9 on line 2", "CSV UTF-8")


def test_utf16(tmp_path: Path) -> None:
    path = tmp_path / "demand.csv"
    path.write_bytes((HEADER + "\n").encode("utf-16"))
    assert_one_error(load_error(path), path, None, None, "UTF-16")


def test_semicolon_separated() -> None:
    path = DATA / "semicolon.csv"
    error = load_error(path)
    assert_one_error(
        error, path, 1, None, "expected comma-separated columns", "'period;workload;requests_per_s"
    )
    assert "separated by ';'" in error.render()


def test_json_file() -> None:
    path = DATA / "not_csv.json"
    error = load_error(path)
    found = "found columns '{" + '"demand"'
    assert_one_error(error, path, 1, None, "expected comma-separated columns", found)
    assert "looks like JSON" in error.render()


def test_binary_junk(tmp_path: Path) -> None:
    path = tmp_path / "demand.csv"
    path.write_bytes(bytes(range(256)) * 4)
    assert_one_error(load_error(path), path, None, None, "not UTF-8")


@pytest.mark.parametrize(
    ("tail", "row"), [('a,"chat,1,10,10,llama-3.1-8b,\n', 2), ('a,"chat"x,1,10,10,llama-3.1-8b,\n', 2)]
)
def test_broken_quotes(tmp_path: Path, tail: str, row: int) -> None:
    path = write(tmp_path, HEADER + "\n" + tail)
    assert_one_error(load_error(path), path, row, None, "not valid CSV")


# --- several errors at once ----------------------------------------------------------------------


def test_multiple_errors_are_reported_together() -> None:
    path = DATA / "many_errors.csv"
    error = load_error(path)
    assert isinstance(error, InputErrors)
    found = [(e.location.row, e.location.column) for e in error.errors]
    assert found == [
        (2, "requests_per_s"),
        (3, "workload"),
        (3, "input_tokens"),
        (4, "requests_per_s"),
        (4, "model"),
        (5, "workload"),
        (5, "model"),
        (6, "min_quality"),
        (6, "api_only"),
    ]
    assert all(e.location.file == str(path) for e in error.errors)
    text = str(error)
    assert "did you mean 'llama-3.1-70b'" in text
    assert "rows 2 and 5" in text
    assert text.count("\n") >= len(found) - 1


def test_errors_are_capped(tmp_path: Path) -> None:
    path = write(tmp_path, rows(*[f"a,w{i},-1,10,10,llama-3.1-8b," for i in range(30)]))
    error = load_error(path)
    assert isinstance(error, InputErrors)
    assert len(error.errors) == 21
    assert "and 10 more errors not shown" in error.errors[-1].message


# --- fuzz ---------------------------------------------------------------------------------------

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
CELLS = st.one_of(
    st.sampled_from(
        ["", "1", "0", "-1", "0.5", "1e9", "nan", "inf", "yes", "maybe", "llama-3.1-8b", "Q2 2026", '"']
    ),
    st.text(max_size=8),
)


def load_or_input_error(path: Path) -> None:
    try:
        load_demand(path, CATALOG)
    except InputError as error:
        code, text = error.exit_code, error.render()
    else:
        return
    assert code == EXIT_INPUT
    assert text


@FUZZ
@given(data=st.binary(max_size=400))
def test_fuzz_bytes(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "fuzz.csv"
    path.write_bytes(data)
    load_or_input_error(path)


@FUZZ
@given(text=st.text(alphabet=st.sampled_from(list(',"\n\r \t;abc019.-_\ufeff\x00é')), max_size=200))
def test_fuzz_text(tmp_path: Path, text: str) -> None:
    load_or_input_error(write(tmp_path, "period,workload," + text, name="fuzz.csv"))


@FUZZ
@given(
    header=st.lists(st.sampled_from([*DEMAND_COLUMNS, "", "extra"]), min_size=1, max_size=10),
    body=st.lists(st.lists(CELLS, max_size=12), max_size=6),
)
def test_fuzz_csv(tmp_path: Path, header: list[str], body: list[list[str]]) -> None:
    lines = [",".join(header), *(",".join(cells) for cells in body)]
    load_or_input_error(write(tmp_path, "\n".join(lines), name="fuzz.csv"))


@FUZZ
@given(body=st.lists(st.lists(CELLS, min_size=7, max_size=7), min_size=1, max_size=6))
def test_fuzz_rows_under_a_good_header(tmp_path: Path, body: list[list[str]]) -> None:
    quoted = ['"' + cell.replace('"', '""') + '"' for cells in body for cell in cells]
    lines = [",".join(quoted[i : i + 7]) for i in range(0, len(quoted), 7)]
    load_or_input_error(write(tmp_path, rows(*lines), name="fuzz.csv"))
