"""vLLM ``vllm bench serve --save-result`` / ``benchmarks/benchmark_serving.py`` result files.

One JSON object per run (``--append-result`` writes one per line). Fields used, all versions
(0.5.x to 0.25): ``model_id`` (and ``tokenizer_id``, ``--metadata model=``) for the model;
``request_throughput`` (else ``completed / duration``) for requests/s; ``total_input_tokens /
completed`` and ``total_output_tokens / completed`` for the request shape; ``{mean,median,pNN}_
{ttft,tpot}_ms`` for latencies. ``--metadata`` pairs merged into the top level are read for the
hardware (``gpu``, ``accelerator``, ``hardware``: e.g. ``4xNVIDIA_L40S``), the parallelism
(``tensor_parallel_size``/``tp``, ``pipeline_parallel_size``/``pp``) and the number of replicas
behind the endpoint (``replicas``, or ``decode_replicas`` when ``prefill_replicas`` is 0). The
sweep is keyed by the configured lengths (``input_len``/``output_len`` metadata,
``random_input_len``/``random_output_len``) where the file has them, else by the rounded means.

``benchmark_throughput --output-json`` files (5 keys) are recognised and refused: an offline batch
run has no latency, no model id and only the input + output token total.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from planner.profiles.importers.base import (
    Document,
    Importer,
    Run,
    get,
    names,
    number_at,
    ratio,
    stats,
    whole,
)

_THROUGHPUT_KEYS = {
    "elapsed_time",
    "num_requests",
    "total_num_tokens",
    "requests_per_second",
    "tokens_per_second",
}
_STAT_PREFIX = {"mean": "mean", "median": "median", "p90": "p90", "p99": "p99"}


def _is_serve(record: Mapping[str, Any]) -> bool:
    return "mean_ttft_ms" in record and ("model_id" in record or "request_throughput" in record)


def detect(doc: Document) -> bool:
    """A vLLM serving result (every record) or a ``benchmark_throughput`` file."""
    if not doc.records:
        return False
    return (
        all(_is_serve(r) and r.get("backend") != "sglang" for r in doc.records)
        or set(doc.records[0]) == _THROUGHPUT_KEYS
    )


def read(doc: Document) -> list[Run]:
    """One run per record."""
    if set(doc.records[0]) == _THROUGHPUT_KEYS:
        raise doc.fail(
            "vLLM benchmark_throughput output cannot be imported: an offline batch run has no latency, "
            "no model id, and only the input + output token total (tokens_per_second counts both)",
            hint="measure the served rate with `vllm bench serve --save-result` instead",
        )
    return [_run(doc, i, r) for i, r in enumerate(doc.records)]


def _run(doc: Document, index: int, record: Mapping[str, Any]) -> Run:
    if number_at(record, "request_throughput") is None and number_at(record, "duration") is None:
        raise doc.fail(
            "no throughput: the file has latency statistics only (no request_throughput, completed or "
            "duration; vllm-ascend writes such reduced files)",
            index,
            hint="import the full --save-result file of the run",
        )
    completed = "completed"
    rate = number_at(record, "request_throughput")
    if rate is None or rate <= 0:
        rate = ratio(doc, index, record, completed, "duration", "requests/s (completed / duration)")
    inp = ratio(doc, index, record, "total_input_tokens", completed, "input tokens per request")
    out = ratio(doc, index, record, "total_output_tokens", completed, "output tokens per request")
    latency = {
        metric: stats(record, {stat: f"{prefix}_{metric}_ms" for stat, prefix in _STAT_PREFIX.items()})
        for metric in ("ttft", "tpot")
    }
    configured = [
        _length(record, k) for k in ("input_len", "random_input_len", "output_len", "random_output_len")
    ]
    sweep_in = configured[0] or configured[1] or round(inp)
    sweep_out = configured[2] or configured[3] or round(out)
    return Run(
        source=doc.source(index),
        input_tokens=inp,
        output_tokens=out,
        requests_per_s=rate,
        ttft_ms=latency["ttft"],
        tpot_ms=latency["tpot"],
        sweep=(sweep_in, sweep_out),
        what=_what(record),
        model_names=names(record.get("model_id"), record.get("model"), record.get("tokenizer_id")),
        hardware=next((str(record[k]) for k in ("gpu", "accelerator", "hardware") if record.get(k)), None),
        tensor_parallel=whole(record.get("tensor_parallel_size", record.get("tp"))),
        pipeline_parallel=whole(record.get("pipeline_parallel_size", record.get("pp"))),
        replicas=_replicas(record),
    )


def _length(record: Mapping[str, Any], key: str) -> int | None:
    return whole(get(record, key))


def _replicas(record: Mapping[str, Any]) -> int | None:
    if whole(record.get("replicas")) is not None:
        return whole(record.get("replicas"))
    if str(record.get("prefill_replicas", "0")).strip() in ("0", "") and whole(record.get("decode_replicas")):
        return whole(record.get("decode_replicas"))
    return None


def _what(record: Mapping[str, Any]) -> str:
    parts = [f"request_rate {record.get('request_rate')}"]
    if record.get("max_concurrency") is not None:
        parts.append(f"max_concurrency {record['max_concurrency']}")
    if record.get("deployment"):
        parts.append(f"deployment {record['deployment']}")
    return ", ".join(parts)


IMPORTER = Importer("vllm", "vllm bench serve --save-result (JSON, JSON Lines)", detect, read)
