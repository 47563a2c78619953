"""What every importer shares: the parsed file, one measured run, and field readers.

:class:`Document` is a parsed result file, :class:`Run` one measured run in the file's own terms;
the readers fail with one clear message naming the file, the record and the key.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from planner.errors import InputError, Location

#: Latency statistics a run may carry, by the names ``--latency-stat`` takes.
LATENCY_STATS = ("mean", "median", "p90", "p99")
Stats = Mapping[str, float]


@dataclass(frozen=True)
class Document:
    """One benchmark result file, parsed.

    Attributes:
        path: The file as the user named it.
        records: Its JSON/YAML objects (one per JSON line for JSON Lines), or () for CSV.
        csv_rows: Its CSV rows (blank lines kept as empty lists), or () for JSON/YAML.
    """

    path: str
    records: tuple[Mapping[str, Any], ...] = ()
    csv_rows: tuple[tuple[str, ...], ...] = ()

    def source(self, index: int) -> str:
        """The ``source`` text of record ``index``: the file, with ``#n`` when it holds several."""
        return self.path if len(self.records) <= 1 else f"{self.path}#{index + 1}"

    def fail(self, message: str, index: int | None = None, hint: str | None = None) -> InputError:
        """An error about this file; ``record n:`` leads the message for record ``index`` of several."""
        if index is not None and len(self.records) > 1:
            message = f"record {index + 1}: {message}"
        return InputError(message, Location(file=self.path), hint)


@dataclass(frozen=True)
class Run:
    """One measured benchmark run, in the file's own terms (before catalog mapping and selection).

    ``requests_per_s`` is the whole measured deployment's rate (all ``replicas`` together); the
    latency statistics are in milliseconds, keyed by :data:`LATENCY_STATS` names (those the file
    has). ``sweep`` identifies the request shape the tool was asked for: runs of one file with the
    same ``sweep`` (and configuration) are points of one concurrency or rate sweep.
    """

    source: str
    input_tokens: float
    output_tokens: float
    requests_per_s: float
    ttft_ms: Stats
    tpot_ms: Stats
    sweep: tuple[Any, ...]
    what: str
    model_names: tuple[str, ...] = ()
    hardware: str | None = None
    tensor_parallel: int | None = None
    pipeline_parallel: int | None = None
    replicas: int | None = None
    notes: tuple[str, ...] = field(default=())


def read_document(path: str | os.PathLike[str]) -> Document:
    """Read a result file: JSON, JSON Lines (``Infinity`` allowed, as SGLang writes it), YAML or CSV.

    Raises:
        InputError: The file is missing, unreadable, not UTF-8, or none of these formats.
    """
    name = os.fspath(path)
    file = Path(name)
    if not file.is_file():
        raise InputError(
            "benchmark file not found" if not file.exists() else "not a file", Location(file=name)
        )
    try:
        text = file.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", Location(file=name)) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", Location(file=name)) from None
    if not text.strip():
        raise InputError("the file is empty", Location(file=name))
    if file.suffix.lower() in (".yaml", ".yml"):
        return Document(name, records=_yaml(text, name))
    is_json = file.suffix.lower() in (".json", ".jsonl") or text.lstrip().startswith(("{", "["))
    if not is_json:
        rows = tuple(tuple(cell.strip() for cell in row) for row in csv.reader(io.StringIO(text)))
        return Document(name, csv_rows=rows)
    return Document(name, records=_json(text, name))


def _yaml(text: str, name: str) -> tuple[Mapping[str, Any], ...]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        raise InputError(f"not valid YAML{where}", Location(file=name)) from None
    if not isinstance(data, dict):
        raise InputError("expected a YAML mapping at the top", Location(file=name))
    return (data,)


def _json(text: str, name: str) -> tuple[Mapping[str, Any], ...]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as whole:
        lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
        if len(lines) < 2:
            raise _bad_json(whole, name) from None
        records = []
        for number, line in lines:  # JSON Lines: one object per line (--append-result, SGLang)
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as exc:
                if number == lines[0][0]:
                    raise _bad_json(whole, name) from None
                raise InputError(
                    f"not valid JSON Lines: line {number}: {exc.msg} (column {exc.colno})",
                    Location(file=name),
                ) from None
        data = records
    items = data if isinstance(data, list) else [data]
    if not items or not all(isinstance(item, dict) for item in items):
        raise InputError("expected a JSON object (or one object per line)", Location(file=name))
    return tuple(items)


def _bad_json(exc: json.JSONDecodeError, name: str) -> InputError:
    return InputError(
        f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})", Location(file=name)
    )


def get(record: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted ``path`` (``a.b.c``), or ``None`` where any step is missing."""
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def number_at(record: Mapping[str, Any], path: str) -> float | None:
    """A finite number at ``path`` (numeric strings read too), or ``None`` when absent or not one."""
    value = get(record, path)
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    if not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def required(doc: Document, index: int, record: Mapping[str, Any], *paths: str, what: str) -> float:
    """The first positive number found at ``paths``; else an error naming what is missing.

    Raises:
        InputError: None of ``paths`` holds a positive finite number.
    """
    for path in paths:
        value = number_at(record, path)
        if value is not None and value > 0:
            return value
    keys = " or ".join(repr(p) for p in paths)
    raise doc.fail(f"no {what}: expected a positive number at {keys}", index)


def ratio(doc: Document, index: int, record: Mapping[str, Any], top: str, bottom: str, what: str) -> float:
    """``record[top] / record[bottom]``, both positive numbers (e.g. tokens over completed requests)."""
    return required(doc, index, record, top, what=what) / required(doc, index, record, bottom, what=what)


def stats(record: Mapping[str, Any], names: Mapping[str, str], scale: float = 1.0) -> dict[str, float]:
    """Latency statistics by :data:`LATENCY_STATS` name from ``{stat: path}``, times ``scale``."""
    found = {}
    for stat, path in names.items():
        value = number_at(record, path)
        if value is not None and value >= 0:
            found[stat] = value * scale
    return found


def names(*values: Any) -> tuple[str, ...]:
    """The non-empty strings among ``values`` (model names a file gives), in order, once each."""
    out: list[str] = []
    for value in values:
        items: Sequence[Any] = value if isinstance(value, list | tuple) else [value]
        out.extend(v.strip() for v in items if isinstance(v, str) and v.strip() and v.strip() not in out)
    return tuple(out)


def whole(value: Any) -> int | None:
    """A positive whole number from a field (``4``, ``"4"``, ``4.0``), else ``None``."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if number.is_integer() and number >= 1 else None


@dataclass(frozen=True)
class Importer:
    """One benchmark tool's reader.

    Attributes:
        tool: The ``--tool`` name.
        detect: True when a document looks like this tool's output.
        read: The runs of a document (raises :class:`InputError` for a file it cannot use).
    """

    tool: str
    description: str
    detect: Callable[[Document], bool]
    read: Callable[[Document], list[Run]]
