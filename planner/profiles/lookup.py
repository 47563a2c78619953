"""Lookups in measured profiles: one replica's requests/s for a workload shape.

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

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, cast, get_args

import numpy as np
import numpy.typing as npt
import pandas as pd

from planner.profiles.columns import CONFIG_COLUMNS, NUMERIC_COLUMNS

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
ConfigKey = tuple[str, str, int, int, str]
Method = Literal["exact", "interpolated", "scaled", "nearest-smaller"]
ManyEstimate = Callable[[FloatArray, FloatArray], FloatArray]

#: Method codes returned by :meth:`ProfileTable.lookup_many`; ``METHODS[code]`` is the name.
NONE, EXACT, INTERPOLATED, SCALED, NEAREST_SMALLER = range(5)
METHODS: tuple[str, ...] = ("none", *get_args(Method))

IDW_NEIGHBOURS = 4
_CHUNK_CELLS = 2_000_000  # query x point distances held in memory at once


@dataclass(frozen=True)
class ProfileHit:
    """The requests/s one replica sustains for a workload shape, and how it was found."""

    requests_per_s: float
    method: Method
    points: int  # measured points used


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
