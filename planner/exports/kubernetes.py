"""``--to kubernetes``: per placement a vLLM OpenAI-server ``Deployment`` and its ``Service``.

Files: ``<period>/<provider>/<name>.yaml``, two YAML documents each. Replicas, model, parallelism,
precision flags, context and batch come from the plan; the accelerator's extended resource (requests
equal to limits), node labels, tolerations and image from the catalog's ``kubernetes`` block.
Multi-chip replicas mount a memory-backed ``/dev/shm`` (tensor-parallel workers exchange through it).
"""

from __future__ import annotations

from typing import Any

from planner.exports.base import ExportContext, ExportFile, path_part, yaml_documents
from planner.exports.serving import COMMAND, PORT, Serving, servings

#: Seconds a replica may take to load and compile before it is restarted (TPU and Neuron compile).
STARTUP_SECONDS = {"gpu": 1800, "tpu": 3600, "neuron": 3600}


def render(ctx: ExportContext) -> list[ExportFile]:
    """One file per placement of every exported period."""
    files = []
    for period in ctx.periods():
        for s in servings(ctx, period):
            docs = [
                deployment(s, ctx.options.namespace, ctx.options.hf_token_secret),
                service(s, ctx.options.namespace),
            ]
            path = f"{path_part(period.period)}/{path_part(s.placement.provider)}/{s.name}.yaml"
            files.append(ExportFile(path, yaml_documents(docs)))
    return files


def _metadata(s: Serving, namespace: str | None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": s.name}
    if namespace:
        meta["namespace"] = namespace
    meta["labels"] = dict(s.labels)
    meta["annotations"] = dict(s.annotations)
    return meta


def container(s: Serving, hf_token_secret: str | None) -> dict[str, Any]:
    """The vLLM server container of one replica."""
    resources = {s.spec.resource: s.chips}
    c: dict[str, Any] = {
        "name": "vllm",
        "image": s.image,
        "command": list(COMMAND),
        "args": list(s.args),
        "ports": [{"name": "http", "containerPort": PORT, "protocol": "TCP"}],
    }
    if hf_token_secret:
        secret = {"name": hf_token_secret, "key": "token", "optional": True}
        c["env"] = [{"name": "HF_TOKEN", "valueFrom": {"secretKeyRef": secret}}]
    c["resources"] = {
        "requests": {"cpu": s.cpu, "memory": s.memory, **resources},
        "limits": dict(resources),
    }
    c["startupProbe"] = {
        "httpGet": {"path": "/health", "port": "http"},
        "periodSeconds": 10,
        "failureThreshold": STARTUP_SECONDS[s.accelerator.kind] // 10,
    }
    c["readinessProbe"] = {
        "httpGet": {"path": "/health", "port": "http"},
        "periodSeconds": 10,
        "failureThreshold": 3,
    }
    if s.chips > 1:
        c["volumeMounts"] = [{"name": "dshm", "mountPath": "/dev/shm"}]
    return c


def pod_spec(s: Serving, hf_token_secret: str | None) -> dict[str, Any]:
    """The pod of one replica: its container, node selection, tolerations and shared memory."""
    spec: dict[str, Any] = {"containers": [container(s, hf_token_secret)]}
    if s.node_selector:
        spec["nodeSelector"] = dict(s.node_selector)
    if s.spec.tolerations:
        spec["tolerations"] = s.tolerations()
    if s.chips > 1:
        spec["volumes"] = [{"name": "dshm", "emptyDir": {"medium": "Memory"}}]
    return spec


def deployment(s: Serving, namespace: str | None, hf_token_secret: str | None) -> dict[str, Any]:
    """The ``apps/v1`` Deployment of one placement."""
    selector = {"app.kubernetes.io/instance": s.name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _metadata(s, namespace),
        "spec": {
            "replicas": s.replicas,
            "selector": {"matchLabels": selector},
            "template": {
                "metadata": {"labels": dict(s.labels), "annotations": dict(s.annotations)},
                "spec": pod_spec(s, hf_token_secret),
            },
        },
    }


def service(s: Serving, namespace: str | None) -> dict[str, Any]:
    """The ClusterIP Service in front of one placement's replicas."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _metadata(s, namespace),
        "spec": {
            "type": "ClusterIP",
            "selector": {"app.kubernetes.io/instance": s.name},
            "ports": [{"name": "http", "port": PORT, "targetPort": "http", "protocol": "TCP"}],
        },
    }
