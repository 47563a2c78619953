"""``estimate_grid``: the roofline for many cases at once, vectorised with numpy.

Distinct (model, accelerator, tp, pp, precision, KV precision) configurations are resolved once
in Python; everything per row (memory, step times, the batch search) is array arithmetic.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from planner.catalog.schema import Accelerator, Model
from planner.perf.constants import DEFAULT_KV_PRECISION
from planner.perf.estimate import results, workload
from planner.perf.layouts import configure
from planner.perf.replica import PLACEHOLDER, FloatArray, Replicas, ReplicaSpec

REQUIRED = (
    "model",
    "accelerator",
    "tensor_parallel",
    "pipeline_parallel",
    "precision",
    "input_tokens",
    "output_tokens",
    "ttft_ms",
    "tpot_ms",
)
KEY = ["model", "accelerator", "tensor_parallel", "pipeline_parallel", "precision", "kv_cache_precision"]
OUTPUT = {
    "fits": "fits",
    "max_batch": "max_batch",
    "requests_per_s": "requests_per_s",
    "tpot_ms": "tpot_ms_pred",
    "decode_step_ms": "decode_step_ms_pred",
    "ttft_ms": "ttft_ms_pred",
    "memory_gib": "memory_gib",
    "memory_gib_per_chip": "memory_gib_per_chip",
    "reason": "reason",
}


def _configuration(
    key: tuple[object, ...], models: Mapping[str, Model], accelerators: Mapping[str, Accelerator]
) -> tuple[ReplicaSpec | None, str | None]:
    """Spec or reason for one distinct configuration key (see ``KEY``)."""
    model_id, accel_id, tp, pp, precision, kv = key
    model, accelerator = models.get(str(model_id)), accelerators.get(str(accel_id))
    if model is None:
        return None, f"unknown model {model_id!r}"
    if accelerator is None:
        return None, f"unknown accelerator {accel_id!r}"
    chosen = str(precision) or model.precisions[0]
    return configure(model, accelerator, int(tp), int(pp), chosen, str(kv))  # type: ignore[call-overload]


def _keys(cases: pd.DataFrame) -> pd.DataFrame:
    """The configuration columns, with the KV precision defaulted and layouts as integers."""
    missing = [c for c in REQUIRED if c not in cases.columns]
    if missing:
        raise ValueError(f"cases lack column(s): {', '.join(missing)}")
    keys = cases[list(REQUIRED[:5])].copy()
    if keys[["tensor_parallel", "pipeline_parallel"]].isna().any().any():
        raise ValueError("tensor_parallel and pipeline_parallel must be set on every row")
    kv = cases["kv_cache_precision"] if "kv_cache_precision" in cases.columns else DEFAULT_KV_PRECISION
    keys["kv_cache_precision"] = kv
    keys["kv_cache_precision"] = keys["kv_cache_precision"].fillna(DEFAULT_KV_PRECISION).astype(str)
    keys["precision"] = keys["precision"].fillna("").astype(str)
    return keys.astype({"tensor_parallel": "int64", "pipeline_parallel": "int64"})


def _floats(cases: pd.DataFrame, column: str) -> FloatArray:
    """A numeric column as float64 (NaN where absent or missing)."""
    if column not in cases.columns:
        return np.full(len(cases), np.nan)
    return pd.to_numeric(cases[column], errors="raise").to_numpy(dtype=np.float64, na_value=np.nan)


def estimate_grid(
    cases: pd.DataFrame, models: Mapping[str, Model], accelerators: Mapping[str, Accelerator]
) -> pd.DataFrame:
    """Estimate every case (row) at once; agrees with ``estimate`` row by row.

    Args:
        cases: Columns ``model``, ``accelerator``, ``tensor_parallel``, ``pipeline_parallel``,
            ``precision`` (NaN: the model's first), ``input_tokens``, ``output_tokens``, ``ttft_ms``,
            ``tpot_ms`` (NaN: no target); optional ``batch`` (NaN: search) and
            ``kv_cache_precision`` (default ``bf16``).
        models: Models by id.
        accelerators: Accelerators by id.

    Returns:
        A copy of ``cases`` (same index) with ``fits``, ``max_batch``, ``requests_per_s``,
        ``tpot_ms_pred``, ``decode_step_ms_pred``, ``ttft_ms_pred``, ``memory_gib``,
        ``memory_gib_per_chip`` and ``reason``.

    Raises:
        ValueError: For missing columns, unknown precision names or impossible token counts.
    """
    keys = _keys(cases)
    codes = np.asarray(keys.groupby(KEY, sort=False).ngroup(), dtype=np.intp)
    distinct = keys.drop_duplicates(KEY)
    configured = [
        _configuration(k, models, accelerators) for k in distinct.itertuples(index=False, name=None)
    ]
    replicas = Replicas.stack([spec or PLACEHOLDER for spec, _ in configured]).take(codes)
    static = np.array([reason for _, reason in configured] + [None], dtype=object)[:-1][codes]
    w = workload(
        _floats(cases, "input_tokens"),
        _floats(cases, "output_tokens"),
        _floats(cases, "ttft_ms"),
        _floats(cases, "tpot_ms"),
        _floats(cases, "batch"),
    )
    out = cases.copy()
    computed = results(replicas, w, static)
    for name, column in OUTPUT.items():
        out[column] = pd.Series(computed[name], index=out.index, dtype=object if name == "reason" else None)
    out["max_batch"] = out["max_batch"].astype("Int64")
    return out
