"""How one placement is served by vLLM: model, parallelism, precision flags, resources, node selection.

Shared by the Kubernetes, Helm and KServe formats, so the three agree on every argument.
"""

from __future__ import annotations

from dataclasses import dataclass

from planner.catalog.schema import Accelerator, KubernetesSpec
from planner.exports.base import (
    ANNOTATION_DEPLOYMENT,
    ExportContext,
    ExportError,
    dns_label,
    instance_type,
    label_value,
)
from planner.perf.precisions import ON_THE_FLY_FLAGS, precision_source
from planner.placement import placement_problems
from planner.plan import DeploymentLine, PeriodPlan, PlacementLine

PORT = 8000
#: vLLM's OpenAI server, started the same way in every vendor's image (rocm/vllm has no entrypoint).
COMMAND = ("python3", "-m", "vllm.entrypoints.openai.api_server")
#: On-the-fly quantisation vLLM offers on GPUs per plan precision (weights loaded in the checkpoint's
#: dtype); TPU and Neuron use ``planner.perf.precisions.ON_THE_FLY_FLAGS`` (tpu_int8, neuron_quant).
QUANTIZE_FLAGS = {"fp8": ("--quantization", "fp8"), "int4": ("--quantization", "bitsandbytes")}
DTYPE_FLAGS = {"bf16": ("--dtype", "bfloat16"), "fp16": ("--dtype", "float16")}
#: Capacity-type labels of the managed node pools per provider and tier.
CAPACITY_LABELS = {
    ("aws", "on_demand"): {"eks.amazonaws.com/capacityType": "ON_DEMAND"},
    ("aws", "spot"): {"eks.amazonaws.com/capacityType": "SPOT"},
    ("gcp", "spot"): {"cloud.google.com/gke-spot": "true"},
}


@dataclass(frozen=True)
class Serving:
    """Everything a format needs to run one placement's replicas."""

    name: str
    period: PeriodPlan
    deployment: DeploymentLine
    placement: PlacementLine
    accelerator: Accelerator
    spec: KubernetesSpec
    model_repo: str
    image: str
    args: tuple[str, ...]
    chips: int
    cpu: str
    memory: str
    node_selector: dict[str, str]
    labels: dict[str, str]
    annotations: dict[str, str]

    @property
    def replicas(self) -> int:
        """Replicas of this placement."""
        return self.placement.replicas

    @property
    def tensor_parallel_size(self) -> int:
        """The tensor-parallel size vLLM gets (NeuronCores on Neuron)."""
        return self.deployment.tensor_parallel * self.spec.cores_per_chip

    def tolerations(self) -> list[dict[str, str]]:
        """The accelerator's tolerations as Kubernetes objects."""
        return [t.model_dump(exclude_none=True) for t in self.spec.tolerations]


def servings(ctx: ExportContext, period: PeriodPlan) -> list[Serving]:
    """One Serving per placement of the period, in a stable order."""
    problems = placement_problems(period.period, period.accelerators, period.deployments, period.placements)
    if problems:
        raise ExportError(
            "the plan's replicas do not fit its chip lines one provider and tier at a time: "
            + "; ".join(problems[:3]),
            hint="re-plan with --whole-nodes or --max-spot-share 0, or buy the missing chips",
        )
    deps = {d.id: d for d in period.deployments}
    return [_serving(ctx, period, deps[pl.deployment], pl) for pl in period.placements]


def _serving(ctx: ExportContext, period: PeriodPlan, d: DeploymentLine, pl: PlacementLine) -> Serving:
    acc = ctx.accelerator(d.accelerator)
    if acc.kubernetes is None:
        raise ExportError(
            f"accelerator '{acc.id}' has no kubernetes block in the catalog (add one with --catalog)"
        )
    spec = acc.kubernetes
    repo, flags = model_and_flags(ctx, d, acc)
    args = (
        "--model",
        repo,
        "--served-model-name",
        d.model,
        "--tensor-parallel-size",
        str(d.tensor_parallel * spec.cores_per_chip),
        "--pipeline-parallel-size",
        str(d.pipeline_parallel),
        *flags,
        *(("--max-model-len", str(d.max_model_len_tokens)) if d.max_model_len_tokens else ()),
        *(("--max-num-seqs", str(d.max_num_seqs)) if d.max_num_seqs else ()),
        "--host",
        "0.0.0.0",
        "--port",
        str(PORT),
    )
    chips = pl.chips_per_replica
    name = dns_label(f"{d.id}-{pl.provider}-{pl.tier}")
    labels = {
        "app.kubernetes.io/name": "vllm",
        "app.kubernetes.io/instance": name,
        "app.kubernetes.io/managed-by": "fleetplan",
        "fleetplan.io/model": label_value(d.model),
        "fleetplan.io/accelerator": label_value(d.accelerator),
    }
    annotations = {
        ANNOTATION_DEPLOYMENT: d.id,
        "fleetplan.io/period": period.period,
        "fleetplan.io/provider": pl.provider,
        "fleetplan.io/tier": pl.tier,
        "fleetplan.io/plan-schema-version": ctx.plan.schema_version,
    }
    return Serving(
        name=name,
        period=period,
        deployment=d,
        placement=pl,
        accelerator=acc,
        spec=spec,
        model_repo=repo,
        image=ctx.options.image or spec.image,
        args=args,
        chips=chips,
        cpu=str(spec.cpu_per_chip * chips),
        memory=f"{spec.memory_gib_per_chip * chips}Gi",
        node_selector=node_selector(ctx, acc, spec, pl),
        labels=labels,
        annotations=annotations,
    )


def model_and_flags(ctx: ExportContext, d: DeploymentLine, acc: Accelerator) -> tuple[str, tuple[str, ...]]:
    """The Hugging Face repository to load and vLLM's precision flags for a deployment.

    A checkpoint precision loads its checkpoint; an on-the-fly one (the plan line's
    ``precision_source``, or the catalog's when the line has none) loads the model's weights and
    passes vLLM's quantisation flag for the accelerator.
    """
    model = ctx.model(d.model)
    if d.precision in model.hf_checkpoints:
        return model.hf_checkpoints[d.precision], ()
    if model.hf_repo_id is None:
        raise ExportError(f"model '{model.id}' has no hf_repo_id in the catalog (add one with --catalog)")
    source = d.precision_source or precision_source(model, d.precision)
    if source == "checkpoint" or d.precision in DTYPE_FLAGS:
        return model.hf_repo_id, DTYPE_FLAGS.get(d.precision, ())
    if (acc.kind, d.precision) in ON_THE_FLY_FLAGS:
        return model.hf_repo_id, ON_THE_FLY_FLAGS[(acc.kind, d.precision)]
    if d.precision in QUANTIZE_FLAGS and acc.kind == "gpu":
        return model.hf_repo_id, QUANTIZE_FLAGS[d.precision]
    raise ExportError(
        f"deployment {d.id}: vLLM cannot quantise {model.id} to {d.precision} on the fly on {acc.kind}; "
        f"list a {d.precision} checkpoint under the model's hf_checkpoints (--catalog)"
    )


def node_selector(
    ctx: ExportContext, acc: Accelerator, spec: KubernetesSpec, pl: PlacementLine
) -> dict[str, str]:
    """Labels a replica's node must carry: accelerator, provider's own labels, instance type, TPU shape."""
    selector = dict(spec.node_labels)
    selector.update(spec.provider_node_labels.get(pl.provider, {}))
    instance = instance_type(ctx.offer(acc.id, pl.provider, pl.tier))
    if instance is not None and spec.resource != "google.com/tpu":  # TPU offers are quoted per chip
        selector["node.kubernetes.io/instance-type"] = instance
    selector.update(CAPACITY_LABELS.get((pl.provider, pl.tier), {}))
    if spec.resource == "google.com/tpu":
        topology = spec.tpu_topologies.get(pl.chips_per_replica)
        if topology is None:
            shapes = ", ".join(str(n) for n in sorted(spec.tpu_topologies)) or "none"
            raise ExportError(
                f"accelerator '{acc.id}': no single-host TPU topology of {pl.chips_per_replica} chips "
                f"(catalog tpu_topologies: {shapes})"
            )
        selector["cloud.google.com/gke-tpu-topology"] = topology
    return selector
