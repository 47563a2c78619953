"""Engines, decode_step_ms and on-the-fly precisions: the perf model, the API, the CLI and the exports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import planner
from planner.catalog import load as catalog_load
from planner.catalog.schema import ENGINES, Accelerator
from planner.errors import InputError
from planner.perf import estimate
from planner.perf import reference as ref
from planner.perf.constants import PROFILES
from planner.perf.precisions import precision_source, served_precisions
from planner.perf.profiles import default_engine, profile_for
from tests.conftest import CLI_BOOT, SHIPPED_ENV
from tests.export_cases import tpu_neuron_plan

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def real_catalogs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(catalog_load, "shipped_catalog_dir", lambda: ROOT / "catalogs")


def test_every_family_lists_vllm_first_and_has_a_profile_per_engine() -> None:
    for family, engines in ENGINES.items():
        assert engines[0] == "vllm"
        assert all((family, e) in PROFILES for e in engines)
    assert set(PROFILES) == {(f, e) for f, engines in ENGINES.items() for e in engines}
    assert default_engine(ref.TPU_V6E) == "vllm"
    assert profile_for(ref.TPU_V6E, "sglang-jax").engine == "sglang-jax"
    with pytest.raises(ValueError, match="valid: vllm, sglang-jax, jetstream"):
        profile_for(ref.TPU_V6E, "tensorrt-llm")


def test_catalog_default_engine_is_checked_and_used() -> None:
    with pytest.raises(ValueError, match="default_engine"):
        Accelerator(id="x", kind="tpu", chips_per_node=8, default_engine="tensorrt-llm")
    jet = ref.TPU_V6E.model_copy(update={"default_engine": "jetstream"})
    args = {"tensor_parallel": 4, "input_tokens": 1024, "output_tokens": 1024, "batch": 64}
    assert estimate(ref.QWEN3_8B, jet, **args).engine == "jetstream"
    assert estimate(ref.QWEN3_8B, jet, **args) == estimate(
        ref.QWEN3_8B, ref.TPU_V6E, engine="jetstream", **args
    )
    shipped = planner.load_catalog()
    assert {a.default_engine for a in shipped.accelerators.values()} == {"vllm"}


def test_engines_differ_on_tpu_as_measured() -> None:
    """SGLang-JAX decodes Qwen3-8B on v6e-4 1.6-1.9x faster than vLLM-TPU in the published sweep."""
    args = {"tensor_parallel": 4, "input_tokens": 1024, "output_tokens": 1024, "batch": 64}
    sglang = estimate(ref.QWEN3_8B, ref.TPU_V6E, engine="sglang-jax", **args)
    vllm = estimate(ref.QWEN3_8B, ref.TPU_V6E, engine="vllm", **args)
    assert sglang.decode_tokens_per_s
    assert vllm.decode_tokens_per_s
    assert 1.3 < sglang.decode_tokens_per_s / vllm.decode_tokens_per_s < 2.2


def test_kv_reads_cost_more_than_weight_reads_on_tpu() -> None:
    for engine in ENGINES["tpu"]:
        p = PROFILES[("tpu", engine)]
        assert p.kv_bandwidth_efficiency < p.bandwidth_efficiency
    assert PROFILES[("neuron", "vllm")].tp_scaling_exponent < 1.0


def test_decode_step_is_the_step_without_prefill() -> None:
    e = estimate(ref.LLAMA31_8B, ref.H100, input_tokens=2000, output_tokens=100, batch=32)
    assert e.decode_step_ms is not None
    assert e.tpot_ms is not None
    assert e.decode_step_ms < e.tpot_ms
    # with one prompt token per request the prefill share is tiny: the two nearly agree
    short = estimate(ref.LLAMA31_8B, ref.H100, input_tokens=1, output_tokens=1000, batch=32)
    assert short.decode_step_ms == pytest.approx(short.tpot_ms, rel=0.01)
    # batch 1, weights-bound: the step is weights / bandwidth + the fixed cost (hand-computed)
    one = estimate(ref.LLAMA31_8B, ref.H100, input_tokens=1, output_tokens=1000, batch=1)
    weights_ms = 8.03e9 * 2 / (3.35e12 * 0.80) * 1e3
    assert one.decode_step_ms == pytest.approx(weights_ms + 1.5, rel=0.02)


def test_on_the_fly_precisions_need_no_catalog_listing() -> None:
    assert served_precisions(ref.LLAMA2_7B, ref.H100) == ("bf16", "fp8")
    assert served_precisions(ref.LLAMA2_7B, ref.TPU_V6E) == ("bf16", "int8")
    assert served_precisions(ref.LLAMA2_7B, ref.TRAINIUM1) == ("bf16", "int8")
    a100 = ref.H100.model_copy(update={"fp8_tflops": None})
    assert served_precisions(ref.LLAMA2_7B, a100) == ("bf16",)
    # listed fp8 without a checkpoint runs on GPUs only (vLLM quantises it); TPU has no FP8
    assert "fp8" not in served_precisions(ref.LLAMA31_8B, ref.TPU_V6E)
    assert precision_source(ref.LLAMA31_8B, "bf16") == "checkpoint"
    assert precision_source(ref.LLAMA31_8B, "fp8") == "on_the_fly"
    int8 = estimate(ref.LLAMA2_7B, ref.TPU_V6E, tensor_parallel=4, precision="int8", batch=8)
    bf16 = estimate(ref.LLAMA2_7B, ref.TPU_V6E, tensor_parallel=4, precision="bf16", batch=8)
    assert int8.fits
    assert int8.precision_source == "on_the_fly"
    assert int8.tpot_ms is not None
    assert bf16.tpot_ms is not None
    assert int8.tpot_ms < bf16.tpot_ms


def test_checkpoint_only_precisions_stay_gated() -> None:
    gated = estimate(ref.LLAMA31_8B, ref.H100, precision="mxfp4")
    assert not gated.fits
    assert "not served in mxfp4" in (gated.reason or "")
    catalog = planner.load_catalog()
    gpt_oss = catalog.models["gpt-oss-20b"]
    assert "fp8" not in served_precisions(gpt_oss, catalog.accelerators["h100-sxm"])


def test_api_estimate_checks_engine_and_precision() -> None:
    est = planner.estimate(
        "llama-3.1-8b", "tpu-v6e", tensor_parallel=4, precision="int8", engine="sglang-jax"
    )
    assert est.engine == "sglang-jax"
    assert est.precision_source == "on_the_fly"
    with pytest.raises(InputError, match="engine 'trt'") as bad:
        planner.estimate("llama-3.1-8b", "tpu-v6e", tensor_parallel=4, engine="trt")
    assert "vllm, sglang-jax, jetstream" in str(bad.value.hint)
    with pytest.raises(InputError, match="not served in 'fp8' on 'tpu-v6e'"):
        planner.estimate("llama-3.1-8b", "tpu-v6e", tensor_parallel=4, precision="fp8")


def _plan_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), SHIPPED_ENV: str(ROOT / "catalogs")}
    return subprocess.run(
        [sys.executable, "-c", CLI_BOOT, *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )


def test_cli_estimate_engine_and_decode_step() -> None:
    ok = _plan_cli(
        "estimate", "--model", "qwen3-8b", "--accelerator", "tpu-v6e", "--tp", "4", "--engine", "sglang-jax",
        "--precision", "int8", "--format", "json",
    )  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    data = json.loads(ok.stdout)
    assert data["engine"] == "sglang-jax"
    assert data["precision_source"] == "on_the_fly"
    assert 0 < data["decode_step_ms"] <= data["tpot_ms"]
    bad = _plan_cli("estimate", "--model", "qwen3-8b", "--accelerator", "trainium2", "--engine", "sglang-jax")
    assert bad.returncode == 2
    assert "valid engines for trainium2: vllm, transformers-neuronx" in bad.stderr
    assert "Traceback" not in bad.stderr
    table = _plan_cli("estimate", "--model", "qwen3-8b", "--accelerator", "h100-sxm")
    assert table.returncode == 0
    assert "decode_step_ms" in table.stdout
    assert "precision_source" in table.stdout


def test_exports_pass_the_on_the_fly_flag(tmp_path: Path) -> None:
    plan = tpu_neuron_plan()
    periods = []
    for period in plan.periods:
        deps = []
        for d in period.deployments:
            new_id = d.id.replace(":bf16", ":int8")
            deps.append(
                d.model_copy(
                    update={"id": new_id, "precision": "int8", "precision_source": "on_the_fly",
                            "precision_kind": "quantized"}
                )
            )  # fmt: skip
        routes = [r.model_copy(update={"target": r.target.replace(":bf16", ":int8")}) for r in period.routing]
        places = [
            p.model_copy(update={"deployment": p.deployment.replace(":bf16", ":int8")})
            for p in period.placements
        ]
        periods.append(
            period.model_copy(
                update={"deployments": tuple(deps), "routing": tuple(routes), "placements": tuple(places)}
            )
        )
    plan = plan.model_copy(update={"periods": tuple(periods)})
    files = planner.export(plan, "kubernetes", tmp_path)
    args = {}
    for f in files:
        for doc in yaml.safe_load_all(f.read_text(encoding="utf-8")):
            if doc and doc.get("kind") == "Deployment":
                container = doc["spec"]["template"]["spec"]["containers"][0]
                args[doc["metadata"]["labels"]["fleetplan.io/accelerator"]] = container["args"]
    tpu, neuron = args["tpu-v6e"], args["trainium1"]
    assert tpu[tpu.index("--quantization") + 1] == "tpu_int8"
    assert neuron[neuron.index("--quantization") + 1] == "neuron_quant"
