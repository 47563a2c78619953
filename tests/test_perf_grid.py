"""estimate_grid: agrees with estimate row by row, keeps the index, runs fast."""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd
import pytest
from perf_models import MIXTRAL

from planner.catalog.schema import Accelerator, Model
from planner.perf import estimate, estimate_grid
from planner.perf import reference as ref

SHAPELESS = Model(id="shapeless")
BARE = Accelerator(id="bare", chips_per_node=8)
MODELS = {
    m.id: m for m in (ref.LLAMA31_8B, ref.LLAMA3_70B, ref.LLAMA31_405B, ref.QWEN3_235B, MIXTRAL, SHAPELESS)
}
ACCELERATORS = {a.id: a for a in (ref.H100, ref.H200, ref.MI300X, ref.TRAINIUM1, BARE)}


def random_cases(n: int, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "model": rng.choice([*MODELS, "nope"], n),
            "accelerator": rng.choice([*ACCELERATORS, "gone"], n),
            "tensor_parallel": rng.choice([1, 2, 4, 8, 16, 3], n),
            "pipeline_parallel": rng.choice([1, 1, 1, 2], n),
            "precision": rng.choice(np.array(["bf16", "fp8", None], dtype=object), n),
            "input_tokens": rng.integers(0, 9000, n),
            "output_tokens": rng.integers(1, 3000, n),
            "ttft_ms": np.where(rng.random(n) < 0.5, np.nan, rng.uniform(50, 5000, n)),
            "tpot_ms": np.where(rng.random(n) < 0.5, np.nan, rng.uniform(5, 150, n)),
        },
        index=pd.Index(rng.permutation(np.arange(10 * n))[:n], name="case"),
    )


def scalar(row: pd.Series):
    def opt(value: float) -> float | None:
        return None if pd.isna(value) else float(value)

    return estimate(
        MODELS.get(row["model"], Model(id="nope")),
        ACCELERATORS.get(row["accelerator"], Accelerator(id="gone", chips_per_node=1)),
        tensor_parallel=int(row["tensor_parallel"]),
        pipeline_parallel=int(row["pipeline_parallel"]),
        precision=None if pd.isna(row["precision"]) else row["precision"],
        input_tokens=int(row["input_tokens"]),
        output_tokens=int(row["output_tokens"]),
        ttft_ms=opt(row["ttft_ms"]),
        tpot_ms=opt(row["tpot_ms"]),
        batch=None if "batch" not in row or pd.isna(row["batch"]) else int(row["batch"]),
    )


def same(a: float | None, b: object) -> bool:
    if a is None:
        return bool(pd.isna(b))
    return math.isclose(a, float(b), rel_tol=1e-12)  # type: ignore[arg-type]


def assert_rows_agree(cases: pd.DataFrame, out: pd.DataFrame) -> None:
    for index, row in cases.iterrows():
        e, g = scalar(row), out.loc[index]
        assert e.fits == g["fits"], index
        if isinstance(g["reason"], str) and g["reason"].startswith("unknown"):
            assert not e.fits, index  # the scalar call got a stand-in record without a shape or spec
            continue
        assert e.reason == g["reason"], index
        assert (e.max_batch is None and pd.isna(g["max_batch"])) or e.max_batch == g["max_batch"], index
        assert same(e.requests_per_s, g["requests_per_s"]), index
        for mine, column in (
            (e.tpot_ms, "tpot_ms_pred"),
            (e.decode_step_ms, "decode_step_ms_pred"),
            (e.ttft_ms, "ttft_ms_pred"),
            (e.memory_gib, "memory_gib"),
            (e.memory_gib_per_chip, "memory_gib_per_chip"),
        ):
            assert same(mine, g[column]), (index, column)


def test_grid_agrees_with_estimate_row_by_row():
    cases = random_cases(600)
    out = estimate_grid(cases, MODELS, ACCELERATORS)
    assert out.index.equals(cases.index)
    assert list(out.columns[: len(cases.columns)]) == list(cases.columns)
    assert out["fits"].dtype == bool
    assert out["fits"].any()
    assert not out["fits"].all()
    assert_rows_agree(cases, out)
    unknown = out[cases["model"] == "nope"]
    assert not unknown["fits"].any()
    assert unknown["reason"].str.startswith("unknown model").all()


def test_grid_with_given_batches_and_kv_precision():
    cases = random_cases(200, seed=3)
    cases["batch"] = np.where(np.arange(200) % 2 == 0, np.nan, np.arange(200) % 64 + 1)
    out = estimate_grid(cases, MODELS, ACCELERATORS)
    assert_rows_agree(cases, out)
    fp8 = cases.assign(
        kv_cache_precision="fp8", precision="fp8", model="llama-3.1-8b", accelerator="h100-sxm"
    )
    fp8 = fp8.assign(tensor_parallel=1, pipeline_parallel=1)
    got = estimate_grid(fp8, MODELS, ACCELERATORS)
    row = fp8.iloc[1]
    e = estimate(
        ref.LLAMA31_8B,
        ref.H100,
        precision="fp8",
        kv_cache_precision="fp8",
        input_tokens=int(row["input_tokens"]),
        output_tokens=int(row["output_tokens"]),
        ttft_ms=None if pd.isna(row["ttft_ms"]) else row["ttft_ms"],
        tpot_ms=None if pd.isna(row["tpot_ms"]) else row["tpot_ms"],
        batch=int(row["batch"]),
    )
    assert same(e.tpot_ms, got.iloc[1]["tpot_ms_pred"])


def test_grid_validates_its_input():
    cases = random_cases(10)
    with pytest.raises(ValueError, match="lack column"):
        estimate_grid(cases.drop(columns="tpot_ms"), MODELS, ACCELERATORS)
    with pytest.raises(ValueError, match="unknown precision"):
        estimate_grid(cases.assign(precision="fp3", model="llama-3.1-8b"), MODELS, ACCELERATORS)
    with pytest.raises(ValueError, match="output_tokens < 1"):
        estimate_grid(cases.assign(output_tokens=0), MODELS, ACCELERATORS)
    assert estimate_grid(cases.iloc[:0], MODELS, ACCELERATORS).empty


def test_grid_is_fast():
    cases = random_cases(200_000, seed=11)
    estimate_grid(cases.iloc[:1000], MODELS, ACCELERATORS)  # warm up imports and caches
    start = time.perf_counter()
    out = estimate_grid(cases, MODELS, ACCELERATORS)
    elapsed = time.perf_counter() - start
    assert len(out) == 200_000
    assert elapsed < 2.0, f"200,000 rows took {elapsed:.2f} s"
