"""Mélange-style throughput tables: maximum requests/s per GPU and request-size bucket.

Two forms: the long CSV ``gpu,row,col,max_tput_req_per_s`` (``usd_per_hour`` ignored) and
Mélange's solver input JSON (``gpu_info.<GPU>.tputs[row][col]``). Bucket ``(row, col)`` becomes the
point ``input_tokens = EDGES[row]``, ``output_tokens = EDGES[col]``: the upper edge of the bucket,
the request size Mélange's profiler sends (25, 100, 250, 500, 1000, 2000 tokens), and the
conservative reading. Rows or columns past the last edge are skipped with a note. The tables
carry no model (pass ``--model``) and no latency: Mélange measured each rate under its SLO, which
the table does not record, so ``ttft_ms``/``tpot_ms`` stay blank.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from planner.profiles.importers.base import Document, Importer, Run

#: Upper edges of Mélange's request-size buckets, tokens (melange/profiling/benchmark-launcher.sh).
EDGES = (25, 100, 250, 500, 1000, 2000)
_HEADER = ("gpu", "row", "col", "max_tput_req_per_s")


def detect(doc: Document) -> bool:
    """The long CSV (its header names gpu, row, col, max_tput_req_per_s) or the solver JSON."""
    if doc.records:
        return len(doc.records) == 1 and isinstance(doc.records[0].get("gpu_info"), Mapping)
    return bool(doc.csv_rows) and set(_HEADER) <= {c.lower() for c in doc.csv_rows[0]}


def read(doc: Document) -> list[Run]:
    """One run per (GPU, bucket) inside the edges."""
    cells = _csv_cells(doc) if doc.csv_rows else _json_cells(doc)
    runs, skipped = [], set()
    for gpu, row, col, rate, where in cells:
        if row >= len(EDGES) or col >= len(EDGES):
            skipped.add(gpu)
            continue
        if rate <= 0:
            continue
        runs.append(
            Run(
                source=doc.path,
                input_tokens=float(EDGES[row]),
                output_tokens=float(EDGES[col]),
                requests_per_s=rate,
                ttft_ms={},
                tpot_ms={},
                sweep=(gpu, row, col),
                what=where,
                hardware=gpu,
            )
        )
    if not runs:
        raise doc.fail("no positive throughput in the table")
    if skipped:
        note = f"{', '.join(sorted(skipped))}: rows or columns past bucket {len(EDGES) - 1} skipped"
        runs[0] = replace(runs[0], notes=(note,))
    return runs


def _csv_cells(doc: Document) -> list[tuple[str, int, int, float, str]]:
    header = [c.lower() for c in doc.csv_rows[0]]
    at = {name: header.index(name) for name in _HEADER}
    cells = []
    for number, row in enumerate(doc.csv_rows[1:], start=2):
        if not any(row):
            continue
        try:
            gpu, r, c = row[at["gpu"]], int(row[at["row"]]), int(row[at["col"]])
            rate = float(row[at["max_tput_req_per_s"]])
        except (IndexError, ValueError):
            raise doc.fail(f"row {number}: expected a gpu, whole row and col numbers, and a rate") from None
        if r < 0 or c < 0:
            raise doc.fail(f"row {number}: row and col count from 0")
        cells.append((gpu, r, c, rate, f"row {number}"))
    return cells


def _json_cells(doc: Document) -> list[tuple[str, int, int, float, str]]:
    cells = []
    for gpu, info in doc.records[0]["gpu_info"].items():
        table: Any = info.get("tputs") if isinstance(info, Mapping) else None
        if not isinstance(table, list) or not all(isinstance(r, list) for r in table):
            raise doc.fail(f"gpu_info.{gpu}.tputs must be a table (a list of rows)")
        for i, row in enumerate(table):
            for j, rate in enumerate(row):
                if not isinstance(rate, int | float) or isinstance(rate, bool):
                    raise doc.fail(f"gpu_info.{gpu}.tputs[{i}][{j}] is not a number")
                cells.append((str(gpu), i, j, float(rate), f"gpu_info.{gpu}.tputs[{i}][{j}]"))
    return cells


IMPORTER = Importer("melange", "Mélange throughput tables (long CSV or solver JSON)", detect, read)
