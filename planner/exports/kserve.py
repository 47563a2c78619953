"""``--to kserve``: one ``InferenceService`` per placement, the vLLM server as its predictor container.

``minReplicas = maxReplicas =`` the plan's replicas (no autoscaling away from the plan), annotated
``serving.kserve.io/deploymentMode: Standard`` (a plain Deployment, not Knative). Files:
``<period>/<provider>/<name>.yaml``. The container is the same vLLM server as the Kubernetes export.
"""

from __future__ import annotations

from typing import Any

from planner.exports.base import ExportContext, ExportFile, path_part, yaml_text
from planner.exports.kubernetes import container
from planner.exports.serving import Serving, servings

DEPLOYMENT_MODE = "serving.kserve.io/deploymentMode"


def render(ctx: ExportContext) -> list[ExportFile]:
    """One InferenceService file per placement of every exported period."""
    return [
        ExportFile(
            f"{path_part(period.period)}/{path_part(s.placement.provider)}/{s.name}.yaml",
            yaml_text(inference_service(ctx, s)),
        )
        for period in ctx.periods()
        for s in servings(ctx, period)
    ]


def inference_service(ctx: ExportContext, s: Serving) -> dict[str, Any]:
    """The ``serving.kserve.io/v1beta1`` InferenceService of one placement."""
    meta: dict[str, Any] = {"name": s.name}
    if ctx.options.namespace:
        meta["namespace"] = ctx.options.namespace
    meta["labels"] = dict(s.labels)
    meta["annotations"] = {DEPLOYMENT_MODE: "Standard", **s.annotations}
    main = {**container(s, ctx.options.hf_token_secret), "name": "kserve-container"}
    predictor: dict[str, Any] = {"minReplicas": s.replicas, "maxReplicas": s.replicas, "containers": [main]}
    if s.node_selector:
        predictor["nodeSelector"] = dict(s.node_selector)
    if s.spec.tolerations:
        predictor["tolerations"] = s.tolerations()
    if s.chips > 1:
        predictor["volumes"] = [{"name": "dshm", "emptyDir": {"medium": "Memory"}}]
    return {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": meta,
        "spec": {"predictor": predictor},
    }
