"""Defaults of the performance model: memory budget, search range and per-vendor efficiency profiles.

Every figure here is documented, with its calibration, in ``docs/performance-model.md``; change
them there and here together, then re-run ``python -m planner.perf.calibration``.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    """What one software stack achieves on one kind of accelerator, as fractions of the datasheet.

    Attributes:
        name: Profile key (``nvidia``, ``amd``, ``neuron``, ``tpu``).
        bandwidth_efficiency: Achieved fraction of the HBM bandwidth in decode.
        compute_efficiency: Achieved fraction of the dense peak in matrix maths.
        step_overhead_s: Fixed time per decode step (scheduling, sampling, launches), seconds.
        allreduce_latency_s: Latency of one tensor-parallel all-reduce, seconds.
        link_efficiency: Achieved fraction of the scale-up link bandwidth.
        moe_layer_overhead_s: Fixed time per MoE layer per step (router, top-k, token permutation,
            grouped-GEMM scheduling), seconds.
        overhead_gib_per_chip: Memory per chip outside weights and KV cache (activations,
            graphs, runtime), GiB.
        memory_utilization: Fraction of each chip's memory the engine may use
            (vLLM's ``gpu_memory_utilization``).
    """

    name: str
    bandwidth_efficiency: float
    compute_efficiency: float
    step_overhead_s: float
    allreduce_latency_s: float
    link_efficiency: float
    moe_layer_overhead_s: float
    overhead_gib_per_chip: float
    memory_utilization: float


#: NVIDIA GPUs with vLLM / TensorRT-LLM / SGLang (CUDA graphs, paged KV, chunked prefill).
NVIDIA = EfficiencyProfile(
    name="nvidia",
    bandwidth_efficiency=0.80,
    compute_efficiency=0.55,
    step_overhead_s=1.5e-3,
    allreduce_latency_s=12e-6,
    link_efficiency=0.70,
    moe_layer_overhead_s=100e-6,
    overhead_gib_per_chip=5.0,
    memory_utilization=0.90,
)
#: AMD Instinct GPUs with ROCm vLLM / SGLang.
AMD = EfficiencyProfile(
    name="amd",
    bandwidth_efficiency=0.70,
    compute_efficiency=0.35,
    step_overhead_s=2.5e-3,
    allreduce_latency_s=20e-6,
    link_efficiency=0.60,
    moe_layer_overhead_s=100e-6,
    overhead_gib_per_chip=6.0,
    memory_utilization=0.90,
)
#: AWS Trainium / Inferentia with the Neuron SDK (NxD Inference, transformers-neuronx).
NEURON = EfficiencyProfile(
    name="neuron",
    bandwidth_efficiency=0.70,
    compute_efficiency=0.45,
    step_overhead_s=1.0e-3,
    allreduce_latency_s=50e-6,
    link_efficiency=0.50,
    moe_layer_overhead_s=100e-6,
    overhead_gib_per_chip=2.0,
    memory_utilization=0.90,
)
#: Google TPUs with JetStream / vLLM-TPU (priors, see the docs: no like-for-like calibration case).
TPU = EfficiencyProfile(
    name="tpu",
    bandwidth_efficiency=0.75,
    compute_efficiency=0.50,
    step_overhead_s=2.0e-3,
    allreduce_latency_s=20e-6,
    link_efficiency=0.60,
    moe_layer_overhead_s=100e-6,
    overhead_gib_per_chip=1.5,
    memory_utilization=0.90,
)
PROFILES: dict[str, EfficiencyProfile] = {p.name: p for p in (NVIDIA, AMD, NEURON, TPU)}
