"""Catalog schemas: accelerators, models and API offerings.

Every record is a frozen pydantic model with ``extra="forbid"``; field names carry their units.
Every shipped entry carries ``source`` and ``as_of``; entries added by a user may leave them out
(they are then shown as ``user``).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from planner.ids import ID_PATTERN

Precision = Literal["bf16", "fp16", "fp8", "int8", "int4", "mxfp4"]
PRECISIONS: tuple[str, ...] = ("bf16", "fp16", "fp8", "int8", "int4", "mxfp4")
#: Bytes per weight at each precision (MXFP4: 4-bit values plus one 8-bit scale per 32).
BYTES_PER_PARAM: dict[str, float] = {
    "bf16": 2.0,
    "fp16": 2.0,
    "fp8": 1.0,
    "int8": 1.0,
    "int4": 0.5,
    "mxfp4": 4.25 / 8,
}
Tier = Literal["on_demand", "spot", "committed_1y", "committed_3y"]
TIERS: tuple[str, ...] = ("on_demand", "spot", "committed_1y", "committed_3y")
AcceleratorKind = Literal["gpu", "tpu", "neuron"]
#: Serving engines the performance model has an efficiency profile for, per accelerator family
#: (``Accelerator.family``); the first is the default (vLLM, the engine the exports write).
ENGINES: dict[str, tuple[str, ...]] = {
    "nvidia": ("vllm", "sglang", "tensorrt-llm"),
    "amd": ("vllm", "sglang"),
    "neuron": ("vllm", "transformers-neuronx"),
    "tpu": ("vllm", "sglang-jax", "jetstream"),
}

Id = Annotated[str, Field(pattern=ID_PATTERN, min_length=1, max_length=64, description="Catalog id")]
PositiveFloat = Annotated[float, Field(gt=0, allow_inf_nan=False)]
NonNegFloat = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class Record(BaseModel):
    """Base of every catalog record: frozen, strict about unknown fields, no NaN."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False, validate_default=True)


class Sourced(Record):
    """A record that says where its figures come from and when."""

    source: str = Field("user", min_length=1, description="Where the figures come from (document, URL)")
    as_of: dt.date | None = Field(None, description="Date of the source (YYYY-MM-DD)")
    notes: str | None = Field(None, description="Free-text remarks")


class PriceOffer(Sourced):
    """One published price for an accelerator: a provider, a pricing tier, USD per chip-hour."""

    provider: Id = Field(description="Who sells it (aws, gcp, azure, lambda, runpod, user, ...)")
    tier: Tier = Field(description="Pricing tier")
    usd_per_chip_hour: PositiveFloat = Field(description="USD per chip per hour")
    instance: str | None = Field(None, description="The instance or VM type the price is quoted for")
    sold_by_node: bool = Field(False, description="Sold only as whole nodes of chips_per_node chips")
    chips_per_instance: int | None = Field(
        None,
        ge=1,
        le=256,
        description="Chips in one instance of `instance`; default: chips_per_node when sold by the "
        "node, else 1 (rented by the chip)",
    )

    @property
    def key(self) -> str:
        """``provider.tier``: unique within an accelerator."""
        return f"{self.provider}.{self.tier.replace('_', '-')}"


#: An extended resource name (``vendor.domain/name``) or a label key with an optional prefix.
_DNS_SUBDOMAIN = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
_LABEL_NAME = r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"
RESOURCE_NAME = rf"^{_DNS_SUBDOMAIN}/{_LABEL_NAME}$"
LABEL_KEY = rf"^({_DNS_SUBDOMAIN}/)?{_LABEL_NAME}$"
LABEL_VALUE = r"^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$"
LabelKey = Annotated[str, Field(pattern=LABEL_KEY, max_length=316)]
LabelValue = Annotated[str, Field(pattern=LABEL_VALUE, max_length=63)]


class Toleration(Record):
    """A Kubernetes toleration of a node taint (``operator: Exists`` tolerates any value)."""

    key: LabelKey
    operator: Literal["Exists", "Equal"] = "Exists"
    value: LabelValue | None = None
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] | None = "NoSchedule"

    @model_validator(mode="after")
    def _value_with_equal(self) -> Toleration:
        if (self.operator == "Equal") != (self.value is not None):
            raise ValueError("a value goes with operator Equal, and only with it")
        return self


class KubernetesSpec(Sourced):
    """How Kubernetes schedules the accelerator and which vLLM image serves on it.

    Used by ``plan export``; a user's catalog may override any field (the block merges field by field).
    """

    resource: str = Field(pattern=RESOURCE_NAME, description="Extended resource name (nvidia.com/gpu, ...)")
    node_labels: dict[LabelKey, LabelValue] = Field(
        default_factory=dict, description="Node labels a pod selects on any platform (GFD product label, ...)"
    )
    provider_node_labels: dict[Id, dict[LabelKey, LabelValue]] = Field(
        default_factory=dict, description="Extra node labels per price offer provider (gcp: GKE labels, ...)"
    )
    tolerations: tuple[Toleration, ...] = Field((), description="Taints the accelerator's node pools carry")
    image: str = Field(
        min_length=1, pattern=r"^[a-z0-9][^\s]*:[^\s]+$", description="vLLM image with its tag"
    )
    cores_per_chip: int = Field(
        1, ge=1, le=16, description="vLLM tensor-parallel units per chip (NeuronCores on Neuron, else 1)"
    )
    tpu_topologies: dict[int, LabelValue] = Field(
        default_factory=dict,
        description="GKE TPU topology label value per chips of one replica (single-host slices)",
    )
    chart_accelerator_type: str | None = Field(
        None, description="llm-d-modelservice accelerator.type (nvidia, amd, google); absent: none fits"
    )
    cpu_per_chip: int = Field(
        2,
        ge=1,
        le=64,
        description="vCPUs a replica requests per chip; the default 2 fits the smallest one-chip hosts "
        "listed (4 vCPU, 16 GiB: g6.xlarge, g2-standard-4, inf2.xlarge) after kubelet reservations",
    )
    memory_gib_per_chip: int = Field(
        12, ge=1, le=4096, description="Host memory (GiB) a replica requests per chip; default as for cpu"
    )
    runtime_class: str = Field(
        "", description="Pod runtimeClassName the vLLM production-stack chart sets ('' for the default)"
    )


class Accelerator(Sourced):
    """An accelerator chip with its memory, bandwidth, peak FLOP/s, node shape and prices.

    Only ``id`` and ``chips_per_node`` are required: an accelerator used only through measured
    profiles needs no specification, and one with no price offer is listed but not planned.
    """

    id: Id
    name: str | None = Field(None, description="Display name")
    vendor: str | None = Field(None, description="Maker (nvidia, amd, google, aws)")
    kind: AcceleratorKind = Field("gpu", description="gpu, tpu or neuron: decides the parallelism rules")
    memory_gib: PositiveFloat | None = Field(None, description="Accelerator memory per chip, GiB")
    memory_bandwidth_tb_per_s: PositiveFloat | None = Field(
        None, description="Memory bandwidth per chip, TB/s"
    )
    bf16_tflops: PositiveFloat | None = Field(None, description="Dense BF16 peak per chip, TFLOP/s")
    fp8_tflops: PositiveFloat | None = Field(
        None, description="Dense FP8 peak per chip, TFLOP/s; absent: no FP8"
    )
    int8_tops: PositiveFloat | None = Field(None, description="Dense INT8 peak per chip, TOP/s")
    fp4_tflops: PositiveFloat | None = Field(
        None, description="Dense FP4 peak per chip, TFLOP/s; absent: no FP4"
    )
    chips_per_node: int = Field(ge=1, le=256, description="Chips in one node (host) as sold")
    scale_up_gb_per_s: PositiveFloat | None = Field(
        None, description="Scale-up interconnect bandwidth per chip, GB/s (bidirectional)"
    )
    max_tensor_parallel: int | None = Field(
        None, ge=1, le=256, description="Largest tensor-parallel group the scale-up domain allows (chips)"
    )
    tensor_parallel_sizes: tuple[int, ...] | None = Field(
        None,
        description="Chip counts one replica may span within a node; default: powers of two up to "
        "max_tensor_parallel (Neuron and TPU list theirs)",
    )
    tdp_watts: PositiveFloat | None = Field(None, description="Thermal design power per chip, W")
    default_engine: Id | None = Field(
        None,
        description="Serving engine planning assumes and the exports write (vllm, sglang, sglang-jax, "
        "jetstream, tensorrt-llm, transformers-neuronx); absent: vllm",
    )
    prices: tuple[PriceOffer, ...] = Field((), description="Price offers per chip-hour")
    kubernetes: KubernetesSpec | None = Field(None, description="Scheduling and image for plan export")

    @model_validator(mode="before")
    @classmethod
    def _minimal_form(cls, data: object) -> object:
        """Accept ``on_demand_usd_per_chip_hour`` as one on-demand offer of provider ``user``."""
        if isinstance(data, dict) and "on_demand_usd_per_chip_hour" in data:
            data = dict(data)
            price = data.pop("on_demand_usd_per_chip_hour")
            offer = {"provider": "user", "tier": "on_demand", "usd_per_chip_hour": price}
            data["prices"] = [*(data.get("prices") or []), offer]
        return data

    @model_validator(mode="after")
    def _unique_offers(self) -> Accelerator:
        keys = [p.key for p in self.prices]
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            raise ValueError(f"duplicate price offers (provider, tier): {', '.join(dupes)}")
        if self.max_tensor_parallel is not None and self.max_tensor_parallel > self.chips_per_node:
            raise ValueError("max_tensor_parallel cannot exceed chips_per_node")
        if self.tensor_parallel_sizes and max(self.tensor_parallel_sizes) > self.chips_per_node:
            raise ValueError("tensor_parallel_sizes cannot exceed chips_per_node")
        if self.default_engine is not None and self.default_engine not in ENGINES[self.family]:
            raise ValueError(
                f"default_engine '{self.default_engine}' has no performance profile on {self.family} "
                f"accelerators (valid: {', '.join(ENGINES[self.family])})"
            )
        return self

    @property
    def family(self) -> str:
        """Efficiency-profile family: ``neuron`` or ``tpu`` by kind, ``amd`` for AMD GPUs, else ``nvidia``."""
        if self.kind in ("neuron", "tpu"):
            return self.kind
        return "amd" if (self.vendor or "").lower() == "amd" else "nvidia"

    def allowed_tensor_parallel(self) -> tuple[int, ...]:
        """Chip counts one replica may span inside a node, ascending."""
        if self.tensor_parallel_sizes:
            return tuple(sorted(set(self.tensor_parallel_sizes)))
        limit = self.max_tensor_parallel or self.chips_per_node
        sizes, size = [], 1
        while size <= limit:
            sizes.append(size)
            size *= 2
        return tuple(sizes)

    @property
    def has_spec(self) -> bool:
        """True when the roofline performance model has what it needs."""
        return None not in (self.memory_gib, self.memory_bandwidth_tb_per_s, self.bf16_tflops)

    @property
    def is_priced(self) -> bool:
        """True when at least one price offer exists."""
        return bool(self.prices)

    def peak_tflops(self, precision: str) -> float | None:
        """Dense peak for matrix maths at a weight precision (weight-only formats compute in BF16)."""
        if precision == "fp8" and self.fp8_tflops:
            return self.fp8_tflops
        if precision == "int8" and self.int8_tops:
            return self.int8_tops
        if precision == "mxfp4" and self.fp4_tflops:
            return self.fp4_tflops
        return self.bf16_tflops


class Model(Sourced):
    """A language model: size, attention and KV-cache shape, MoE structure, precisions, quality.

    Only ``id`` is required: a model served only through measured profiles or APIs needs no shape.
    """

    id: Id
    name: str | None = Field(None, description="Display name")
    family: str | None = Field(None, description="Model family (llama, qwen, deepseek, ...)")
    total_params_b: PositiveFloat | None = Field(None, description="Total parameters, billions")
    active_params_b: PositiveFloat | None = Field(
        None, description="Parameters used per token, billions (MoE); equals total for dense models"
    )
    layers: int | None = Field(None, ge=1, description="Transformer layers")
    hidden_size: int | None = Field(None, ge=1, description="Model (residual) width")
    attention_heads: int | None = Field(None, ge=1, description="Query heads")
    kv_heads: int | None = Field(None, ge=1, description="Key/value heads (GQA)")
    head_dim: int | None = Field(None, ge=1, description="Dimension per attention head")
    kv_cache_bytes_per_token: PositiveFloat | None = Field(
        None,
        description="KV-cache bytes per token in BF16, all layers; set for MLA or sliding-window models, "
        "otherwise 2 x layers x kv_heads x head_dim x 2",
    )
    experts: int | None = Field(None, ge=1, description="Routed experts per MoE layer")
    experts_per_token: int | None = Field(None, ge=1, description="Routed experts each token uses")
    max_context_tokens: int | None = Field(None, ge=1, description="Longest context (input + output)")
    precisions: tuple[Precision, ...] = Field(
        ("bf16",), min_length=1, description="Precisions it is served in"
    )
    open_weights: bool = Field(True, description="Weights can be downloaded and self-hosted")
    hf_repo_id: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9][-A-Za-z0-9_.]*/[A-Za-z0-9][-A-Za-z0-9_.]*$",
        description="Hugging Face repository of the weights in the first listed precision",
    )
    hf_checkpoints: dict[
        Precision, Annotated[str, Field(pattern=r"^[A-Za-z0-9][-A-Za-z0-9_.]*/[A-Za-z0-9][-A-Za-z0-9_.]*$")]
    ] = Field(
        default_factory=dict,
        description="Published pre-quantised checkpoints by precision (served as checkpoints, not "
        "quantised on the fly)",
    )
    quality: NonNegFloat | None = Field(None, description="Quality score on the README's benchmark scale")
    quality_source: str | None = Field(None, description="Where the quality score comes from")

    @model_validator(mode="after")
    def _consistent(self) -> Model:
        if self.total_params_b and self.active_params_b and self.active_params_b > self.total_params_b:
            raise ValueError("active_params_b cannot exceed total_params_b")
        if (self.experts is None) != (self.experts_per_token is None):
            raise ValueError("experts and experts_per_token go together")
        if self.experts and self.experts_per_token and self.experts_per_token > self.experts:
            raise ValueError("experts_per_token cannot exceed experts")
        if len(set(self.precisions)) != len(self.precisions):
            raise ValueError("precisions are listed twice")
        return self

    @property
    def is_moe(self) -> bool:
        """True for Mixture-of-Experts models."""
        return bool(self.experts and self.experts > 1)

    @property
    def active_b(self) -> float | None:
        """Active parameters (billions), falling back to the total for dense models."""
        return self.active_params_b or self.total_params_b

    @property
    def has_shape(self) -> bool:
        """True when the roofline performance model has what it needs."""
        return self.total_params_b is not None and self.kv_bytes_per_token_bf16 is not None

    @property
    def kv_bytes_per_token_bf16(self) -> float | None:
        """KV-cache bytes per token (BF16), from the explicit figure or the GQA shape."""
        if self.kv_cache_bytes_per_token is not None:
            return self.kv_cache_bytes_per_token
        if None in (self.layers, self.kv_heads, self.head_dim):
            return None
        return 2.0 * self.layers * self.kv_heads * self.head_dim * 2  # type: ignore[operator]


class ApiOffering(Sourced):
    """A paid API: price per 1M tokens, the catalog model it serves or its own quality score."""

    id: Id
    name: str | None = Field(None, description="Display name")
    provider: str | None = Field(None, description="Who sells it")
    model: Id | None = Field(None, description="Catalog model it serves (open models)")
    quality: NonNegFloat | None = Field(None, description="Quality score when it serves no catalog model")
    quality_source: str | None = Field(None, description="Where the quality score comes from")
    litellm_model: str | None = Field(
        None,
        min_length=1,
        description="The model string LiteLLM's proxy calls it by (provider/model, as in its `source` key)",
    )
    usd_per_1m_input_tokens: NonNegFloat = Field(description="USD per 1M input tokens")
    usd_per_1m_output_tokens: NonNegFloat = Field(description="USD per 1M output tokens")
    usd_per_1m_cached_input_tokens: NonNegFloat | None = Field(
        None, description="USD per 1M cached input tokens"
    )
    max_context_tokens: int | None = Field(None, ge=1, description="Longest context accepted")
    rate_limit_requests_per_s: PositiveFloat | None = Field(None, description="Published request-rate limit")
    rate_limit_tokens_per_min: PositiveFloat | None = Field(None, description="Published token-rate limit")

    @field_validator("usd_per_1m_input_tokens", "usd_per_1m_output_tokens")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value

    def usd_per_request(self, input_tokens: float, output_tokens: float) -> float:
        """Token cost of one request of that shape."""
        return (
            input_tokens * self.usd_per_1m_input_tokens + output_tokens * self.usd_per_1m_output_tokens
        ) / 1e6


class Catalog(Record):
    """The three catalogs together, keyed by id."""

    accelerators: dict[str, Accelerator]
    models: dict[str, Model]
    apis: dict[str, ApiOffering]

    def api_quality(self, api: ApiOffering) -> float | None:
        """An API's quality: its served model's score, else its own."""
        if api.model is not None and api.model in self.models:
            model_quality = self.models[api.model].quality
            if model_quality is not None:
                return model_quality
        return api.quality
