"""Tests of measured profiles: the CSV importer, its errors, and the lookup rules.

The real-data tests import Mélange's Llama-2-7B profile (peer data, read at test time). Each
Mélange bucket is represented by its upper edge (25, 100, 250, 500, 1000, 2000 tokens): that is
the request size Mélange's profiler actually sends for the bucket (``input_len``/``output_len``
in 25 100 250 500 1000 2000, tyler-griggs/melange-release ``melange/profiling/benchmark-launcher.sh``),
and it is the conservative choice, since every request of the bucket is at most that long.
"""

from __future__ import annotations

import csv
import hashlib
import math
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.catalog.schema import Accelerator, Catalog, Model
from planner.errors import EXIT_INPUT, InputError, InputErrors
from planner.profiles import (
    CONFIG_COLUMNS,
    EXACT,
    FRAME_COLUMNS,
    INTERPOLATED,
    MAX_ERRORS,
    METHODS,
    NEAREST_SMALLER,
    NONE,
    SCALED,
    ProfileHit,
    ProfileTable,
    empty_profiles,
    load_profiles,
)

DATA = Path(__file__).parent / "data" / "profiles"
PEER_DIRS = (Path(__file__).resolve().parents[2] / "shared" / "peer_data", Path("/work/shared/peer_data"))
MELANGE_FILE = "melange_llama2_7b_max_tput.csv"
EDGES = (25, 100, 250, 500, 1000, 2000)  # upper edge of Mélange buckets 0..5
GPU_IDS = {"L4": "l4", "A10G": "a10g", "A100": "a100-80gb", "H100": "h100"}
MODEL = "llama-2-7b"
HEADER = "model,accelerator,input_tokens,output_tokens,requests_per_s"


def make_catalog() -> Catalog:
    accelerators = {a: Accelerator(id=a, chips_per_node=8) for a in GPU_IDS.values()}
    models = {MODEL: Model(id=MODEL, precisions=("fp16", "int8"))}
    return Catalog(accelerators=accelerators, models=models, apis={})


CATALOG = make_catalog()


def key(accelerator: str, tp: int = 1, precision: str = "fp16") -> tuple[str, str, int, int, str]:
    return (MODEL, accelerator, tp, 1, precision)


def lookup(
    table: ProfileTable,
    accelerator: str,
    inp: float,
    out: float,
    ttft_ms: float | None = None,
    tpot_ms: float | None = None,
    model_estimate: Callable[[float, float], float | None] | None = None,
) -> ProfileHit | None:
    """Lookup for llama-2-7b at tp 1, pp 1, fp16."""
    return table.lookup(MODEL, accelerator, 1, 1, "fp16", inp, out, ttft_ms, tpot_ms, model_estimate)


def write(tmp_path: Path, text: str, name: str = "profiles.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def errors_of(path: Path) -> list[InputError]:
    with pytest.raises(InputError) as info:
        load_profiles(path, CATALOG)
    assert info.value.exit_code == EXIT_INPUT
    return info.value.errors if isinstance(info.value, InputErrors) else [info.value]


# --- Mélange Llama-2-7B ---------------------------------------------------------------------


def melange_table() -> dict[str, np.ndarray]:
    """Rows 0-5 x cols 0-5 of the peer table, per catalog accelerator id."""
    folder = next((d for d in PEER_DIRS if (d / MELANGE_FILE).is_file()), None)
    if folder is None:
        pytest.skip(f"peer data {MELANGE_FILE} not found in {', '.join(map(str, PEER_DIRS))}")
    tables = {gpu: np.full((6, 6), np.nan) for gpu in GPU_IDS.values()}
    with (folder / MELANGE_FILE).open(encoding="utf-8", newline="") as handle:
        for rec in csv.DictReader(handle):
            row, col = int(rec["row"]), int(rec["col"])
            if row < 6 and col < 6:
                tables[GPU_IDS[rec["gpu"]]][row, col] = float(rec["max_tput_req_per_s"])
    assert all(not np.isnan(t).any() for t in tables.values())
    return tables


@pytest.fixture(scope="module")
def melange() -> dict[str, np.ndarray]:
    return melange_table()


@pytest.fixture(scope="module")
def melange_profiles(
    melange: dict[str, np.ndarray], tmp_path_factory: pytest.TempPathFactory
) -> ProfileTable:
    lines = [HEADER]
    for gpu, table in melange.items():
        for (i, j), rate in np.ndenumerate(table):
            lines.append(f"{MODEL},{gpu},{EDGES[i]},{EDGES[j]},{float(rate)!r}")
    return load_profiles(write(tmp_path_factory.mktemp("melange"), "\n".join(lines) + "\n"), CATALOG)


def test_melange_exact_points_reproduce_the_table(
    melange: dict[str, np.ndarray], melange_profiles: ProfileTable
) -> None:
    assert len(melange_profiles) == 4 * 36
    for gpu, table in melange.items():
        for (i, j), rate in np.ndenumerate(table):
            hit = lookup(melange_profiles, gpu, EDGES[i], EDGES[j])
            assert hit == ProfileHit(rate, "exact", 1)


def test_melange_interpolation_lies_between_neighbours(
    melange: dict[str, np.ndarray], melange_profiles: ProfileTable
) -> None:
    for gpu, table in melange.items():
        for i in range(5):
            for j in range(5):
                mid_in, mid_out = math.sqrt(EDGES[i] * EDGES[i + 1]), math.sqrt(EDGES[j] * EDGES[j + 1])
                edge = lookup(melange_profiles, gpu, EDGES[i], mid_out)
                assert edge is not None
                assert edge.method == "interpolated"
                assert edge.points == 2
                assert table[i, j + 1] < edge.requests_per_s < table[i, j]
                inner = lookup(melange_profiles, gpu, mid_in, mid_out)
                assert inner is not None
                assert inner.method == "interpolated"
                assert inner.points == 4
                corners = table[i : i + 2, j : j + 2]
                assert corners.min() <= inner.requests_per_s <= corners.max()


def test_melange_interpolation_is_monotone_in_output(
    melange: dict[str, np.ndarray], melange_profiles: ProfileTable
) -> None:
    outputs = np.geomspace(EDGES[0], EDGES[-1], 400)
    for gpu, table in melange.items():
        assert (np.diff(table, axis=1) < 0).all(), "the measured grid falls with more output tokens"
        for inp in (25, 60, 250, 700, 1999):
            nan = np.full(outputs.shape, np.nan)
            rates, methods = melange_profiles.lookup_many(
                key(gpu), np.full(outputs.shape, inp), outputs, nan, nan
            )
            assert set(methods) <= {EXACT, INTERPOLATED}
            assert (np.diff(rates) <= 1e-12 * rates[:-1]).all()


def test_melange_outside_range_scaled_by_model_agrees_with_nearest_point(
    melange: dict[str, np.ndarray], melange_profiles: ProfileTable
) -> None:
    calls: list[tuple[float, float]] = []

    def estimate(inp: float, out: float) -> float:
        calls.append((inp, out))
        return 1e4 / (inp + 8 * out)

    measured = melange["a100-80gb"][5, 2]  # input 2000, output 250
    hit = lookup(melange_profiles, "a100-80gb", 4000, 250, model_estimate=estimate)
    assert hit is not None
    assert hit.method == "scaled"
    assert hit.points == 1
    assert hit.requests_per_s == pytest.approx(estimate(4000, 250) * measured / estimate(2000, 250))
    assert (4000.0, 250.0) in calls
    assert (2000.0, 250.0) in calls
    just_outside = lookup(melange_profiles, "a100-80gb", 2000 * (1 + 1e-9), 250, model_estimate=estimate)
    assert just_outside is not None
    assert just_outside.requests_per_s == pytest.approx(measured, rel=1e-8)


def test_melange_outside_range_without_model(
    melange: dict[str, np.ndarray], melange_profiles: ProfileTable
) -> None:
    small = lookup(melange_profiles, "l4", 10, 60)  # nearest bigger request: (25, 100)
    assert small == ProfileHit(melange["l4"][0, 1], "nearest-smaller", 1)
    assert lookup(melange_profiles, "l4", 10, 10, model_estimate=lambda i, o: None) == ProfileHit(
        melange["l4"][0, 0], "nearest-smaller", 1
    )
    assert lookup(melange_profiles, "l4", 5000, 100) is None
    assert lookup(melange_profiles, "l4", 5000, 100, model_estimate=lambda i, o: math.nan) is None


def test_melange_lookup_many_matches_lookup(melange_profiles: ProfileTable) -> None:
    rng = np.random.default_rng(7)
    inp, out = np.exp(rng.uniform(np.log(5), np.log(8000), (2, 300)))
    ttft = np.where(rng.random(300) < 0.5, np.nan, 100.0)

    def many(i: np.ndarray, o: np.ndarray) -> np.ndarray:
        return np.where((i > 3000) | (i < 10), np.nan, 1e4 / (i + 8 * o))

    rates, methods = melange_profiles.lookup_many(key("h100"), inp, out, ttft, np.full(300, np.nan), many)
    assert set(methods) == {INTERPOLATED, SCALED, NEAREST_SMALLER, NONE}
    for n in range(300):
        target = None if math.isnan(ttft[n]) else ttft[n]
        scalar = lookup(
            melange_profiles,
            "h100",
            inp[n],
            out[n],
            ttft_ms=target,
            model_estimate=lambda i, o: float(many(np.array([i]), np.array([o]))[0]),
        )
        assert (scalar is None) == (methods[n] == NONE)
        if scalar is not None:
            assert scalar.method == METHODS[methods[n]]
            assert scalar.requests_per_s == pytest.approx(rates[n], rel=1e-12)


def test_lookup_many_is_fast(melange_profiles: ProfileTable) -> None:
    import time

    rng = np.random.default_rng(1)
    size = 100_000
    inp, out = np.exp(rng.uniform(np.log(5), np.log(8000), (2, size)))
    tpot = rng.choice([np.nan, 50.0, 100.0], size)
    start = time.perf_counter()
    rates, methods = melange_profiles.lookup_many(
        key("a10g"), inp, out, np.full(size, np.nan), tpot, lambda i, o: 1e4 / (i + 8 * o)
    )
    assert time.perf_counter() - start < 5.0
    assert np.isfinite(rates).all()
    assert (methods != NONE).all()


# --- Interpolation rules on synthetic data ---------------------------------------------------


def test_bilinear_in_log_space_is_exact_for_power_laws(tmp_path: Path) -> None:
    def law(inp: float, out: float) -> float:
        return float(3e4 * inp**-0.6 * out**-1.1)

    grid = (16, 64, 512, 4096)
    lines = [HEADER] + [f"{MODEL},h100,{i},{o},{law(i, o)!r}" for i in grid for o in grid]
    table = load_profiles(write(tmp_path, "\n".join(lines)), CATALOG)
    for inp, out in ((20, 30), (100, 4000), (4000, 17), (512, 300)):
        hit = lookup(table, "h100", inp, out)
        assert hit is not None
        assert hit.method == "interpolated"
        assert hit.requests_per_s == pytest.approx(law(inp, out), rel=1e-9)


def test_scattered_points_use_inverse_distance_weighting() -> None:
    table = load_profiles(DATA / "scattered.csv", CATALOG)
    hit = lookup(table, "a10g", 500, 500)
    assert hit is not None
    assert hit.method == "interpolated"
    assert hit.points == 4
    assert 0.2 < hit.requests_per_s < 10
    near = lookup(table, "a10g", 101, 101)  # next to (100, 100, 10 req/s)
    assert near is not None
    assert near.requests_per_s == pytest.approx(10, rel=0.01)
    assert lookup(table, "a10g", 300, 1000) == ProfileHit(1.0, "exact", 1)


def test_single_point_profile(tmp_path: Path) -> None:
    table = load_profiles(write(tmp_path, f"{HEADER}\n{MODEL},l4,100,100,5\n"), CATALOG)
    assert lookup(table, "l4", 100, 100) == ProfileHit(5.0, "exact", 1)
    assert lookup(table, "l4", 50, 100) == ProfileHit(5.0, "nearest-smaller", 1)
    assert lookup(table, "l4", 200, 100) is None
    scaled = lookup(table, "l4", 200, 100, model_estimate=lambda i, o: 1000 / i)
    assert scaled == ProfileHit(pytest.approx(2.5), "scaled", 1)  # type: ignore[arg-type]


def test_grid_line_interpolation_between_two_points(tmp_path: Path) -> None:
    text = f"{HEADER}\n{MODEL},l4,100,100,8\n{MODEL},l4,100,400,2\n"
    table = load_profiles(write(tmp_path, text), CATALOG)
    assert lookup(table, "l4", 100, 200) == ProfileHit(pytest.approx(4.0), "interpolated", 2)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("ttft", "tpot", "expected"),
    [
        (None, None, 8.0),  # no targets: any measurement, the best one
        (2000, 150, 6.0),  # the 4000 ms/200 ms measurement is too loose
        (1000, 60, 5.0),
        (None, 100, 6.0),
        (500, 30, 4.0),  # only the measurement with no recorded target
    ],
)
def test_latency_targets_filter_measurements(ttft: float | None, tpot: float | None, expected: float) -> None:
    table = load_profiles(DATA / "targets.csv", CATALOG)
    assert lookup(table, "l4", 500, 200, ttft_ms=ttft, tpot_ms=tpot) == ProfileHit(expected, "exact", 1)


def test_latency_targets_without_unrecorded_measurement(tmp_path: Path) -> None:
    text = f"{HEADER},tpot_ms\n{MODEL},l4,500,200,5,50\n{MODEL},l4,1000,200,3,\n"
    table = load_profiles(write(tmp_path, text), CATALOG)
    assert lookup(table, "l4", 500, 200, tpot_ms=30) == ProfileHit(3.0, "nearest-smaller", 1)
    assert lookup(table, "l4", 500, 200, tpot_ms=50) == ProfileHit(5.0, "exact", 1)
    assert lookup(table, "l4", 2000, 200, tpot_ms=30) is None


def test_unknown_config_and_bad_queries_are_not_served(melange_profiles: ProfileTable) -> None:
    assert melange_profiles.lookup(MODEL, "l4", 2, 1, "fp16", 100, 100, None, None) is None
    assert melange_profiles.lookup(MODEL, "l4", 1, 1, "int8", 100, 100, None, None) is None
    bad = np.array([0.0, -5.0, np.nan, np.inf])
    rates, methods = melange_profiles.lookup_many(key("l4"), bad, np.full(4, 100.0), np.nan, np.nan)  # type: ignore[arg-type]
    assert np.isnan(rates).all()
    assert (methods == NONE).all()


def test_empty_profiles() -> None:
    table = empty_profiles()
    assert len(table) == 0
    assert list(table.frame.columns) == list(FRAME_COLUMNS)
    assert list(table.configs().columns) == list(CONFIG_COLUMNS)
    assert table.configs().empty
    assert table.lookup(MODEL, "l4", 1, 1, "fp16", 100, 100, None, None) is None
    rates, methods = table.lookup_many(key("l4"), np.ones(3), np.ones(3), np.ones(3), np.ones(3))
    assert np.isnan(rates).all()
    assert (methods == NONE).all()


# --- The CSV format --------------------------------------------------------------------------


def test_excel_style_file_is_read_with_defaults() -> None:
    path = DATA / "excel.csv"
    table = load_profiles(path, CATALOG)
    assert table.path == str(path)
    assert table.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    expected = pd.DataFrame(
        {
            "model": [MODEL] * 3,
            "accelerator": ["a100-80gb", "a100-80gb", "h100"],
            "tensor_parallel": [1, 1, 2],
            "pipeline_parallel": [1, 1, 1],
            "precision": ["fp16", "fp16", "int8"],
            "input_tokens": [100.0, 250.0, 100.0],
            "output_tokens": [100.0, 100.0, 100.0],
            "requests_per_s": [21.41, 17.13, 18.6],
            "ttft_ms": [np.nan, np.nan, 500.0],
            "tpot_ms": [np.nan, np.nan, 50.0],
            "source": ["", "", ""],
        }
    ).astype({c: "str" for c in ("model", "accelerator", "precision", "source")})
    pd.testing.assert_frame_equal(table.frame, expected)
    configs = table.configs()
    assert configs.to_dict("records") == [
        {
            "model": MODEL,
            "accelerator": "a100-80gb",
            "tensor_parallel": 1,
            "pipeline_parallel": 1,
            "precision": "fp16",
        },
        {
            "model": MODEL,
            "accelerator": "h100",
            "tensor_parallel": 2,
            "pipeline_parallel": 1,
            "precision": "int8",
        },
    ]
    hit = table.lookup(MODEL, "h100", 2, 1, "int8", 100, 100, 800, 80)
    assert hit == ProfileHit(18.6, "exact", 1)
    assert table.lookup(MODEL, "h100", 2, 1, "int8", 100, 100, 800, 40) is None


def test_errors_name_row_column_and_valid_values() -> None:
    found = {(e.location.row, e.location.column): e for e in errors_of(DATA / "errors.csv")}
    expected = {
        (2, "accelerator"): ("unknown accelerator 'a100-80g'", "did you mean 'a100-80gb'"),  # best first
        (3, "requests_per_s"): ("greater than 0, got '-3'", None),
        (4, "input_tokens"): ("greater than 0, got '0'", None),
        (5, "precision"): ("unknown precision 'fp9'", "did you mean"),
        (6, "precision"): ("precision 'fp8' is not listed for model 'llama-2-7b'", "fp16, int8"),
        (7, "requests_per_s"): ("got 'nan'", None),
        (8, "requests_per_s"): ("got 'inf'", None),
        (9, "requests_per_s"): ("got 'lots'", None),
        (10, "tensor_parallel"): ("whole number", None),
        (11, "model"): ("unknown model 'llama-2'", "did you mean 'llama-2-7b'?"),
        (13, None): ("duplicate measurement", "one row per"),
    }
    assert set(found) == set(expected)
    for where, (message, hint) in expected.items():
        assert message in found[where].message
        assert hint is None or hint in (found[where].hint or ""), found[where].hint
    assert all(e.location.file == str(DATA / "errors.csv") for e in found.values())
    assert "as row 12" in found[(13, None)].message


@pytest.mark.parametrize(
    ("text", "message", "hint"),
    [
        ("", "empty", None),
        ("\n\n", "empty", None),
        (f"{HEADER}\n", "no data rows", None),
        (f"{HEADER}\n\n,,,,\n", "no data rows", None),
        (
            HEADER.replace("requests_per_s", "request_per_s") + f"\n{MODEL},l4,1,1,1\n",
            "unknown column",
            "did you mean 'requests_per_s'?",
        ),
        (HEADER.replace(",requests_per_s", "") + f"\n{MODEL},l4,1,1\n", "missing required column", None),
        (f"{HEADER},model\n{MODEL},l4,1,1,1,{MODEL}\n", "twice", None),
        (f"{HEADER}\n{MODEL},l4,1,1,1,extra\n", "6 cells but the header names 5 columns", "quote"),
        (f"{HEADER},\n{MODEL},l4,1,1,1,extra\n", "column 6, which has no name", "quote"),
        (f'{HEADER}\n{MODEL},l4,"1"2,1,1\n', "not valid CSV", "quote"),
        ("a,b\n1,2\n", "unknown column 'b'", "valid columns: accelerator"),
        ("a;b\n1;2\n", "expected comma-separated columns", "separated by ';'"),
        (HEADER.upper() + f"\n{MODEL},l4,1,1,1e7\n", "above the bound of 1,000,000 requests/s", None),
        (f"{HEADER}\n{MODEL},l4,1e300,1,1\n", "MAX_TOKENS", None),
        (f"{HEADER},tpot_ms\n{MODEL},l4,1,1,1,nan\n", "NaN and infinity are not allowed", None),
        (f"{HEADER}\n{MODEL},l4,1,1,\n", "missing value", None),
        (f"{HEADER},pipeline_parallel\n{MODEL},l4,1,1,1,4096\n", "whole number from 1 to 1024", None),
        (f"{HEADER},ttft_ms\n{MODEL},l4,1,1,1,-1\n", "greater than 0", None),
        (f"{HEADER},tensor_parallel\n{MODEL},l4,1,1,1,0\n", "greater than 0", None),
    ],
)
def test_malformed_files(tmp_path: Path, text: str, message: str, hint: str | None) -> None:
    errors = errors_of(write(tmp_path, text))
    assert any(message in e.message and (hint is None or hint in (e.hint or "")) for e in errors), errors


def test_file_level_errors(tmp_path: Path) -> None:
    assert "file not found" in errors_of(tmp_path / "missing.csv")[0].message
    assert "directory" in errors_of(tmp_path)[0].message
    latin1 = errors_of(DATA / "latin1.csv")[0]
    assert "not UTF-8" in latin1.message
    assert "line 2" in latin1.message
    assert "UTF-8" in (latin1.hint or "")
    semicolon = errors_of(DATA / "semicolon.csv")[0]
    assert "separated by ';'" in (semicolon.hint or "")


def test_errors_are_capped(tmp_path: Path) -> None:
    rows = "\n".join(f"{MODEL},l4,{n},1,-1" for n in range(1, 40))
    errors = errors_of(write(tmp_path, f"{HEADER}\n{rows}\n"))
    assert len(errors) == MAX_ERRORS + 1
    assert "19 more errors" in errors[-1].message


def test_errors_render_for_the_cli() -> None:
    with pytest.raises(InputErrors) as info:
        load_profiles(DATA / "errors.csv", CATALOG)
    text = str(info.value)
    assert "errors.csv, row 2, column 'accelerator': unknown accelerator 'a100-80g'" in text
    assert "\n  did you mean 'a100-80gb'" in text


# --- Fuzzing -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder) / "fuzz.csv"


def load_or_input_error(path: Path) -> ProfileTable | None:
    try:
        return load_profiles(path, CATALOG)
    except InputError as exc:
        error = exc
    assert error.exit_code == EXIT_INPUT
    assert str(error)
    return None


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_fuzz_arbitrary_bytes(scratch: Path, data: bytes) -> None:
    scratch.write_bytes(data)
    load_or_input_error(scratch)


COLUMNS = (
    "model",
    "accelerator",
    "input_tokens",
    "output_tokens",
    "requests_per_s",
    "tensor_parallel",
    "pipeline_parallel",
    "precision",
    "ttft_ms",
    "tpot_ms",
    "junk",
    "",
)
CELLS = st.one_of(
    st.sampled_from(
        [
            MODEL,
            "l4",
            "h100",
            "a100-80gb",
            "fp16",
            "int8",
            "fp8",
            "1",
            "2",
            "100",
            "0",
            "-1",
            "1e400",
            "nan",
            "inf",
            "2.5",
            "",
            " ",
            '"',
            "1,5",
            "llama",
        ]
    ),
    st.text(max_size=8),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=11),
    st.lists(st.lists(CELLS, max_size=12), max_size=6),
    st.sampled_from(["\n", "\r\n", "\r"]),
    st.booleans(),
)
def test_fuzz_csv_cells(
    scratch: Path, header: list[str], rows: list[list[str]], newline: str, bom: bool
) -> None:
    lines = [",".join(header)] + [",".join(row) for row in rows]
    scratch.write_bytes(
        (b"\xef\xbb\xbf" if bom else b"") + newline.join(lines).encode("utf-8", "surrogatepass")
    )
    table = load_or_input_error(scratch)
    if table is not None:
        assert list(table.frame.columns) == list(FRAME_COLUMNS)
        assert len(table) > 0
        assert (table.frame["requests_per_s"] > 0).all()


POSITIVE = st.floats(min_value=1.0, max_value=1e7, allow_nan=False)
RATE = st.floats(min_value=1e-3, max_value=1e6, allow_nan=False)
QUERY = st.one_of(POSITIVE, st.sampled_from([0.0, -1.0, math.nan, math.inf, 1e300, 5e-324]))
TARGET = st.one_of(st.none(), st.floats(min_value=1, max_value=1e4))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(POSITIVE, POSITIVE, RATE, TARGET), min_size=1, max_size=20, unique_by=lambda p: p[:2]),
    st.lists(st.tuples(QUERY, QUERY, TARGET), min_size=1, max_size=20),
    st.booleans(),
)
def test_fuzz_lookup(
    scratch: Path,
    points: list[tuple[float, float, float, float | None]],
    queries: list[tuple[float, float, float | None]],
    with_model: bool,
) -> None:
    lines = [f"{HEADER},tpot_ms"] + [
        f"{MODEL},l4,{i!r},{o!r},{r!r},{'' if t is None else repr(t)}" for i, o, r, t in points
    ]
    scratch.write_text("\n".join(lines), encoding="utf-8")
    table = load_profiles(scratch, CATALOG)
    inp, out, tpot = (
        np.array([math.nan if v is None else v for v in col], dtype=float)
        for col in zip(*queries, strict=True)
    )
    model = (lambda i, o: 1e6 / (1 + i + o)) if with_model else None
    rates, methods = table.lookup_many(key("l4"), inp, out, np.full(len(inp), np.nan), tpot, model)
    served = methods != NONE
    assert (np.isfinite(rates[served]) & (rates[served] > 0)).all()
    assert np.isnan(rates[~served]).all()
    measured = {(i, o): r for i, o, r, _t in points}
    for n, (i, o, t) in enumerate(queries):
        hit = lookup(
            table,
            "l4",
            i,
            o,
            tpot_ms=t,
            model_estimate=(lambda a, b: 1e6 / (1 + a + b)) if with_model else None,
        )
        assert (hit is None) == (not served[n])
        if hit is not None:
            assert hit.requests_per_s == pytest.approx(rates[n], rel=1e-12)
            assert hit.method == METHODS[methods[n]]
        if t is None and (i, o) in measured:
            assert hit == ProfileHit(measured[(i, o)], "exact", 1)
        elif hit is not None and hit.method in ("interpolated", "nearest-smaller"):
            assert (
                min(measured.values()) * (1 - 1e-9)
                <= hit.requests_per_s
                <= max(measured.values()) * (1 + 1e-9)
            )
