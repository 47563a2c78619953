"""The roofline, vectorised over rows: memory, decode step time, prefill time, TTFT.

All functions take ``Replicas`` (one element per row) and float arrays (or scalars) of the same
length, and return float arrays; seconds and bytes throughout. The equations are written out in
``docs/performance-model.md``.
"""

from __future__ import annotations

import numpy as np

from planner.perf.constants import ACTIVATION_BYTES, PIPELINE_HOP_LATENCY_S, SCALE_OUT_BYTES_PER_S
from planner.perf.replica import FloatArray, Replicas

Floats = FloatArray | float


def expert_coverage(r: Replicas, tokens: Floats) -> FloatArray:
    """Fraction of routed experts that ``tokens`` tokens touch in one layer: ``1 - (1 - k/E)^tokens``.

    Args:
        r: Replicas.
        tokens: Tokens in the step (per pipeline micro-batch).

    Returns:
        Fraction in [0, 1] (0 for dense models, where ``k/E`` is 0).
    """
    return np.asarray(1.0 - np.power(1.0 - r.expert_fraction, np.maximum(tokens, 0.0)), dtype=np.float64)


def weight_read_bytes(r: Replicas, tokens: Floats) -> FloatArray:
    """Weight bytes one forward pass over ``tokens`` tokens reads: always-read plus touched experts.

    Args:
        r: Replicas.
        tokens: Tokens in the pass.

    Returns:
        Bytes for the whole model (all pipeline stages).
    """
    return r.always_bytes + r.routed_bytes * expert_coverage(r, tokens)


def memory_bytes_per_chip(r: Replicas, batch: Floats, context: Floats) -> FloatArray:
    """Memory per chip: weights and the batch's KV cache at full context, split evenly, plus overhead.

    Args:
        r: Replicas.
        batch: Concurrent sequences.
        context: Tokens each sequence may hold (input + output).

    Returns:
        Bytes per chip.
    """
    kv = np.asarray(batch, dtype=np.float64) * context * r.kv_bytes_per_token
    return (r.weight_bytes + kv) / r.chips + r.overhead_bytes_per_chip


def allreduce_time(r: Replicas, tokens: Floats, layers: Floats) -> FloatArray:
    """Tensor-parallel all-reduces of ``layers`` layers (two per layer) over ``tokens`` tokens.

    Ring all-reduce: each chip sends ``2 (tp - 1) / tp`` times the activations one way.

    Args:
        r: Replicas.
        tokens: Tokens in the pass.
        layers: Layers covered.

    Returns:
        Seconds (0 where ``tp`` is 1).
    """
    message = np.asarray(tokens, dtype=np.float64) * r.hidden * ACTIVATION_BYTES
    one = r.allreduce_latency + 2.0 * (r.tp - 1.0) / r.tp * message / r.link_bytes_per_s
    return np.where(r.tp > 1.0, 2.0 * layers * one, 0.0)


def pipeline_hops_time(r: Replicas, tokens: Floats) -> FloatArray:
    """Activation hand-offs between pipeline stages for one pass of ``tokens`` tokens.

    Args:
        r: Replicas.
        tokens: Tokens handed over per hop.

    Returns:
        Seconds (0 where ``pp`` is 1).
    """
    hop = PIPELINE_HOP_LATENCY_S + np.asarray(tokens, dtype=np.float64) * r.hidden * ACTIVATION_BYTES / (
        SCALE_OUT_BYTES_PER_S * r.tp
    )
    return (r.pp - 1.0) * hop


def roofline_time(
    r: Replicas, read_bytes: Floats, flops: Floats, bandwidth: FloatArray | None = None
) -> FloatArray:
    """``max(bytes / bandwidth, FLOPs / peak)`` on the ``tp`` chips of one pipeline stage.

    Args:
        r: Replicas.
        read_bytes: Bytes read by the pass on this stage.
        flops: FLOPs of the pass on this stage.
        bandwidth: Bandwidth per chip for these bytes (default: the weight-read bandwidth).

    Returns:
        Seconds.
    """
    per_chip = r.chip_bandwidth if bandwidth is None else bandwidth
    memory = np.asarray(read_bytes, dtype=np.float64) / (r.tp * per_chip)
    compute = np.asarray(flops, dtype=np.float64) / (r.tp * r.chip_flops)
    return np.maximum(memory, compute)


def step_time(
    r: Replicas, decode: Floats, prefill: Floats, context: Floats, prefill_context: Floats
) -> FloatArray:
    """Time of one pass of one pipeline stage over decode and prefill tokens.

    Two rooflines that run one after the other: the linear layers (weights read once,
    ``2 x active params`` FLOPs per token) and attention (each decoding sequence's KV cache read
    once at the KV-read bandwidth, ``4 x layers x heads x head_dim`` FLOPs per token per context
    position); plus the
    tensor-parallel all-reduces and the fixed cost of the MoE layers.

    Args:
        r: Replicas.
        decode: Decoding sequences in the pass (one token each).
        prefill: Prompt tokens prefilled in the pass.
        context: Mean context of the decoding sequences, tokens.
        prefill_context: Mean context a prefill token attends to, tokens.

    Returns:
        Seconds for one stage (``1 / pp`` of the layers).
    """
    tokens = np.asarray(decode, dtype=np.float64) + prefill
    linear = roofline_time(r, weight_read_bytes(r, tokens) / r.pp, r.flops_per_token * tokens / r.pp)
    attention_flops = r.attn_flops_coeff * (
        np.asarray(decode) * context + np.asarray(prefill) * prefill_context
    )
    attention = roofline_time(
        r,
        np.asarray(decode) * context * r.kv_bytes_per_token / r.pp,
        attention_flops / r.pp,
        r.chip_kv_bandwidth,
    )
    return linear + attention + allreduce_time(r, tokens, r.layers / r.pp) + r.moe_overhead / r.pp


def decode_step_time(
    r: Replicas, batch: Floats, input_tokens: Floats, output_tokens: Floats, with_prefill: bool = True
) -> FloatArray:
    """Time of one decode step of the whole batch, with chunked prefill mixed in (effective TPOT).

    In steady state each step advances every sequence by one token and also prefills
    ``batch x input / output`` prompt tokens (the new requests that replace finished ones); the
    decoding sequences hold ``input + output / 2`` tokens on average. With ``pp`` stages the
    batch is split into ``pp`` micro-batches that take turns on every stage, so one step is
    ``pp`` stage passes.

    Args:
        r: Replicas.
        batch: Concurrent sequences.
        input_tokens: Prompt tokens per request.
        output_tokens: Generated tokens per request.
        with_prefill: False: the same step with no prefill mixed in (``decode_step_ms``: what a
            fixed-batch benchmark such as ``vllm bench latency`` measures).

    Returns:
        Seconds per step (= time per output token of every sequence).
    """
    micro = np.asarray(batch, dtype=np.float64) / r.pp
    inputs = np.asarray(input_tokens, dtype=np.float64)
    outputs = np.asarray(output_tokens, dtype=np.float64)
    prefill = micro * inputs / outputs if with_prefill else 0.0 * micro
    stage = step_time(r, micro, prefill, inputs + outputs / 2.0, inputs / 2.0)
    return r.pp * stage + pipeline_hops_time(r, micro) + r.step_overhead


def prefill_time(r: Replicas, input_tokens: Floats) -> FloatArray:
    """Time to prefill one prompt alone, through every pipeline stage in turn.

    Args:
        r: Replicas.
        input_tokens: Prompt tokens.

    Returns:
        Seconds.
    """
    tokens = np.asarray(input_tokens, dtype=np.float64)
    linear = roofline_time(r, weight_read_bytes(r, tokens), r.flops_per_token * tokens)
    attention = roofline_time(r, 0.0, r.attn_flops_coeff * tokens * tokens / 2.0)
    fixed = r.moe_overhead + r.step_overhead
    return linear + attention + allreduce_time(r, tokens, r.layers) + pipeline_hops_time(r, tokens) + fixed


def ttft(r: Replicas, batch: Floats, input_tokens: Floats, output_tokens: Floats) -> FloatArray:
    """Time to first token: the prompt's prefill plus one step of the running batch.

    Args:
        r: Replicas.
        batch: Concurrent sequences.
        input_tokens: Prompt tokens.
        output_tokens: Generated tokens per request.

    Returns:
        Seconds.
    """
    return prefill_time(r, input_tokens) + decode_step_time(r, batch, input_tokens, output_tokens)
