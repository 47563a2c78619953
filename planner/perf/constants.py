"""Defaults of the performance model: memory budget, search range and per-vendor efficiency profiles.

Every figure here is documented, with its calibration, in ``docs/performance-model.md``; change
them there and here together, then re-run ``python -m planner.perf.calibration``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

#: Bytes in one GiB (catalog memory is in GiB).
GIB = float(2**30)
#: Largest batch (concurrent sequences) the search considers; the smallest is 1.
MAX_BATCH = 4096
#: Deepest pipeline (nodes per replica) that ``parallel_layouts`` proposes.
MAX_PIPELINE_PARALLEL = 8
#: Bytes per KV-cache element by KV precision (the KV cache is BF16 unless asked otherwise).
KV_BYTES_PER_ELEMENT: dict[str, float] = {"bf16": 2.0, "fp16": 2.0, "fp8": 1.0}
#: Default KV-cache precision.
DEFAULT_KV_PRECISION = "bf16"
#: Bytes per activation element exchanged by tensor- and pipeline-parallel collectives.
ACTIVATION_BYTES = 2.0
#: Scale-out (inter-node) bandwidth per chip for pipeline hops, bytes/s (400 Gb/s NIC per GPU).
SCALE_OUT_BYTES_PER_S = 50e9
#: Latency of one pipeline-stage hand-off across nodes, seconds.
PIPELINE_HOP_LATENCY_S = 20e-6
#: Scale-up bandwidth assumed when the catalog gives none (PCIe 4 x16, bidirectional), GB/s.
DEFAULT_SCALE_UP_GB_PER_S = 64.0


@dataclass(frozen=True)
class EfficiencyProfile:
    """What one serving engine achieves on one family of accelerators, as fractions of the datasheet.

    Attributes:
        name: Family key (``nvidia``, ``amd``, ``neuron``, ``tpu``).
        engine: Serving engine the figures were calibrated for (``vllm``, ``sglang-jax``, ...).
        bandwidth_efficiency: Achieved fraction of the HBM bandwidth when reading weights.
        kv_bandwidth_efficiency: Achieved fraction of the HBM bandwidth when reading the KV cache
            (paged attention kernels; lower than for weights on TPU).
        compute_efficiency: Achieved fraction of the dense peak in matrix maths.
        step_overhead_s: Fixed time per decode step (scheduling, sampling, launches), seconds.
        allreduce_latency_s: Latency of one tensor-parallel all-reduce, seconds (two per layer
            per step: the fixed per-step cost that grows with depth on multi-chip slices).
        link_efficiency: Achieved fraction of the scale-up link bandwidth.
        moe_layer_overhead_s: Fixed time per MoE layer per step (router, top-k, token permutation,
            grouped-GEMM scheduling), seconds.
        overhead_gib_per_chip: Memory per chip outside weights and KV cache (activations,
            graphs, runtime), GiB.
        memory_utilization: Fraction of each chip's memory the engine may use
            (vLLM's ``gpu_memory_utilization``).
        tp_scaling_exponent: Tensor-parallel scaling of bandwidth and compute: ``tp`` chips act as
            ``tp ** exponent`` chips (1: ideal; below 1 where sharding across chips falls short of
            the roofline, as on Neuron).
    """

    name: str
    engine: str
    bandwidth_efficiency: float
    kv_bandwidth_efficiency: float
    compute_efficiency: float
    step_overhead_s: float
    allreduce_latency_s: float
    link_efficiency: float
    moe_layer_overhead_s: float
    overhead_gib_per_chip: float
    memory_utilization: float
    tp_scaling_exponent: float = 1.0


#: NVIDIA GPUs with vLLM / TensorRT-LLM / SGLang (CUDA graphs, paged KV, chunked prefill).
NVIDIA = EfficiencyProfile(
    name="nvidia",
    engine="vllm",
    bandwidth_efficiency=0.80,
    kv_bandwidth_efficiency=0.80,
    compute_efficiency=0.55,
    step_overhead_s=1.5e-3,
    allreduce_latency_s=12e-6,
    link_efficiency=0.70,
    moe_layer_overhead_s=100e-6,
    overhead_gib_per_chip=5.0,
    memory_utilization=0.90,
)
#: AMD Instinct GPUs: the prior (datasheet-bounded guesses), not used for estimates directly.
AMD = EfficiencyProfile(
    name="amd",
    engine="vllm",
    bandwidth_efficiency=0.70,
    kv_bandwidth_efficiency=0.70,
    compute_efficiency=0.35,
    step_overhead_s=2.5e-3,
    allreduce_latency_s=20e-6,
    link_efficiency=0.60,
    moe_layer_overhead_s=100e-6,
    overhead_gib_per_chip=6.0,
    memory_utilization=0.90,
)
#: AWS Trainium / Inferentia with the Neuron SDK: the prior.
NEURON = EfficiencyProfile(
    name="neuron",
    engine="vllm",
    bandwidth_efficiency=0.70,
    kv_bandwidth_efficiency=0.70,
    compute_efficiency=0.45,
    step_overhead_s=1.0e-3,
    allreduce_latency_s=50e-6,
    link_efficiency=0.50,
    moe_layer_overhead_s=100e-6,
    overhead_gib_per_chip=2.0,
    memory_utilization=0.90,
)
#: Google TPUs: the prior (between MaxText training MFU and the GPU figures).
TPU = EfficiencyProfile(
    name="tpu",
    engine="vllm",
    bandwidth_efficiency=0.75,
    kv_bandwidth_efficiency=0.75,
    compute_efficiency=0.50,
    step_overhead_s=2.0e-3,
    allreduce_latency_s=20e-6,
    link_efficiency=0.60,
    moe_layer_overhead_s=100e-6,
    overhead_gib_per_chip=1.5,
    memory_utilization=0.90,
)
# Fitted profiles (``python -m planner.perf.calibration --fit`` prints them; the priors above are
# the starting points and the pull, see planner/perf/fit.py and docs/performance-model.md section 6).
#: AMD Instinct with ROCm vLLM (fitted on the vLLM MI300X verification run).
AMD_VLLM = replace(
    AMD,
    bandwidth_efficiency=0.652,
    compute_efficiency=0.35,
    step_overhead_s=0.00257,
    kv_bandwidth_efficiency=0.652,
)
#: AMD Instinct with SGLang (fitted on SGLang's Gemma-4-31B MI300X sweep).
AMD_SGLANG = replace(
    AMD,
    engine="sglang",
    bandwidth_efficiency=0.527,
    compute_efficiency=0.139,
    step_overhead_s=0.00244,
    kv_bandwidth_efficiency=0.527,
)
#: AWS Neuron with vLLM (optimum-neuron / vllm-neuron on NxD Inference).
NEURON_VLLM = replace(
    NEURON,
    bandwidth_efficiency=0.85,
    compute_efficiency=0.132,
    step_overhead_s=0.0106,
    allreduce_latency_s=4.78e-05,
    tp_scaling_exponent=0.719,
    kv_bandwidth_efficiency=0.85,
)
#: AWS Neuron with transformers-neuronx (the Neuron SDK's older inference library).
NEURON_TNX = replace(
    NEURON,
    engine="transformers-neuronx",
    bandwidth_efficiency=0.528,
    compute_efficiency=0.45,
    step_overhead_s=0.00317,
    allreduce_latency_s=2.85e-05,
    tp_scaling_exponent=1.0,
    kv_bandwidth_efficiency=0.528,
)
#: Google TPUs with vLLM-TPU.
TPU_VLLM = replace(
    TPU,
    bandwidth_efficiency=0.665,
    kv_bandwidth_efficiency=0.182,
    compute_efficiency=0.835,
    step_overhead_s=0.00229,
    allreduce_latency_s=2.74e-05,
)
#: Google TPUs with SGLang-JAX.
TPU_SGLANG_JAX = replace(
    TPU,
    engine="sglang-jax",
    bandwidth_efficiency=0.85,
    kv_bandwidth_efficiency=0.748,
    compute_efficiency=0.139,
    step_overhead_s=0.0038,
    allreduce_latency_s=1.47e-05,
)
#: Google TPUs with JetStream (static decode slots).
TPU_JETSTREAM = replace(
    TPU,
    engine="jetstream",
    bandwidth_efficiency=0.85,
    kv_bandwidth_efficiency=0.146,
    compute_efficiency=0.391,
    step_overhead_s=0.00226,
    allreduce_latency_s=1.83e-05,
)

#: Every profile by (family, engine); the first engine listed per family is its default.
PROFILES: dict[tuple[str, str], EfficiencyProfile] = {
    (p.name, p.engine): p
    for p in (
        NVIDIA,
        replace(NVIDIA, engine="sglang"),
        replace(NVIDIA, engine="tensorrt-llm"),
        AMD_VLLM,
        AMD_SGLANG,
        NEURON_VLLM,
        NEURON_TNX,
        TPU_VLLM,
        TPU_SGLANG_JAX,
        TPU_JETSTREAM,
    )
}
