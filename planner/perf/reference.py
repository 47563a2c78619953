"""Reference hardware and model records used by the calibration cases.

Figures are the datasheet values tabulated in the project's reference notes (NVIDIA, AMD and AWS
datasheets; Hugging Face ``config.json`` shapes). They are independent of the shipped catalogs so
that the calibration can be re-run whatever the catalogs say.
"""

from __future__ import annotations

from planner.catalog.schema import Accelerator, Model

H100 = Accelerator(
    id="h100-sxm",
    vendor="nvidia",
    kind="gpu",
    memory_gib=80,
    memory_bandwidth_tb_per_s=3.35,
    bf16_tflops=989.4,
    fp8_tflops=1978.9,
    int8_tops=1978.9,
    chips_per_node=8,
    scale_up_gb_per_s=900,
    max_tensor_parallel=8,
)
H200 = Accelerator(
    id="h200-sxm",
    vendor="nvidia",
    kind="gpu",
    memory_gib=141 * 1e9 / 2**30,
    memory_bandwidth_tb_per_s=4.8,
    bf16_tflops=989.0,
    fp8_tflops=1979.0,
    int8_tops=1979.0,
    chips_per_node=8,
    scale_up_gb_per_s=900,
    max_tensor_parallel=8,
)
MI300X = Accelerator(
    id="mi300x",
    vendor="amd",
    kind="gpu",
    memory_gib=192 * 1e9 / 2**30,
    memory_bandwidth_tb_per_s=5.3,
    bf16_tflops=1307.4,
    fp8_tflops=2614.9,
    int8_tops=2614.9,
    chips_per_node=8,
    scale_up_gb_per_s=896,
    max_tensor_parallel=8,
)
TRAINIUM1 = Accelerator(
    id="trainium1",
    vendor="aws",
    kind="neuron",
    memory_gib=32,
    memory_bandwidth_tb_per_s=0.82,
    bf16_tflops=190.0,
    fp8_tflops=190.0,
    int8_tops=380.0,
    chips_per_node=16,
    scale_up_gb_per_s=384,
    tensor_parallel_sizes=(1, 2, 4, 8, 16),
)

LLAMA31_8B = Model(
    id="llama-3.1-8b",
    total_params_b=8.03,
    layers=32,
    hidden_size=4096,
    attention_heads=32,
    kv_heads=8,
    head_dim=128,
    max_context_tokens=131072,
    precisions=("bf16", "fp8"),
)
LLAMA3_70B = Model(
    id="llama-3.3-70b",
    total_params_b=70.6,
    layers=80,
    hidden_size=8192,
    attention_heads=64,
    kv_heads=8,
    head_dim=128,
    max_context_tokens=131072,
    precisions=("bf16", "fp8"),
)
LLAMA31_405B = Model(
    id="llama-3.1-405b",
    total_params_b=405.9,
    layers=126,
    hidden_size=16384,
    attention_heads=128,
    kv_heads=8,
    head_dim=128,
    max_context_tokens=131072,
    precisions=("bf16", "fp8"),
)
LLAMA2_7B = Model(
    id="llama-2-7b",
    total_params_b=6.74,
    layers=32,
    hidden_size=4096,
    attention_heads=32,
    kv_heads=32,
    head_dim=128,
    precisions=("bf16",),
    notes="context left open: the Neuron benchmark runs it at 8,192 tokens",
)
QWEN3_8B = Model(
    id="qwen3-8b",
    total_params_b=8.19,
    layers=36,
    hidden_size=4096,
    attention_heads=32,
    kv_heads=8,
    head_dim=128,
    max_context_tokens=40960,
    precisions=("bf16", "fp8"),
)
QWEN3_235B = Model(
    id="qwen3-235b-a22b",
    total_params_b=235.1,
    active_params_b=22.2,
    layers=94,
    hidden_size=4096,
    attention_heads=64,
    kv_heads=4,
    head_dim=128,
    experts=128,
    experts_per_token=8,
    max_context_tokens=40960,
    precisions=("bf16", "fp8"),
)

TPU_V5E = Accelerator(
    id="tpu-v5e",
    vendor="google",
    kind="tpu",
    memory_gib=14.9,
    memory_bandwidth_tb_per_s=0.819,
    bf16_tflops=197.0,
    int8_tops=393.0,
    chips_per_node=8,
    scale_up_gb_per_s=400,
    max_tensor_parallel=8,
    tensor_parallel_sizes=(1, 4, 8),
)
TPU_V6E = Accelerator(
    id="tpu-v6e",
    vendor="google",
    kind="tpu",
    memory_gib=29.8,
    memory_bandwidth_tb_per_s=1.638,
    bf16_tflops=918.0,
    int8_tops=1836.0,
    chips_per_node=8,
    scale_up_gb_per_s=800,
    max_tensor_parallel=8,
    tensor_parallel_sizes=(1, 4, 8),
)
INFERENTIA2 = Accelerator(
    id="inferentia2",
    vendor="aws",
    kind="neuron",
    memory_gib=32,
    memory_bandwidth_tb_per_s=0.82,
    bf16_tflops=190.0,
    fp8_tflops=190.0,
    int8_tops=380.0,
    chips_per_node=12,
    scale_up_gb_per_s=206,
    max_tensor_parallel=12,
    tensor_parallel_sizes=(1, 2, 4, 6, 8, 12),
)
TRAINIUM2 = Accelerator(
    id="trainium2",
    vendor="aws",
    kind="neuron",
    memory_gib=96,
    memory_bandwidth_tb_per_s=2.9,
    bf16_tflops=667.0,
    fp8_tflops=1299.0,
    chips_per_node=16,
    scale_up_gb_per_s=1024,
    max_tensor_parallel=16,
    tensor_parallel_sizes=(1, 2, 4, 8, 16),
)

QWEN3_32B = Model(
    id="qwen3-32b",
    total_params_b=32.8,
    layers=64,
    hidden_size=5120,
    attention_heads=64,
    kv_heads=8,
    head_dim=128,
    max_context_tokens=40960,
    precisions=("bf16",),
)
QWEN_7B = Model(
    id="qwen-7b",
    total_params_b=7.72,
    layers=32,
    hidden_size=4096,
    attention_heads=32,
    kv_heads=32,
    head_dim=128,
    precisions=("bf16",),
    notes="Qwen-1 7B: full multi-head attention (32 KV heads)",
)
LLAMA2_13B = Model(
    id="llama-2-13b",
    total_params_b=13.02,
    layers=40,
    hidden_size=5120,
    attention_heads=40,
    kv_heads=40,
    head_dim=128,
    precisions=("bf16",),
    notes="CodeLlama-13B has the same shape (vocabulary 32,016)",
)
GEMMA_7B = Model(
    id="gemma-7b",
    total_params_b=8.54,
    layers=28,
    hidden_size=3072,
    attention_heads=16,
    kv_heads=16,
    head_dim=256,
    max_context_tokens=8192,
    precisions=("bf16",),
)
GEMMA4_31B = Model(
    id="gemma-4-31b",
    total_params_b=30.7,
    layers=60,
    hidden_size=5376,
    attention_heads=32,
    kv_heads=16,
    head_dim=256,
    kv_cache_bytes_per_token=501350.0,
    precisions=("bf16",),
    notes="50 sliding-window layers (16 KV heads x 256, window 1,024) and 10 global layers (4 KV heads "
    "x 512): 50 x 16 x 256 x 2 x 2 B x 1024 / 2000 + 10 x 4 x 512 x 2 x 2 B = 501,350 B per token "
    "at a 2,000-token context (apxml.com/models/gemma-4-31b; the Core AI conversion's model card)",
)
