"""Model shapes shared by the performance-model tests (Hugging Face config.json values)."""

from __future__ import annotations

from planner.catalog.schema import Model

MIXTRAL = Model(
    id="mixtral-8x7b",
    total_params_b=46.7,
    active_params_b=12.9,
    layers=32,
    hidden_size=4096,
    attention_heads=32,
    kv_heads=8,
    head_dim=128,
    experts=8,
    experts_per_token=2,
    max_context_tokens=32768,
)

DEEPSEEK_V3 = Model(
    id="deepseek-v3",
    total_params_b=671,
    active_params_b=37,
    layers=61,
    hidden_size=7168,
    attention_heads=128,
    kv_heads=128,
    head_dim=128,
    kv_cache_bytes_per_token=70272,  # MLA: 61 layers x (512 + 64) x 2 bytes
    experts=256,
    experts_per_token=8,
    max_context_tokens=131072,
    precisions=("fp8", "bf16"),
)
