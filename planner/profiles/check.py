"""``plan profiles check``: compare a profiles file with the performance model's estimates.

For each row, the model (:func:`planner.perf.estimate_grid`) estimates one replica of the row's
configuration at the row's request shape, with the row's ``ttft_ms``/``tpot_ms`` as targets
(blank: none). ``ratio = measured requests/s / estimated``; a row more than :data:`FACTOR` times
off either way is flagged: a likely unit mistake (requests/min, a whole deployment's rate for one
replica) or a setup the model does not describe. Rows the model cannot estimate (the weights do
not fit, a model with no shape) are listed as such, not flagged.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from planner.catalog.load import load_catalog
from planner.errors import InputError, Location
from planner.perf import estimate_grid
from planner.profiles.columns import CONFIG_COLUMNS
from planner.profiles.reader import load_profiles

#: How far off (either way) a measured rate may be before it is flagged.
FACTOR = 2.0


@dataclass(frozen=True)
class CheckedRow:
    """One profile row beside the model's estimate."""

    row: int
    model: str
    accelerator: str
    tensor_parallel: int
    pipeline_parallel: int
    precision: str
    input_tokens: float
    output_tokens: float
    ttft_ms: float | None
    tpot_ms: float | None
    measured_requests_per_s: float
    estimated_requests_per_s: float | None
    ratio: float | None
    status: str  # "ok", "flagged" or "no-estimate"
    reason: str
    source: str


@dataclass(frozen=True)
class CheckReport:
    """All rows of a profiles file, checked; ``flagged`` counts rows more than ``factor`` off."""

    path: str
    factor: float
    rows: tuple[CheckedRow, ...]

    @property
    def flagged(self) -> int:
        """Rows more than ``factor`` off."""
        return sum(r.status == "flagged" for r in self.rows)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready report (``plan profiles check --format json``)."""
        return {
            "path": self.path,
            "factor": self.factor,
            "flagged": self.flagged,
            "rows": [asdict(r) for r in self.rows],
        }


def check_profiles(
    path: str | os.PathLike[str],
    *,
    factor: float = FACTOR,
    catalog_dirs: Sequence[str | os.PathLike[str]] = (),
) -> CheckReport:
    """Check every row of a profiles file against the performance model (module docstring).

    Raises:
        InputError: The file is not a valid profiles file, or ``factor`` is not above 1.
    """
    if not (math.isfinite(factor) and factor > 1):
        raise InputError(f"the factor must be a number above 1, got {factor}", Location(column="--factor"))
    catalog = load_catalog(catalog_dirs)
    table = load_profiles(path, catalog)
    frame = table.frame.reset_index(drop=True)
    cases = frame[[*CONFIG_COLUMNS, "input_tokens", "output_tokens", "ttft_ms", "tpot_ms"]].copy()
    grid = estimate_grid(cases, catalog.models, catalog.accelerators)
    rows = []
    for i, (_, row) in enumerate(frame.iterrows()):
        est = grid.iloc[i]
        estimated = (
            float(est["requests_per_s"]) if bool(est["fits"]) and _positive(est["requests_per_s"]) else None
        )
        measured = float(row["requests_per_s"])
        ratio = measured / estimated if estimated else None
        if ratio is None:
            status, reason = "no-estimate", str(est["reason"] or "the model gives no rate for this case")
        elif ratio > factor or ratio < 1 / factor:
            status, reason = "flagged", _why(ratio, factor)
        else:
            status, reason = "ok", ""
        rows.append(
            CheckedRow(
                row=i + 2,
                model=str(row["model"]),
                accelerator=str(row["accelerator"]),
                tensor_parallel=int(row["tensor_parallel"]),
                pipeline_parallel=int(row["pipeline_parallel"]),
                precision=str(row["precision"]),
                input_tokens=float(row["input_tokens"]),
                output_tokens=float(row["output_tokens"]),
                ttft_ms=_maybe(row["ttft_ms"]),
                tpot_ms=_maybe(row["tpot_ms"]),
                measured_requests_per_s=measured,
                estimated_requests_per_s=estimated,
                ratio=ratio,
                status=status,
                reason=reason,
                source=str(row["source"]),
            )
        )
    return CheckReport(os.fspath(path), factor, tuple(rows))


def _positive(value: Any) -> bool:
    return value is not None and bool(np.isfinite(float(value))) and float(value) > 0


def _maybe(value: Any) -> float | None:
    return None if value is None or math.isnan(float(value)) else float(value)


def _why(ratio: float, factor: float) -> str:
    if ratio > factor:
        return (
            f"measured {ratio:.1f}x the estimate: a whole deployment's rate for one replica, or requests/min?"
        )
    return (
        f"measured {1 / ratio:.1f}x below the estimate: an unsaturated run (few requests, a low request "
        "rate), a per-minute rate, or a slower setup?"
    )
