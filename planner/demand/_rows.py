"""Turn the text rows of a demand file into the typed frame, checking each row and across rows."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from planner.demand._spec import COLUMNS, DEFAULT_HOURS, DEMAND_SPEC, FRAME_DTYPES
from planner.table import ErrorLog, Row, Table
from planner.table import parse_rows as parse_cells

#: The frame columns the catalog check reads.
REFERENCE_COLUMNS: tuple[str, ...] = ("source_row", "model", "min_quality", "input_tokens", "output_tokens")


@dataclass(frozen=True)
class Parsed:
    """The rows of a demand file, typed.

    Attributes:
        frame: one row per valid file row, with the columns of ``FRAME_DTYPES``.
        references: the catalog references of every row whose ``model`` and ``min_quality``
            cells parsed, valid or not (token counts NaN where they did not parse), so that the
            catalog check reports its errors together with the row errors.
        warnings: what the file leaves to a rule the user may not expect (a workload with no row
            in some period is planned as 0 requests/s there).
    """

    frame: pd.DataFrame
    references: pd.DataFrame
    warnings: tuple[str, ...] = ()


def parse_rows(table: Table, log: ErrorLog) -> Parsed:
    """Type and check the rows of a file; every error is logged.

    Args:
        table: the header and text rows of the file.
        log: where errors go.

    Returns:
        The typed rows.
    """
    rows = [
        Row(row.number, row.values, check_row(row.values, row.number, log) and row.ok)
        for row in parse_cells(table, DEMAND_SPEC, log)
    ]
    _check_duplicates(rows, log)
    hours = _period_hours(rows, log)
    frame = build_frame([row for row in rows if row.ok], hours)
    return Parsed(frame, _references(rows), missing_rows(frame))


def missing_rows(frame: pd.DataFrame) -> tuple[str, ...]:
    """One warning per workload that has no row in some period: it is planned as 0 there."""
    periods = list(dict.fromkeys(frame["period"].tolist()))
    given: dict[str, set[str]] = {}
    for period, workload in zip(frame["period"].tolist(), frame["workload"].tolist(), strict=True):
        given.setdefault(workload, set()).add(period)
    warnings = []
    for workload, seen in given.items():
        absent = [period for period in periods if period not in seen]
        if absent:
            shown = ", ".join(repr(p) for p in absent[:5]) + (", ..." if len(absent) > 5 else "")
            warnings.append(
                f"workload '{workload}' has no row in period{'s' if len(absent) > 1 else ''} {shown}: "
                "planned as 0 requests/s there (add a row with requests_per_s 0 to say so)"
            )
    return tuple(warnings)


def check_row(values: dict[str, Any], number: int, log: ErrorLog) -> bool:
    """Check the cells of one row against each other; True when they agree."""
    before = len(log.errors)
    if "model" in values and "min_quality" in values:
        _check_target(values["model"], values["min_quality"], number, log)
    if values.get("self_host_only") and values.get("api_only"):
        log.add("'self_host_only' and 'api_only' are both true: at most one may be", number, "api_only")
    if values.get("api_only") and values.get("max_api_share", 1.0) < 1:
        message = "'api_only' is true, so 'max_api_share' must be 1 or blank"
        log.add(f"{message}, got {values['max_api_share']:g}", number, "max_api_share")
    if values.get("api_only") and values.get("min_replicas", 0) > 0:
        message = "'api_only' is true, so no replica is ever deployed: 'min_replicas' must be 0 or blank"
        log.add(f"{message}, got {values['min_replicas']}", number, "min_replicas")
    return len(log.errors) == before


def _check_target(model: str | None, min_quality: float, number: int, log: ErrorLog) -> None:
    """Log a row that gives neither or both of ``model`` and ``min_quality``."""
    if model is None and math.isnan(min_quality):
        log.add("needs a 'model' or a 'min_quality' (one of the two)", number, "model")
    elif model is not None and not math.isnan(min_quality):
        log.add("gives both 'model' and 'min_quality': give one of the two", number, "min_quality")


def _check_duplicates(rows: list[Row], log: ErrorLog) -> None:
    """Log every (period, workload) pair that appears on more than one row."""
    seen: dict[tuple[str, str], int] = {}
    for row in rows:
        if "period" not in row.values or "workload" not in row.values:
            continue
        key = (row.values["period"], row.values["workload"])
        first = seen.setdefault(key, row.number)
        if first != row.number:
            message = f"workload '{key[1]}' appears twice in period '{key[0]}': rows {first} and {row.number}"
            log.add(message, row.number, "workload")


def _period_hours(rows: list[Row], log: ErrorLog) -> dict[str, float]:
    """Each period's length: the ``hours`` its rows give (they must agree), else the default."""
    given: dict[str, tuple[float, int]] = {}
    for row in rows:
        period, hours = row.values.get("period"), row.values.get("hours")
        if period is None or hours is None:
            continue
        first, first_row = given.setdefault(period, (hours, row.number))
        if hours != first:
            message = f"period '{period}' is {hours:g} hours here but {first:g} in row {first_row}"
            log.add(message + ": a period has one length", row.number, "hours")
    return {period: hours for period, (hours, _) in given.items()}


def build_frame(rows: list[Row], hours: dict[str, float]) -> pd.DataFrame:
    """Build the typed frame from parsed rows, with period positions, lengths and row numbers."""
    data: dict[str, list[Any]] = {name: [row.values[name] for row in rows] for name in COLUMNS}
    periods = list(dict.fromkeys(data["period"]))
    positions = {period: index for index, period in enumerate(periods)}
    data["period_index"] = [positions[period] for period in data["period"]]
    data["hours"] = [hours.get(period, DEFAULT_HOURS) for period in data["period"]]
    data["source_row"] = [row.number for row in rows]
    return pd.DataFrame({name: pd.Series(data[name], dtype=dtype) for name, dtype in FRAME_DTYPES.items()})


def _references(rows: list[Row]) -> pd.DataFrame:
    """The columns the catalog check reads, for every row whose model and quality floor parsed."""
    usable = [row for row in rows if "model" in row.values and "min_quality" in row.values]
    columns = {name: [row.values.get(name, math.nan) for row in usable] for name in REFERENCE_COLUMNS}
    columns["source_row"] = [row.number for row in usable]
    return pd.DataFrame(
        {name: pd.Series(columns[name], dtype=FRAME_DTYPES[name]) for name in REFERENCE_COLUMNS}
    )
