"""The roofline checked by hand, MoE expert reads, MLA's small KV cache, memory accounting."""

from __future__ import annotations

import math

import numpy as np
import pytest
from perf_models import DEEPSEEK_V3, MIXTRAL

from planner.catalog.schema import Model
from planner.perf import estimate
from planner.perf import reference as ref
from planner.perf.constants import GIB, NVIDIA
from planner.perf.layouts import configure
from planner.perf.replica import Replicas, split_weights
from planner.perf.roofline import expert_coverage, memory_bytes_per_chip, weight_read_bytes


def replicas(model: Model, accel, tp: int = 1, pp: int = 1, precision: str = "bf16", kv: str = "bf16"):
    spec, reason = configure(model, accel, tp, pp, precision, kv)
    assert reason is None, reason
    return Replicas.stack([spec])


def test_llama8b_bf16_h100_batch1_by_hand():
    # Llama-3.1-8B, BF16, one H100 (3.35 TB/s, 989.4 TFLOP/s), batch 1, 1000 in / 200 out.
    bw = 3.35e12 * NVIDIA.bandwidth_efficiency  # 2.68e12 B/s
    peak = 989.4e12 * NVIDIA.compute_efficiency  # 544.2e12 FLOP/s
    # Linear layers: weights 8.03e9 x 2 B = 16.06e9 B -> 5.99 ms; FLOPs for 1 decode token plus
    # 1 x 1000/200 = 5 prefill tokens mixed in: 6 x 2 x 8.03e9 = 96.4e9 -> 0.18 ms: memory-bound.
    linear = max(16.06e9 / bw, 6 * 2 * 8.03e9 / peak)
    assert linear == pytest.approx(5.993e-3, rel=1e-3)
    # Attention: KV 2 x 32 layers x 8 heads x 128 x 2 B = 131,072 B/token at the mean context
    # 1000 + 200/2 = 1100 tokens -> 144.2e6 B -> 0.054 ms (its FLOPs are negligible).
    kv_bytes = 2 * 32 * 8 * 128 * 2 * 1100
    attn_flops = 4 * 32 * 32 * 128 * (1 * 1100 + 5 * 500)
    attention = max(kv_bytes / bw, attn_flops / peak)
    step = linear + attention + NVIDIA.step_overhead_s  # TP 1: no all-reduce
    assert step == pytest.approx(7.546e-3, rel=1e-3)
    # TTFT: prefill 1000 tokens is compute-bound (16.06e12 FLOPs -> 29.5 ms) + causal attention
    # (4 x 32 x 32 x 128 x 1000^2 / 2 -> 0.48 ms) + overhead, then one decode step.
    prefill = max(16.06e9 / bw, 2 * 8.03e9 * 1000 / peak) + 4 * 32 * 32 * 128 * 1000**2 / 2 / peak
    ttft = prefill + NVIDIA.step_overhead_s + step
    e = estimate(ref.LLAMA31_8B, ref.H100, batch=1, input_tokens=1000, output_tokens=200)
    assert e.fits
    assert e.max_batch == 1
    assert e.tpot_ms == pytest.approx(step * 1e3, rel=1e-9)
    assert e.ttft_ms == pytest.approx(ttft * 1e3, rel=1e-9)
    assert e.decode_tokens_per_s == pytest.approx(1 / step, rel=1e-9)
    assert e.requests_per_s == pytest.approx(1 / (200 * step), rel=1e-9)
    assert e.prefill_tokens_per_s == pytest.approx(1000 / (200 * step), rel=1e-9)
    # Memory: weights + KV for 1 x 1200 tokens + 5 GiB runtime overhead.
    assert e.memory_gib == pytest.approx((16.06e9 + 131072 * 1200) / GIB + NVIDIA.overhead_gib_per_chip)


def test_llama70b_fp8_tp2_batch64_by_hand():
    # Llama-3.3-70B, FP8 weights and FP8 KV, 2 x H100 (TP2), batch 64, 512 in / 512 out.
    bw = 2 * 3.35e12 * NVIDIA.bandwidth_efficiency  # two chips: 5.36e12 B/s
    peak = 2 * 1978.9e12 * NVIDIA.compute_efficiency  # FP8 tensor cores: 2.18e15 FLOP/s
    tokens = 64 + 64 * 512 / 512  # 64 decode + 64 prefill tokens per step
    linear = max(70.6e9 * 1.0 / bw, 2 * 70.6e9 * tokens / peak)  # 13.17 ms vs 8.30 ms
    kv_per_token = 2 * 80 * 8 * 128 * 1.0  # FP8 KV: 163,840 B (8 KV heads split 4 + 4)
    context = 512 + 512 / 2
    attention = max(64 * context * kv_per_token / bw, 4 * 80 * 64 * 128 * (64 * context + 64 * 256) / peak)
    # Two ring all-reduces per layer of 128 tokens x 8192 x 2 B over NVLink (900 GB/s both ways
    # -> 450 GB/s one way x efficiency); each chip sends 2 x (2 - 1) / 2 of the message.
    link = 900e9 / 2 * NVIDIA.link_efficiency
    one = NVIDIA.allreduce_latency_s + 2 * (2 - 1) / 2 * tokens * 8192 * 2 / link
    step = linear + attention + 2 * 80 * one + NVIDIA.step_overhead_s
    assert step == pytest.approx(19.16e-3, rel=2e-3)
    e = estimate(
        ref.LLAMA3_70B,
        ref.H100,
        tensor_parallel=2,
        precision="fp8",
        kv_cache_precision="fp8",
        batch=64,
        input_tokens=512,
        output_tokens=512,
    )
    assert e.tpot_ms == pytest.approx(step * 1e3, rel=1e-9)
    assert e.decode_tokens_per_s == pytest.approx(64 / step, rel=1e-9)
    assert e.memory_gib_per_chip == pytest.approx(
        (70.6e9 + 64 * 1024 * kv_per_token) / 2 / GIB + NVIDIA.overhead_gib_per_chip
    )


def test_moe_split_and_distinct_expert_reads_grow_with_batch():
    always, routed, fraction = split_weights(MIXTRAL)
    assert fraction == 0.25
    assert routed == pytest.approx((46.7e9 - 12.9e9) / 0.75)
    assert always + routed == pytest.approx(46.7e9)
    r = replicas(MIXTRAL, ref.H100, tp=2)
    tokens = np.array([1.0, 2.0, 4.0, 8.0, 16.0, 64.0])
    reads = weight_read_bytes(r.take(np.zeros(6, dtype=np.intp)), tokens)
    # batch 1 reads exactly the active parameters; distinct experts E (1 - (1 - k/E)^b) grow with b
    assert reads[0] == pytest.approx(12.9e9 * 2)
    assert np.all(np.diff(reads) > 0)
    distinct = 8 * expert_coverage(r, 16.0)[0]
    assert distinct == pytest.approx(8 * (1 - 0.75**16))
    assert distinct > 7.9  # Mixtral touches every expert by batch ~16
    assert reads[4] > 0.99 * 46.7e9 * 2
    assert reads[5] == pytest.approx(46.7e9 * 2, rel=1e-6)


def test_moe_memory_from_total_compute_from_active():
    e = estimate(MIXTRAL, ref.H100, tensor_parallel=2, batch=1, input_tokens=100, output_tokens=100)
    assert e.memory_gib > 46.7e9 * 2 / GIB  # all experts resident
    r = replicas(MIXTRAL, ref.H100, tp=2)
    assert r.flops_per_token[0] == pytest.approx(2 * 12.9e9)  # compute from active parameters
    slow = [
        estimate(MIXTRAL, ref.H100, tensor_parallel=2, batch=b, output_tokens=500).tpot_ms for b in (1, 4, 16)
    ]
    assert slow[0] < slow[1] < slow[2]


def test_mla_kv_cache_is_small():
    gqa_equivalent = 2 * 61 * 128 * 128 * 2  # 128 KV heads of 128 dims, BF16
    assert DEEPSEEK_V3.kv_bytes_per_token_bf16 == 70272
    assert gqa_equivalent / 70272 > 50
    r = replicas(DEEPSEEK_V3, ref.H100, tp=8, pp=2, precision="fp8")
    assert r.kv_bytes_per_token[0] == 70272  # KV kept in BF16 by default
    per_chip_kv = memory_bytes_per_chip(r, 100.0, 4000.0) - memory_bytes_per_chip(r, 0.0, 4000.0)
    assert per_chip_kv[0] == pytest.approx(100 * 4000 * 70272 / 16)
    fp8 = replicas(DEEPSEEK_V3, ref.H100, tp=8, pp=2, precision="fp8", kv="fp8")
    assert fp8.kv_bytes_per_token[0] == 70272 / 2


def test_precision_sets_bytes_and_peak():
    bf16 = replicas(ref.LLAMA31_8B, ref.H100)
    fp8 = replicas(ref.LLAMA31_8B, ref.H100, precision="fp8")
    assert fp8.weight_bytes[0] == pytest.approx(bf16.weight_bytes[0] / 2)
    assert fp8.chip_flops[0] == pytest.approx(1978.9e12 * NVIDIA.compute_efficiency)  # FP8 tensor cores
    assert bf16.chip_flops[0] == pytest.approx(989.4e12 * NVIDIA.compute_efficiency)
    a100 = ref.H100.model_copy(update={"id": "a100", "fp8_tflops": None, "bf16_tflops": 312.0})
    weight_only = replicas(ref.LLAMA31_8B, a100, precision="fp8")  # no FP8 tensor cores: BF16 maths
    assert weight_only.chip_flops[0] == pytest.approx(312e12 * NVIDIA.compute_efficiency)


def test_latency_and_memory_grow_with_batch():
    small = estimate(ref.LLAMA31_8B, ref.H100, batch=8)
    large = estimate(ref.LLAMA31_8B, ref.H100, batch=64)
    assert small.tpot_ms < large.tpot_ms
    assert small.ttft_ms < large.ttft_ms
    assert small.memory_gib < large.memory_gib
    assert small.decode_tokens_per_s < large.decode_tokens_per_s
    assert math.isclose(small.memory_gib_per_chip, small.memory_gib)
