"""SGLang ``python -m sglang.bench_serving --output-file`` results (JSON Lines, one run per line).

Fields used: ``request_throughput`` (else ``completed / duration``: the 2024 files have no
throughput key); ``total_input_tokens / completed`` and ``total_output_tokens / completed``;
``{mean,median,p99}_{ttft,tpot}_ms``. The 2024 (≈0.4) files have only ``median_ttft_ms`` and
``median_itl_ms``: the inter-token latency stands in for TPOT there (the per-request mean gap
between tokens, the same quantity measured per token). ``server_info`` (0.5+) gives the model
(``model_path``, ``served_model_name``), ``tp_size``, ``pp_size`` and ``dp_size`` (data-parallel
replicas, unless ``enable_dp_attention``: then one replica of ``tp_size`` chips). The sweep is keyed
by ``dataset_name`` and, for the random dataset, ``random_input_len``/``random_output_len``
(ShareGPT rows carry a meaningless ``random_input_len``; they are keyed by their rounded means).
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

_STATS = {"mean": "mean", "median": "median", "p90": "p90", "p99": "p99"}


def detect(doc: Document) -> bool:
    """Every record is an SGLang bench_serving line."""
    return bool(doc.records) and all(
        r.get("backend", "").startswith("sglang") or ("random_input_len" in r and "dataset_name" in r)
        for r in doc.records
    )


def read(doc: Document) -> list[Run]:
    """One run per line."""
    return [_run(doc, i, r) for i, r in enumerate(doc.records)]


def _run(doc: Document, index: int, record: Mapping[str, Any]) -> Run:
    rate = number_at(record, "request_throughput")
    if rate is None or rate <= 0:
        rate = ratio(doc, index, record, "completed", "duration", "requests/s (completed / duration)")
    inp = ratio(doc, index, record, "total_input_tokens", "completed", "input tokens per request")
    out = ratio(doc, index, record, "total_output_tokens", "completed", "output tokens per request")
    ttft = stats(record, {stat: f"{p}_ttft_ms" for stat, p in _STATS.items()})
    tpot = stats(record, {stat: f"{p}_tpot_ms" for stat, p in _STATS.items()})
    notes: tuple[str, ...] = ()
    if not tpot:
        tpot = stats(record, {stat: f"{p}_itl_ms" for stat, p in _STATS.items()})
        notes = ("no TPOT in the file: the inter-token latency (ITL) is recorded as tpot_ms",) if tpot else ()
    info = record.get("server_info")
    server: Mapping[str, Any] = info if isinstance(info, Mapping) else {}
    dataset = str(record.get("dataset_name") or "")
    if dataset == "random":
        sweep = (dataset, whole(record.get("random_input_len")), whole(record.get("random_output_len")))
    else:
        sweep = (dataset, round(inp), round(out))
    tp = whole(get(server, "tp_size"))
    dp = whole(get(server, "dp_size"))
    replicas = None if dp is None or get(server, "enable_dp_attention") else dp
    what = f"request_rate {record.get('request_rate')}"
    if record.get("max_concurrency") is not None:
        what += f", max_concurrency {record['max_concurrency']}"
    return Run(
        source=doc.source(index),
        input_tokens=inp,
        output_tokens=out,
        requests_per_s=rate,
        ttft_ms=ttft,
        tpot_ms=tpot,
        sweep=sweep,
        what=f"{dataset} {what}".strip(),
        model_names=names(
            get(server, "model_path"), get(server, "served_model_name"), record.get("model_id")
        ),
        tensor_parallel=tp,
        pipeline_parallel=whole(get(server, "pp_size")),
        replicas=replicas,
        notes=notes,
    )


IMPORTER = Importer("sglang", "python -m sglang.bench_serving --output-file (JSON Lines)", detect, read)
