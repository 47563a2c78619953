"""Parallel layouts (TP, PP), Neuron head padding, and does-not-fit answers."""

from __future__ import annotations

import pytest
from perf_models import DEEPSEEK_V3

from planner.catalog.schema import Accelerator, Model
from planner.perf import estimate, parallel_layouts
from planner.perf import reference as ref
from planner.perf.constants import GIB, NVIDIA
from planner.perf.layouts import configure

INFERENTIA2 = Accelerator(
    id="inferentia2",
    vendor="aws",
    kind="neuron",
    memory_gib=32,
    memory_bandwidth_tb_per_s=0.82,
    bf16_tflops=190,
    fp8_tflops=190,
    int8_tops=380,
    chips_per_node=12,
    scale_up_gb_per_s=192,
    tensor_parallel_sizes=(1, 2, 4, 6, 12),
)


def test_deepseek_v3_fp8_on_h100_needs_two_nodes():
    layouts = parallel_layouts(DEEPSEEK_V3, ref.H100, "fp8")
    assert layouts[0] == (8, 2)
    assert all(tp == 8 and pp >= 2 for tp, pp in layouts)
    one_node = estimate(DEEPSEEK_V3, ref.H100, tensor_parallel=8)
    assert not one_node.fits
    assert one_node.precision == "fp8"
    assert "weights" in (one_node.reason or "")
    assert one_node.tpot_ms is None
    assert one_node.requests_per_s is None
    assert one_node.max_batch is None
    # 671e9 B over 8 chips = 78.1 GiB + 5 GiB overhead > 0.9 x 80 GiB (memory shown at batch 1)
    kv_one = 1200 * 70272 / 8
    assert one_node.memory_gib_per_chip == pytest.approx(
        (671e9 / 8 + kv_one) / GIB + NVIDIA.overhead_gib_per_chip
    )
    two = estimate(DEEPSEEK_V3, ref.H100, tensor_parallel=8, pipeline_parallel=2, tpot_ms=60, ttft_ms=3000)
    assert two.fits
    assert two.chips == 16
    assert two.tpot_ms <= 60
    assert two.ttft_ms <= 3000
    assert two.max_batch >= 1
    assert two.memory_gib_per_chip <= 0.9 * 80


def test_pipeline_rules():
    half_node = estimate(DEEPSEEK_V3, ref.H100, tensor_parallel=4, pipeline_parallel=2)
    assert not half_node.fits
    assert "full tensor_parallel=8" in (half_node.reason or "")
    fits_one_node = estimate(DEEPSEEK_V3, ref.H200, tensor_parallel=8, pipeline_parallel=2)
    assert not fits_one_node.fits
    assert "does not fit one node" in (fits_one_node.reason or "")
    assert parallel_layouts(DEEPSEEK_V3, ref.H200, "fp8") == [(8, 1)]
    too_deep = estimate(ref.LLAMA31_8B, ref.H100, tensor_parallel=8, pipeline_parallel=9)
    assert not too_deep.fits
    assert "pipeline_parallel=9" in (too_deep.reason or "")


def test_tensor_parallel_sizes_follow_the_accelerator():
    assert parallel_layouts(ref.LLAMA31_8B, ref.H100, "bf16") == [(1, 1), (2, 1), (4, 1), (8, 1)]
    assert parallel_layouts(ref.LLAMA3_70B, ref.H100, "bf16") == [(2, 1), (4, 1), (8, 1)]
    odd = estimate(ref.LLAMA31_8B, ref.H100, tensor_parallel=3)
    assert not odd.fits
    assert "allowed: 1, 2, 4, 8" in (odd.reason or "")
    assert parallel_layouts(ref.LLAMA3_70B, INFERENTIA2, "bf16") == [(6, 1), (12, 1)]
    assert not estimate(ref.LLAMA3_70B, INFERENTIA2, tensor_parallel=8).fits


def test_neuron_pads_heads_to_the_tensor_parallel_degree():
    # Llama 70B on 12 Inferentia2 chips: 64 query heads -> 72, 8 KV heads -> 12 (as the Neuron SDK).
    spec, reason = configure(ref.LLAMA3_70B, INFERENTIA2, 12, 1, "bf16", "bf16")
    assert reason is None
    assert spec is not None
    assert spec.attn_flops_coeff == 4 * 80 * 72 * 128
    assert spec.kv_bytes_per_token == pytest.approx(2 * 80 * 8 * 128 * 2 * 12 / 8)
    extra = 80 * 8192 * 128 * 2 * ((72 - 64) + (12 - 8))
    assert spec.weight_bytes == pytest.approx((70.6e9 + extra) * 2)
    assert spec.flops_per_token == pytest.approx(2 * (70.6e9 + extra))
    # on 4 chips nothing is padded
    even, _ = configure(ref.LLAMA3_70B, INFERENTIA2, 4, 1, "bf16", "bf16")
    assert even is not None
    assert even.weight_bytes == pytest.approx(70.6e9 * 2)
    padded = estimate(ref.LLAMA3_70B, INFERENTIA2, tensor_parallel=12, batch=1)
    assert padded.fits
    assert padded.memory_gib == pytest.approx(
        ((70.6e9 + extra) * 2 + 1200 * spec.kv_bytes_per_token) / GIB + 12 * 2.0
    )


def test_does_not_fit_answers():
    too_big = estimate(ref.LLAMA31_405B, ref.H100, precision="bf16")
    assert not too_big.fits
    assert too_big.reason.startswith("weights and runtime overhead need")
    assert parallel_layouts(ref.LLAMA31_405B, ref.H100, "bf16")[0] == (8, 2)
    kv = estimate(ref.LLAMA3_70B, ref.H100, tensor_parallel=2, batch=4000, input_tokens=8000)
    assert not kv.fits
    assert "KV cache for batch 4000" in (kv.reason or "")
    slow = estimate(ref.LLAMA3_70B, ref.H100, tensor_parallel=2, tpot_ms=5)
    assert not slow.fits
    assert (slow.reason or "").startswith("TPOT")
    assert "5.0 ms target" in (slow.reason or "")
    late = estimate(ref.LLAMA3_70B, ref.H100, tensor_parallel=8, input_tokens=30_000, ttft_ms=500)
    assert not late.fits
    assert (late.reason or "").startswith("TTFT")
    long = estimate(ref.LLAMA31_8B, ref.H100, input_tokens=131_000, output_tokens=1000)
    assert not long.fits
    assert "context of 131072" in (long.reason or "")
    missing = estimate(Model(id="mystery"), ref.H100)
    assert not missing.fits
    assert "no shape" in (missing.reason or "")
    nospec = estimate(ref.LLAMA31_8B, Accelerator(id="bare", chips_per_node=8))
    assert not nospec.fits
    assert "no spec" in (nospec.reason or "")
    assert nospec.memory_gib is None
    assert parallel_layouts(Model(id="mystery"), ref.H100, "bf16") == []
    unoffered = estimate(ref.LLAMA2_7B, ref.H100, precision="mxfp4")
    assert not unoffered.fits
    assert "not served in mxfp4" in (unoffered.reason or "")
    on_the_fly = estimate(ref.LLAMA2_7B, ref.H100, precision="fp8")
    assert on_the_fly.fits
    assert on_the_fly.precision_source == "on_the_fly"
    assert not estimate(ref.LLAMA2_7B, ref.TPU_V6E, tensor_parallel=4, precision="fp8").fits


def test_targets_bound_the_batch():
    free = estimate(ref.LLAMA31_8B, ref.H100, input_tokens=1000, output_tokens=200)
    tight = estimate(ref.LLAMA31_8B, ref.H100, input_tokens=1000, output_tokens=200, tpot_ms=20, ttft_ms=500)
    assert free.fits
    assert tight.fits
    assert tight.max_batch < free.max_batch
    assert tight.tpot_ms <= 20
    assert tight.ttft_ms <= 500
    one_more = estimate(
        ref.LLAMA31_8B, ref.H100, input_tokens=1000, output_tokens=200, batch=tight.max_batch + 1
    )
    assert one_more.tpot_ms > 20 or one_more.ttft_ms > 500
    assert free.memory_gib_per_chip <= 0.9 * 80
    beyond = estimate(
        ref.LLAMA31_8B, ref.H100, input_tokens=1000, output_tokens=200, batch=free.max_batch + 1
    )
    assert free.max_batch == 4096 or not beyond.fits


def test_programming_errors_raise():
    with pytest.raises(ValueError, match="unknown precision"):
        estimate(ref.LLAMA31_8B, ref.H100, precision="fp3")
    with pytest.raises(ValueError, match="KV-cache precision"):
        estimate(ref.LLAMA31_8B, ref.H100, kv_cache_precision="int2")
    with pytest.raises(ValueError, match="output_tokens < 1"):
        estimate(ref.LLAMA31_8B, ref.H100, output_tokens=0)
    with pytest.raises(ValueError, match="unknown precision"):
        parallel_layouts(ref.LLAMA31_8B, ref.H100, "fp3")


def test_to_dict_round_trips():
    e = estimate(ref.LLAMA31_8B, ref.H100, batch=2)
    d = e.to_dict()
    assert d["model"] == "llama-3.1-8b"
    assert d["max_batch"] == 2
    assert d["fits"] is True
    assert set(d) >= {"memory_gib", "tpot_ms", "ttft_ms", "requests_per_s", "reason", "chips"}
