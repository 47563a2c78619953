"""Hostile input as a property: whatever the files hold, ``plan solve`` ends cleanly.

Hypothesis writes malformed demand CSV, profiles CSV, options.yaml and catalog YAML into a copy of
the tiny case (random bytes, bad encodings, wrong types, NaN and infinity, huge numbers, empty
files, duplicate headers, ragged rows) and asserts that the run ends with an
:class:`~planner.errors.InputError` (exit 2) or a valid plan: never another exception. A handful
of the same inputs go through the real command line, which must exit 2 with one message and no
traceback. Valid inputs are tiny, with no baselines and a short time limit, so each run is fast.
"""

from __future__ import annotations

import math
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import planner
from planner.errors import EXIT_INPUT, EXIT_UNMET, InputError, SolveError
from planner.optionspec import SOLVE_OPTIONS
from planner.plan import Plan
from tests.conftest import OPTIMIZER_DATA

Run = Callable[..., Any]
PROPERTY = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FAST = {"no_baselines": True, "time_limit": 10}


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder)


def fresh_case(scratch: Path) -> Path:
    folder = scratch / "case"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(OPTIMIZER_DATA / "tiny", folder)
    return folder


def ends_cleanly(folder: Path, *, solve_error_ok: bool = False, **options: Any) -> Plan | None:
    """Solve; an InputError (exit 2) or a plan is fine, anything else fails the test."""
    error: InputError | SolveError
    try:
        solved = planner.solve(folder, **{**FAST, **options})
    except (InputError, SolveError) as exc:
        error = exc
    else:
        plan = solved.plan
        Plan.model_validate(plan.model_dump(mode="json"))
        assert math.isfinite(plan.objective_usd)
        assert plan.objective_usd >= 0
        return plan
    if isinstance(error, SolveError):  # "no plan found in time": only for solver limits
        assert solve_error_ok, error
        assert error.exit_code == EXIT_UNMET
        return None
    assert error.exit_code == EXIT_INPUT
    assert error.render()
    assert "internal error" not in error.render()
    return None


# --- strategies ---------------------------------------------------------------------------------

WEIRD_NUMBERS = [
    "nan",
    "NaN",
    "inf",
    "-inf",
    "1e300",
    "-1e300",
    "1e-300",
    "1e999",
    "0",
    "-0",
    "0x10",
    "1_000",
]
CELLS = st.one_of(
    st.sampled_from(["", "1", "2.5", "-1", "tmodel", "p1", "p2", "chat", "yes", '"', "Chat", *WEIRD_NUMBERS]),
    st.text(max_size=6),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)
DEMAND_COLUMNS = [
    "period",
    "workload",
    "requests_per_s",
    "input_tokens",
    "output_tokens",
    "model",
    "min_quality",
    "hours",
    "ttft_ms",
    "tpot_ms",
    "api_only",
    "self_host_only",
    "min_replicas",
    "max_api_share",
    "target_utilization",
    "PERIOD",
    "junk",
    "",
]
PROFILE_COLUMNS = [
    "model",
    "accelerator",
    "input_tokens",
    "output_tokens",
    "requests_per_s",
    "tensor_parallel",
    "precision",
    "tpot_ms",
    "MODEL",
    "junk",
    "",
]


def csv_text(columns: list[str]) -> st.SearchStrategy[bytes]:
    """A header of known, repeated and unknown names over ragged rows of odd cells, maybe BOM/CRLF."""
    return st.builds(
        _join,
        st.lists(st.sampled_from(columns), min_size=1, max_size=9),
        st.lists(st.lists(CELLS, max_size=10), max_size=5),
        st.sampled_from(["\n", "\r\n"]),
        st.booleans(),
    )


def _join(header: list[str], rows: list[list[str]], newline: str, bom: bool) -> bytes:
    text = newline.join([",".join(header), *(",".join(row) for row in rows)])
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8", "surrogatepass")


def file_bytes(columns: list[str]) -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.binary(max_size=200),
        csv_text(columns),
        st.text(max_size=80).map(lambda t: t.encode("utf-16")),
        st.sampled_from([b"", b"\n\n", b"\xef\xbb\xbf", b"\xff\xfe", b"{}", b"[1, 2]"]),
    )


def good_demand_rows() -> st.SearchStrategy[bytes]:
    """Well-formed demand files with odd but legal values (some periods missing a workload)."""
    rate = st.one_of(st.floats(0, 50), st.sampled_from([0.0, 1e-9, 1e6]))
    hours = st.one_of(st.floats(1e-3, 1000), st.sampled_from([876_600.0, 1e-6]))
    row = st.tuples(st.sampled_from(["p1", "p2", "p3"]), st.sampled_from(["chat", "bulk"]), rate, hours)
    return st.lists(row, min_size=1, max_size=5, unique_by=lambda r: r[:2]).map(_demand_file)


def _demand_file(rows: list[tuple[str, str, float, float]]) -> bytes:
    hours = {}
    for period, _, _, h in rows:
        hours.setdefault(period, h)
    lines = ["period,workload,requests_per_s,input_tokens,output_tokens,model,hours"]
    lines += [f"{p},{w},{r!r},1000,200,tmodel,{hours[p]!r}" for p, w, r, _ in rows]
    return ("\n".join(lines) + "\n").encode()


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=10),
    st.sampled_from(
        ["yes", "1e6", "tgpu-a", "tgpu-a=2", "json", "term", "highs", ".", "catalog", "profiles.csv"]
    ),
)
VALUES = st.one_of(
    SCALARS,
    st.lists(SCALARS, max_size=3),
    st.dictionaries(st.text(max_size=5), SCALARS, max_size=3),
    st.lists(st.lists(SCALARS, max_size=2), max_size=2),
)
#: Keys options.yaml may hold (the writers -o and --save-model are left out: a test writes no file
#: where hypothesis says), near misses, and junk.
OPTION_KEYS = st.sampled_from(
    [s.name for s in SOLVE_OPTIONS if s.name not in ("output", "save-model")]
    + ["time_limit", "time-limit-s", "debug", "o", "baselines", "Threads", ""]
)


def options_yaml() -> st.SearchStrategy[bytes]:
    mapping = st.dictionaries(OPTION_KEYS, VALUES, max_size=4).map(lambda d: yaml.safe_dump(d).encode())
    return st.one_of(
        mapping,
        st.binary(max_size=100),
        st.text(max_size=60).map(str.encode),
        st.sampled_from([b"", b"threads: 1\nthreads: 2\n", b"[", b"a: &x [*x]\n", b"\xff", b"- 1\n"]),
    )


ACC_FIELDS = ["id", "chips_per_node", "on_demand_usd_per_chip_hour", "prices", "memory_gib", "junk"]
MODEL_FIELDS = ["id", "precisions", "quality", "max_context_tokens", "junk"]
API_FIELDS = ["id", "model", "usd_per_1m_input_tokens", "usd_per_1m_output_tokens", "quality", "junk"]
ENTRY_VALUES = st.one_of(
    SCALARS,
    st.sampled_from(["tgpu-a", "tgpu-z", "tmodel", "bf16", 1e300, 1e-300, -1, 0, 8, 2.0]),
    st.lists(st.sampled_from(["bf16", "fp8", "x", 3]), max_size=2),
    st.just([{"provider": "tp", "tier": "spot", "usd_per_chip_hour": 1e300}]),
)


def catalog_entry(fields: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.sampled_from(fields), ENTRY_VALUES, max_size=4)


def catalog_yaml(fields: list[str]) -> st.SearchStrategy[bytes]:
    entries = st.lists(catalog_entry(fields), max_size=3).map(lambda e: yaml.safe_dump(e).encode())
    return st.one_of(entries, st.binary(max_size=80), st.sampled_from([b"", b"{}", b"- a\n", b"[", b"\xff"]))


# --- properties ---------------------------------------------------------------------------------


@PROPERTY
@given(data=file_bytes(DEMAND_COLUMNS))
def test_any_demand_file(scratch: Path, data: bytes) -> None:
    folder = fresh_case(scratch)
    (folder / "demand.csv").write_bytes(data)
    ends_cleanly(folder)


@PROPERTY
@given(data=good_demand_rows())
def test_odd_but_valid_demand_gives_a_plan(scratch: Path, data: bytes) -> None:
    folder = fresh_case(scratch)
    (folder / "demand.csv").write_bytes(data)
    plan = ends_cleanly(folder)
    if plan is not None:
        assert plan.status in ("optimal", "feasible")


@PROPERTY
@given(data=file_bytes(PROFILE_COLUMNS))
def test_any_profiles_file(scratch: Path, data: bytes) -> None:
    folder = fresh_case(scratch)
    (folder / "profiles.csv").write_bytes(data)
    ends_cleanly(folder)


@PROPERTY
@given(data=options_yaml())
def test_any_options_file(scratch: Path, data: bytes) -> None:
    folder = fresh_case(scratch)
    (folder / "options.yaml").write_bytes(data)
    ends_cleanly(folder, solve_error_ok=True)


@PROPERTY
@given(
    name=st.sampled_from(["accelerators.yaml", "models.yaml", "apis.yaml"]),
    accelerators=catalog_yaml(ACC_FIELDS),
    models=catalog_yaml(MODEL_FIELDS),
    apis=catalog_yaml(API_FIELDS),
)
def test_any_catalog_file(scratch: Path, name: str, accelerators: bytes, models: bytes, apis: bytes) -> None:
    folder = fresh_case(scratch)
    data = {"accelerators.yaml": accelerators, "models.yaml": models, "apis.yaml": apis}[name]
    (folder / "catalog" / name).write_bytes(data)
    (folder / "options.yaml").write_text("no-baselines: true\n", encoding="utf-8")  # every id may be used
    ends_cleanly(folder)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    price=st.one_of(
        st.floats(min_value=1e-300, max_value=1e300), st.sampled_from([1e-300, 1e300, 1e-12, 1e20])
    ),
    api_price=st.one_of(st.floats(min_value=1e-300, max_value=1e300), st.sampled_from([1e-300, 1e300])),
    chips=st.integers(min_value=1, max_value=300),
)
def test_valid_catalogs_with_extreme_prices_give_a_plan(
    scratch: Path, price: float, api_price: float, chips: int
) -> None:
    folder = fresh_case(scratch)
    (folder / "catalog" / "accelerators.yaml").write_text(
        f"- {{id: tgpu-a, chips_per_node: {chips}, on_demand_usd_per_chip_hour: {price!r}}}\n"
        "- {id: tgpu-b, chips_per_node: 8, on_demand_usd_per_chip_hour: 1.0}\n",
        encoding="utf-8",
    )
    (folder / "catalog" / "apis.yaml").write_text(
        f"- {{id: tapi, model: tmodel, usd_per_1m_input_tokens: {api_price!r}, "
        "usd_per_1m_output_tokens: 1.0}\n",
        encoding="utf-8",
    )
    (folder / "options.yaml").write_text("no-baselines: true\n", encoding="utf-8")
    plan = ends_cleanly(folder)
    if plan is not None:
        assert plan.status in ("optimal", "feasible")


@PROPERTY
@given(
    values=st.dictionaries(
        st.sampled_from([s.key for s in SOLVE_OPTIONS if s.key not in ("output", "save_model")] + ["bogus"]),
        VALUES,
        max_size=3,
    )
)
def test_any_python_keywords(scratch: Path, values: dict[str, Any]) -> None:
    ends_cleanly(fresh_case(scratch), solve_error_ok=True, **values)


# --- the real command line ------------------------------------------------------------------------

CLI_CASES = [
    ("demand.csv", bytes(range(256))),
    (
        "demand.csv",
        b"PERIOD,WORKLOAD,REQUESTS_PER_S,INPUT_TOKENS,OUTPUT_TOKENS,MODEL,HOURS\np1,chat,1,1000,200,tmodel,1e300\n",
    ),
    (
        "profiles.csv",
        b"model,accelerator,input_tokens,output_tokens,requests_per_s\ntmodel,tgpu-a,1000,200,nan\n",
    ),
    ("options.yaml", b"target-utilization: yes\n"),
    ("catalog/accelerators.yaml", b"- {id: tgpu-a, chips_per_node: 8, on_demand_usd_per_chip_hour: .nan}\n"),
    ("catalog/accelerator.yaml", b"- {id: tgpu-a, chips_per_node: 8}\n"),
]


@pytest.mark.parametrize(("name", "data"), CLI_CASES)
def test_cli_exits_2_with_one_clean_message(run_cli: Run, tmp_path: Path, name: str, data: bytes) -> None:
    folder = tmp_path / "case"
    shutil.copytree(OPTIMIZER_DATA / "tiny", folder)
    (folder / name).write_bytes(data)
    result = run_cli("solve", folder, "--format", "json")
    assert result.returncode == 2, result.stderr + result.stdout
    assert result.stdout == ""
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.stderr
    assert "internal error" not in result.stderr
