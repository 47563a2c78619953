"""Which weight precisions a model can be served in on an accelerator: its checkpoints and on-the-fly ones.

A *checkpoint* precision is the model's own weights (its first catalog precision) or a listed
pre-quantised checkpoint; other precisions the catalog lists for the model are produced by the
engine at load time. Engines also quantise *any* model on the fly where the hardware runs the
result, without a catalog listing:

* ``fp8`` (dynamic, per-tensor scales): on GPUs with FP8 units (vLLM ``--quantization fp8``);
* ``int8`` weight-only: on TPU (vLLM ``--quantization tpu_int8``) and Neuron
  (vLLM ``--quantization neuron_quant``); the maths stays in BF16.

Only models released in BF16/FP16 get them (vLLM does not re-quantise an FP8 or MXFP4 release).
Checkpoint-only formats (``mxfp4``, a vendor's ``int4``) stay gated by the model entry.
"""

from __future__ import annotations

from typing import Literal

from planner.catalog.schema import Accelerator, Model

PrecisionSource = Literal["checkpoint", "on_the_fly"]
#: Native weight precisions an engine quantises from at load time (a model released in FP8 or MXFP4
#: gets no on-the-fly formats: vLLM does not re-quantise a quantised checkpoint).
HALF_PRECISIONS = ("bf16", "fp16")
#: vLLM arguments that quantise at load time, per (accelerator kind, precision).
ON_THE_FLY_FLAGS: dict[tuple[str, str], tuple[str, ...]] = {
    ("gpu", "fp8"): ("--quantization", "fp8"),
    ("tpu", "int8"): ("--quantization", "tpu_int8"),
    ("neuron", "int8"): ("--quantization", "neuron_quant"),
}


def on_the_fly_precisions(accelerator: Accelerator) -> tuple[str, ...]:
    """Precisions an engine produces at load time for every model on this accelerator.

    Args:
        accelerator: Catalog accelerator.

    Returns:
        ``("fp8",)`` on GPUs with an FP8 peak, ``("int8",)`` on TPU and Neuron, else ``()``.
    """
    if accelerator.kind == "gpu":
        return ("fp8",) if accelerator.fp8_tflops else ()
    return ("int8",)


def precision_source(model: Model, precision: str) -> PrecisionSource:
    """``checkpoint`` for the model's own weights or a listed checkpoint, else ``on_the_fly``.

    Args:
        model: Catalog model.
        precision: Weight precision.

    Returns:
        Where the served weights come from.
    """
    if precision == model.precisions[0] or precision in model.hf_checkpoints:
        return "checkpoint"
    return "on_the_fly"


def served_precisions(model: Model, accelerator: Accelerator) -> tuple[str, ...]:
    """The model's listed precisions that run here, then the on-the-fly ones the accelerator adds.

    A listed precision without a checkpoint is quantised at load time: on GPUs vLLM does that for
    every listed format (FP8 weight-only on chips without FP8 units, bitsandbytes INT4), on TPU and
    Neuron only for the accelerator's own on-the-fly formats. Models released in BF16/FP16 also get
    the accelerator's on-the-fly formats unlisted.

    Args:
        model: Catalog model.
        accelerator: Catalog accelerator.

    Returns:
        Precisions in that order, without repeats.
    """
    fly = on_the_fly_precisions(accelerator) if model.precisions[0] in HALF_PRECISIONS else ()
    listed = tuple(
        p
        for p in model.precisions
        if accelerator.kind == "gpu" or p in fly or precision_source(model, p) == "checkpoint"
    )
    return (*listed, *(p for p in fly if p not in listed))


def compute_precision(model: Model, accelerator: Accelerator, precision: str) -> str:
    """The precision of the matrix maths: BF16 for on-the-fly INT8 (weight-only), else the weights'.

    Args:
        model: Catalog model.
        accelerator: Catalog accelerator.
        precision: Weight precision.

    Returns:
        A precision name for ``Accelerator.peak_tflops``.
    """
    if precision == "int8" and precision not in model.precisions and accelerator.kind != "gpu":
        return "bf16"
    return precision
