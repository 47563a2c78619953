"""``plan profiles check`` and the profiles-package seams: flags rows more than 2x off the model.

The rates are set relative to the performance model's own estimate for the row (computed here with
:func:`planner.perf.estimate_grid` on the shipped catalog, passed as a ``--catalog`` folder), so
the tests do not depend on the model's calibration.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import planner
from planner.catalog.load import load_catalog
from planner.catalog.schema import Catalog
from planner.errors import InputError
from planner.perf import estimate_grid
from planner.profiles import FRAME_COLUMNS, load_profiles
from planner.profiles.check import check_profiles
from planner.profiles.imports import Point, _beats, _select, profiles_csv

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "catalogs"


@functools.cache
def shipped() -> Catalog:
    """The shipped catalog, read once (as a --catalog folder: the tests hide the built-in one)."""
    return load_catalog([SHIPPED])


ROW = {"model": "llama-3.1-8b", "accelerator": "h100-sxm", "tensor_parallel": 1, "pipeline_parallel": 1}


def model_rate(input_tokens: float, output_tokens: float, tpot_ms: float) -> float:
    catalog = shipped()
    case = pd.DataFrame(
        [{**ROW, "precision": "bf16", "input_tokens": input_tokens, "output_tokens": output_tokens,
          "ttft_ms": math.nan, "tpot_ms": tpot_ms}]
    )  # fmt: skip
    grid = estimate_grid(case, catalog.models, catalog.accelerators)
    assert bool(grid["fits"].iloc[0])
    return float(grid["requests_per_s"].iloc[0])


def write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    header = (
        "model,accelerator,tensor_parallel,precision,input_tokens,output_tokens,requests_per_s,tpot_ms,source"
    )
    lines = [header] + [
        f"{r['model']},{r['accelerator']},{r['tensor_parallel']},bf16,{r['input_tokens']},{r['output_tokens']},"
        f"{r['requests_per_s']!r},{r['tpot_ms']},{r['source']}"
        for r in rows
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def rates() -> dict[str, float]:
    return {"short": model_rate(500, 100, 50), "long": model_rate(2000, 400, 50)}


def rows(rates: dict[str, float], factors: dict[str, float]) -> list[dict[str, Any]]:
    shapes = {"short": (500, 100), "long": (2000, 400)}
    return [
        {**ROW, "input_tokens": shapes[k][0], "output_tokens": shapes[k][1], "requests_per_s": rates[k] * f,
         "tpot_ms": 50, "source": f"bench-{k}.json"}
        for k, f in factors.items()
    ]  # fmt: skip


def test_rows_more_than_twice_off_are_flagged(tmp_path: Path, rates: dict[str, float]) -> None:
    path = write_csv(tmp_path / "p.csv", rows(rates, {"short": 1.9, "long": 0.1}))
    report = check_profiles(path, catalog_dirs=[SHIPPED])
    assert [r.status for r in report.rows] == ["ok", "flagged"]
    assert report.flagged == 1
    assert report.rows[0].ratio == pytest.approx(1.9)
    assert report.rows[1].ratio == pytest.approx(0.1)
    assert "below the estimate" in report.rows[1].reason
    assert [r.source for r in report.rows] == ["bench-short.json", "bench-long.json"]
    assert check_profiles(path, factor=20, catalog_dirs=[SHIPPED]).flagged == 0
    with pytest.raises(InputError, match="above 1"):
        check_profiles(path, factor=1.0, catalog_dirs=[SHIPPED])


def test_a_case_the_model_cannot_estimate_is_listed_not_flagged(tmp_path: Path) -> None:
    row = {**ROW, "model": "llama-3.1-405b", "accelerator": "l4", "input_tokens": 100, "output_tokens": 100,
           "requests_per_s": 1.0, "tpot_ms": 50, "source": ""}  # fmt: skip
    report = check_profiles(write_csv(tmp_path / "p.csv", [row]), catalog_dirs=[SHIPPED])
    assert [(r.status, r.estimated_requests_per_s, r.ratio) for r in report.rows] == [
        ("no-estimate", None, None)
    ]
    assert report.rows[0].reason


def test_cli_check_exit_codes_and_json(
    run_cli: Callable[..., Any], tmp_path: Path, rates: dict[str, float]
) -> None:
    good = write_csv(tmp_path / "good.csv", rows(rates, {"short": 1.0, "long": 0.6}))
    result = run_cli("profiles", "check", good, "--catalog", SHIPPED)
    assert result.returncode == 0, result.stdout + result.stderr
    bad = write_csv(tmp_path / "bad.csv", rows(rates, {"short": 10.0, "long": 1.0}))
    result = run_cli("profiles", "check", bad, "--catalog", SHIPPED, "--format", "json")
    assert result.returncode == 1, result.stderr
    data = json.loads(result.stdout)
    assert data["flagged"] == 1
    assert [r["status"] for r in data["rows"]] == ["flagged", "ok"]
    assert data["rows"][0]["ratio"] == pytest.approx(10.0)
    missing = run_cli("profiles", "check", tmp_path / "none.csv", "--catalog", SHIPPED)
    assert missing.returncode == 2
    assert missing.stderr.startswith("error: ")


def test_api_names_are_re_exported() -> None:
    assert planner.import_profiles.__module__ == "planner.profiles.imports"
    assert planner.check_profiles.__module__ == "planner.profiles.check"


def test_package_modules_stay_small() -> None:
    for module in sorted((ROOT / "planner" / "profiles").rglob("*.py")):
        assert len(module.read_text(encoding="utf-8").splitlines()) <= 500, module


def test_source_column_round_trips_through_the_reader(tmp_path: Path) -> None:
    catalog = shipped()
    point = Point("llama-3.1-8b", "h100-sxm", 2, 1, "fp8", 136.9, 44.2, 9.364124289561836, 44.16, math.nan,
                  "runs/a b,c.json#2", "vllm", "request_rate inf", "(137, 44)")  # fmt: skip
    path = tmp_path / "p.csv"
    path.write_text(profiles_csv([point]), encoding="utf-8")
    frame = load_profiles(path, catalog).frame
    assert list(frame.columns) == list(FRAME_COLUMNS)
    row = frame.iloc[0]
    assert (row["source"], row["requests_per_s"], row["tensor_parallel"]) == (
        "runs/a b,c.json#2",
        9.364124289561836,
        2,
    )
    assert math.isnan(row["tpot_ms"])


def _point(rate: float, ttft: float, tpot: float, sweep: str = "s") -> Point:
    return Point("m", "a", 1, 1, "bf16", 100.0, 10.0, rate, ttft, tpot, f"f#{rate}", "vllm", "", sweep)


latency = st.floats(min_value=1, max_value=1000, allow_nan=False)
point_lists = st.lists(
    st.tuples(st.floats(min_value=0.1, max_value=100), latency, latency), min_size=1, max_size=12
)


@settings(max_examples=60, deadline=None)
@given(point_lists)
def test_pareto_selection_keeps_exactly_the_unbeaten_runs(values: list[tuple[float, float, float]]) -> None:
    points = [_point(*v) for v in values]
    kept = _select(points, None, None, [])
    assert all(not any(_beats(q, p) for q in points) for p in kept)
    dropped = [p for p in points if p not in kept]
    assert all(any(_beats(q, p) for q in kept) for p in dropped)


@settings(max_examples=60, deadline=None)
@given(point_lists, latency, latency)
def test_targets_select_the_fastest_run_meeting_them(
    values: list[tuple[float, float, float]], ttft: float, tpot: float
) -> None:
    points = [_point(*v) for v in values]
    meeting = [p for p in points if p.ttft_ms <= ttft and p.tpot_ms <= tpot]
    if not meeting:
        with pytest.raises(InputError, match="no run meets the latency targets"):
            _select(points, ttft, tpot, [])
        return
    (kept,) = _select(points, ttft, tpot, [])
    assert kept.requests_per_s == max(p.requests_per_s for p in meeting)
    assert kept.ttft_ms <= ttft
    assert kept.tpot_ms <= tpot


# --- Mapping names to the shipped catalog's ids -----------------------------------------------------


def test_every_shipped_model_is_found_by_its_hugging_face_ids() -> None:
    from planner.profiles.mapping import match_model

    catalog = shipped()
    for model in catalog.models.values():
        if model.hf_repo_id:
            assert match_model([model.hf_repo_id.upper()], catalog) == (model, None), model.id
        for precision, repo in model.hf_checkpoints.items():
            assert match_model([repo], catalog) == (model, precision), repo


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("llama-3-2-3b", ("llama-3.2-3b", None)),  # a served alias, dots as dashes
        ("neuralmagic/Meta-Llama-3.1-8B-FP8", ("llama-3.1-8b", "fp8")),
        ("/root/.cache/hub/Qwen3-32B-AWQ", ("qwen3-32b", "int4")),  # a local path
        ("acme/Unknown-7B", None),
    ],
)
def test_model_names_from_files(name: str, expected: tuple[str, str | None] | None) -> None:
    from planner.profiles.mapping import match_model

    found = match_model([name], shipped())
    assert (None if found is None else (found[0].id, found[1])) == expected


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("4xNVIDIA_L40S", ("l40s", 4, [])),
        ("NVIDIA H200", ("h200", None, [])),
        ("H100-80GB-SXM", ("h100-sxm", None, [])),
        ("8 x MI300X", ("mi300x", 8, [])),
        ("A100", (None, None, ["a100-40gb", "a100-80gb"])),
        ("Ascend 910B", (None, None, [])),
    ],
)
def test_hardware_labels_from_files(label: str, expected: tuple[str | None, int | None, list[str]]) -> None:
    from planner.profiles.mapping import match_accelerator

    assert match_accelerator(label, shipped()) == expected
