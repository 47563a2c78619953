"""Measured profiles: per-replica maximum requests/s that override the performance model.

``--profiles FILE.csv`` (format and examples: ``docs/profiles.md``) has the columns ``model,
accelerator, input_tokens, output_tokens, requests_per_s`` and optionally ``tensor_parallel``,
``pipeline_parallel`` (default 1), ``precision`` (default: the model's first listed), ``ttft_ms``,
``tpot_ms`` (the latency targets the measurement met; blank: none recorded) and ``source`` (where
the measurement came from, free text; ``plan profiles import`` writes the benchmark file there).
It is read by the table reader (:mod:`planner.table`) like ``demand.csv``: case-insensitive
headers, one number grammar, the same bounds (tokens, requests/s, latencies); all bad cells are
reported together (file, spreadsheet row, column). How a lookup uses the rows:
:mod:`planner.profiles.lookup`.
"""

from __future__ import annotations

import hashlib
import math
import os
from typing import Any

import pandas as pd

from planner.catalog.schema import PRECISIONS, Catalog
from planner.ids import unknown_id_hint
from planner.profiles.columns import FRAME_COLUMNS, KEY_COLUMNS, NUMERIC_COLUMNS, REQUIRED_COLUMNS
from planner.profiles.lookup import ProfileTable
from planner.table import (
    REQUIRED,
    Column,
    ErrorLog,
    Row,
    TableSpec,
    cells,
    parse_rows,
    read_bytes,
    read_table,
)

#: The profiles file's format, for the table reader (one number grammar and bounds with demand.csv).
PROFILE_SPEC = TableSpec(
    "profiles file",
    {
        "model": Column(cells.identifier, REQUIRED),
        "accelerator": Column(cells.identifier, REQUIRED),
        "input_tokens": Column(cells.tokens, REQUIRED),
        "output_tokens": Column(cells.tokens, REQUIRED),
        "requests_per_s": Column(cells.positive_rate, REQUIRED),
        "tensor_parallel": Column(cells.parallel, 1),
        "pipeline_parallel": Column(cells.parallel, 1),
        "precision": Column(cells.identifier, None),
        "ttft_ms": Column(cells.latency_ms, math.nan),
        "tpot_ms": Column(cells.latency_ms, math.nan),
        "source": Column(cells.label, ""),
    },
    REQUIRED_COLUMNS,
)


def load_profiles(path: str | os.PathLike[str], catalog: Catalog) -> ProfileTable:
    """Read a measured-profiles CSV and check it against the catalog.

    Raises:
        InputError: The file cannot be read, is not UTF-8 CSV, or has no measurement.
        InputErrors: Bad columns or rows, all reported together (at most :data:`MAX_ERRORS`).
    """
    name = os.fspath(path)
    return parse_profiles(read_bytes(name, PROFILE_SPEC.what), name, catalog)


def parse_profiles(data: bytes, name: str, catalog: Catalog) -> ProfileTable:
    """:func:`load_profiles` on a file's bytes (``name`` is the file named in messages)."""
    log = ErrorLog(name, PROFILE_SPEC.names)
    parsed = parse_rows(read_table(data, PROFILE_SPEC, log), PROFILE_SPEC, log)
    rows = [row for row in (_checked(row, catalog, log) for row in parsed if row.ok) if row is not None]
    _duplicates(rows, log)
    log.raise_if_any()
    return ProfileTable(_frame(rows), name, hashlib.sha256(data).hexdigest())


def empty_profiles() -> ProfileTable:
    """A table with no measurements: every lookup returns ``None``."""
    return ProfileTable(_frame([]), "", "")


def _checked(row: Row, catalog: Catalog, log: ErrorLog) -> dict[str, Any] | None:
    """The typed row with its precision filled in, or ``None`` (logged) when the catalog disagrees."""
    values = dict(row.values)
    before = len(log.errors)
    for column, valid, what in (
        ("model", catalog.models, "models"),
        ("accelerator", catalog.accelerators, "accelerators"),
    ):
        if values[column] not in valid:
            hint = unknown_id_hint(values[column], valid, what)
            log.add(f"unknown {column} '{values[column]}'", row.number, column, hint)
    model = catalog.models.get(values["model"])
    precision = values["precision"]
    if precision is None:
        values["precision"] = model.precisions[0] if model else None
    elif precision not in PRECISIONS:
        hint = unknown_id_hint(precision, PRECISIONS, "precisions")
        log.add(f"unknown precision '{precision}'", row.number, "precision", hint)
    elif model is not None and precision not in model.precisions:
        hint = f"precisions listed for '{model.id}': {', '.join(model.precisions)}"
        log.add(
            f"precision '{precision}' is not listed for model '{model.id}'", row.number, "precision", hint
        )
    return {"row": row.number, **values} if len(log.errors) == before else None


def _duplicates(rows: list[dict[str, Any]], log: ErrorLog) -> None:
    """Log one error per row that repeats an earlier row's configuration, shape and targets."""
    seen: dict[tuple[Any, ...], int] = {}
    hint = "keep one row per configuration, shape and latency targets"
    for row in rows:
        key = tuple(
            "" if isinstance(v, float) and math.isnan(v) else v for v in (row[c] for c in KEY_COLUMNS)
        )
        if key in seen:
            message = f"duplicate measurement: same {', '.join(KEY_COLUMNS)} as row {seen[key]}"
            log.add(message, row["row"], hint=hint)
        seen.setdefault(key, row["row"])


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The normalised frame: one row per measurement, typed columns, NaN for no target."""
    frame = pd.DataFrame(rows, columns=list(FRAME_COLUMNS))
    texts = {c: "str" for c in ("model", "accelerator", "precision", "source")}
    counts = {c: "int64" for c in ("tensor_parallel", "pipeline_parallel")}
    return frame.astype(texts | counts | {c: "float64" for c in NUMERIC_COLUMNS})
