"""ray-project/llmperf ``token_benchmark_ray.py`` summaries (``*_summary.json``).

Flat keys in seconds: requests/s is ``results_num_completed_requests_per_min / 60``; the shape is
``results_number_input_tokens_mean`` and ``results_number_output_tokens_mean``; latencies are
``results_ttft_s_*`` and ``results_inter_token_latency_s_*`` (``mean``, ``quantiles_p50``, ``p90``,
``p99``) times 1000. The model is ``model`` (a LiteLLM-style ``provider/org/name``); the sweep is keyed
by the requested ``mean_input_tokens``/``mean_output_tokens``.
"""

from __future__ import annotations

from planner.profiles.importers.base import Document, Importer, Run, names, number_at, required, stats


def _paths(metric: str) -> dict[str, str]:
    base = f"results_{metric}_s"
    return {
        "mean": f"{base}_mean",
        "median": f"{base}_quantiles_p50",
        "p90": f"{base}_quantiles_p90",
        "p99": f"{base}_quantiles_p99",
    }


def detect(doc: Document) -> bool:
    """A single summary object with ``results_ttft_s_mean``."""
    return len(doc.records) == 1 and "results_ttft_s_mean" in doc.records[0]


def read(doc: Document) -> list[Run]:
    """The summary's one run."""
    record = doc.records[0]
    per_min = required(
        doc, 0, record, "results_num_completed_requests_per_min", what="completed requests per minute"
    )
    inp = required(doc, 0, record, "results_number_input_tokens_mean", what="input tokens")
    out = required(doc, 0, record, "results_number_output_tokens_mean", what="output tokens")
    model = record.get("model")
    parts = model.split("/") if isinstance(model, str) else []
    return [
        Run(
            source=doc.source(0),
            input_tokens=inp,
            output_tokens=out,
            requests_per_s=per_min / 60,
            ttft_ms=stats(record, _paths("ttft"), scale=1000.0),
            tpot_ms=stats(record, _paths("inter_token_latency"), scale=1000.0),
            sweep=(number_at(record, "mean_input_tokens"), number_at(record, "mean_output_tokens")),
            what=f"num_concurrent_requests {record.get('num_concurrent_requests')}",
            model_names=names(model, "/".join(parts[1:]) if len(parts) > 2 else None),
        )
    ]


IMPORTER = Importer("llmperf", "ray-project/llmperf *_summary.json", detect, read)
