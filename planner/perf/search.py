"""The largest batch that fits and meets the latency targets, found by a binary search vectorised over rows.

Memory per chip, step time and TTFT all grow with the batch, so feasibility is monotone and the
search over ``1..MAX_BATCH`` takes ``log2(MAX_BATCH) + 1`` vectorised passes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from planner.perf.constants import MAX_BATCH
from planner.perf.replica import FloatArray, Replicas
from planner.perf.roofline import decode_step_time, memory_bytes_per_chip, prefill_time

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

#: Reason codes (the messages are built in ``reasons.py``).
OK, CONTEXT, WEIGHTS, MEMORY, TPOT, TTFT = 0, 1, 2, 3, 4, 5


@dataclass(frozen=True)
class Workload:
    """Request shape and targets per row; NaN targets mean "no target", NaN batch means "search".

    Attributes:
        input_tokens: Prompt tokens per request.
        output_tokens: Generated tokens per request.
        ttft_s: TTFT target, seconds (NaN: none).
        tpot_s: TPOT target, seconds (NaN: none).
        batch: Batch to evaluate (NaN: find the largest feasible one).
    """

    input_tokens: FloatArray
    output_tokens: FloatArray
    ttft_s: FloatArray
    tpot_s: FloatArray
    batch: FloatArray

    @property
    def context(self) -> FloatArray:
        """Tokens a sequence holds at its end: input + output."""
        return self.input_tokens + self.output_tokens


@dataclass(frozen=True)
class Evaluation:
    """Per-row outcome at the chosen batch (or, for failures, at the probe batch).

    Attributes:
        code: ``OK`` or the first failed check.
        batch: Batch used (the largest feasible, the given one, or the probe batch 1 on failure).
        step_s: Decode step time = effective TPOT, seconds.
        decode_only_s: The same step with no prefill mixed in, seconds.
        ttft_s: Time to first token, seconds.
        memory_per_chip: Bytes per chip at that batch.
        weights_per_chip: Bytes per chip of weights plus overhead alone.
    """

    code: IntArray
    batch: FloatArray
    step_s: FloatArray
    decode_only_s: FloatArray
    ttft_s: FloatArray
    memory_per_chip: FloatArray
    weights_per_chip: FloatArray


def _meets(value: FloatArray, target: FloatArray) -> BoolArray:
    """``value <= target`` where a target is set (NaN target: always met)."""
    return np.asarray(np.isnan(target) | (value <= target), dtype=np.bool_)


def check_batch(r: Replicas, w: Workload, batch: FloatArray, prefill_s: FloatArray) -> IntArray:
    """The first failed check at ``batch`` for every row: memory, then TPOT, then TTFT.

    Args:
        r: Replicas.
        w: Workload.
        batch: Batch per row.
        prefill_s: ``prefill_time`` per row (independent of the batch).

    Returns:
        Reason codes (``OK`` where all checks pass).
    """
    step = decode_step_time(r, batch, w.input_tokens, w.output_tokens)
    code = np.full(batch.shape, OK, dtype=np.int64)
    code = np.where(_meets(prefill_s + step, w.ttft_s), code, TTFT)
    code = np.where(_meets(step, w.tpot_s), code, TPOT)
    memory_ok = memory_bytes_per_chip(r, batch, w.context) <= r.usable_bytes_per_chip
    return np.where(memory_ok, code, MEMORY)


def largest_batch(r: Replicas, w: Workload, prefill_s: FloatArray, start_ok: BoolArray) -> FloatArray:
    """Largest batch in ``1..MAX_BATCH`` passing ``check_batch``, for rows where batch 1 passes.

    Args:
        r: Replicas.
        w: Workload.
        prefill_s: ``prefill_time`` per row.
        start_ok: Rows where batch 1 passes (others keep 1).

    Returns:
        Batch per row.
    """
    low = np.ones(start_ok.shape, dtype=np.float64)
    high = np.where(start_ok, float(MAX_BATCH + 1), 1.0)
    active = high - low > 1.0
    while np.any(active):
        mid = np.floor((low + high) / 2.0)
        ok = check_batch(r, w, mid, prefill_s) == OK
        low = np.where(active & ok, mid, low)
        high = np.where(active & ~ok, mid, high)
        active = high - low > 1.0
    return low


def evaluate(r: Replicas, w: Workload, valid: BoolArray) -> Evaluation:
    """Fit, largest feasible batch (or the given one) and latencies for every row.

    Args:
        r: Replicas (placeholder values on invalid rows).
        w: Workload.
        valid: Rows with a legal configuration; the others get code ``OK`` here and are
            overridden by the caller.

    Returns:
        The evaluation.
    """
    prefill_s = prefill_time(r, w.input_tokens)
    probe = np.where(np.isnan(w.batch), 1.0, w.batch)
    weights = memory_bytes_per_chip(r, 0.0, w.context)
    code = check_batch(r, w, probe, prefill_s)
    code = np.where(weights > r.usable_bytes_per_chip, WEIGHTS, code)
    code = np.where(w.context > r.max_context, CONTEXT, code)
    code = np.where(valid, code, OK)
    search = np.isnan(w.batch) & (code == OK) & valid
    batch = np.where(search, largest_batch(r, w, prefill_s, search), probe)
    step = decode_step_time(r, batch, w.input_tokens, w.output_tokens)
    decode_only = decode_step_time(r, batch, w.input_tokens, w.output_tokens, with_prefill=False)
    memory = memory_bytes_per_chip(r, batch, w.context)
    return Evaluation(code, batch, step, decode_only, prefill_s + step, memory, weights)
