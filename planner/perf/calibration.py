"""Predicted vs published throughput for the calibration cases; run ``python -m planner.perf.calibration``.

Each case fixes what the publication fixed (model, precision, KV-cache precision, layout, request
shape, and the batch when the publication fixed the concurrency) and compares the replica's
output tokens/s. The table printed here is the one in ``docs/performance-model.md``.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import pandas as pd

from planner.catalog.schema import Accelerator, Model
from planner.perf import reference as ref
from planner.perf.estimate import estimate

#: Largest accepted relative error of a calibration case (the test enforces it).
ERROR_BOUND = 0.35
TRTLLM = "NVIDIA TensorRT-LLM docs/source/performance/perf-overview.md @00f3768 (trtllm-bench, max load)"
NEURON = "aws-neuron-sdk about-neuron/benchmarks/trn1/latency_data_decoder.csv @7c165a3 (SDK 2.18, TPOT P50)"
VLLM_MI300X = "vllm-project/recipes PR #431 (MI300X verification, vllm bench serve, mean TPOT)"


@dataclass(frozen=True)
class Case:
    """One published measurement and the configuration that reproduces it.

    Attributes:
        name: Short label.
        model: Model record.
        accelerator: Accelerator record.
        tensor_parallel: TP degree published.
        precision: Weight precision published.
        kv_cache_precision: KV-cache precision published (or implied by the checkpoint).
        input_tokens: Prompt tokens.
        output_tokens: Output tokens.
        batch: Concurrency published (None: the engine filled memory, "max throughput").
        published_tokens_per_s: Published output tokens/s of the replica.
        source: Document and figure.
    """

    name: str
    model: Model
    accelerator: Accelerator
    tensor_parallel: int
    precision: str
    kv_cache_precision: str
    input_tokens: int
    output_tokens: int
    batch: int | None
    published_tokens_per_s: float
    source: str


def _trt(name: str, model: Model, accel: Accelerator, tp: int, shape: tuple[int, int], tok_s: float) -> Case:
    """A TensorRT-LLM perf-overview case (FP8 ModelOpt checkpoint: FP8 weights and FP8 KV cache)."""
    table = f"{TRTLLM}, table {model.id}, {accel.id} TP{tp}, ISL/OSL {shape[0]}/{shape[1]}"
    return Case(name, model, accel, tp, "fp8", "fp8", shape[0], shape[1], None, tok_s, table)


def _neuron(name: str, model: Model, row: str, shape: tuple[int, int], tpot_ms: float) -> Case:
    """A Neuron trn1.32xlarge batch-1 case (32 NeuronCores = 16 chips); tokens/s = 1000 / TPOT."""
    source = f"{NEURON}, row {row} {shape[0]}/{shape[1]}: TPOT {tpot_ms} ms"
    return Case(
        name, model, ref.TRAINIUM1, 16, "bf16", "bf16", shape[0], shape[1], 1, 1000.0 / tpot_ms, source
    )


CASES: tuple[Case, ...] = (
    _trt("llama-8b-h100-1k1k", ref.LLAMA31_8B, ref.H100, 1, (1000, 1000), 15220),
    _trt("llama-8b-h100-128-2k", ref.LLAMA31_8B, ref.H100, 1, (128, 2048), 22714),
    _trt("llama-8b-h100-2k-128", ref.LLAMA31_8B, ref.H100, 1, (2048, 128), 3450),
    _trt("llama-8b-h200-1k1k", ref.LLAMA31_8B, ref.H200, 1, (1000, 1000), 17744),
    _trt("llama-70b-h100-tp2-1k1k", ref.LLAMA3_70B, ref.H100, 2, (1000, 1000), 4205),
    _trt("llama-70b-h100-tp2-5k-500", ref.LLAMA3_70B, ref.H100, 2, (5000, 500), 898),
    _trt("llama-70b-h200-tp1-1k1k", ref.LLAMA3_70B, ref.H200, 1, (1000, 1000), 2909),
    _trt("llama-405b-h100-tp8-1k1k", ref.LLAMA31_405B, ref.H100, 8, (1000, 1000), 2919),
    _trt("qwen3-235b-moe-h100-tp8-1k1k", ref.QWEN3_235B, ref.H100, 8, (1000, 1000), 14898),
    _trt("qwen3-235b-moe-h200-tp8-1k1k", ref.QWEN3_235B, ref.H200, 8, (1000, 1000), 23789),
    Case(
        "qwen3-8b-mi300x-c32-1k1k",
        ref.QWEN3_8B,
        ref.MI300X,
        1,
        "bf16",
        "bf16",
        1024,
        1024,
        32,
        32 / 9.42e-3,
        f"{VLLM_MI300X}: Qwen3Guard-Gen-8B (Qwen3-8B shape), concurrency 32, 1024/1024, "
        "mean TPOT 9.42 ms -> 32 / 9.42 ms",
    ),
    _neuron("llama-70b-trn1-bs1-128-1k", ref.LLAMA3_70B, "Llama-3-70B", (128, 1024), 24.48),
    _neuron("llama-70b-trn1-bs1-2k-2k", ref.LLAMA3_70B, "Llama-3-70B", (2048, 2048), 26.2),
    _neuron("llama2-7b-trn1-bs1-128-8k", ref.LLAMA2_7B, "Llama-2-7b", (128, 8064), 6.70),
)


def predict(case: Case) -> float:
    """The model's output tokens/s for a case (NaN when it predicts no fit).

    Args:
        case: Calibration case.

    Returns:
        Output tokens/s of the replica.
    """
    result = estimate(
        case.model,
        case.accelerator,
        tensor_parallel=case.tensor_parallel,
        precision=case.precision,
        input_tokens=case.input_tokens,
        output_tokens=case.output_tokens,
        batch=case.batch,
        kv_cache_precision=case.kv_cache_precision,
    )
    return result.decode_tokens_per_s if result.decode_tokens_per_s is not None else float("nan")


def calibration_table(cases: tuple[Case, ...] = CASES) -> pd.DataFrame:
    """Published and predicted throughput with the relative error for every case.

    Args:
        cases: Cases to evaluate.

    Returns:
        One row per case: ``case``, ``accelerator``, ``tp``, ``precision``, ``isl``, ``osl``, ``batch``,
        ``published``, ``predicted``, ``error_pct``, ``source``.
    """
    rows = []
    for case in cases:
        predicted = predict(case)
        rows.append(
            {
                "case": case.name,
                "accelerator": case.accelerator.id,
                "tp": case.tensor_parallel,
                "precision": f"{case.precision}/kv-{case.kv_cache_precision}",
                "isl": case.input_tokens,
                "osl": case.output_tokens,
                "batch": "max" if case.batch is None else str(case.batch),
                "published": case.published_tokens_per_s,
                "predicted": predicted,
                "error_pct": 100.0 * (predicted / case.published_tokens_per_s - 1.0),
                "source": case.source,
            }
        )
    return pd.DataFrame(rows)


def bound_violations(table: pd.DataFrame, bound: float = ERROR_BOUND) -> list[str]:
    """Cases whose relative error exceeds ``bound`` (or that predict no fit).

    Args:
        table: Output of ``calibration_table``.
        bound: Largest accepted relative error.

    Returns:
        Names of the offending cases, with their errors.
    """
    bad = table[~(table["error_pct"].abs() <= 100.0 * bound)]
    return [f"{row.case}: {row.error_pct:+.1f}%" for row in bad.itertuples(index=False)]


def markdown(table: pd.DataFrame) -> str:
    """Render the calibration table as Markdown (tokens/s rounded, errors to one decimal).

    Args:
        table: Output of ``calibration_table``.

    Returns:
        A Markdown table.
    """
    head = "| case | accelerator | TP | weights/KV | ISL/OSL | batch | published tok/s | predicted tok/s "
    lines = [head + "| error |", "|---|---|---|---|---|---|---|---|---|"]
    for row in table.itertuples(index=False):
        shape = f"{row.isl}/{row.osl}"
        lines.append(
            f"| {row.case} | {row.accelerator} | {row.tp} | {row.precision} | {shape} | {row.batch} "
            f"| {row.published:,.1f} | {row.predicted:,.1f} | {row.error_pct:+.1f}% |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Print the calibration table (Markdown), optionally with the sources.

    Args:
        argv: Command-line arguments (``--sources`` also prints each case's source).
    """
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sources", action="store_true", help="also list each case's source")
    args = parser.parse_args(argv)
    table = calibration_table()
    print(markdown(table))
    errors = table["error_pct"].abs()
    print(f"\nmean |error| {errors.mean():.1f}%, max |error| {errors.max():.1f}% (bound {ERROR_BOUND:.0%})")
    if args.sources:
        for row in table.itertuples(index=False):
            print(f"- {row.case}: {row.source}")


if __name__ == "__main__":
    main()
