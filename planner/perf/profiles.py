"""Pick the efficiency profile of an accelerator, and derive a model's shape where the catalog is silent."""

from __future__ import annotations

import math
from dataclasses import dataclass

from planner.catalog.schema import ENGINES, Accelerator, Model
from planner.perf.constants import PROFILES, EfficiencyProfile


def family_for(accelerator: Accelerator) -> str:
    """The accelerator family whose efficiency profiles apply (``Accelerator.family``).

    Args:
        accelerator: Catalog accelerator.

    Returns:
        ``neuron`` for kind ``neuron``, ``tpu`` for kind ``tpu``, ``amd`` for GPUs whose vendor is
        ``amd``, otherwise ``nvidia``.
    """
    return accelerator.family


def engines_for(accelerator: Accelerator) -> tuple[str, ...]:
    """The serving engines the performance model has a profile for on this accelerator (default first)."""
    return ENGINES[family_for(accelerator)]


def default_engine(accelerator: Accelerator) -> str:
    """The engine planning assumes: the catalog's ``default_engine``, else vLLM."""
    return accelerator.default_engine or ENGINES[family_for(accelerator)][0]


def unknown_engine(accelerator: Accelerator, engine: str) -> str | None:
    """Why ``engine`` has no profile on this accelerator (None when it has one)."""
    valid = engines_for(accelerator)
    if engine in valid:
        return None
    return f"no efficiency profile for engine '{engine}' on {accelerator.id} (valid: {', '.join(valid)})"


def profile_for(accelerator: Accelerator, engine: str | None = None) -> EfficiencyProfile:
    """The efficiency profile of an accelerator with a serving engine.

    Args:
        accelerator: Catalog accelerator.
        engine: Serving engine; None: the accelerator's default engine.

    Returns:
        The profile of (family, engine).

    Raises:
        ValueError: For an engine without a profile on this family (a programming error here;
            ``planner.api.estimate`` turns it into an input error first).
    """
    chosen = engine or default_engine(accelerator)
    problem = unknown_engine(accelerator, chosen)
    if problem:
        raise ValueError(problem)
    return PROFILES[(family_for(accelerator), chosen)]


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
