"""GuideLLM ``guidellm benchmark --output-path`` reports (JSON or YAML), v0.2 and v0.5 schemas.

One run per entry of ``benchmarks``. Requests/s is ``successful requests / duration``
(``request_totals`` is at the benchmark in v0.2 and under ``metrics`` in v0.5):
``metrics.requests_per_second`` is a windowed distribution, not the run's rate. The shape is
``metrics.prompt_token_count`` and ``metrics.output_token_count`` (successful, mean); latencies
are ``metrics.time_to_first_token_ms`` and ``metrics.time_per_output_token_ms`` (successful:
``mean``, ``median``, ``percentiles.p90``/``p99``). The model is ``worker.backend_model`` and
``request_loader.processor`` (v0.2) or ``args.model``/``args.processor`` (v0.5); the sweep is keyed
by the data spec (``request_loader.data`` or ``args.data``: e.g. ``prompt_tokens=512,output_tokens=128``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from planner.profiles.importers.base import Document, Importer, Run, get, names, number_at, required

_LATENCY = {"mean": "mean", "median": "median", "p90": "percentiles.p90", "p99": "percentiles.p99"}


def detect(doc: Document) -> bool:
    """A report holding a ``benchmarks`` list of GuideLLM benchmarks."""
    if len(doc.records) != 1:
        return False
    benchmarks = doc.records[0].get("benchmarks")
    return (
        isinstance(benchmarks, list)
        and bool(benchmarks)
        and all(isinstance(b, Mapping) and "metrics" in b for b in benchmarks)
    )


def read(doc: Document) -> list[Run]:
    """One run per benchmark."""
    report = doc.records[0]
    return [_run(doc, report, i, b) for i, b in enumerate(report["benchmarks"])]


def _run(doc: Document, report: Mapping[str, Any], index: int, bench: Mapping[str, Any]) -> Run:
    totals = bench.get("request_totals") or get(bench, "metrics.request_totals") or {}
    successful = number_at(totals, "successful") if isinstance(totals, Mapping) else None
    where = f"benchmark {index + 1}: " if len(report["benchmarks"]) > 1 else ""
    if not successful:
        raise doc.fail(f"{where}no successful requests (request_totals.successful)")
    duration = required(doc, 0, bench, "duration", what=f"{where}duration")
    metrics = bench["metrics"]
    inp = required(doc, 0, metrics, "prompt_token_count.successful.mean", what=f"{where}prompt tokens")
    out = required(doc, 0, metrics, "output_token_count.successful.mean", what=f"{where}output tokens")
    latency = {
        metric: {
            stat: value
            for stat, path in _LATENCY.items()
            if (value := number_at(metrics, f"{metric}.successful.{path}")) is not None
        }
        for metric in ("time_to_first_token_ms", "time_per_output_token_ms")
    }
    data = get(bench, "request_loader.data") or get(report, "args.data")
    sweep = (json.dumps(data, sort_keys=True),) if data else (round(inp), round(out))
    model = names(
        get(report, "args.model"),
        get(bench, "worker.backend_model"),
        get(report, "args.processor"),
        get(bench, "request_loader.processor"),
    )
    return Run(
        source=doc.source(0) if len(report["benchmarks"]) == 1 else f"{doc.path}#{index + 1}",
        input_tokens=inp,
        output_tokens=out,
        requests_per_s=successful / duration,
        ttft_ms=latency["time_to_first_token_ms"],
        tpot_ms=latency["time_per_output_token_ms"],
        sweep=sweep,
        what=_strategy(bench),
        model_names=model,
    )


def _strategy(bench: Mapping[str, Any]) -> str:
    strategy = get(bench, "config.strategy") or get(bench, "args.strategy") or {}
    kind = strategy.get("type_", "?") if isinstance(strategy, Mapping) else "?"
    for key in ("streams", "rate", "max_concurrency"):
        if isinstance(strategy, Mapping) and strategy.get(key) is not None:
            return f"{kind} {key} {strategy[key]}"
    return str(kind)


IMPORTER = Importer("guidellm", "guidellm benchmark --output-path (JSON or YAML; v0.2, v0.5)", detect, read)
