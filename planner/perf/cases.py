"""Calibration cases: published serving figures and the configuration that reproduces each.

Two kinds: cases written out here with their figures as published (TensorRT-LLM, the vLLM MI300X
verification, the Neuron SDK trn1 latency table), and cases read from the peer measurements
``nonnvidia_measurements.csv`` in the shared peer data (TPU v5e/v6e, Trainium2, Inferentia2,
MI300X), which is not copied into the repository: without it only the written-out cases exist.
Rows of that file are turned into cases by the rules in ``measured_cases`` (fixed request lengths
or their stated means; the concurrency or static batch; the rows a note flags as not like-for-like
are left out, each with its reason in ``EXCLUDE_NOTES``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from planner.catalog.schema import Accelerator, Model
from planner.perf import reference as ref

TRTLLM = "NVIDIA TensorRT-LLM docs/source/performance/perf-overview.md @00f3768 (trtllm-bench, max load)"
NEURON_TRN1 = "aws-neuron/aws-neuron-sdk about-neuron/benchmarks/trn1/latency_data_decoder.csv"
VLLM_MI300X = "vllm-project/recipes PR #431 (MI300X verification, vllm bench serve, mean TPOT)"
#: Where the shared peer data lives (``FLEETPLAN_PEER_DATA`` overrides).
PEER_DATA = Path(
    os.environ.get("FLEETPLAN_PEER_DATA", Path(__file__).resolve().parents[2] / ".." / "shared" / "peer_data")
)
MEASUREMENTS = "nonnvidia_measurements.csv"
#: ShareGPT request lengths assumed where a publication gives none (JetStream's v5e table): the
#: mean prompt of the tpu-recipes ShareGPT run in the same file (224 tokens) and the mean ShareGPT
#: completion reported in the vLLM paper (Kwon et al., SOSP 2023: 338 tokens).
SHAREGPT_TOKENS = (224, 338)


@dataclass(frozen=True)
class Case:
    """One published measurement and the configuration that reproduces it.

    Attributes:
        name: Short label.
        model: Model record.
        accelerator: Accelerator record.
        tensor_parallel: TP degree published (chips).
        precision: Weight precision published.
        kv_cache_precision: KV-cache precision published (or implied by the checkpoint).
        input_tokens: Prompt tokens.
        output_tokens: Output tokens.
        batch: Concurrency published (None: the engine filled memory, "max throughput"); capped at
            what fits in memory (a sweep's high concurrencies queue beyond the running batch).
        published_tokens_per_s: Published output tokens/s of one replica.
        source: Document and figure.
        engine: Serving engine (its efficiency profile is used).
        document: The publication (file or page) the figure comes from, for leave-one-source-out.
        compiled_batch: The batch the engine's graph was compiled for, when larger than ``batch``
            (Neuron compiles static shapes: one running sequence on a server built for 32 pays a
            batch-32 step); None: the step runs at ``batch``.
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
    engine: str = "vllm"
    document: str = ""
    compiled_batch: int | None = None


def _trt(name: str, model: Model, accel: Accelerator, tp: int, shape: tuple[int, int], tok_s: float) -> Case:
    """A TensorRT-LLM perf-overview case (FP8 ModelOpt checkpoint: FP8 weights and FP8 KV cache)."""
    table = f"{TRTLLM}, table {model.id}, {accel.id} TP{tp}, ISL/OSL {shape[0]}/{shape[1]}"
    return Case(
        name, model, accel, tp, "fp8", "fp8", shape[0], shape[1], None, tok_s, table, "tensorrt-llm", TRTLLM
    )


def _neuron(name: str, model: Model, row: str, shape: tuple[int, int], tpot_ms: float) -> Case:
    """A Neuron trn1.32xlarge batch-1 case (32 NeuronCores = 16 chips); tokens/s = 1000 / TPOT."""
    source = (
        f"{NEURON_TRN1} @7c165a3 (SDK 2.18, TPOT P50), row {row} {shape[0]}/{shape[1]}: TPOT {tpot_ms} ms"
    )
    return Case(
        name,
        model,
        ref.TRAINIUM1,
        16,
        "bf16",
        "bf16",
        shape[0],
        shape[1],
        1,
        1000.0 / tpot_ms,
        source,
        "transformers-neuronx",
        NEURON_TRN1,
    )


PUBLISHED: tuple[Case, ...] = (
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
        "vllm",
        VLLM_MI300X,
    ),
    _neuron("llama-70b-trn1-bs1-128-1k", ref.LLAMA3_70B, "Llama-3-70B", (128, 1024), 24.48),
    _neuron("llama-70b-trn1-bs1-2k-2k", ref.LLAMA3_70B, "Llama-3-70B", (2048, 2048), 26.2),
    _neuron("llama2-7b-trn1-bs1-128-8k", ref.LLAMA2_7B, "Llama-2-7b", (128, 8064), 6.70),
)

#: Rows left out, by a phrase of their ``notes`` (or batch column), and why.
EXCLUDE_NOTES: dict[str, str] = {
    "Low trust": "a recipe's 'expected output' with ShareGPT lengths capped and queueing dominating",
    "unexplained": "a 1.1 s TTFT the source does not explain (not like-for-like with its peers)",
    "not exploited": "the run served one sequence at a time: a duplicate of the batch-1 row",
    "shard_on_batch": "data parallel across chips (one replica per chip), not one tensor-parallel replica",
    "rolling-window": "KV cache shorter than input + output (rolling-window attention)",
    "regression": "a later re-run the source itself flags as a regression",
    "Poisson": "open-loop Poisson arrivals below saturation: the rate measures the load, not the replica",
    "default range ratio": "lengths drawn uniformly up to the stated maximum over 100 prompts: the run's "
    "concurrency falls in its tail, unlike the fixed-length cases",
}
MODELS: dict[str, Model] = {
    "llama-3.1-8b": ref.LLAMA31_8B,
    "llama-3-8b": ref.LLAMA31_8B,
    "qwen3-8b": ref.QWEN3_8B,
    "qwen3-32b": ref.QWEN3_32B,
    "qwen-7b": ref.QWEN_7B,
    "gemma-7b": ref.GEMMA_7B,
    "llama-2-7b": ref.LLAMA2_7B,
    "llama-2-13b": ref.LLAMA2_13B,
    "codellama-13b": ref.LLAMA2_13B,
    "gemma-4-31b": ref.GEMMA4_31B,
}
ACCELERATORS: dict[str, Accelerator] = {
    "TPU-v6e": ref.TPU_V6E,
    "TPU-v5e": ref.TPU_V5E,
    "Trainium2": ref.TRAINIUM2,
    "Inferentia2": ref.INFERENTIA2,
    "MI300X": ref.MI300X,
}


def engine_id(engine: str) -> str:
    """The performance model's engine id for an engine as the measurements name it."""
    text = engine.lower()
    for phrase, engine_key in (
        ("sglang-jax", "sglang-jax"),
        ("jetstream", "jetstream"),
        ("transformers neuronx", "transformers-neuronx"),
        ("sglang", "sglang"),
    ):
        if phrase in text:
            return engine_key
    return "vllm"


def _model(name: str) -> Model | None:
    """The reference model of a measured model name (its -Instruct/-Chat/-hf/-it/-RL variant too)."""
    key = re.sub(r"-(instruct|chat|hf|it|rl)$", "", name.lower().split(" ")[0])
    return MODELS.get(key)


def tokens(text: str) -> int | None:
    """Request length from the measurements' text: a number, a stated mean, or a nominal +/- spread."""
    text = str(text).strip()
    if text.isdigit():
        return int(text)
    mean = re.search(r"= ?([0-9]+) mean|mean ([0-9]+)", text)
    if mean:
        return int(mean.group(1) or mean.group(2))
    nominal = re.match(r"^([0-9]+) \+/-", text)
    return int(nominal.group(1)) if nominal else None


def batch_and_replicas(text: str) -> tuple[int | None, int] | None:
    """(batch per replica or None for "fill memory", replicas) from the concurrency text; None: skip."""
    text = str(text)
    replicas = re.match(r"^([0-9]+) replica\(s\) x static batch ([0-9]+)", text)
    if replicas:
        return int(replicas.group(2)), int(replicas.group(1))
    for pattern in (
        r"server static batch ([0-9]+)",
        r"concurrency ([0-9]+)",
        r"^batch ([0-9]+)",
        r"^([0-9]+)\b",
    ):
        found = re.search(pattern, text)
        if found:
            return int(found.group(1)), 1
    seqs = re.search(r"--max_num_seqs ([0-9]+)", text)
    return (None, 1) if seqs else None


def _document(source: str) -> str:
    """The publication of a row: repository and path (no commit), or the page."""
    text = re.sub(r"^github:", "", str(source)).split(" (")[0]
    return re.sub(r" @[0-9a-f]{7,40}", "", text).strip()


def excluded(row: pd.Series) -> str | None:
    """Why a measurement row is not a calibration case (None when it is one).

    The "not exploited" note is shared by every row of its run; only the rows that claim a batch
    above 1 are duplicates.
    """
    text = f"{row['notes']} {row['batch_or_concurrency']} {row['input_tokens']}"
    parsed = batch_and_replicas(str(row["batch_or_concurrency"]))
    for phrase, why in EXCLUDE_NOTES.items():
        if phrase in text and not (phrase == "not exploited" and parsed is not None and parsed[0] == 1):
            return why
    return None


def _case(row: pd.Series) -> Case | None:
    model, accel = _model(str(row["model"])), ACCELERATORS.get(str(row["accelerator"]))
    parsed = batch_and_replicas(str(row["batch_or_concurrency"]))
    if model is None or accel is None or parsed is None or excluded(row):
        return None
    batch, replicas = parsed
    isl, osl = tokens(row["input_tokens"]), tokens(row["output_tokens"])
    if str(row["input_tokens"]).startswith("ShareGPT"):
        isl, osl = SHAREGPT_TOKENS
    if isl is None or osl is None:
        return None
    precision = "int8" if str(row["weight_precision"]).startswith("int8") else "bf16"
    kv = "fp8" if str(row["kv_precision"]).startswith("int8") else "bf16"  # one byte per element
    engine = engine_id(str(row["engine"]))
    compiled = re.search(r"max batch ([0-9]+)|batch ([0-9]+), seq len|BS=([0-9]+)", str(row["notes"]))
    compiled_batch = int(next(g for g in compiled.groups() if g)) if compiled else None
    if accel.kind != "neuron" or compiled_batch is None or batch is None or compiled_batch <= batch:
        compiled_batch = None
    tp = int(row["n_chips"]) // replicas
    label = f"{model.id}-{accel.id}-{engine}-tp{tp}-{precision}-{isl}-{osl}-b{batch or 'max'}"
    source = f"{row['source']}: {row['metric']} {row['value']} {row['unit']}" + (
        f" / {replicas} replicas" if replicas > 1 else ""
    )
    return Case(
        label,
        model,
        accel,
        tp,
        precision,
        kv,
        isl,
        osl,
        batch,
        float(row["value"]) / replicas,
        source,
        engine,
        _document(str(row["source"])),
        compiled_batch,
    )


def measured_cases(path: Path | None = None) -> tuple[Case, ...]:
    """Cases from the peer measurements' ``output_throughput`` rows (empty when the file is absent).

    Args:
        path: The CSV (default: ``PEER_DATA / MEASUREMENTS``).

    Returns:
        One case per usable row; a row repeating an earlier row's configuration (another run of the
        same setup: chunked-prefill variants, data-parallel copies, CodeLlama next to Llama-2-13B)
        is dropped, the first one kept.
    """
    path = path or PEER_DATA / MEASUREMENTS
    if not path.is_file():
        return ()
    data = pd.read_csv(path)
    data = data[data["metric"] == "output_throughput"]
    found: dict[str, Case] = {}
    for _, row in data.iterrows():
        case = _case(row)
        if case is not None and case.name not in found:
            found[case.name] = case
    return tuple(found.values())
