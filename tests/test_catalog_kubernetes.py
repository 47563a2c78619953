"""The catalog's Kubernetes blocks and Hugging Face ids: shipped for every entry, overridable."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from planner.catalog import load as catalog_load
from planner.catalog.load import load_catalog
from planner.errors import InputError

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def real_catalogs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(catalog_load, "shipped_catalog_dir", lambda: ROOT / "catalogs")


def test_every_accelerator_has_a_sourced_kubernetes_block_and_every_model_a_repo() -> None:
    catalog = load_catalog()
    for acc in catalog.accelerators.values():
        assert acc.kubernetes is not None, acc.id
        assert acc.kubernetes.source != "user"
        assert acc.kubernetes.as_of is not None
    assert {a.kubernetes.resource for a in catalog.accelerators.values() if a.kubernetes} == {
        "nvidia.com/gpu",
        "amd.com/gpu",
        "google.com/tpu",
        "aws.amazon.com/neuron",
    }
    assert all(m.hf_repo_id for m in catalog.models.values())


def test_an_overlay_changes_one_field_of_the_block(tmp_path: Path) -> None:
    overlay = [{"id": "h100-sxm", "kubernetes": {"image": "registry.example/vllm:v1", "source": "ours"}}]
    (tmp_path / "accelerators.yaml").write_text(yaml.safe_dump(overlay), encoding="utf-8")
    (tmp_path / "models.yaml").write_text(
        yaml.safe_dump([{"id": "qwen3-8b", "hf_checkpoints": {"int4": "Qwen/Qwen3-8B-AWQ"}}]),
        encoding="utf-8",
    )
    catalog = load_catalog([tmp_path])
    spec = catalog.accelerators["h100-sxm"].kubernetes
    assert spec is not None
    assert spec.image == "registry.example/vllm:v1"
    assert spec.resource == "nvidia.com/gpu"  # kept from the shipped block
    assert spec.node_labels == {"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"}
    assert catalog.models["qwen3-8b"].hf_checkpoints == {
        "fp8": "Qwen/Qwen3-8B-FP8",
        "int4": "Qwen/Qwen3-8B-AWQ",
    }


@pytest.mark.parametrize(
    ("field", "value"),
    [("resource", "nvidia gpu"), ("node_labels", {"nvidia.com/gpu.product": "NVIDIA H100"}), ("imag", "x:y")],
)
def test_an_illegal_kubernetes_value_is_an_input_error(tmp_path: Path, field: str, value: object) -> None:
    overlay = [{"id": "h100-sxm", "kubernetes": {field: value}}]
    (tmp_path / "accelerators.yaml").write_text(yaml.safe_dump(overlay), encoding="utf-8")
    with pytest.raises(InputError, match="kubernetes"):
        load_catalog([tmp_path])
