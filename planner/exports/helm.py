"""``--to helm``: values files for vLLM's production-stack chart and for llm-d-modelservice.

Per exported period and provider: ``production-stack-values.yaml`` with one
``servingEngineSpec.modelSpec`` entry per placement, and per placement one
``llm-d-<name>.yaml`` (llm-d-modelservice serves one model per release). Both carry the same
arguments as the Kubernetes export. llm-d-modelservice has accelerator types for NVIDIA, AMD and
Google TPUs only: a plan on another accelerator is exit 2. The production-stack chart takes the
Kubernetes resource name in ``requestGPUType`` and places pods through ``nodeSelectorTerms``.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from planner.exports.base import ExportContext, ExportError, ExportFile, path_part, yaml_text
from planner.exports.serving import Serving, servings

#: Arguments the charts set themselves (model, served name, tensor parallelism, host, port).
_CHART_ARGS = {"--model", "--served-model-name", "--tensor-parallel-size", "--host", "--port"}
_OWN_ARGS = {"--max-model-len", "--max-num-seqs"}


def render(ctx: ExportContext) -> list[ExportFile]:
    """Values files of every exported period, per provider."""
    files: list[ExportFile] = []
    for period in ctx.periods():
        by_provider: dict[str, list[Serving]] = defaultdict(list)
        for s in servings(ctx, period):
            by_provider[s.placement.provider].append(s)
        for provider, group in sorted(by_provider.items()):
            folder = f"{path_part(period.period)}/{path_part(provider)}"
            files.append(
                ExportFile(f"{folder}/production-stack-values.yaml", yaml_text(production_stack(ctx, group)))
            )
            files += [ExportFile(f"{folder}/llm-d-{s.name}.yaml", yaml_text(llm_d(ctx, s))) for s in group]
    return files


def extra_args(s: Serving, skip: set[str]) -> list[str]:
    """VLLM arguments without those a chart sets itself (flags with their values)."""
    out: list[str] = []
    args = list(s.args)
    i = 0
    while i < len(args):
        flag = args[i]
        has_value = i + 1 < len(args) and not args[i + 1].startswith("--")
        if flag not in skip:
            out.extend(args[i : i + 1 + has_value])
        i += 1 + has_value
    return out


def split_image(image: str) -> tuple[str, str]:
    """(repository, tag) of an image reference."""
    repo, _, tag = image.rpartition(":")
    if not repo or "/" in tag:
        raise ExportError(f"image '{image}' has no tag")
    return repo, tag


def _terms(selector: dict[str, str]) -> list[dict[str, Any]]:
    expressions = [{"key": k, "operator": "In", "values": [v]} for k, v in selector.items()]
    return [{"matchExpressions": expressions}] if expressions else []


def model_spec(ctx: ExportContext, s: Serving) -> dict[str, Any]:
    """One production-stack ``modelSpec`` entry."""
    repository, tag = split_image(s.image)
    vllm: dict[str, Any] = {"tensorParallelSize": s.tensor_parallel_size}
    if s.deployment.max_model_len_tokens:
        vllm["maxModelLen"] = s.deployment.max_model_len_tokens
    if s.deployment.max_num_seqs:
        vllm["maxNumSeqs"] = s.deployment.max_num_seqs
    vllm["extraArgs"] = extra_args(s, _CHART_ARGS | _OWN_ARGS)
    spec: dict[str, Any] = {
        "name": s.name,
        "annotations": dict(s.annotations),
        "repository": repository,
        "tag": tag,
        "modelURL": s.model_repo,
        "replicaCount": s.replicas,
        "requestCPU": int(s.cpu),
        "requestMemory": s.memory,
        "requestGPU": s.chips,
        "requestGPUType": s.spec.resource,
        "runtimeClassName": s.spec.runtime_class,
        "vllmConfig": vllm,
    }
    if ctx.options.hf_token_secret:
        spec["hf_token"] = {"secretName": ctx.options.hf_token_secret, "secretKey": "token"}
    if s.node_selector:
        spec["nodeSelectorTerms"] = _terms(s.node_selector)
    if s.spec.tolerations:
        spec["tolerations"] = s.tolerations()
    return spec


def production_stack(ctx: ExportContext, group: list[Serving]) -> dict[str, Any]:
    """production-stack values for one provider's placements."""
    return {"servingEngineSpec": {"enableEngine": True, "modelSpec": [model_spec(ctx, s) for s in group]}}


def llm_d(ctx: ExportContext, s: Serving) -> dict[str, Any]:
    """llm-d-modelservice values for one placement (decode pods only, no disaggregated prefill)."""
    kind = s.spec.chart_accelerator_type
    if kind is None:
        raise ExportError(
            f"llm-d-modelservice has no accelerator type for {s.accelerator.id} ({s.spec.resource}); "
            "export kubernetes or kserve for it, or set kubernetes.chart_accelerator_type with --catalog"
        )
    artifacts: dict[str, Any] = {"uri": f"hf://{s.model_repo}", "name": s.model_repo}
    if ctx.options.hf_token_secret:
        artifacts["authSecretName"] = ctx.options.hf_token_secret
    decode: dict[str, Any] = {
        "create": True,
        "replicas": s.replicas,
        "parallelism": {"tensor": s.tensor_parallel_size},
        "containers": [
            {
                "name": "vllm",
                "image": s.image,
                "modelCommand": "vllmServe",
                "args": extra_args(s, _CHART_ARGS),
            }
        ],
    }
    if s.node_selector:
        decode["nodeSelector"] = dict(s.node_selector)
    if s.spec.tolerations:
        decode["tolerations"] = s.tolerations()
    return {
        "fullnameOverride": s.name,
        "multinode": False,
        "modelArtifacts": artifacts,
        "accelerator": {"type": kind},
        "decode": decode,
        "prefill": {"create": False},
    }
