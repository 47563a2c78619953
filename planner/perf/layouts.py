"""Which (tensor-parallel, pipeline-parallel) layouts serving engines allow, and which ones hold the weights.

Rules (see ``docs/performance-model.md``):

* tensor parallel within one node, over the chip counts ``Accelerator.allowed_tensor_parallel()``
  lists (powers of two up to the scale-up limit on GPUs, the instance's chip counts on Neuron
  and TPU); query heads are padded and KV heads replicated up to the TP degree;
* pipeline parallel across nodes only when the weights do not fit in one node, and then only
  with the node's full tensor-parallel degree.
"""

from __future__ import annotations

from planner.catalog.schema import PRECISIONS, Accelerator, Model
from planner.perf.constants import (
    DEFAULT_KV_PRECISION,
    GIB,
    KV_BYTES_PER_ELEMENT,
    MAX_PIPELINE_PARALLEL,
    EfficiencyProfile,
)
from planner.perf.precisions import compute_precision, served_precisions
from planner.perf.replica import ReplicaSpec, replica_spec


def check_precisions(precision: str, kv_precision: str) -> None:
    """Raise for precision names the model does not know (a programming error).

    Args:
        precision: Weight precision.
        kv_precision: KV-cache precision.

    Raises:
        ValueError: For an unknown name.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; valid: {', '.join(PRECISIONS)}")
    if kv_precision not in KV_BYTES_PER_ELEMENT:
        raise ValueError(
            f"unknown KV-cache precision {kv_precision!r}; valid: {', '.join(KV_BYTES_PER_ELEMENT)}"
        )


def weights_gib_per_chip(spec: ReplicaSpec) -> float:
    """Weights plus runtime overhead per chip, GiB."""
    return (spec.weight_bytes / spec.chips + spec.overhead_bytes_per_chip) / GIB


def weights_fit(spec: ReplicaSpec) -> bool:
    """True when weights and runtime overhead fit in each chip's usable memory."""
    return weights_gib_per_chip(spec) * GIB <= spec.usable_bytes_per_chip


def _spec(model: Model, accelerator: Accelerator, tp: int, pp: int, precision: str) -> ReplicaSpec:
    compute = compute_precision(model, accelerator, precision)
    return replica_spec(model, accelerator, tp, pp, precision, DEFAULT_KV_PRECISION, compute=compute)


def missing_spec(model: Model, accelerator: Accelerator) -> str | None:
    """Why the roofline cannot run for this pair, or None when it can.

    Args:
        model: Catalog model.
        accelerator: Catalog accelerator.

    Returns:
        A reason, or None.
    """
    if not model.has_shape:
        return f"model {model.id} has no shape (total_params_b and the KV-cache size are needed)"
    if not accelerator.has_spec:
        return f"accelerator {accelerator.id} has no spec (memory, bandwidth and BF16 peak are needed)"
    return None


def layout_problem(model: Model, accelerator: Accelerator, tp: int, pp: int, precision: str) -> str | None:
    """Why a layout is not one a serving engine would run, or None when it is legal.

    Args:
        model: Catalog model with a shape.
        accelerator: Catalog accelerator with a spec.
        tp: Tensor-parallel degree.
        pp: Pipeline-parallel degree.
        precision: Weight precision.

    Returns:
        A reason, or None.
    """
    allowed = accelerator.allowed_tensor_parallel()
    if tp not in allowed:
        sizes = ", ".join(str(s) for s in allowed)
        return f"tensor_parallel={tp} is not allowed on {accelerator.id} (allowed: {sizes})"
    if pp < 1 or pp > MAX_PIPELINE_PARALLEL:
        return f"pipeline_parallel={pp} is outside 1..{MAX_PIPELINE_PARALLEL}"
    if pp == 1:
        return None
    if tp != max(allowed):
        return f"pipeline parallelism needs the node's full tensor_parallel={max(allowed)}, got {tp}"
    if model.layers is not None and pp > model.layers:
        return f"pipeline_parallel={pp} exceeds the model's {model.layers} layers"
    if weights_fit(_spec(model, accelerator, tp, 1, precision)):
        return f"pipeline parallelism is only used when the model does not fit one node of {accelerator.id}"
    return None


def parallel_layouts(model: Model, accelerator: Accelerator, precision: str) -> list[tuple[int, int]]:
    """The legal (tensor_parallel, pipeline_parallel) pairs whose weights fit, fewest chips first.

    Single-node layouts come first; pipeline layouts (``tp`` = the node's maximum, ``pp`` from 2 to
    ``MAX_PIPELINE_PARALLEL``) are offered only when no single-node layout holds the weights.

    Args:
        model: Catalog model.
        accelerator: Catalog accelerator.
        precision: Weight precision.

    Returns:
        The pairs, or an empty list (no shape or spec, or nothing fits).
    """
    check_precisions(precision, DEFAULT_KV_PRECISION)
    if missing_spec(model, accelerator):
        return []
    allowed = accelerator.allowed_tensor_parallel()
    single = [(tp, 1) for tp in allowed if weights_fit(_spec(model, accelerator, tp, 1, precision))]
    if single:
        return single
    node = max(allowed)
    deepest = min(MAX_PIPELINE_PARALLEL, model.layers or MAX_PIPELINE_PARALLEL)
    return [
        (node, pp)
        for pp in range(2, deepest + 1)
        if weights_fit(_spec(model, accelerator, node, pp, precision))
    ]


def configure(
    model: Model,
    accelerator: Accelerator,
    tp: int,
    pp: int,
    precision: str,
    kv_precision: str,
    profile: EfficiencyProfile | None = None,
) -> tuple[ReplicaSpec | None, str | None]:
    """The replica's spec, or the reason it cannot be estimated (missing data, illegal layout).

    Args:
        model: Catalog model.
        accelerator: Catalog accelerator.
        tp: Tensor-parallel degree.
        pp: Pipeline-parallel degree.
        precision: Weight precision (checked).
        kv_precision: KV-cache precision (checked).
        profile: Efficiency profile (None: the accelerator's default engine's).

    Returns:
        ``(spec, None)`` or ``(None, reason)``.
    """
    check_precisions(precision, kv_precision)
    reason = missing_spec(model, accelerator)
    if reason is None and precision not in served_precisions(model, accelerator):
        served = ", ".join(served_precisions(model, accelerator))
        reason = (
            f"model {model.id} is not served in {precision} on {accelerator.id} (its precisions: {served})"
        )
    if reason is None:
        reason = layout_problem(model, accelerator, tp, pp, precision)
    if reason is not None:
        return None, reason
    compute = compute_precision(model, accelerator, precision)
    return replica_spec(model, accelerator, tp, pp, precision, kv_precision, profile, compute), None
