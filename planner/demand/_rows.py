"""Turn the text rows of a demand file into the typed frame, checking each row and across rows."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from planner.demand._cells import CellError
from planner.demand._csv import Table
from planner.demand._log import ErrorLog
from planner.demand._spec import COLUMNS, DEFAULT_HOURS, FRAME_DTYPES, REQUIRED, Column

#: The frame columns the catalog check reads.
REFERENCE_COLUMNS: tuple[str, ...] = ("source_row", "model", "min_quality", "input_tokens", "output_tokens")


@dataclass(frozen=True)
class Row:
    """One data row: its spreadsheet number and the cells that parsed, by column."""

    number: int
    values: dict[str, Any]
    ok: bool


@dataclass(frozen=True)
class Parsed:
    """The rows of a demand file, typed.

    Attributes:
        frame: one row per valid file row, with the columns of ``FRAME_DTYPES``.
        references: the catalog references of every row whose ``model`` and ``min_quality``
            cells parsed, valid or not (token counts NaN where they did not parse), so that the
            catalog check reports its errors together with the row errors.
    """

    frame: pd.DataFrame
    references: pd.DataFrame


def parse_rows(table: Table, log: ErrorLog) -> Parsed:
    """Type and check the rows of a file; every error is logged.

    Args:
        table: the header and text rows of the file.
        log: where errors go.

    Returns:
        The typed rows.
    """
    rows = [
        _parse_row(number, dict(zip(table.header, cells, strict=True)), log) for number, cells in table.rows
    ]
    _check_duplicates(rows, log)
    hours = _period_hours(rows, log)
    return Parsed(_frame([row for row in rows if row.ok], hours), _references(rows))


def _parse_row(number: int, cells: dict[str, str], log: ErrorLog) -> Row:
    """Parse every cell of one row (blank or absent cells take their default) and check the row."""
    values: dict[str, Any] = {}
    for name, column in COLUMNS.items():
        try:
            values[name] = _parse_cell(cells.get(name, ""), column)
        except CellError as exc:
            log.add(str(exc), number, name)
    ok = len(values) == len(COLUMNS)
    return Row(number, values, _check_row(values, number, log) and ok)


def _parse_cell(text: str, column: Column) -> Any:
    """The value of one cell, or its column's default when blank."""
    if text:
        return column.parse(text)
    if column.default is REQUIRED:
        raise CellError("missing value: this column is required")
    return column.default


def _check_row(values: dict[str, Any], number: int, log: ErrorLog) -> bool:
    """Check the cells of one row against each other; True when they agree."""
    before = len(log.errors)
    if "model" in values and "min_quality" in values:
        _check_target(values["model"], values["min_quality"], number, log)
    if values.get("self_host_only") and values.get("api_only"):
        log.add("'self_host_only' and 'api_only' are both true: at most one may be", number, "api_only")
    if values.get("api_only") and values.get("max_api_share", 1.0) < 1:
        message = "'api_only' is true, so 'max_api_share' must be 1 or blank"
        log.add(f"{message}, got {values['max_api_share']:g}", number, "max_api_share")
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


def _frame(rows: list[Row], hours: dict[str, float]) -> pd.DataFrame:
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
