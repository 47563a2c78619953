"""Load ``demand.csv``: the request rates a fleet must serve, per period and workload.

Format
------
A comma-separated UTF-8 file (a BOM, CRLF line ends and quoted cells are fine) with a header row
and one row per (period, workload). Whitespace around cells is trimmed; a blank optional cell
takes its default.

========================  ========  ==============================================================
column                    required  meaning
========================  ========  ==============================================================
``period``                yes       a label or ISO date, kept verbatim (never parsed); periods are
                                    ordered by first appearance in the file
``workload``              yes       an id (``^[a-z0-9][a-z0-9.-]*$``); a model's traffic may be split
                                    by request size into several workloads
``requests_per_s``        yes       the rate to provision for, 0 to :data:`MAX_REQUESTS_PER_S`
``input_tokens``          yes       mean input tokens per request, > 0, at most :data:`MAX_TOKENS`
``output_tokens``         yes       mean output tokens per request, > 0, at most :data:`MAX_TOKENS`
``model``                 one of    a catalog model id: served by that model self-hosted or by an
``min_quality``           the two   API offering it; or a quality floor any model or API at or
                                    above it meets
``hours``                 no        the period's length (> 0, at most :data:`MAX_HOURS`, default 1);
                                    one number per period: a blank cell takes the length other
                                    rows of the period give
``ttft_ms``               no        time-to-first-token target, default :data:`DEFAULT_TTFT_MS`
``tpot_ms``               no        time-per-output-token target, default :data:`DEFAULT_TPOT_MS`
                                    (both > 0, at most :data:`MAX_LATENCY_MS`)
``self_host_only``        no        true/false, yes/no or 1/0 (any case); default false
``api_only``              no        as above; not together with ``self_host_only``, nor with a
                                    ``min_replicas`` above 0
``max_api_share``         no        fraction of the rate an API may take, in [0, 1]; default 1
``target_utilization``    no        fraction in (0, 1]; blank: the solve-wide default (NaN here)
``min_replicas``          no        whole number >= 0; default 0
========================  ========  ==============================================================

Header names are case-insensitive. Numbers follow one grammar (:mod:`planner.table.cells`): no
NaN, no infinity. Row numbers in messages are those a spreadsheet shows: the header is row 1, the
first data row 2.

A workload with no row in some period is planned as 0 requests/s there, with a warning in the
plan's ``diagnostics.warnings`` (:attr:`Demand.warnings`).

Default latency targets
-----------------------
They follow MLPerf Inference's server scenario, which stands for interactive serving: its
Llama-2-70B benchmark bounds time to first token at 2,000 ms (:data:`DEFAULT_TTFT_MS`) and time
per output token at 200 ms, its interactive variant at 450 ms and 40 ms. :data:`DEFAULT_TPOT_MS`
takes 100 ms, between the two: 10 tokens/s per stream, faster than people read streamed text.

Forecasts
---------
A forecast as forecasting tools write it (Prophet's ``predict()`` output, Nixtla's frames) with a
``workloads.csv`` of each series' attributes is read into the same :class:`Demand` by
:func:`planner.demand.forecast.load_forecast` (``plan solve FORECAST.csv --workloads FILE``):
each ``ds`` is a period lasting until the next one (the last as long as the one before it, unless
``workloads.csv`` gives ``hours``), the rate is the ``--provision-for`` column or quantile.

Stages
------
:func:`read_demand_frame` parses and type-checks a file without a catalog; :func:`check_demand`
checks a frame against the catalog (known models, reachable quality floors, request sizes that fit
a context); :func:`load_demand` does both and reports the errors of both in one go, at most
:data:`~planner.table.MAX_REPORTED_ERRORS` of them, as :class:`~planner.errors.InputErrors`.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

import pandas as pd

from planner.catalog.schema import Catalog
from planner.demand._check import check_rows
from planner.demand._layout import Selection
from planner.demand._options import ForecastOptions
from planner.demand._rows import Parsed, parse_rows
from planner.demand._spec import DEFAULT_HOURS, DEFAULT_TPOT_MS, DEFAULT_TTFT_MS, DEMAND_COLUMNS, DEMAND_SPEC
from planner.table import ErrorLog, read_bytes, read_table
from planner.table.cells import MAX_HOURS, MAX_LATENCY_MS, MAX_REQUESTS_PER_S, MAX_TOKENS

__all__ = [
    "DEFAULT_HOURS",
    "DEFAULT_TPOT_MS",
    "DEFAULT_TTFT_MS",
    "DEMAND_COLUMNS",
    "MAX_HOURS",
    "MAX_LATENCY_MS",
    "MAX_REQUESTS_PER_S",
    "MAX_TOKENS",
    "Demand",
    "check_demand",
    "load_demand",
    "read_demand_frame",
]


@dataclass(frozen=True, eq=False)
class Demand:
    """A loaded, checked demand file.

    Attributes:
        path: the path as given.
        sha256: hex digest of the file's bytes.
        periods: period labels in first-appearance order.
        hours: each period's length in hours.
        frame: one row per (period, workload): ``period``, ``period_index`` (position in
            ``periods``), ``workload``, ``requests_per_s``, ``input_tokens``, ``output_tokens``,
            ``model`` (object column, None when a quality floor is given), ``min_quality`` (NaN when
            a model is pinned), ``ttft_ms``, ``tpot_ms``, ``self_host_only``, ``api_only``,
            ``max_api_share``, ``target_utilization`` (NaN: the solve-wide default),
            ``min_replicas``, ``hours`` and ``source_row`` (the spreadsheet row).
        warnings: one line per workload with no row in some period (planned as 0 there); they
            go to the plan's ``diagnostics.warnings``.
        forecast: how the file was read when it is a forecast (``--workloads``, ``--provision-for``,
            ...; :mod:`planner.demand.forecast`), None for a demand.csv. A what-if change of the
            forecast selection re-reads the file with it.
        selection: what the forecast loader resolved (the layout, the series and value columns read,
            the quantile and model), None for a demand.csv; the plan records it (``inputs.forecast``).
        workloads_sha256: hex digest of the forecast's workloads file (None for a demand.csv).
    """

    path: str
    sha256: str
    periods: tuple[str, ...]
    hours: dict[str, float]
    frame: pd.DataFrame
    warnings: tuple[str, ...] = ()
    forecast: ForecastOptions | None = None
    selection: Selection | None = None
    workloads_sha256: str | None = None

    @property
    def workloads(self) -> tuple[str, ...]:
        """Workload ids in first-appearance order."""
        return tuple(dict.fromkeys(self.frame["workload"].tolist()))


def _parse(data: bytes, log: ErrorLog) -> Parsed:
    """The typed rows of a file's bytes; row errors are logged, file errors raised."""
    return parse_rows(read_table(data, DEMAND_SPEC, log), log)


def read_demand_frame(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Parse and type-check a demand file without the catalog.

    Args:
        path: the demand CSV.

    Returns:
        The frame described in :class:`Demand`.

    Raises:
        InputError: the file is missing, unreadable or malformed (all row errors together).
    """
    file = os.fspath(path)
    log = ErrorLog(file, DEMAND_COLUMNS)
    frame = _parse(read_bytes(file, DEMAND_SPEC.what), log).frame
    log.raise_if_any()
    return frame


def check_demand(frame: pd.DataFrame, catalog: Catalog, path: str | os.PathLike[str]) -> None:
    """Check a demand frame against the catalog.

    Args:
        frame: a frame from :func:`read_demand_frame`.
        catalog: the models and APIs that may serve the demand.
        path: the file the frame came from, named in messages.

    Raises:
        InputError: unknown model ids, quality floors nothing reaches, requests longer than every
            candidate's context (all errors together).
    """
    log = ErrorLog(os.fspath(path), DEMAND_COLUMNS)
    check_rows(frame, catalog, log)
    log.raise_if_any()


def load_demand(path: str | os.PathLike[str], catalog: Catalog) -> Demand:
    """Load, type-check and catalog-check a demand file.

    Args:
        path: the demand CSV.
        catalog: the models and APIs that may serve the demand.

    Returns:
        The checked demand.

    Raises:
        InputError: any problem with the file, its rows or their catalog references; the errors
            of the parse and the catalog check are reported together.
    """
    file = os.fspath(path)
    data = read_bytes(file, DEMAND_SPEC.what)
    log = ErrorLog(file, DEMAND_COLUMNS)
    parsed = _parse(data, log)
    check_rows(parsed.references, catalog, log)
    log.raise_if_any()
    frame = parsed.frame
    periods = tuple(dict.fromkeys(frame["period"].tolist()))
    hours = dict(zip(frame["period"].tolist(), frame["hours"].tolist(), strict=True))
    return Demand(file, hashlib.sha256(data).hexdigest(), periods, hours, frame, parsed.warnings)
