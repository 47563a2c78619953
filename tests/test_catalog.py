"""Catalog loading: shipped entries, overlays, minimal forms, and errors that name file, entry and field."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from planner.catalog import load as catalog_load
from planner.catalog.load import load_catalog, shipped_catalog_dir
from planner.catalog.schema import Accelerator
from planner.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "catalogs"

REQUIRED_ACCELERATORS = {
    "h100-sxm",
    "h200",
    "b200",
    "a100-80gb",
    "l4",
    "l40s",
    "mi300x",
    "tpu-v5e",
    "tpu-v6e",
    "trainium1",
    "trainium2",
    "inferentia2",
}
REQUIRED_MODELS = {
    "llama-3.1-8b",
    "llama-3.1-70b",
    "llama-3.1-405b",
    "llama-3.2-1b",
    "llama-3.2-3b",
    "llama-3.3-70b",
    "mixtral-8x7b",
    "mixtral-8x22b",
    "deepseek-v3",
    "deepseek-r1",
    "qwen3-8b",
    "qwen3-32b",
    "qwen3-30b-a3b",
    "qwen3-235b-a22b",
    "gpt-oss-20b",
    "gpt-oss-120b",
}


@pytest.fixture
def shipped(monkeypatch: pytest.MonkeyPatch) -> None:
    """Use the real shipped catalogs (conftest hides them from the optimizer tests)."""
    monkeypatch.setattr(catalog_load, "shipped_catalog_dir", lambda: SHIPPED)


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.mark.usefixtures("shipped")
def test_shipped_catalogs_cover_the_required_entries() -> None:
    catalog = load_catalog()
    assert set(catalog.accelerators) >= REQUIRED_ACCELERATORS
    assert set(catalog.models) >= REQUIRED_MODELS
    assert len(catalog.apis) >= 20


@pytest.mark.usefixtures("shipped")
def test_every_shipped_entry_and_price_has_a_source_and_date() -> None:
    catalog = load_catalog()
    entries = [*catalog.accelerators.values(), *catalog.models.values(), *catalog.apis.values()]
    for entry in entries:
        assert entry.source != "user", entry.id
        assert entry.as_of is not None, entry.id
    for acc in catalog.accelerators.values():
        for offer in acc.prices:
            assert offer.source != "user", (acc.id, offer.key)
            assert offer.as_of is not None, (acc.id, offer.key)


@pytest.mark.usefixtures("shipped")
def test_every_shipped_accelerator_has_a_sourced_on_demand_price() -> None:
    for acc in load_catalog().accelerators.values():
        on_demand = [o for o in acc.prices if o.tier == "on_demand"]
        assert on_demand, acc.id
        for offer in on_demand:
            assert offer.instance, (acc.id, offer.key)


@pytest.mark.usefixtures("shipped")
def test_user_api_prices_from_the_issue_are_shipped() -> None:
    apis = load_catalog().apis
    prices = {(a.usd_per_1m_input_tokens, a.usd_per_1m_output_tokens) for a in apis.values()}
    for pair in [
        (0.075, 0.30),
        (0.06, 0.06),
        (0.55, 2.19),
        (3.0, 15.0),
        (5.0, 25.0),
        (2.5, 10.0),
        (30.0, 180.0),
    ]:
        assert pair in prices
    assert any(a.usd_per_1m_input_tokens == 0.27 for a in apis.values())


@pytest.mark.usefixtures("shipped")
def test_moe_and_mla_shapes_are_consistent() -> None:
    models = load_catalog().models
    deepseek = models["deepseek-v3"]
    assert deepseek.is_moe
    assert deepseek.active_params_b is not None
    assert deepseek.total_params_b is not None
    assert deepseek.active_params_b < deepseek.total_params_b / 10
    assert deepseek.kv_bytes_per_token_bf16 == 61 * (512 + 64) * 2
    assert models["llama-3.1-8b"].kv_bytes_per_token_bf16 == 2 * 32 * 8 * 128 * 2


def test_shipped_dir_is_inside_the_package() -> None:
    assert (shipped_catalog_dir() / "accelerators.yaml").is_file() or os.environ.get("PYTEST_XDIST_WORKER")


@pytest.mark.usefixtures("shipped")
def test_one_line_overlay_changes_only_a_price(tmp_path: Path) -> None:
    base = load_catalog().accelerators["h100-sxm"]
    offer = base.prices[0]
    overlay = _write(
        tmp_path / "mine",
        "accelerators.yaml",
        f"- id: h100-sxm\n  prices:\n    - {{provider: {offer.provider}, tier: {offer.tier}, "
        f"usd_per_chip_hour: 1.23}}\n",
    )
    merged = load_catalog([overlay]).accelerators["h100-sxm"]
    changed = next(p for p in merged.prices if p.key == offer.key)
    assert changed.usd_per_chip_hour == 1.23
    assert changed.source == offer.source
    assert merged.memory_gib == base.memory_gib
    assert len(merged.prices) == len(base.prices)


@pytest.mark.usefixtures("shipped")
def test_later_folders_win(tmp_path: Path) -> None:
    first = _write(tmp_path / "a", "models.yaml", "- {id: my-model, quality: 1000}\n")
    second = _write(tmp_path / "b", "models.yaml", "- {id: my-model, quality: 1100}\n")
    assert load_catalog([first, second]).models["my-model"].quality == 1100


@pytest.mark.usefixtures("shipped")
def test_minimal_forms_are_accepted(tmp_path: Path) -> None:
    folder = _write(
        tmp_path / "mine",
        "accelerators.yaml",
        "- {id: a10g, chips_per_node: 1, on_demand_usd_per_chip_hour: 1.01}\n",
    )
    _write(folder, "models.yaml", "- {id: my-finetune, quality: 1250}\n")
    _write(
        folder,
        "apis.yaml",
        "- {id: my-endpoint, model: llama-3.1-8b, usd_per_1m_input_tokens: 0.05, "
        "usd_per_1m_output_tokens: 0.08}\n",
    )
    catalog = load_catalog([folder])
    a10g = catalog.accelerators["a10g"]
    assert a10g.prices[0].provider == "user"
    assert a10g.prices[0].usd_per_chip_hour == 1.01
    assert not a10g.has_spec
    assert catalog.models["my-finetune"].quality == 1250
    assert catalog.api_quality(catalog.apis["my-endpoint"]) == catalog.models["llama-3.1-8b"].quality


@pytest.mark.parametrize(
    ("text", "field", "fragment"),
    [
        ("- {id: x1, chips_per_node: 8, memroy_gib: 80}\n", "memroy_gib", "unknown field"),
        ("- {id: x1, chips_per_node: eight}\n", "chips_per_node", "integer"),
        ("- {id: x1, chips_per_node: 8, memory_gib: .nan}\n", "memory_gib", "finite"),
        ("- {id: X_1, chips_per_node: 8}\n", "id", "pattern"),
        (
            "- {id: x1, chips_per_node: 8, prices: [{provider: aws, tier: reserved, "
            "usd_per_chip_hour: 1}]}\n",
            "prices.0.tier",
            "on_demand",
        ),
        (
            "- {id: x1, chips_per_node: 8, on_demand_usd_per_chip_hour: -2}\n",
            "prices.0.usd_per_chip_hour",
            "greater than 0",
        ),
    ],
)
@pytest.mark.usefixtures("shipped")
def test_bad_entries_name_file_entry_and_field(tmp_path: Path, text: str, field: str, fragment: str) -> None:
    folder = _write(tmp_path / "bad", "accelerators.yaml", text)
    with pytest.raises(InputError) as info:
        load_catalog([folder])
    message = str(info.value)
    assert "accelerators.yaml" in message
    assert field in message
    assert fragment in message


@pytest.mark.usefixtures("shipped")
def test_api_naming_an_unknown_model_suggests_close_matches(tmp_path: Path) -> None:
    folder = _write(
        tmp_path / "bad",
        "apis.yaml",
        "- {id: e1, model: llama-3.1-8bb, usd_per_1m_input_tokens: 1, usd_per_1m_output_tokens: 1}\n",
    )
    with pytest.raises(InputError, match=r"did you mean 'llama-3\.1-8b'"):
        load_catalog([folder])


@pytest.mark.usefixtures("shipped")
def test_malformed_yaml_and_missing_folder(tmp_path: Path) -> None:
    folder = _write(tmp_path / "bad", "models.yaml", "- id: a\n  quality: [1\n")
    with pytest.raises(InputError, match="not valid YAML"):
        load_catalog([folder])
    with pytest.raises(InputError, match="catalog folder not found"):
        load_catalog([tmp_path / "nope"])
    with pytest.raises(InputError, match="each entry must be a mapping"):
        load_catalog([_write(tmp_path / "list", "models.yaml", "- just-a-string\n")])


def test_unpriced_accelerator_is_listed_but_not_planned() -> None:
    acc = Accelerator(id="x1", chips_per_node=8)
    assert not acc.is_priced


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("FLEETPLAN_TEST_SHIPPED_CATALOG_DIR", None)
    return subprocess.run(
        [sys.executable, "-c", "from planner.cli import main; main()", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
        check=False,
    )


def test_cli_catalog_json_lists_full_entries() -> None:
    result = _cli("catalog", "accelerators", "--format", "json")
    assert result.returncode == 0, result.stderr
    entries = {e["id"]: e for e in json.loads(result.stdout)}
    assert {"source", "as_of", "prices", "memory_gib"} <= set(entries["h100-sxm"])
    assert [p["instance"] for p in entries["trainium2"]["prices"]] == ["trn2.48xlarge"]


def test_cli_catalog_table_marks_unpriced(tmp_path: Path) -> None:
    shipped = _cli("catalog", "accelerators")
    assert shipped.returncode == 0
    assert "unpriced" not in shipped.stdout  # every shipped accelerator has a price
    folder = _write(tmp_path / "cat", "accelerators.yaml", "- id: x1\n  chips_per_node: 8\n")
    result = _cli("catalog", "accelerators", "--catalog", str(folder))
    assert result.returncode == 0, result.stderr
    assert "unpriced" in result.stdout


def test_cli_estimate_json_fields() -> None:
    result = _cli(
        "estimate",
        "--model",
        "llama-3.1-8b",
        "--accelerator",
        "h100-sxm",
        "--tpot-ms",
        "50",
        "--format",
        "json",
    )
    assert result.returncode == 0, result.stderr
    est = json.loads(result.stdout)
    for key in (
        "fits",
        "memory_gib",
        "memory_gib_per_chip",
        "max_batch",
        "tpot_ms",
        "ttft_ms",
        "decode_tokens_per_s",
        "prefill_tokens_per_s",
        "requests_per_s",
    ):
        assert key in est
    assert est["fits"] is True
    assert est["tpot_ms"] <= 50


def test_cli_estimate_that_does_not_fit_is_an_answer() -> None:
    result = _cli("estimate", "--model", "llama-3.1-405b", "--accelerator", "l40s", "--format", "json")
    assert result.returncode == 0
    est = json.loads(result.stdout)
    assert est["fits"] is False
    assert est["requests_per_s"] is None
    assert est["reason"]


def test_cli_estimate_wrong_id_exits_2_with_close_match() -> None:
    result = _cli("estimate", "--model", "llama-3.1-8b", "--accelerator", "h100sxm")
    assert result.returncode == 2
    assert "did you mean 'h100-sxm'" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("name", "match"),
    [("accelerator.yaml", "accelerators.yaml"), ("apis.yml", "apis.yaml"), ("Models.YAML", "models.yaml")],
)
def test_a_misnamed_file_in_a_catalog_folder_is_an_error_with_the_close_match(
    tmp_path: Path, name: str, match: str
) -> None:
    folder = _write(tmp_path / "mine", "apis.yaml", "[]\n")
    _write(folder, name, "- {id: tgpu-z, chips_per_node: 8}\n")
    _write(folder, "README.md", "notes are fine\n")
    with pytest.raises(InputError) as info:
        load_catalog([folder])
    text = info.value.render()
    assert text.startswith(str(folder / name))
    assert f"did you mean '{match}'" in text
