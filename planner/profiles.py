"""Measured profiles: per-replica maximum requests/s that override the performance model.

``--profiles FILE.csv`` (format and examples: ``docs/profiles.md``) has the columns ``model,
accelerator, input_tokens, output_tokens, requests_per_s`` and optionally ``tensor_parallel``,
``pipeline_parallel`` (default 1), ``precision`` (default: the model's first listed), ``ttft_ms``,
``tpot_ms`` (the latency targets the measurement met; blank: none recorded). All bad cells are
reported together (file, spreadsheet row, column).

Lookup, for one configuration (model, accelerator, tensor_parallel, pipeline_parallel, precision)
and one workload shape (input, output tokens) with optional latency targets:

1. **Usable points**: those whose targets are at least as strict as the workload's (``tpot_ms=50``
   serves a 100 ms target, not a 30 ms one). A measurement with no recorded target is taken to
   meet any target (whoever lists it without one vouches for it); a workload without a target
   accepts any. Of several usable points at one (input, output), the highest requests/s.
2. **Exact**: a measured (input, output) is returned as is.
3. **Interpolated**, when the query lies within the measured range on both axes. If the four
   points around it on the grid of measured inputs x measured outputs exist (a Mélange-style
   table), ``log requests_per_s`` is interpolated bilinearly in (log input, log output), linearly
   on a grid line: rates fall roughly as a power of request size, which this reproduces exactly,
   and the result stays between its corners and is monotone wherever the table is. Otherwise
   (scattered points), inverse-distance weighting of ``log requests_per_s`` over the 4 nearest
   points in (log input, log output), weights ``1 / distance**2``.
4. **Outside** the range: if the performance model gives a number for both the query and the
   nearest point (in log-log space), ``model(query) * measured(nearest) / model(nearest)``
   ("scaled"); else the rate of the nearest point whose input and output are both at least the
   query's ("nearest-smaller": a smaller request is at least as fast); else not served.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import os
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast, get_args

import numpy as np
import numpy.typing as npt
import pandas as pd

from planner.catalog.schema import PRECISIONS, Catalog, Model
from planner.errors import InputError, InputErrors, Location
from planner.ids import unknown_id_hint

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
ConfigKey = tuple[str, str, int, int, str]
Method = Literal["exact", "interpolated", "scaled", "nearest-smaller"]
ManyEstimate = Callable[[FloatArray, FloatArray], FloatArray]

#: Method codes returned by :meth:`ProfileTable.lookup_many`; ``METHODS[code]`` is the name.
NONE, EXACT, INTERPOLATED, SCALED, NEAREST_SMALLER = range(5)
METHODS: tuple[str, ...] = ("none", *get_args(Method))

REQUIRED_COLUMNS = ("model", "accelerator", "input_tokens", "output_tokens", "requests_per_s")
OPTIONAL_COLUMNS = ("tensor_parallel", "pipeline_parallel", "precision", "ttft_ms", "tpot_ms")
CONFIG_COLUMNS = ("model", "accelerator", "tensor_parallel", "pipeline_parallel", "precision")
NUMERIC_COLUMNS = ("input_tokens", "output_tokens", "requests_per_s", "ttft_ms", "tpot_ms")
FRAME_COLUMNS = (*CONFIG_COLUMNS, *NUMERIC_COLUMNS)
MAX_PARALLEL = 1024
IDW_NEIGHBOURS = 4
MAX_ERRORS = 20
_EXPECTED = f"required columns: {', '.join(REQUIRED_COLUMNS)}; optional: {', '.join(OPTIONAL_COLUMNS)}"
_CHUNK_CELLS = 2_000_000  # query x point distances held in memory at once


@dataclass(frozen=True)
class ProfileHit:
    """The requests/s one replica sustains for a workload shape, and how it was found."""

    requests_per_s: float
    method: Method
    points: int  # measured points used


def load_profiles(path: str | os.PathLike[str], catalog: Catalog) -> ProfileTable:
    """Read a measured-profiles CSV and check it against the catalog.

    Raises:
        InputError: The file cannot be read, is not UTF-8 CSV, or has no measurement.
        InputErrors: Bad columns or rows, all reported together (at most :data:`MAX_ERRORS`).
    """
    name = os.fspath(path)
    data, text = _read(name)
    records = _csv_records(text, name)
    header_row, columns = _header(records, name)
    rows, errors = _parse_rows(records, header_row, columns, catalog, name)
    errors += _duplicates(rows, name)
    if len(errors) > MAX_ERRORS:
        errors[MAX_ERRORS:] = [InputError(f"... and {len(errors) - MAX_ERRORS} more errors", Location(name))]
    if errors:
        raise InputErrors(errors)
    if not rows:
        raise InputError("no measurements: the file has a header but no data rows", Location(name))
    return ProfileTable(_frame(rows), name, hashlib.sha256(data).hexdigest())


def empty_profiles() -> ProfileTable:
    """A table with no measurements: every lookup returns ``None``."""
    return ProfileTable(_frame([]), "", "")


def _read(name: str) -> tuple[bytes, str]:
    """The file's bytes and its text, decoded as UTF-8 with an optional BOM."""
    try:
        data = Path(name).read_bytes()
        return data, data.decode("utf-8-sig")
    except FileNotFoundError:
        raise InputError("file not found", Location(name)) from None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        hint = "save the file as UTF-8 (Excel: 'CSV UTF-8')"
        raise InputError(f"not UTF-8 text (byte {exc.start}, line {line})", Location(name), hint) from None
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror or exc}", Location(name)) from None


def _csv_records(text: str, name: str) -> list[list[str]]:
    """All records, one per spreadsheet row (a blank line is an empty record), cells stripped."""
    records: list[list[str]] = []
    try:
        records.extend(
            [cell.strip() for cell in r] for r in csv.reader(io.StringIO(text, newline=""), strict=True)
        )
    except csv.Error as exc:
        hint = "check the quotes: a quoted cell ends with '\"' and nothing follows it but a comma"
        raise InputError(f"not valid CSV: {exc}", Location(name, len(records) + 1), hint) from None
    return records


def _header(records: list[list[str]], name: str) -> tuple[int, dict[str, int]]:
    """The header's spreadsheet row (the first non-blank one) and each known column's index."""
    row = next((i for i, record in enumerate(records, start=1) if any(record)), None)
    if row is None:
        raise InputError("the file is empty (expected a header row)", Location(name))
    columns: dict[str, int] = {}
    errors: list[InputError] = []
    valid = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
    if not {c.lower() for c in records[row - 1]} & set(valid):
        separators = [s for s in (";", "\t", "|") if any(s in c for c in records[row - 1])]
        hint = f"the columns seem separated by {separators[0]!r}, use ','; " if separators else ""
        raise InputError("no known column in the header row", Location(name, row), hint + _EXPECTED)
    for index, raw in enumerate(records[row - 1]):
        column, where = raw.lower(), Location(name, row, raw)
        if column and column not in valid:
            errors.append(InputError("unknown column", where, unknown_id_hint(column, valid, "columns")))
        elif column in columns:
            errors.append(InputError("column appears twice", where))
        elif column:
            columns[column] = index
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    errors += [InputError("missing column", Location(name, row, c), _EXPECTED) for c in missing]
    if errors:
        raise InputErrors(errors)
    return row, columns


def _parse_rows(
    records: list[list[str]], header_row: int, columns: dict[str, int], catalog: Catalog, name: str
) -> tuple[list[dict[str, Any]], list[InputError]]:
    """Typed rows after the header (each with its spreadsheet ``row``) and every error found."""
    rows: list[dict[str, Any]] = []
    errors: list[InputError] = []
    used = set(columns.values())
    for row in range(header_row + 1, len(records) + 1):
        record = records[row - 1]
        stray = next((i for i, cell in enumerate(record) if cell and i not in used), None)
        if stray is not None:
            message = f"a value in column {stray + 1}, which has no name in the header"
            errors.append(InputError(message, Location(name, row), "quote values that contain commas"))
        if stray is not None or not any(record):
            continue
        reader = _RowReader(name, row, {c: record[i] if i < len(record) else "" for c, i in columns.items()})
        parsed = reader.parse(catalog)
        errors += reader.errors
        rows += [parsed] if parsed else []
    return rows, errors


class _RowReader:
    """Typed values from one CSV row; a bad value is recorded in ``errors`` and read as ``None``."""

    def __init__(self, file: str, row: int, values: dict[str, str]) -> None:
        self.file, self.row, self.values = file, row, values
        self.errors: list[InputError] = []

    def fail(self, column: str, message: str, hint: str | None = None) -> None:
        """Record an error in ``column``."""
        self.errors.append(InputError(message, Location(self.file, self.row, column), hint))

    def parse(self, catalog: Catalog) -> dict[str, Any] | None:
        """The typed row, or ``None`` when any cell is bad."""
        model = self.ident("model", catalog.models, "model", "models")
        row: dict[str, Any] = {
            "row": self.row,
            "model": model,
            "accelerator": self.ident("accelerator", catalog.accelerators, "accelerator", "accelerators"),
            "tensor_parallel": self.count("tensor_parallel"),
            "pipeline_parallel": self.count("pipeline_parallel"),
            "precision": self.precision(catalog.models.get(model) if model else None),
        }
        row |= {c: self.number(c, required=c in REQUIRED_COLUMNS) for c in NUMERIC_COLUMNS}
        return None if self.errors or None in row.values() else row

    def ident(self, column: str, valid: Collection[str], what: str, plural: str) -> str | None:
        """A required id that must be one of ``valid``."""
        value = self.values.get(column, "")
        if not value:
            self.fail(column, "missing value")
        elif value not in valid:
            self.fail(column, f"unknown {what} '{value}'", unknown_id_hint(value, valid, plural))
        return value if value in valid else None

    def number(self, column: str, *, required: bool = True) -> float | None:
        """A finite number > 0; a blank optional cell reads as NaN."""
        raw = self.values.get(column, "")
        if not raw:
            if required:
                self.fail(column, "missing value")
            return None if required else math.nan
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value <= 0:
            self.fail(column, f"expected a finite number greater than 0, got '{raw}'")
            return None
        return value

    def count(self, column: str) -> int | None:
        """A whole number from 1 to :data:`MAX_PARALLEL`; blank reads as 1."""
        raw = self.values.get(column, "")
        value = self.number(column) if raw else 1.0
        if value is not None and (not value.is_integer() or value > MAX_PARALLEL):
            self.fail(column, f"must be a whole number from 1 to {MAX_PARALLEL}, got '{raw}'")
            return None
        return None if value is None else int(value)

    def precision(self, model: Model | None) -> str | None:
        """A precision listed for ``model``; blank reads as the model's first listed."""
        raw = self.values.get("precision", "")
        if not raw:
            return model.precisions[0] if model else None
        if raw not in PRECISIONS:
            self.fail(
                "precision", f"unknown precision '{raw}'", unknown_id_hint(raw, PRECISIONS, "precisions")
            )
        elif model is not None and raw not in model.precisions:
            hint = f"precisions listed for '{model.id}': {', '.join(model.precisions)}"
            self.fail("precision", f"precision '{raw}' is not listed for model '{model.id}'", hint)
        else:
            return raw
        return None


def _duplicates(rows: list[dict[str, Any]], name: str) -> list[InputError]:
    """One error per row that repeats an earlier row's configuration, shape and targets."""
    seen: dict[tuple[Any, ...], int] = {}
    errors: list[InputError] = []
    key_columns = [c for c in FRAME_COLUMNS if c != "requests_per_s"]
    hint = "keep one row per configuration, shape and latency targets"
    for row in rows:
        key = tuple(
            "" if isinstance(v, float) and math.isnan(v) else v for v in (row[c] for c in key_columns)
        )
        if key in seen:
            message = f"duplicate measurement: same {', '.join(key_columns)} as row {seen[key]}"
            errors.append(InputError(message, Location(name, row["row"]), hint))
        seen.setdefault(key, row["row"])
    return errors


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The normalised frame: one row per measurement, typed columns, NaN for no target."""
    frame = pd.DataFrame(rows, columns=list(FRAME_COLUMNS))
    texts = {c: "str" for c in ("model", "accelerator", "precision")}
    counts = {c: "int64" for c in ("tensor_parallel", "pipeline_parallel")}
    return frame.astype(texts | counts | {c: "float64" for c in NUMERIC_COLUMNS})


class ProfileTable:
    """Measured profiles, pre-grouped per configuration into numpy arrays for fast lookups.

    Attributes:
        frame: One row per measurement (:data:`FRAME_COLUMNS`; ``ttft_ms``/``tpot_ms`` NaN = none).
        path: The file it was read from ("" when empty).
        sha256: Hex digest of the file's bytes ("" when empty).
    """

    def __init__(self, frame: pd.DataFrame, path: str, sha256: str) -> None:
        self.frame, self.path, self.sha256 = frame, path, sha256
        self._points: dict[ConfigKey, dict[str, FloatArray]] = {
            _config_key(key): {c: part[c].to_numpy(np.float64) for c in NUMERIC_COLUMNS}
            for key, part in frame.groupby(list(CONFIG_COLUMNS), sort=False)
        }
        self._surfaces: dict[tuple[ConfigKey, float, float], _Surface | None] = {}

    def __len__(self) -> int:
        return len(self.frame)

    def configs(self) -> pd.DataFrame:
        """Distinct (model, accelerator, tensor_parallel, pipeline_parallel, precision)."""
        return self.frame[list(CONFIG_COLUMNS)].drop_duplicates().reset_index(drop=True)

    def lookup(
        self,
        model: str,
        accelerator: str,
        tensor_parallel: int,
        pipeline_parallel: int,
        precision: str,
        input_tokens: float,
        output_tokens: float,
        ttft_ms: float | None,
        tpot_ms: float | None,
        model_estimate: Callable[[float, float], float | None] | None = None,
    ) -> ProfileHit | None:
        """Requests/s of one replica for one workload shape, or ``None`` when not served.

        ``ttft_ms``/``tpot_ms`` are the workload's targets (``None``: no target);
        ``model_estimate(input, output)`` is the performance model's requests/s (``None`` when it
        has none), used only outside the measured range. The rules are in the module docstring.
        """
        key = (model, accelerator, tensor_parallel, pipeline_parallel, precision)
        values = (input_tokens, output_tokens, *(math.nan if t is None else t for t in (ttft_ms, tpot_ms)))
        estimate = _vectorised(model_estimate) if model_estimate is not None else None
        rate, method, points = self._evaluate(
            key, [np.array([v], dtype=np.float64) for v in values], estimate
        )
        if method[0] == NONE:
            return None
        return ProfileHit(float(rate[0]), cast(Method, METHODS[method[0]]), int(points[0]))

    def lookup_many(
        self,
        config_key: tuple[Any, ...],
        input_tokens: FloatArray,
        output_tokens: FloatArray,
        ttft_ms: FloatArray,
        tpot_ms: FloatArray,
        model_estimate_many: ManyEstimate | None = None,
    ) -> tuple[FloatArray, IntArray]:
        """Vectorised :meth:`lookup` for one configuration and many workload shapes.

        ``config_key`` is (model, accelerator, tensor_parallel, pipeline_parallel, precision), e.g. a
        pandas group key. The four arrays broadcast together; a NaN target means none.
        ``model_estimate_many`` maps arrays of (input, output) to the performance model's
        requests/s (NaN: no estimate).

        Returns:
            Requests/s (NaN where not served) and method codes (``METHODS[code]`` names them).
        """
        queries = [input_tokens, output_tokens, ttft_ms, tpot_ms]
        rate, method, _ = self._evaluate(config_key, queries, model_estimate_many)
        return rate, method

    def _evaluate(
        self, config_key: tuple[Any, ...], queries: list[FloatArray], estimate: ManyEstimate | None
    ) -> tuple[FloatArray, IntArray, IntArray]:
        """Rates, method codes and points used, grouping queries by their pair of targets."""
        arrays = np.broadcast_arrays(*(np.asarray(q, dtype=np.float64) for q in queries))
        inp, out, ttft, tpot = (a.ravel() for a in arrays)
        result, key = _empty(len(inp)), _config_key(config_key)
        if key not in self._points or not len(inp):
            return result
        valid = np.isfinite(inp) & np.isfinite(out) & (inp > 0) & (out > 0)
        targets = np.column_stack([np.where(np.isnan(t), np.inf, t) for t in (ttft, tpot)])
        pairs, inverse = np.unique(targets, axis=0, return_inverse=True)
        for group, (ttft_target, tpot_target) in enumerate(pairs):
            surface = self._surface(key, float(ttft_target), float(tpot_target))
            index = np.flatnonzero((inverse.ravel() == group) & valid)
            if surface is not None and index.size:
                _put(result, index, *surface.evaluate(inp[index], out[index], estimate))
        return result

    def _surface(self, key: ConfigKey, ttft_target: float, tpot_target: float) -> _Surface | None:
        """The usable points of one configuration for a pair of targets (inf: none), cached."""
        cache_key = (key, ttft_target, tpot_target)
        if cache_key not in self._surfaces:
            p = self._points[key]
            usable = _meets(p["ttft_ms"], ttft_target) & _meets(p["tpot_ms"], tpot_target)
            surface = _Surface.build(*(p[c][usable] for c in NUMERIC_COLUMNS[:3])) if usable.any() else None
            self._surfaces[cache_key] = surface
        return self._surfaces[cache_key]


def _meets(measured: FloatArray, target: float) -> npt.NDArray[np.bool_]:
    """Which measurements met a target at least as strict (NaN: no recorded target, meets any)."""
    return np.isnan(measured) | (measured <= target)


def _config_key(key: tuple[Any, ...]) -> ConfigKey:
    model, accelerator, tensor_parallel, pipeline_parallel, precision = key
    return (str(model), str(accelerator), int(tensor_parallel), int(pipeline_parallel), str(precision))


def _vectorised(estimate: Callable[[float, float], float | None]) -> ManyEstimate:
    """A scalar model estimate applied element-wise, ``None`` read as NaN."""

    def many(inp: FloatArray, out: FloatArray) -> FloatArray:
        values = (estimate(float(i), float(o)) for i, o in zip(inp, out, strict=True))
        return np.array([math.nan if v is None else v for v in values], dtype=np.float64)

    return many


def _empty(size: int) -> tuple[FloatArray, IntArray, IntArray]:
    """Per-query (rate, method code, points used), all "not served"."""
    return np.full(size, np.nan), np.zeros(size, dtype=np.int64), np.zeros(size, dtype=np.int64)


def _put(result: tuple[FloatArray, IntArray, IntArray], index: IntArray, *values: npt.NDArray[Any]) -> None:
    """Store (rate, method code, points used) for the queries at ``index``."""
    for target, value in zip(result, values, strict=True):
        target[index] = value


@dataclass(frozen=True)
class _Surface:
    """Usable points of one configuration, one per (input, output), sorted by input then output."""

    inp: FloatArray
    out: FloatArray
    rate: FloatArray
    ux: FloatArray  # sorted distinct inputs
    uy: FloatArray  # sorted distinct outputs
    codes: IntArray  # (index in ux) * len(uy) + (index in uy), ascending

    @classmethod
    def build(cls, inp: FloatArray, out: FloatArray, rate: FloatArray) -> _Surface:
        """Keep the highest rate per (input, output) and index the grid."""
        order = np.lexsort((-rate, out, inp))
        inp, out, rate = inp[order], out[order], rate[order]
        first = np.r_[True, (inp[1:] != inp[:-1]) | (out[1:] != out[:-1])]
        inp, out, rate = inp[first], out[first], rate[first]
        ux, ix = np.unique(inp, return_inverse=True)
        uy, iy = np.unique(out, return_inverse=True)
        return cls(inp, out, rate, ux, uy, (ix * len(uy) + iy).astype(np.int64))

    def evaluate(
        self, inp: FloatArray, out: FloatArray, estimate: ManyEstimate | None
    ) -> tuple[FloatArray, IntArray, IntArray]:
        """Rates, method codes and points used for queries of positive, finite sizes."""
        result = _empty(len(inp))
        inside = (inp >= self.ux[0]) & (inp <= self.ux[-1]) & (out >= self.uy[0]) & (out <= self.uy[-1])
        index = np.flatnonzero(inside)
        if index.size:
            _put(result, index, *self._grid(inp[index], out[index]))
            rest = index[result[1][index] == NONE]
            if rest.size:
                _put(result, rest, *self._idw(inp[rest], out[rest]))
        index = np.flatnonzero(~inside)
        if index.size:
            _put(result, index, *self._outside(inp[index], out[index], estimate))
        return result

    def _find(self, ix: IntArray, iy: IntArray) -> IntArray:
        """Point index at grid cell (ix, iy), -1 where nothing was measured."""
        codes = ix * len(self.uy) + iy
        pos = np.minimum(np.searchsorted(self.codes, codes), len(self.codes) - 1)
        return np.where(self.codes[pos] == codes, pos, -1)

    def _grid(self, inp: FloatArray, out: FloatArray) -> tuple[FloatArray, IntArray, IntArray]:
        """Exact matches, and bilinear interpolation of log rate in (log in, log out) on the grid."""
        x0, x1, tx = _bracket(self.ux, inp)
        y0, y1, ty = _bracket(self.uy, out)
        corners = np.stack([self._find(x0, y0), self._find(x0, y1), self._find(x1, y0), self._find(x1, y1)])
        found = (corners >= 0).all(axis=0)
        logs = np.log(self.rate[np.maximum(corners, 0)])
        mixed = (1 - tx) * ((1 - ty) * logs[0] + ty * logs[1]) + tx * ((1 - ty) * logs[2] + ty * logs[3])
        exact = found & (x0 == x1) & (y0 == y1)
        rate = np.where(exact, self.rate[np.maximum(corners[0], 0)], np.exp(mixed))
        method = np.where(found, np.where(exact, EXACT, INTERPOLATED), NONE)
        points = (1 + (x0 != x1)) * (1 + (y0 != y1))
        return np.where(found, rate, np.nan), method.astype(np.int64), points.astype(np.int64)

    def _nearest(
        self, inp: FloatArray, out: FloatArray, k: int, bigger_only: bool = False
    ) -> tuple[IntArray, FloatArray]:
        """``k`` nearest points in (log in, log out), squared distances; inf: none (``bigger_only``)."""
        near, dist = np.empty((len(inp), k), dtype=np.int64), np.empty((len(inp), k))
        step = max(1, _CHUNK_CELLS // len(self.inp))
        for part in (slice(start, start + step) for start in range(0, len(inp), step)):
            qin, qout = inp[part, None], out[part, None]
            d2 = (np.log(qin) - np.log(self.inp)) ** 2 + (np.log(qout) - np.log(self.out)) ** 2
            if bigger_only:
                d2[(self.inp < qin) | (self.out < qout)] = np.inf
            near[part] = np.argpartition(d2, k - 1, axis=1)[:, :k]
            dist[part] = np.take_along_axis(d2, near[part], axis=1)
        return near, dist

    def _idw(self, inp: FloatArray, out: FloatArray) -> tuple[FloatArray, IntArray, IntArray]:
        """Inverse-distance weighting of log rate over the nearest points in (log in, log out)."""
        k = min(IDW_NEIGHBOURS, len(self.inp))
        near, d2 = self._nearest(inp, out, k)
        weight = 1.0 / np.maximum(d2, 1e-200)
        logs = (weight * np.log(self.rate[near])).sum(axis=1) / weight.sum(axis=1)
        size = len(inp)
        return np.exp(logs), np.full(size, INTERPOLATED, dtype=np.int64), np.full(size, k, dtype=np.int64)

    def _outside(
        self, inp: FloatArray, out: FloatArray, estimate: ManyEstimate | None
    ) -> tuple[FloatArray, IntArray, IntArray]:
        """The model scaled to the nearest point, else the rate of the nearest bigger point."""
        rate = self._scaled(inp, out, estimate) if estimate is not None else np.full(len(inp), np.nan)
        method = np.where(np.isnan(rate), NONE, SCALED).astype(np.int64)
        todo = np.flatnonzero(method == NONE)
        if todo.size:
            near, d2 = self._nearest(inp[todo], out[todo], 1, bigger_only=True)
            found = np.isfinite(d2[:, 0])
            rate[todo] = np.where(found, self.rate[near[:, 0]], np.nan)
            method[todo] = np.where(found, NEAREST_SMALLER, NONE)
        return rate, method, (method != NONE).astype(np.int64)

    def _scaled(self, inp: FloatArray, out: FloatArray, estimate: ManyEstimate) -> FloatArray:
        """``model(query) * measured / model(nearest)``, NaN where the model has no number."""
        near = self._nearest(inp, out, 1)[0][:, 0]
        both = estimate(np.concatenate([inp, self.inp[near]]), np.concatenate([out, self.out[near]]))
        query, nearest = np.asarray(both, dtype=np.float64).reshape(2, len(inp))
        with np.errstate(all="ignore"):
            scaled = query * (self.rate[near] / nearest)
        usable = np.isfinite(scaled) & (scaled > 0) & np.isfinite(nearest) & (nearest > 0)
        return np.where(usable, scaled, np.nan)


def _bracket(grid: FloatArray, values: FloatArray) -> tuple[IntArray, IntArray, FloatArray]:
    """Grid indices either side of each value (equal on a grid line) and its position in log space."""
    hi = np.minimum(np.searchsorted(grid, values), len(grid) - 1)
    lo = np.where(grid[hi] == values, hi, np.maximum(hi - 1, 0))
    span = np.log(grid[hi]) - np.log(grid[lo])
    with np.errstate(all="ignore"):
        fraction = np.where(
            span > 0, (np.log(values) - np.log(grid[lo])) / np.where(span > 0, span, 1.0), 0.0
        )
    return lo.astype(np.int64), hi.astype(np.int64), np.clip(fraction, 0.0, 1.0)
