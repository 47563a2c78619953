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
