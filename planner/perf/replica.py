"""One replica's static figures (bytes, FLOPs, bandwidths) for a (model, accelerator, layout, precision).

``replica_spec`` turns catalog records into plain floats once per configuration; ``Replicas``
stacks them into numpy arrays so that the roofline runs vectorised over many rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np
import numpy.typing as npt

from planner.catalog.schema import BYTES_PER_PARAM, Accelerator, Model
from planner.perf.constants import DEFAULT_SCALE_UP_GB_PER_S, GIB, KV_BYTES_PER_ELEMENT, EfficiencyProfile
from planner.perf.profiles import AttentionShape, attention_shape, padded_heads, profile_for

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class ReplicaSpec:
    """Static figures of one replica; bytes, FLOPs and seconds, whole replica unless "chip" is said.

    Attributes:
        tp: Tensor-parallel degree.
        pp: Pipeline-parallel degree.
        chips: ``tp * pp``.
        weight_bytes: All weights at the serving precision (with head padding).
        always_bytes: Weights every decode step reads (dense part, attention, shared experts).
        routed_bytes: Routed-expert weights (MoE; 0 for dense models).
        expert_fraction: ``k / E`` for MoE, 0 for dense models.
        flops_per_token: ``2 x`` active parameters (with padded attention projections).
        attn_flops_coeff: Attention FLOPs per token per context position, ``4 x layers x heads x head_dim``.
        kv_bytes_per_token: KV cache per token, whole replica (with KV-head replication).
        layers: Transformer layers.
        hidden: Residual width.
        chip_bandwidth: Effective memory bandwidth per chip for weight reads, bytes/s.
        chip_kv_bandwidth: Effective memory bandwidth per chip for KV-cache reads, bytes/s.
        chip_flops: Effective matrix FLOP/s per chip at the serving precision.
        usable_bytes_per_chip: ``memory x memory_utilization`` per chip.
        overhead_bytes_per_chip: Runtime memory per chip outside weights and KV.
        allreduce_latency: Latency per tensor-parallel all-reduce, s.
        link_bytes_per_s: Effective one-way scale-up bandwidth per chip.
        step_overhead: Fixed time per decode step, s.
        moe_overhead: Fixed time per step of all MoE layers (0 for dense models), s.
        max_context: Longest context (input + output) the model accepts; ``inf`` when unknown.
    """

    tp: float
    pp: float
    chips: float
    weight_bytes: float
    always_bytes: float
    routed_bytes: float
    expert_fraction: float
    flops_per_token: float
    attn_flops_coeff: float
    kv_bytes_per_token: float
    layers: float
    hidden: float
    chip_bandwidth: float
    chip_kv_bandwidth: float
    chip_flops: float
    usable_bytes_per_chip: float
    overhead_bytes_per_chip: float
    allreduce_latency: float
    link_bytes_per_s: float
    step_overhead: float
    moe_overhead: float
    max_context: float


def padding_params(shape: AttentionShape, tensor_parallel: int) -> float:
    """Extra parameters created by padding query heads and replicating KV heads to the TP degree.

    Args:
        shape: Model shape.
        tensor_parallel: Tensor-parallel degree.

    Returns:
        ``layers x hidden x head_dim x 2 x (added query heads + added KV heads)``.
    """
    extra_heads = padded_heads(shape.heads, tensor_parallel) - shape.heads
    extra_heads += padded_heads(shape.kv_heads, tensor_parallel) - shape.kv_heads
    return float(shape.layers * shape.hidden * shape.head_dim * 2 * extra_heads)


def kv_bytes_per_token(model: Model, shape: AttentionShape, tensor_parallel: int, kv_precision: str) -> float:
    """KV-cache bytes per token of the whole replica, with KV heads replicated up to the TP degree.

    Args:
        model: Catalog model (``kv_bytes_per_token_bf16`` set).
        shape: Its shape.
        tensor_parallel: Tensor-parallel degree.
        kv_precision: ``bf16``, ``fp16`` or ``fp8``.

    Returns:
        Bytes per token.
    """
    base = float(model.kv_bytes_per_token_bf16 or 0.0) * KV_BYTES_PER_ELEMENT[kv_precision] / 2.0
    if shape.kv_heads <= 0:
        return base
    return base * padded_heads(shape.kv_heads, tensor_parallel) / shape.kv_heads


def split_weights(model: Model) -> tuple[float, float, float]:
    """Split the parameters into always-read and routed-expert parts.

    Routed experts hold ``(total - active) / (1 - k/E)`` parameters (each token reads ``k/E`` of
    them); the rest is read by every token.

    Args:
        model: Catalog model.

    Returns:
        ``(always_params, routed_params, k/E)``; ``routed = 0`` and ``k/E = 0`` for dense models.
    """
    total = (model.total_params_b or 0.0) * 1e9
    if not model.is_moe or not model.experts or not model.experts_per_token:
        return total, 0.0, 0.0
    fraction = model.experts_per_token / model.experts
    active = (model.active_params_b or model.total_params_b or 0.0) * 1e9
    if fraction >= 1.0:
        return total, 0.0, 0.0
    routed = min(total, max(0.0, (total - active) / (1.0 - fraction)))
    return total - routed, routed, fraction


def _hardware_values(
    accelerator: Accelerator, precision: str, tensor_parallel: int, profile: EfficiencyProfile
) -> dict[str, float]:
    """Effective per-chip figures and memory budget from the datasheet and the efficiency profile.

    Bandwidth and compute per chip are scaled by ``tp ** (exponent - 1)`` so that ``tp`` chips act
    as ``tp ** exponent`` chips (``tp_scaling_exponent``, 1 on GPUs).
    """
    link_gb = accelerator.scale_up_gb_per_s or DEFAULT_SCALE_UP_GB_PER_S
    scaling = float(tensor_parallel) ** (profile.tp_scaling_exponent - 1.0)
    bandwidth = (accelerator.memory_bandwidth_tb_per_s or 0.0) * 1e12 * scaling
    return {
        "chip_bandwidth": bandwidth * profile.bandwidth_efficiency,
        "chip_kv_bandwidth": bandwidth * profile.kv_bandwidth_efficiency,
        "chip_flops": (accelerator.peak_tflops(precision) or 0.0)
        * 1e12
        * profile.compute_efficiency
        * scaling,
        "usable_bytes_per_chip": (accelerator.memory_gib or 0.0) * GIB * profile.memory_utilization,
        "overhead_bytes_per_chip": profile.overhead_gib_per_chip * GIB,
        "allreduce_latency": profile.allreduce_latency_s,
        "link_bytes_per_s": link_gb * 1e9 / 2.0 * profile.link_efficiency,
        "step_overhead": profile.step_overhead_s,
    }


def replica_spec(
    model: Model,
    accelerator: Accelerator,
    tensor_parallel: int,
    pipeline_parallel: int,
    precision: str,
    kv_precision: str,
    profile: EfficiencyProfile | None = None,
    compute: str | None = None,
) -> ReplicaSpec:
    """Static figures of one replica (model and accelerator must have their shape and spec).

    Args:
        model: Catalog model with ``has_shape``.
        accelerator: Catalog accelerator with ``has_spec``.
        tensor_parallel: Tensor-parallel degree.
        pipeline_parallel: Pipeline-parallel degree.
        precision: Weight precision (a key of ``BYTES_PER_PARAM``).
        kv_precision: KV-cache precision (a key of ``KV_BYTES_PER_ELEMENT``).
        profile: Efficiency profile; None: the accelerator's default engine's.
        compute: Precision of the matrix maths (None: ``precision``; BF16 for weight-only formats).

    Returns:
        The replica's figures.
    """
    profile = profile or profile_for(accelerator)
    shape = attention_shape(model)
    bytes_per_param = BYTES_PER_PARAM[precision]
    always, routed, fraction = split_weights(model)
    padding = padding_params(shape, tensor_parallel)
    active = (model.active_b or 0.0) * 1e9 + padding
    heads = padded_heads(shape.heads, tensor_parallel)
    return ReplicaSpec(
        tp=float(tensor_parallel),
        pp=float(pipeline_parallel),
        chips=float(tensor_parallel * pipeline_parallel),
        weight_bytes=(always + routed + padding) * bytes_per_param,
        always_bytes=(always + padding) * bytes_per_param,
        routed_bytes=routed * bytes_per_param,
        expert_fraction=fraction,
        flops_per_token=2.0 * active,
        attn_flops_coeff=4.0 * shape.layers * heads * shape.head_dim,
        kv_bytes_per_token=kv_bytes_per_token(model, shape, tensor_parallel, kv_precision),
        layers=float(shape.layers),
        hidden=float(shape.hidden),
        moe_overhead=shape.layers * profile.moe_layer_overhead_s if fraction > 0 else 0.0,
        max_context=float(model.max_context_tokens) if model.max_context_tokens else math.inf,
        **_hardware_values(accelerator, compute or precision, tensor_parallel, profile),
    )


@dataclass(frozen=True)
class Replicas:
    """``ReplicaSpec`` fields as aligned float arrays, one element per row."""

    tp: FloatArray
    pp: FloatArray
    chips: FloatArray
    weight_bytes: FloatArray
    always_bytes: FloatArray
    routed_bytes: FloatArray
    expert_fraction: FloatArray
    flops_per_token: FloatArray
    attn_flops_coeff: FloatArray
    kv_bytes_per_token: FloatArray
    layers: FloatArray
    hidden: FloatArray
    chip_bandwidth: FloatArray
    chip_kv_bandwidth: FloatArray
    chip_flops: FloatArray
    usable_bytes_per_chip: FloatArray
    overhead_bytes_per_chip: FloatArray
    allreduce_latency: FloatArray
    link_bytes_per_s: FloatArray
    step_overhead: FloatArray
    moe_overhead: FloatArray
    max_context: FloatArray

    @classmethod
    def stack(cls, specs: list[ReplicaSpec]) -> Replicas:
        """Stack specs into arrays (``len(specs)`` rows).

        Args:
            specs: One spec per row (or per distinct configuration, then ``take``).

        Returns:
            The stacked arrays.
        """
        names = [f.name for f in fields(ReplicaSpec)]
        return cls(**{n: np.array([getattr(s, n) for s in specs], dtype=np.float64) for n in names})

    def take(self, index: npt.NDArray[np.intp]) -> Replicas:
        """Rows ``index`` of every array (to expand distinct configurations to rows).

        Args:
            index: Row positions.

        Returns:
            A new ``Replicas`` with ``len(index)`` rows.
        """
        return Replicas(**{f.name: getattr(self, f.name)[index] for f in fields(self)})


#: Stand-in figures for rows whose configuration is rejected (their results are discarded).
PLACEHOLDER = ReplicaSpec(**{f.name: 1.0 for f in fields(ReplicaSpec)})
