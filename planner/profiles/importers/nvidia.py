"""NVIDIA genai-perf and AIPerf ``profile`` exports: ``profile_export_*.json`` and the CSV.

JSON metrics are objects ``{unit, avg, p25.. p99, ...}``. Fields used: ``request_throughput.avg``
(requests/s), ``input_sequence_length.avg`` and ``output_sequence_length.avg`` (the shape),
``time_to_first_token`` and ``inter_token_latency`` (``avg``, ``p50``, ``p90``, ``p99``; both tools
compute the inter-token latency per request as (latency - TTFT) / (output tokens - 1), i.e. TPOT).
The model: genai-perf ``input_config.model``; AIPerf ``input_config.tokenizer.name`` (the real
model) then ``input_config.models.items[].name`` (often a served alias). The sweep is keyed by the
synthetic lengths (genai-perf ``synthetic_input_tokens_mean``/``output_tokens_mean``) where the
run used them, else by the rounded means.

The CSVs (several tables separated by blank lines, 2-decimal values, units in the labels) give the
same figures rounded and no model: pass ``--model``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from planner.profiles.importers.base import Document, Importer, Run, get, names, number_at, required

_STATS = {"mean": "avg", "median": "p50", "p90": "p90", "p99": "p99"}
_CSV_METRICS = {
    "ttft": "time to first token",
    "tpot": "inter token latency",
    "input": "input sequence length",
    "output": "output sequence length",
}


def _is_export(record: Mapping[str, Any]) -> bool:
    return isinstance(record.get("request_throughput"), Mapping) and isinstance(
        record.get("input_config"), Mapping
    )


def detect_genai_perf(doc: Document) -> bool:
    """genai-perf JSON (no ``aiperf_version``) or its CSV (``Metric,avg,min,max,p99,...``)."""
    if doc.records:
        return len(doc.records) == 1 and _is_export(doc.records[0]) and "aiperf_version" not in doc.records[0]
    return bool(doc.csv_rows) and doc.csv_rows[0][:5] == ("Metric", "avg", "min", "max", "p99")


def detect_aiperf(doc: Document) -> bool:
    """AIPerf JSON (``aiperf_version``) or its CSV (``Metric,avg,min,max,sum,p1,...``)."""
    if doc.records:
        return len(doc.records) == 1 and _is_export(doc.records[0]) and "aiperf_version" in doc.records[0]
    return bool(doc.csv_rows) and doc.csv_rows[0][:6] == ("Metric", "avg", "min", "max", "sum", "p1")


def read(doc: Document) -> list[Run]:
    """The one run of an export."""
    return [_csv_run(doc) if doc.csv_rows else _json_run(doc, doc.records[0])]


def _json_run(doc: Document, record: Mapping[str, Any]) -> Run:
    config = record["input_config"]
    inp = required(doc, 0, record, "input_sequence_length.avg", what="input sequence length")
    out = required(doc, 0, record, "output_sequence_length.avg", what="output sequence length")
    latency = {
        metric: {s: v for s, key in _STATS.items() if (v := number_at(record, f"{metric}.{key}")) is not None}
        for metric in ("time_to_first_token", "inter_token_latency")
    }
    synthetic = (number_at(config, "synthetic_input_tokens_mean"), number_at(config, "output_tokens_mean"))
    use_synthetic = config.get("prompt_source") == "synthetic" and None not in synthetic
    aliases = [item.get("name") for item in get(config, "models.items") or [] if isinstance(item, Mapping)]
    return Run(
        source=doc.source(0),
        input_tokens=inp,
        output_tokens=out,
        requests_per_s=required(doc, 0, record, "request_throughput.avg", what="request throughput"),
        ttft_ms=latency["time_to_first_token"],
        tpot_ms=latency["inter_token_latency"],
        sweep=synthetic if use_synthetic else (round(inp), round(out)),
        what=_load(config),
        model_names=names(config.get("model"), get(config, "tokenizer.name"), aliases),
    )


def _load(config: Mapping[str, Any]) -> str:
    phases = [
        p for p in config.get("phases") or [] if isinstance(p, Mapping) and not p.get("exclude_from_results")
    ]
    for source in (config, *phases):
        for key in ("concurrency", "request_rate"):
            if source.get(key) is not None:
                return f"{key} {source[key]}"
    return "one run"


def _csv_run(doc: Document) -> Run:
    table = _csv_metrics(doc.csv_rows)
    header = next(row for row in doc.csv_rows if row and row[0] == "Metric")
    columns = {name: i for i, name in enumerate(header)}

    def row(label: str) -> Sequence[str] | None:
        return next((r for key, r in table.items() if key.startswith(label)), None)

    def value(label: str, column: str) -> float | None:
        cells = row(label)
        at = 1 if column == "Value" else columns.get(column)  # the second table is "Metric,Value"
        if cells is None or at is None or at >= len(cells):
            return None
        try:
            return float(cells[at])
        except ValueError:
            return None

    def need(label: str, column: str) -> float:
        found = value(label, column)
        if found is None or found <= 0:
            raise doc.fail(f"no {label!r} {column} in the CSV")
        return found

    rate = need("request throughput", "Value")
    inp, out = need(_CSV_METRICS["input"], "avg"), need(_CSV_METRICS["output"], "avg")
    latency = {
        metric: {s: v for s, key in _STATS.items() if (v := value(_CSV_METRICS[metric], key)) is not None}
        for metric in ("ttft", "tpot")
    }
    return Run(
        source=doc.source(0),
        input_tokens=inp,
        output_tokens=out,
        requests_per_s=rate,
        ttft_ms=latency["ttft"],
        tpot_ms=latency["tpot"],
        sweep=(round(inp), round(out)),
        what="one run (CSV)",
    )


def _csv_metrics(rows: Sequence[Sequence[str]]) -> dict[str, Sequence[str]]:
    """Every table row by its label, lowercased, units and parentheses dropped."""
    table: dict[str, Sequence[str]] = {}
    for row in rows:
        if row and row[0] and row[0] != "Metric":
            label = re.sub(r"\s*\(.*?\)", "", row[0]).strip().lower()
            table.setdefault(label, row)
    return table


GENAI_PERF = Importer(
    "genai-perf", "NVIDIA genai-perf profile_export_genai_perf.json / .csv", detect_genai_perf, read
)
AIPERF = Importer("aiperf", "NVIDIA AIPerf profile_export_aiperf.json / .csv", detect_aiperf, read)
