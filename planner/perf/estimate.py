"""``estimate``: one (model, accelerator, layout, precision, request shape, targets) -> an ``Estimate``.

The scalar path runs the same vectorised code as ``estimate_grid`` on a single row, so both
always agree.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from planner.catalog.schema import Accelerator, Model
from planner.perf.constants import DEFAULT_KV_PRECISION, GIB, EfficiencyProfile
from planner.perf.layouts import configure
from planner.perf.precisions import precision_source
from planner.perf.profiles import profile_for
from planner.perf.reasons import reason_texts
from planner.perf.replica import PLACEHOLDER, FloatArray, Replicas
from planner.perf.search import Workload, evaluate

ObjectArray = npt.NDArray[np.object_]


@dataclass(frozen=True)
class Estimate:
    """What one replica of a model on an accelerator sustains for one request shape.

    Attributes:
        fits: True when the layout is legal, fits in memory and meets the targets.
        reason: Why not (None when ``fits``).
        model: Model id.
        accelerator: Accelerator id.
        tensor_parallel: Tensor-parallel degree.
        pipeline_parallel: Pipeline-parallel degree.
        precision: Weight precision.
        precision_source: ``checkpoint`` (the model's weights or a published checkpoint) or
            ``on_the_fly`` (quantised by the engine at load time).
        engine: Serving engine whose efficiency profile was used.
        chips: ``tensor_parallel * pipeline_parallel``.
        memory_gib: Replica memory at the batch used (weights + KV + overhead), GiB.
        memory_gib_per_chip: The same per chip, GiB.
        max_batch: Largest batch meeting the targets, or the batch given.
        tpot_ms: Time per output token at that batch: the effective decode step with chunked
            prefill mixed in, what serving benchmarks (``vllm bench serve``) report, ms.
        decode_step_ms: One decode step of the same batch with no prefill mixed in, what
            fixed-batch benchmarks (``vllm bench latency``, a CUDA-graph replay) measure, ms.
        ttft_ms: Time to first token at that batch, ms.
        decode_tokens_per_s: Output tokens/s of the replica at that batch.
        prefill_tokens_per_s: Prompt tokens/s the replica absorbs at that rate.
        requests_per_s: Sustainable requests/s of one replica for that shape.
    """

    fits: bool
    reason: str | None
    model: str
    accelerator: str
    tensor_parallel: int
    pipeline_parallel: int
    precision: str
    precision_source: str
    engine: str
    chips: int
    memory_gib: float | None
    memory_gib_per_chip: float | None
    max_batch: int | None
    tpot_ms: float | None
    decode_step_ms: float | None
    ttft_ms: float | None
    decode_tokens_per_s: float | None
    prefill_tokens_per_s: float | None
    requests_per_s: float | None

    def to_dict(self) -> dict[str, object]:
        """The fields as a plain dict (JSON-friendly)."""
        return asdict(self)


def results(r: Replicas, w: Workload, static: ObjectArray) -> dict[str, npt.NDArray[np.generic]]:
    """Every output column for rows of replicas and workloads.

    Args:
        r: Replicas (placeholders where ``static`` holds a reason).
        w: Workload.
        static: Configuration reasons per row (None where legal).

    Returns:
        Arrays keyed ``fits``, ``reason``, ``max_batch``, ``tpot_ms``, ``decode_step_ms``, ``ttft_ms``,
        ``memory_gib``,
        ``memory_gib_per_chip``, ``decode_tokens_per_s``, ``prefill_tokens_per_s``,
        ``requests_per_s`` (NaN where not applicable).
    """
    valid = _valid(static)
    e = evaluate(r, w, valid)
    reason = reason_texts(r, w, e, static)
    fits = valid & (e.code == 0)
    rate = e.batch / (w.output_tokens * e.step_s)

    def when(ok: npt.NDArray[np.bool_], values: FloatArray) -> FloatArray:
        return np.where(ok, values, np.nan)

    memory = when(valid, e.memory_per_chip * r.chips / GIB)
    return {
        "fits": fits,
        "reason": reason,
        "max_batch": when(fits, e.batch),
        "tpot_ms": when(fits, e.step_s * 1e3),
        "decode_step_ms": when(fits, e.decode_only_s * 1e3),
        "ttft_ms": when(fits, e.ttft_s * 1e3),
        "memory_gib": memory,
        "memory_gib_per_chip": memory / r.chips,
        "decode_tokens_per_s": when(fits, rate * w.output_tokens),
        "prefill_tokens_per_s": when(fits, rate * w.input_tokens),
        "requests_per_s": when(fits, rate),
    }


def _valid(static: ObjectArray) -> npt.NDArray[np.bool_]:
    """Rows without a configuration reason."""
    return np.asarray(pd.isna(static), dtype=np.bool_)


def workload(
    input_tokens: FloatArray,
    output_tokens: FloatArray,
    ttft_ms: FloatArray,
    tpot_ms: FloatArray,
    batch: FloatArray,
) -> Workload:
    """Build a ``Workload`` from millisecond targets, checking the token counts.

    Args:
        input_tokens: Prompt tokens (>= 0).
        output_tokens: Generated tokens (>= 1).
        ttft_ms: TTFT targets, ms (NaN: none).
        tpot_ms: TPOT targets, ms (NaN: none).
        batch: Batches to evaluate (NaN: search).

    Returns:
        The workload in seconds.

    Raises:
        ValueError: For negative inputs, outputs below 1, batches below 1 or non-positive targets.
    """
    bad = (input_tokens < 0) | (output_tokens < 1) | ~np.isfinite(input_tokens) | ~np.isfinite(output_tokens)
    bad |= (batch < 1) | (ttft_ms <= 0) | (tpot_ms <= 0)
    if np.any(bad):
        raise ValueError(
            f"{int(np.sum(bad))} row(s) with input_tokens < 0, output_tokens < 1, batch < 1 "
            "or a non-positive latency target"
        )
    return Workload(input_tokens, output_tokens, ttft_ms / 1e3, tpot_ms / 1e3, batch)


def _one(value: float | None) -> FloatArray:
    return np.array([math.nan if value is None else float(value)], dtype=np.float64)


def _opt(value: object, integer: bool = False) -> float | int | None:
    number = float(value)  # type: ignore[arg-type]
    if math.isnan(number):
        return None
    return int(number) if integer else number


def estimate(
    model: Model,
    accelerator: Accelerator,
    *,
    tensor_parallel: int = 1,
    pipeline_parallel: int = 1,
    precision: str | None = None,
    input_tokens: int = 1000,
    output_tokens: int = 200,
    ttft_ms: float | None = None,
    tpot_ms: float | None = None,
    batch: int | None = None,
    kv_cache_precision: str = DEFAULT_KV_PRECISION,
    engine: str | None = None,
    profile: EfficiencyProfile | None = None,
) -> Estimate:
    """Estimate one replica: memory fit, largest batch meeting the targets, latencies and request rate.

    A configuration that does not fit, misses a target or is not a legal layout is an answer
    (``fits=False`` with a ``reason``), not an error.

    Args:
        model: Catalog model.
        accelerator: Catalog accelerator.
        tensor_parallel: Chips per pipeline stage (within one node).
        pipeline_parallel: Pipeline stages (nodes).
        precision: Weight precision; None: the model's first listed precision.
        input_tokens: Prompt tokens per request.
        output_tokens: Generated tokens per request.
        ttft_ms: Time-to-first-token target, ms (None: no target).
        tpot_ms: Time-per-output-token target, ms (None: no target).
        batch: Evaluate this batch instead of searching for the largest feasible one.
        kv_cache_precision: KV-cache precision, ``bf16`` (default) or ``fp8``.
        engine: Serving engine (``engines_for(accelerator)``); None: the accelerator's
            ``default_engine`` (vLLM).
        profile: Use this efficiency profile instead of the engine's (calibration and fitting).

    Returns:
        The estimate.

    Raises:
        ValueError: For an unknown precision or engine, or impossible token counts (programming
            errors).
    """
    chosen = precision or model.precisions[0]
    profile = profile or profile_for(accelerator, engine)
    spec, static = configure(
        model, accelerator, tensor_parallel, pipeline_parallel, chosen, kv_cache_precision, profile
    )
    r = Replicas.stack([spec or PLACEHOLDER])
    w = workload(_one(input_tokens), _one(output_tokens), _one(ttft_ms), _one(tpot_ms), _one(batch))
    out = {k: v[0] for k, v in results(r, w, np.array([static], dtype=object)).items()}
    return Estimate(
        fits=bool(out["fits"]),
        reason=out["reason"],
        model=model.id,
        accelerator=accelerator.id,
        tensor_parallel=tensor_parallel,
        pipeline_parallel=pipeline_parallel,
        precision=chosen,
        precision_source=precision_source(model, chosen),
        engine=profile.engine,
        chips=tensor_parallel * pipeline_parallel,
        memory_gib=_opt(out["memory_gib"]),
        memory_gib_per_chip=_opt(out["memory_gib_per_chip"]),
        max_batch=_opt(out["max_batch"], integer=True),  # type: ignore[arg-type]
        tpot_ms=_opt(out["tpot_ms"]),
        decode_step_ms=_opt(out["decode_step_ms"]),
        ttft_ms=_opt(out["ttft_ms"]),
        decode_tokens_per_s=_opt(out["decode_tokens_per_s"]),
        prefill_tokens_per_s=_opt(out["prefill_tokens_per_s"]),
        requests_per_s=_opt(out["requests_per_s"]),
    )
