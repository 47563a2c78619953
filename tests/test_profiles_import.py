"""``plan profiles import`` on the real result files in ``../shared/peer_data/bench_outputs``.

Each imported row is compared exactly (``==``) with the figures of the record its ``source``
names, recomputed here from the raw file with the field definitions in the folder's README
(requests/s = completed / duration where the tool has no rate, per replica; tokens = totals /
completed; latencies in ms); the README's headline figures are checked too. The files are read
where they lie (no copy is committed); the tests skip only when the folder is absent outside CI.
The catalog is a test folder (``CATALOG``) whose models carry the files' Hugging Face ids.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from planner.cli_profiles import _LATENCY_STATS, _TOOLS
from planner.errors import InputError
from planner.profiles import load_profiles
from planner.profiles.importers import IMPORTERS, LATENCY_STATS, TOOLS, importer_for, read_document
from planner.profiles.imports import import_profiles

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIRS = (
    ROOT.parent / "shared" / "peer_data" / "bench_outputs",
    Path("/work/shared/peer_data/bench_outputs"),
)
BENCH = next((d for d in BENCH_DIRS if d.is_dir()), BENCH_DIRS[0])
pytestmark = pytest.mark.skipif(
    not BENCH.is_dir() and os.environ.get("CI") != "true", reason=f"benchmark outputs not found at {BENCH}"
)

CATALOG = {
    "models.yaml": [
        {
            "id": "llama-3.2-3b",
            "hf_repo_id": "meta-llama/Llama-3.2-3B-Instruct",
            "precisions": ["bf16", "fp8"],
        },
        {
            "id": "llama-3.1-8b",
            "hf_repo_id": "meta-llama/Llama-3.1-8B-Instruct",
            "precisions": ["bf16", "fp8"],
        },
        {"id": "llama-3-8b", "hf_repo_id": "meta-llama/Meta-Llama-3-8B-Instruct"},
        {"id": "llama-3.3-70b", "hf_repo_id": "meta-llama/Llama-3.3-70B-Instruct"},
        {"id": "llama-2-70b", "hf_repo_id": "meta-llama/Llama-2-70b-chat-hf"},
        {"id": "llama-2-7b"},
        {"id": "opt-125m", "hf_repo_id": "facebook/opt-125m"},
        {"id": "qwen2.5-3b", "hf_repo_id": "Qwen/Qwen2.5-3B-Instruct"},
        {"id": "qwen2.5-7b", "hf_repo_id": "Qwen/Qwen2.5-7B-Instruct"},
        {
            "id": "qwen3-4b-thinking-2507",
            "hf_repo_id": "Qwen/Qwen3-4B-Thinking-2507",
            "precisions": ["bf16", "fp8"],
        },
        {"id": "qwen3.6-35b-a3b", "precisions": ["int4"]},
        {"id": "deepseek-v2.5"},
    ],
    "accelerators.yaml": [
        {"id": a, "chips_per_node": 8}
        for a in (
            "l40s",
            "l4",
            "a10g",
            "h100-sxm",
            "h100-pcie",
            "h200",
            "gh200",
            "a100-80gb",
            "a100-40gb",
            "rtx-3090",
            "rtx-5090",
            "arc-pro-b60",
        )
    ],
}


@pytest.fixture
def catalog_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "catalog"
    folder.mkdir()
    for name, entries in CATALOG.items():
        (folder / name).write_text(yaml.safe_dump(entries), encoding="utf-8")
    return folder


def records(name: str) -> list[dict[str, Any]]:
    """The raw records of a result file (JSON, JSON Lines with Infinity, or YAML)."""
    path = BENCH / name
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".yaml":
        return [yaml.safe_load(text)]
    try:
        return [json.loads(text)]
    except json.JSONDecodeError:
        return [json.loads(line) for line in text.splitlines() if line.strip()]


def imported(tmp_path: Path, catalog_dir: Path, files: list[str], **options: Any) -> list[dict[str, Any]]:
    """Import, then read the written CSV back with the profiles reader: one dict per row."""
    out = tmp_path / "profiles.csv"
    result = import_profiles([BENCH / f for f in files], out, catalog_dirs=[catalog_dir], **options)
    assert result.output == str(out)
    from planner.catalog.load import load_catalog

    table = load_profiles(out, load_catalog([catalog_dir]))
    rows: list[dict[str, Any]] = table.frame.to_dict("records")
    assert len(rows) == len(result.points)
    return rows


def record_of(row: Mapping[str, Any], raws: list[dict[str, Any]]) -> dict[str, Any]:
    """The raw record a row's ``source`` names (``file#n`` is the n-th record)."""
    _, _, number = str(row["source"]).rpartition("#")
    return raws[int(number) - 1] if number.isdigit() and len(raws) > 1 else raws[0]


def assert_row(row: Mapping[str, Any], expected: Mapping[str, Any]) -> None:
    for key, value in expected.items():
        got = row[key]
        if isinstance(value, float) and math.isnan(value):
            assert math.isnan(got), key
        else:
            assert got == value, (key, got, value)


def pareto(points: list[tuple[float, float, float]]) -> set[int]:
    """Indices of (rate, ttft, tpot) points no other point beats (brute force)."""
    keep = set()
    for i, (r, a, b) in enumerate(points):
        beaten = any(
            r2 >= r and a2 <= a and b2 <= b and (r2, a2, b2) != (r, a, b)
            for j, (r2, a2, b2) in enumerate(points)
            if j != i
        )
        if not beaten:
            keep.add(i)
    return keep


# --- vLLM -----------------------------------------------------------------------------------------

NERDALERT = "vllm_bench_serve/nerdalert_4xl40s_llama32-3b_llmd_results.jsonl"


def vllm_expected(r: Mapping[str, Any], replicas: int = 1, stat: str = "mean") -> dict[str, Any]:
    rate = r.get("request_throughput") or r["completed"] / r["duration"]
    return {
        "input_tokens": r["total_input_tokens"] / r["completed"],
        "output_tokens": r["total_output_tokens"] / r["completed"],
        "requests_per_s": rate / replicas,
        "ttft_ms": r[f"{stat}_ttft_ms"],
        "tpot_ms": r[f"{stat}_tpot_ms"],
    }


def test_vllm_llmd_sweep_keeps_the_pareto_front_per_replica(tmp_path: Path, catalog_dir: Path) -> None:
    raws = records(NERDALERT)
    rows = imported(tmp_path, catalog_dir, [NERDALERT])
    # the file's own fields: gpu 4xNVIDIA_L40S, decode_replicas 4, model_id -> catalog ids, tp 1
    assert {(r["model"], r["accelerator"], r["tensor_parallel"], r["precision"]) for r in rows} == {
        ("llama-3.2-3b", "l40s", 1, "bf16")
    }
    points = [(x["request_throughput"], x["mean_ttft_ms"], x["mean_tpot_ms"]) for x in raws]
    assert {int(str(r["source"]).rsplit("#", 1)[1]) - 1 for r in rows} == pareto(points)
    for row in rows:
        assert_row(row, vllm_expected(record_of(row, raws), replicas=4))
    base_30 = next(r for r in rows if r["source"].endswith("#5"))  # README: base at 30 qps, 22.07 req/s
    assert base_30["requests_per_s"] * 4 == pytest.approx(22.07, abs=0.005)
    assert base_30["ttft_ms"] == pytest.approx(73, abs=0.5)


def test_vllm_sweep_with_targets_gives_the_fastest_run_meeting_them(
    tmp_path: Path, catalog_dir: Path
) -> None:
    raws = records(NERDALERT)
    rows = imported(tmp_path, catalog_dir, [NERDALERT], ttft_ms=100.0, tpot_ms=24.5, latency_stat="median")
    meeting = [r for r in raws if r["median_ttft_ms"] <= 100 and r["median_tpot_ms"] <= 24.5]
    best = max(meeting, key=lambda r: r["request_throughput"])
    assert len(rows) == 1
    assert_row(rows[0], vllm_expected(best, replicas=4, stat="median"))


def test_vllm_0_5_file_with_per_request_arrays(tmp_path: Path, catalog_dir: Path) -> None:
    name = "vllm_bench_serve/lambdalabs_v0.5.4_1xh100sxm_llama31-8b-fp8_prompt10.json"
    (row,) = imported(tmp_path, catalog_dir, [name], accelerator=["h100-sxm"], latency_stat="p99")
    raw = records(name)[0]
    assert (row["model"], row["precision"]) == ("llama-3.1-8b", "fp8")  # Meta-Llama-3.1-8B-FP8
    assert_row(row, vllm_expected(raw, stat="p99"))
    assert row["requests_per_s"] == pytest.approx(9.36, abs=0.005)
    assert row["input_tokens"] == sum(raw["input_lens"]) / len(raw["input_lens"])


def test_vllm_0_25_sweep_run_file(tmp_path: Path, catalog_dir: Path) -> None:
    name = "vllm_bench_serve/er0080_v0.25.1_sweep_opt125m_run0.json"
    (row,) = imported(tmp_path, catalog_dir, [name], accelerator=["rtx-3090"])
    assert row["model"] == "opt-125m"
    assert_row(row, vllm_expected(records(name)[0]))
    assert (row["input_tokens"], row["output_tokens"]) == (32.0, 16.0)
    assert row["ttft_ms"] == pytest.approx(217, abs=0.5)


# --- SGLang ---------------------------------------------------------------------------------------


def sglang_expected(r: Mapping[str, Any], stat: str, tpot_key: str) -> dict[str, Any]:
    rate = r.get("request_throughput") or r["completed"] / r["duration"]
    return {
        "input_tokens": r["total_input_tokens"] / r["completed"],
        "output_tokens": r["total_output_tokens"] / r["completed"],
        "requests_per_s": rate,
        "ttft_ms": r[f"{stat}_ttft_ms"],
        "tpot_ms": r[f"{stat}_{tpot_key}_ms"],
    }


def test_sglang_2024_file_derives_the_rate_and_uses_itl(tmp_path: Path, catalog_dir: Path) -> None:
    name = "sglang_bench_serving/datacrunch_4xh200_llama33-70b_online.jsonl"
    options: dict[str, Any] = {"model": ["llama-3.3-70b"], "accelerator": ["h200"], "tensor_parallel": 4}
    with pytest.raises(InputError, match="no mean TTFT") as caught:
        import_profiles([BENCH / name], catalog_dirs=[catalog_dir], **options)
    assert "--latency-stat median" in caught.value.render()
    raws = records(name)
    rows = imported(tmp_path, catalog_dir, [name], latency_stat="median", **options)
    assert {(r["model"], r["accelerator"], r["tensor_parallel"]) for r in rows} == {
        ("llama-3.3-70b", "h200", 4)
    }
    assert len(rows) == 7  # random at 1..16 req/s, ShareGPT at 4 and 8: each its own sweep point
    for row in rows:
        assert_row(row, sglang_expected(record_of(row, raws), "median", "itl"))
    random_8 = next(
        r for r, x in zip(rows, raws, strict=True) if x["request_rate"] == 8 and x["dataset_name"] == "random"
    )
    assert random_8["requests_per_s"] * random_8["output_tokens"] == pytest.approx(3515, abs=1)
    assert random_8["ttft_ms"] == pytest.approx(191, abs=0.5)


def test_sglang_0_5_file_reads_server_info(tmp_path: Path, catalog_dir: Path) -> None:
    name = "sglang_bench_serving/tonyli15_gh200_qwen25-3b_agg_c32.jsonl"
    (row,) = imported(tmp_path, catalog_dir, [name], accelerator=["gh200"])
    assert (row["model"], row["tensor_parallel"]) == ("qwen2.5-3b", 1)  # server_info.model_path, tp_size
    assert_row(row, sglang_expected(records(name)[0], "mean", "tpot"))
    assert row["requests_per_s"] == pytest.approx(51.0, abs=0.05)


def test_sglang_infinity_rate_dp_attention_file(tmp_path: Path, catalog_dir: Path) -> None:
    name = "sglang_bench_serving/datacrunch_8xh200_deepseek-v2_dp-attention.jsonl"
    options: dict[str, Any] = {"model": ["deepseek-v2.5"], "accelerator": ["h200"], "tensor_parallel": 8}
    (row,) = imported(tmp_path, catalog_dir, [name], latency_stat="median", **options)
    assert_row(row, sglang_expected(records(name)[0], "median", "itl"))
    assert row["requests_per_s"] * row["output_tokens"] == pytest.approx(12412, abs=1)


# --- GuideLLM -------------------------------------------------------------------------------------


def guidellm_expected(bench: Mapping[str, Any]) -> dict[str, Any]:
    m = bench["metrics"]
    totals = bench.get("request_totals") or m["request_totals"]
    return {
        "input_tokens": m["prompt_token_count"]["successful"]["mean"],
        "output_tokens": m["output_token_count"]["successful"]["mean"],
        "requests_per_s": totals["successful"] / bench["duration"],
        "ttft_ms": m["time_to_first_token_ms"]["successful"]["mean"],
        "tpot_ms": m["time_per_output_token_ms"]["successful"]["mean"],
    }


@pytest.mark.parametrize(
    ("name", "options", "model", "rate"),
    [
        (
            "guidellm/grazdev_v0.2_1xa10g_qwen25-7b_throughput_trimmed.json",
            {"accelerator": ["a10g"]},
            "qwen2.5-7b",
            5.04,
        ),
        (
            "guidellm/jhurlocker_v0.2_maas_llama32-3b_synchronous.yaml",
            {"accelerator": ["l4"]},
            "llama-3.2-3b",
            14 / 57.27,
        ),
        (
            "guidellm/danielkorat_v0.5.0dev0_4xarc-pro-b60_qwen3-4b_concurrent4.json",
            {"accelerator": ["arc-pro-b60"], "tensor_parallel": 4, "precision": "fp8"},
            "qwen3-4b-thinking-2507",
            0.16,
        ),
    ],
)
def test_guidellm_reports(
    tmp_path: Path, catalog_dir: Path, name: str, options: dict[str, Any], model: str, rate: float
) -> None:
    (row,) = imported(tmp_path, catalog_dir, [name], **options)
    assert row["model"] == model
    assert_row(row, guidellm_expected(records(name)[0]["benchmarks"][0]))
    assert row["requests_per_s"] == pytest.approx(rate, abs=0.005)  # successful / duration, not windowed


# --- genai-perf, AIPerf ---------------------------------------------------------------------------

GENAI = "genai_perf/dli_nim_llama3-8b_c10_profile_export_genai_perf"
AIPERF = "aiperf/qwen36_rtx5090_nvfp4_chatbot_c16_profile_export_aiperf"


def nvidia_expected(r: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "input_tokens": r["input_sequence_length"]["avg"],
        "output_tokens": r["output_sequence_length"]["avg"],
        "requests_per_s": r["request_throughput"]["avg"],
        "ttft_ms": r["time_to_first_token"]["avg"],
        "tpot_ms": r["inter_token_latency"]["avg"],
    }


@pytest.mark.parametrize(
    ("name", "options", "model"),
    [
        (GENAI, {"accelerator": ["h100-sxm"]}, "llama-3-8b"),  # meta/llama3-8b-instruct
        (
            AIPERF,
            {"accelerator": ["rtx-5090"], "model": ["qwen3.6-nvfp4=qwen3.6-35b-a3b"]},
            "qwen3.6-35b-a3b",
        ),
    ],
)
def test_nvidia_json_and_csv_exports(
    tmp_path: Path, catalog_dir: Path, name: str, options: dict[str, Any], model: str
) -> None:
    raw = records(f"{name}.json")[0]
    (row,) = imported(tmp_path, catalog_dir, [f"{name}.json"], **options)
    assert row["model"] == model
    assert_row(row, nvidia_expected(raw))
    csv_options = {**options, "model": [model]}
    (from_csv,) = imported(tmp_path, catalog_dir, [f"{name}.csv"], **csv_options)  # 2-decimal copy
    for key, value in nvidia_expected(raw).items():
        assert from_csv[key] == round(value, 2), key


def test_aiperf_headline_figures(tmp_path: Path, catalog_dir: Path) -> None:
    options: dict[str, Any] = {
        "accelerator": ["rtx-5090"],
        "model": ["qwen3.6-35b-a3b"],
        "latency_stat": "p99",
    }
    (row,) = imported(tmp_path, catalog_dir, [f"{AIPERF}.json"], **options)
    assert row["requests_per_s"] == pytest.approx(5.23, abs=0.005)
    assert row["ttft_ms"] == pytest.approx(254, abs=0.5)
    assert (round(row["input_tokens"]), round(row["output_tokens"])) == (367, 199)


# --- LLMPerf, Mélange -----------------------------------------------------------------------------


def test_llmperf_summary(tmp_path: Path, catalog_dir: Path) -> None:
    name = "llmperf/leaderboard_together_llama2-70b_summary.json"
    (row,) = imported(tmp_path, catalog_dir, [name], accelerator=["h100-sxm"], tensor_parallel=4)
    raw = records(name)[0]
    assert row["model"] == "llama-2-70b"
    assert_row(
        row,
        {
            "input_tokens": raw["results_number_input_tokens_mean"],
            "output_tokens": raw["results_number_output_tokens_mean"],
            "requests_per_s": raw["results_num_completed_requests_per_min"] / 60,
            "ttft_ms": raw["results_ttft_s_mean"] * 1000.0,
            "tpot_ms": raw["results_inter_token_latency_s_mean"] * 1000.0,
        },
    )
    assert row["requests_per_s"] == pytest.approx(1.36, abs=0.005)


MELANGE_EDGES = (25, 100, 250, 500, 1000, 2000)
MELANGE_GPUS = {"L4": "l4", "A10G": "a10g", "A100": "a100-80gb", "H100": "h100-sxm"}


def test_melange_table_csv(tmp_path: Path, catalog_dir: Path) -> None:
    path = BENCH.parent / "melange_llama2_7b_max_tput.csv"
    with pytest.raises(InputError, match="could be a100-40gb or a100-80gb"):
        import_profiles([path], model=["llama-2-7b"], catalog_dirs=[catalog_dir])
    mapping = [f"{name}={id_}" for name, id_ in MELANGE_GPUS.items() if name in ("A100", "H100")]
    result = import_profiles(
        [path], tmp_path / "p.csv", model=["llama-2-7b"], accelerator=mapping, catalog_dirs=[catalog_dir]
    )
    expected = {}
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        gpu, _, row, col, rate = line.split(",")
        if int(row) < 6 and int(col) < 6:
            expected[(MELANGE_GPUS[gpu], MELANGE_EDGES[int(row)], MELANGE_EDGES[int(col)])] = float(rate)
    got = {(p.accelerator, p.input_tokens, p.output_tokens): p.requests_per_s for p in result.points}
    assert got == expected
    assert len(got) == 4 * 36
    assert all(math.isnan(p.ttft_ms) and math.isnan(p.tpot_ms) for p in result.points)
    assert any("A100, H100: rows or columns past bucket 5 skipped" in n for n in result.notes)


def test_melange_solver_json(tmp_path: Path, catalog_dir: Path) -> None:
    path = BENCH.parent / "melange_case_arena_rate4.json"
    result = import_profiles(
        [path], model=["llama-2-7b"], accelerator=["A100=a100-80gb"], catalog_dirs=[catalog_dir]
    )
    info = json.loads(path.read_text(encoding="utf-8"))["gpu_info"]
    expected = {
        (MELANGE_GPUS[gpu], MELANGE_EDGES[i], MELANGE_EDGES[j]): float(rate)
        for gpu, g in info.items()
        for i, row in enumerate(g["tputs"])
        for j, rate in enumerate(row)
    }
    assert {
        (p.accelerator, p.input_tokens, p.output_tokens): p.requests_per_s for p in result.points
    } == expected
    assert result.output is None


# --- Files that cannot be imported, and detection -------------------------------------------------


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("vllm_bench_serve/ascend-npu_llama3-8b_sharegpt_qps16_reduced.json", "no throughput"),
        (
            "vllm_bench_throughput/ascend-npu_llama3-8b_throughput.json",
            "benchmark_throughput output cannot be imported",
        ),
    ],
)
def test_files_without_a_served_rate_are_refused(catalog_dir: Path, name: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        import_profiles([BENCH / name], model=["llama-3-8b"], accelerator=["l4"], catalog_dirs=[catalog_dir])


def test_every_file_is_detected_as_its_tool() -> None:
    folders = {
        "vllm_bench_serve": "vllm",
        "vllm_bench_throughput": "vllm",
        "sglang_bench_serving": "sglang",
        "guidellm": "guidellm",
        "genai_perf": "genai-perf",
        "aiperf": "aiperf",
        "llmperf": "llmperf",
    }
    files = [f for f in sorted(BENCH.rglob("*")) if f.is_file() and f.name != "README.md"]
    assert {f.parent.name for f in files} == set(folders)  # a new tool's folder needs an importer
    for file in files:
        assert importer_for(read_document(file)).tool == folders[file.parent.name], file
    assert importer_for(read_document(BENCH.parent / "melange_llama2_7b_max_tput.csv")).tool == "melange"


def test_forcing_the_wrong_tool_says_what_the_file_looks_like(catalog_dir: Path) -> None:
    with pytest.raises(InputError, match="does not look like sglang output") as caught:
        import_profiles([BENCH / NERDALERT], tool="sglang", catalog_dirs=[catalog_dir])
    assert "looks like vllm output" in caught.value.render()


def test_cli_tool_choices_and_latency_stats_match_the_library() -> None:
    assert _TOOLS == TOOLS == tuple(sorted(i.tool for i in IMPORTERS))
    assert _LATENCY_STATS == LATENCY_STATS


BadCase = Callable[[Path], tuple[Path, list[str], str]]


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


MODEL_KEYS = ("model_id", "model", "tokenizer_id")
BAD_FILES: dict[str, BadCase] = {
    "wrong JSON": lambda d: (_write(d / "bad.json", '{"model_id": "x",'), [], "not valid JSON"),
    "bad JSON line": lambda d: (
        _write(
            d / "bad.jsonl", (BENCH / NERDALERT).read_text(encoding="utf-8").splitlines()[0] + "\n{oops\n"
        ),
        [],
        "line 2",
    ),
    "missing fields": lambda d: (
        _write(
            d / "cut.json",
            json.dumps({k: v for k, v in records(NERDALERT)[0].items() if k != "total_input_tokens"}),
        ),
        [],
        "no input tokens per request",
    ),
    "unknown tool": lambda d: (
        _write(d / "other.json", '{"results": [1, 2]}'),
        [],
        "cannot tell which benchmark tool",
    ),
    "unmappable model": lambda d: (
        _write(
            d / "m.json",
            json.dumps({**records(NERDALERT)[0], **dict.fromkeys(MODEL_KEYS, "acme/Mystery-9B")}),
        ),
        [],
        "model 'acme/Mystery-9B' is not in the catalog",
    ),
    "no accelerator": lambda d: (
        BENCH / "vllm_bench_serve/er0080_v0.25.1_sweep_opt125m_run0.json",
        [],
        "does not say which accelerator",
    ),
    "unknown id": lambda d: (BENCH / NERDALERT, ["--model", "llama-3.2-3bb"], "did you mean 'llama-3.2-3b'"),
    "layout conflict": lambda d: (BENCH / NERDALERT, ["--tp", "2"], "4 chips are not 4 replicas of tp 2"),
}


OPTION_NAMES = {"--model": "model", "--tp": "tensor_parallel"}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_files_give_one_error_and_write_nothing(tmp_path: Path, catalog_dir: Path, case: str) -> None:
    file, extra, message = BAD_FILES[case](tmp_path)
    options: dict[str, Any] = {}
    for flag, value in zip(extra[::2], extra[1::2], strict=True):
        options[OPTION_NAMES[flag]] = [value] if flag == "--model" else int(value)
    out = tmp_path / "profiles.csv"
    out.write_text("kept\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        import_profiles([file], out, catalog_dirs=[catalog_dir], **options)
    assert message in caught.value.render()
    assert out.read_text(encoding="utf-8") == "kept\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary file left


@pytest.mark.parametrize("case", ["wrong JSON", "unmappable model", "layout conflict"])
def test_cli_bad_files_exit_2_with_one_message(
    run_cli: Callable[..., Any], tmp_path: Path, catalog_dir: Path, case: str
) -> None:
    file, extra, message = BAD_FILES[case](tmp_path)
    out = tmp_path / "profiles.csv"
    result = run_cli("profiles", "import", file, *extra, "-o", out, "--catalog", catalog_dir)
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert not out.exists()


def test_cli_import_json_is_one_document_and_writes_the_file(
    run_cli: Callable[..., Any], tmp_path: Path, catalog_dir: Path
) -> None:
    out = tmp_path / "p.csv"
    result = run_cli(
        "profiles", "import", BENCH / NERDALERT, "-o", out, "--catalog", catalog_dir, "--format", "json"
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["output"] == str(out)
    assert data["runs_read"] == 9
    assert [p["source"] for p in data["points"]] == [
        line.rsplit(",", 1)[1] for line in out.read_text(encoding="utf-8").splitlines()[1:]
    ]


def test_a_sweep_may_span_files_and_replicas_divide_the_rate(tmp_path: Path, catalog_dir: Path) -> None:
    base = records("vllm_bench_serve/er0080_v0.25.1_sweep_opt125m_run0.json")[0]
    rate, ttft, tpot = base["request_throughput"], base["mean_ttft_ms"], base["mean_tpot_ms"]
    faster = {**base, "max_concurrency": 4, "request_throughput": rate * 1.5, "mean_ttft_ms": ttft * 2}
    files = [_write(tmp_path / f"run={i}.json", json.dumps(r)) for i, r in enumerate([base, faster])]
    options: dict[str, Any] = {"accelerator": ["rtx-3090"], "replicas": 2, "catalog_dirs": [catalog_dir]}
    both = import_profiles(
        files, **options
    )  # one sweep (the same requested 32/16 shape), no run beats the other
    assert [p.requests_per_s for p in both.points] == [rate / 2, rate * 1.5 / 2]
    assert {p.tpot_ms for p in both.points} == {tpot}
    (quick,) = import_profiles(files, ttft_ms=ttft * 1.5, **options).points
    assert quick.source == str(files[0])
    (fast,) = import_profiles(files, ttft_ms=ttft * 3, **options).points
    assert fast.source == str(files[1])
    with pytest.raises(InputError, match="no run meets the latency targets"):
        import_profiles(files, ttft_ms=1.0, **options)
