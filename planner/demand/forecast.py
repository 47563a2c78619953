"""Load a forecast as forecasting tools write it, with ``workloads.csv``, as an ordinary :class:`Demand`.

``plan solve FORECAST.csv --workloads workloads.csv`` reads Prophet's ``predict()`` output or a
Nixtla frame (the layouts: :mod:`planner.demand._layout`) and the static attributes of each series
from ``workloads.csv``: the ``demand.csv`` columns other than ``period`` and ``requests_per_s``
(``workload``, ``input_tokens``, ``output_tokens``, ``model`` or ``min_quality``, and the optional
``hours``, ``ttft_ms``, ``tpot_ms``, ``self_host_only``, ``api_only``, ``max_api_share``,
``target_utilization``, ``min_replicas``), read with the demand file's cell grammar and checks.

* **Series**: each series id (``unique_id``, or Prophet's series column) is a workload of
  ``workloads.csv``; a series without a row there, or a row without a series, is an error.
* **Periods**: each distinct ``ds`` (ISO date ``2026-01-31`` or date-time ``2026-01-31 06:00:00``;
  ``YYYY-MM`` is the first of the month; no time-zone offsets) is a period, in date order,
  labelled by its ISO date (``2026-01-31``, or ``2026-01-31T06:00:00`` when some ``ds`` has a
  time), so price and demand trends can read it. A series with no row at some ``ds`` is planned
  as 0 there, with a warning.
* **Hours**: each period lasts until the next ``ds``; the last one as long as the one before it.
  An ``hours`` value in ``workloads.csv`` sets every period's length instead (the rows giving one
  must agree); a forecast with one ``ds`` needs it.
* **Rates**: the chosen column (``--provision-for``) in requests/s, or ``--forecast-unit
  requests_per_hour|requests_per_day``. Negative values (lower bounds of a low series) and values
  below :data:`~planner.table.cells.MIN_REQUESTS_PER_S` are planned as 0, with a warning; values
  above :data:`~planner.table.cells.MAX_REQUESTS_PER_S` are errors.

The demand's ``sha256`` covers both files' bytes and the selection options. Every error names the
file, the row and the column; the errors of both files are reported together.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from planner.catalog.schema import Catalog
from planner.demand import Demand
from planner.demand._layout import Selection, percent_label, select_columns
from planner.demand._options import (
    SECONDS_PER_UNIT,
    ForecastOptions,
    forecast_hint,
    forecast_options,
)
from planner.demand._rows import build_frame, missing_rows
from planner.demand._workloads import WORKLOAD_COLUMNS, Workload, read_workloads
from planner.errors import InputError, InputErrors
from planner.ids import unknown_id_hint
from planner.table import ErrorLog, Row, TableSpec, cells, read_bytes
from planner.table.cells import MAX_HOURS, MAX_REQUESTS_PER_S, MIN_HOURS, MIN_REQUESTS_PER_S, CellError
from planner.table.log import MAX_REPORTED_ERRORS
from planner.table.reader import decode, split_records

__all__ = [
    "SECONDS_PER_UNIT",
    "WORKLOAD_COLUMNS",
    "ForecastOptions",
    "forecast_hint",
    "forecast_options",
    "load_forecast",
]

#: The columns named in messages about a file that is no forecast at all.
_FORECAST_SPEC = TableSpec("forecast file", {}, ())
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class _Point:
    """One forecast row: its spreadsheet row, series, date and rate (requests/s, clamped)."""

    row: int
    series: str
    when: dt.datetime
    rate: float


def load_forecast(path: str | os.PathLike[str], options: ForecastOptions, catalog: Catalog) -> Demand:
    """Load a forecast and its workloads file as a checked :class:`Demand`.

    Raises:
        InputError: any problem with either file (all row errors of both together).
    """
    file = os.fspath(path)
    data = read_bytes(file, "forecast file")
    workloads_data = read_bytes(options.workloads, "workloads file")
    forecast_log, workloads_log = ErrorLog(file), ErrorLog(options.workloads, WORKLOAD_COLUMNS)
    workloads = read_workloads(workloads_data, catalog, workloads_log)
    selection, points, warnings = _read_points(data, options, forecast_log)
    _raise_all(forecast_log, workloads_log)
    _match_series(points, workloads, selection, forecast_log, workloads_log)
    whens = sorted({point.when for point in points})
    labels = _labels(whens)
    hours = _hours(whens, labels, workloads, forecast_log, workloads_log)
    _raise_all(forecast_log, workloads_log)
    frame = _demand_frame(points, workloads, labels, hours)
    digest = hashlib.sha256()
    for part in (data, workloads_data, json.dumps(options.selection(), sort_keys=True).encode()):
        digest.update(len(part).to_bytes(8, "big") + part)
    periods = tuple(labels[when] for when in whens)
    return Demand(
        file,
        digest.hexdigest(),
        periods,
        hours,
        frame,
        (*warnings, *missing_rows(frame)),
        options,
        selection,
        hashlib.sha256(workloads_data).hexdigest(),
    )


def _raise_all(*logs: ErrorLog) -> None:
    """Raise the errors of every log together (each file's in row order)."""
    errors: list[InputError] = []
    for log in logs:
        try:
            log.raise_if_any()
        except InputErrors as exc:
            errors += exc.errors
        except InputError as exc:
            errors.append(exc)
    if len(errors) > MAX_REPORTED_ERRORS:
        hidden = len(errors) - MAX_REPORTED_ERRORS
        errors = [*errors[:MAX_REPORTED_ERRORS], InputError(f"... and {hidden} more errors not shown")]
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise InputErrors(errors)


# --- the forecast file ----------------------------------------------------------------------------


def _read_points(
    data: bytes, options: ForecastOptions, log: ErrorLog
) -> tuple[Selection | None, list[_Point], list[str]]:
    """The forecast's rows (series, date, rate), with warnings for the rates planned as 0."""
    try:
        records = split_records(decode(data, log), _FORECAST_SPEC, log)
        if not records:
            raise log.fail("the file is empty: expected a header row (ds, yhat, ... or unique_id, ds, ...)")
        (header_row, header), body = records[0], records[1:]
        _check_header(header, header_row, log)
        selection = select_columns(header, options, log.file, header_row)
        if not body:
            raise log.fail("the file has a header but no data rows")
    except InputError as exc:
        log.errors.append(exc)
        return None, [], []
    lowered = [name.lower() for name in header]
    at = {name: lowered.index(name.lower()) for name in ("ds", selection.series, selection.value)}
    divisor = SECONDS_PER_UNIT[options.unit]
    points: list[_Point] = []
    clamped: dict[str, list[int]] = {"negative": [], "tiny": []}
    seen: dict[tuple[str, dt.datetime], int] = {}
    for number, cells_ in body:
        if len(cells_) > len(header) and any(cells_[len(header) :]):
            message = f"this row has {len(cells_)} cells but the header names {len(header)} columns"
            log.add(message, number, hint="quote values that contain commas")
            continue
        padded = cells_ + [""] * (len(header) - len(cells_))
        point = _point(number, padded, at, selection, divisor, clamped, log)
        if point is None:
            continue
        first = seen.setdefault((point.series, point.when), number)
        if first != number:
            message = (
                f"series '{point.series}' has two rows at ds {padded[at['ds']]}: rows {first} and {number}"
            )
            log.add(message, number, "ds")
            continue
        points.append(point)
    return selection, points, _clamp_warnings(log.file, selection, clamped)


def _check_header(header: list[str], row: int, log: ErrorLog) -> None:
    """A pandas index written as a nameless first column, blank and repeated names are errors."""
    if header and not header[0] and len(header) > 1:
        raise log.fail(
            "the first column has no name: it looks like a pandas index",
            row,
            hint="write the frame with to_csv(..., index=False)",
        )
    seen: dict[str, int] = {}
    for position, name in enumerate(header, start=1):
        if not name:
            raise log.fail(f"column {position} has no name in the header", row)
        first = seen.setdefault(name.lower(), position)
        if first != position:
            raise log.fail(
                f"column '{name}' appears twice in the header (columns {first} and {position})", row
            )


def _point(
    number: int,
    padded: list[str],
    at: dict[str, int],
    selection: Selection,
    divisor: float,
    clamped: dict[str, list[int]],
    log: ErrorLog,
) -> _Point | None:
    """One row's point, or None (errors logged)."""
    parsed: dict[str, Any] = {}
    readers = (
        ("ds", "ds", parse_ds),
        (selection.series, "series", cells.identifier),
        (selection.value, "value", cells.number),
    )
    for column, key, reader in readers:
        text = padded[at[column]]
        try:
            if not text:
                raise CellError("missing value: this column is required")
            parsed[key] = reader(text)
        except CellError as exc:
            log.add(str(exc), number, column)
    if len(parsed) < len(readers):
        return None
    rate = parsed["value"] / divisor
    if rate > MAX_REQUESTS_PER_S:
        log.add(
            f"{padded[at[selection.value]]!r} is {rate:,.0f} requests/s, above the bound of "
            f"{MAX_REQUESTS_PER_S:,.0f} (MAX_REQUESTS_PER_S): check --forecast-unit",
            number,
            selection.value,
        )
        return None
    if rate < 0:
        clamped["negative"].append(number)
        rate = 0.0
    elif 0 < rate < MIN_REQUESTS_PER_S:
        clamped["tiny"].append(number)
        rate = 0.0
    return _Point(number, parsed["series"], parsed["ds"], rate)


def parse_ds(text: str) -> dt.datetime:
    """A forecast date: ISO date or date-time (``T`` or a space), ``YYYY-MM``; no time-zone offset.

    Raises:
        CellError: not such a date, or one with an offset.
    """
    month = _MONTH.match(text)
    try:
        value = (
            dt.datetime(int(month.group(1)), int(month.group(2)), 1)
            if month
            else dt.datetime.fromisoformat(text)
        )
    except ValueError:
        raise CellError(
            f"expected an ISO date or date-time (2026-01-31, 2026-01-31 06:00:00), got {text!r}"
        ) from None
    if value.tzinfo is not None:
        raise CellError(f"{text!r} has a time-zone offset: write every ds in one zone, without offsets")
    return value


def _rows_text(rows: list[int]) -> str:
    shown = ", ".join(str(r) for r in rows[:5])
    return f"row{'s' if len(rows) > 1 else ''} {shown}{', ...' if len(rows) > 5 else ''}"


def _clamp_warnings(file: str, selection: Selection | None, clamped: dict[str, list[int]]) -> list[str]:
    if selection is None:
        return []
    what = selection.value + (f" ({percent_label(selection.quantile)})" if selection.quantile else "")
    reasons = {
        "negative": "negative",
        "tiny": f"below the smallest rate, {MIN_REQUESTS_PER_S:g} requests/s (MIN_REQUESTS_PER_S)",
    }
    return [
        f"{file}: {len(rows)} value{'s' if len(rows) > 1 else ''} of '{what}' "
        f"{'are' if len(rows) > 1 else 'is'} {reasons[kind]}: planned as 0 requests/s ({_rows_text(rows)})"
        for kind, rows in clamped.items()
        if rows
    ]


# --- both together --------------------------------------------------------------------------------


def _match_series(
    points: list[_Point],
    workloads: Mapping[str, Workload],
    selection: Selection | None,
    forecast_log: ErrorLog,
    workloads_log: ErrorLog,
) -> None:
    """Every series must be a workload of workloads.csv and every workload a series."""
    assert selection is not None  # the file's errors were raised before
    first_rows: dict[str, int] = {}
    for point in points:
        first_rows.setdefault(point.series, point.row)
    for series, row in first_rows.items():
        if series not in workloads:
            forecast_log.add(
                f"series '{series}' has no row in {workloads_log.file}",
                row,
                selection.series,
                hint=unknown_id_hint(series, workloads, "workloads"),
            )
    for workload, entry in workloads.items():
        if workload not in first_rows:
            workloads_log.add(
                f"workload '{workload}' has no series in {forecast_log.file} (column '{selection.series}')",
                entry.row,
                "workload",
                hint=unknown_id_hint(workload, first_rows, "series"),
            )


def _labels(whens: list[dt.datetime]) -> dict[dt.datetime, str]:
    """ISO date labels; date-times when some ``ds`` has a time of day."""
    dated = all(when.time() == dt.time() for when in whens)
    return {when: when.date().isoformat() if dated else when.isoformat() for when in whens}


def _hours(
    whens: list[dt.datetime],
    labels: Mapping[dt.datetime, str],
    workloads: Mapping[str, Workload],
    forecast_log: ErrorLog,
    workloads_log: ErrorLog,
) -> dict[str, float]:
    """Each period's length: the ``hours`` workloads.csv gives, else the spacing to the next ``ds``."""
    given = [(entry.values["hours"], entry.row) for entry in workloads.values() if entry.values.get("hours")]
    if given:
        hours, first_row = given[0]
        for other, row in given[1:]:
            if other != hours:
                message = (
                    f"'hours' is {other:g} here but {hours:g} in row {first_row}: every period has one length"
                )
                workloads_log.add(message, row, "hours")
        return {labels[when]: hours for when in whens}
    if len(whens) == 1:
        forecast_log.add(
            "the forecast has one ds, so no spacing gives the period's length",
            None,
            "ds",
            hint=f"give 'hours' in {workloads_log.file}",
        )
        return {}
    gaps = [(later - earlier).total_seconds() / 3600.0 for earlier, later in itertools.pairwise(whens)]
    gaps.append(gaps[-1])
    for when, gap in zip(whens, gaps, strict=True):
        if not MIN_HOURS <= gap <= MAX_HOURS:
            forecast_log.add(
                f"the period from ds {labels[when]} is {gap:g} hours long, "
                f"outside [{MIN_HOURS:g}, {MAX_HOURS:g}]",
                None,
                "ds",
                hint=f"give 'hours' in {workloads_log.file}",
            )
    return {labels[when]: gap for when, gap in zip(whens, gaps, strict=True)}


def _demand_frame(
    points: list[_Point],
    workloads: Mapping[str, Workload],
    labels: Mapping[dt.datetime, str],
    hours: dict[str, float],
) -> pd.DataFrame:
    """The demand frame: one row per forecast point, periods in date order, workloads in file order."""
    order = {workload: index for index, workload in enumerate(workloads)}
    ordered = sorted(points, key=lambda p: (p.when, order[p.series]))
    rows = [
        Row(
            point.row,
            {**workloads[point.series].values, "period": labels[point.when], "requests_per_s": point.rate},
            True,
        )
        for point in ordered
    ]
    return build_frame(rows, hours)
