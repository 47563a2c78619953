"""Human-readable reasons for failed rows, built with vectorised string operations.

The scalar ``estimate`` and the vectorised ``estimate_grid`` both call ``reason_texts`` so their
messages are identical.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from planner.perf.constants import GIB
from planner.perf.replica import FloatArray, Replicas
from planner.perf.search import CONTEXT, MEMORY, TPOT, TTFT, WEIGHTS, Evaluation, Workload

ObjectArray = npt.NDArray[np.object_]


def _num(values: FloatArray, digits: int) -> pd.Series:
    """Numbers rounded to ``digits`` decimals as strings (integers without a decimal point)."""
    if digits == 0:
        return pd.Series(np.round(values).astype(np.int64)).astype(str)
    return pd.Series(np.round(values, digits)).astype(str)


def _message(code: int, r: Replicas, w: Workload, e: Evaluation, rows: npt.NDArray[np.intp]) -> pd.Series:
    """The message for reason ``code`` on the given rows."""
    usable = _num(r.usable_bytes_per_chip[rows] / GIB, 1)
    batch = _num(e.batch[rows], 0)
    context = _num(w.context[rows], 0)
    if code == CONTEXT:
        limit = _num(r.max_context[rows], 0)
        return "input + output = " + context + " tokens exceeds the model's context of " + limit
    if code == WEIGHTS:
        need = _num(e.weights_per_chip[rows] / GIB, 1)
        return "weights and runtime overhead need " + need + " GiB per chip; " + usable + " GiB usable"
    if code == MEMORY:
        need = _num(e.memory_per_chip[rows] / GIB, 1)
        lead = "weights and KV cache for batch " + batch + " at " + context + " tokens need "
        return lead + need + " GiB per chip; " + usable + " GiB usable"
    name, value, target = ("TPOT", e.step_s, w.tpot_s) if code == TPOT else ("TTFT", e.ttft_s, w.ttft_s)
    value_ms, target_ms = _num(value[rows] * 1e3, 1), _num(target[rows] * 1e3, 1)
    return name + " " + value_ms + " ms at batch " + batch + " misses the " + target_ms + " ms target"


def reason_texts(r: Replicas, w: Workload, e: Evaluation, static: ObjectArray) -> ObjectArray:
    """The reason per row: the configuration's own reason if any, else the evaluation's, else None.

    Args:
        r: Replicas.
        w: Workload.
        e: Evaluation.
        static: Configuration reasons (None where the configuration is legal).

    Returns:
        Object array of ``str | None``.
    """
    out = static.copy()
    free = pd.isna(static)
    for code in (CONTEXT, WEIGHTS, MEMORY, TPOT, TTFT):
        rows = np.flatnonzero((e.code == code) & free)
        if rows.size:
            out[rows] = _message(code, r, w, e, rows).to_numpy(dtype=object)
    return out
