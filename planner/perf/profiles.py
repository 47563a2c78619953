"""Pick the efficiency profile of an accelerator, and derive a model's shape where the catalog is silent."""

from __future__ import annotations

import math
from dataclasses import dataclass

from planner.catalog.schema import Accelerator, Model
from planner.perf.constants import AMD, NEURON, NVIDIA, TPU, EfficiencyProfile


def profile_for(accelerator: Accelerator) -> EfficiencyProfile:
    """The efficiency profile for an accelerator: by kind, then (for GPUs) by vendor.

    Args:
        accelerator: Catalog accelerator.

    Returns:
        ``NEURON`` for kind ``neuron``, ``TPU`` for kind ``tpu``, ``AMD`` for GPUs whose vendor is
        ``amd``, otherwise ``NVIDIA``.
    """
    if accelerator.kind == "neuron":
        return NEURON
    if accelerator.kind == "tpu":
        return TPU
    if (accelerator.vendor or "").lower() == "amd":
        return AMD
    return NVIDIA


@dataclass(frozen=True)
class AttentionShape:
    """The transformer shape the roofline needs, with documented fallbacks for missing fields.

    Attributes:
        layers: Transformer layers (fallback ``32 * (P / 8e9) ** (1/3)``).
        hidden: Residual width (fallback ``sqrt(P_active / (12 * layers))``).
        heads: Query heads, or 0 when unknown (no attention FLOPs, no padding).
        kv_heads: Key/value heads, or 0 when unknown (no KV replication).
        head_dim: Dimension per head, or 0 when unknown.
    """

    layers: int
    hidden: int
    heads: int
    kv_heads: int
    head_dim: int


def attention_shape(model: Model) -> AttentionShape:
    """The model's shape, estimating layers and width from the parameter count where absent.

    Args:
        model: Catalog model with ``has_shape`` true.

    Returns:
        The shape with every field filled (0 meaning unknown for heads and head size).
    """
    total = (model.total_params_b or 1.0) * 1e9
    active = (model.active_b or model.total_params_b or 1.0) * 1e9
    layers = model.layers or max(1, round(32 * (total / 8e9) ** (1 / 3)))
    hidden = model.hidden_size or max(1, round(math.sqrt(active / (12 * layers))))
    heads = model.attention_heads or 0
    head_dim = model.head_dim or (hidden // heads if heads else 0)
    return AttentionShape(layers, hidden, heads, model.kv_heads or 0, head_dim)


def padded_heads(heads: int, tensor_parallel: int) -> int:
    """Heads after padding to a multiple of the tensor-parallel degree (0 stays 0).

    KV heads fewer than ``tensor_parallel`` are replicated, which is the same count.

    Args:
        heads: Head count (0 = unknown).
        tensor_parallel: Tensor-parallel degree.

    Returns:
        ``ceil(heads / tp) * tp``.
    """
    if heads <= 0:
        return 0
    return -(-heads // tensor_parallel) * tensor_parallel
