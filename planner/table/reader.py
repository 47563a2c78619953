"""Read a table file (CSV) into typed rows, driven by a :class:`~planner.table.spec.TableSpec`.

The file is decoded here (UTF-8, with or without a BOM) and split with :mod:`csv` in strict mode,
so every malformed file becomes an :class:`~planner.errors.InputError`. Header names are trimmed
and case-insensitive (``Requests_Per_S`` is ``requests_per_s``). Row numbers count records the way
a spreadsheet shows them: the first record is row 1, blank lines count, and a quoted cell spanning
several lines is one row. Blank data rows are skipped; a blank cell takes its column's default.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass
from typing import Any

from planner.errors import InputError, Location
from planner.ids import unknown_id_hint
from planner.table.cells import CellError
from planner.table.log import ErrorLog
from planner.table.spec import REQUIRED, Column, TableSpec

_UTF8_HINT = "save the file as 'CSV UTF-8 (comma-delimited)'"
_OTHER_SEPARATORS = (";", "\t", "|")
Record = tuple[int, list[str]]


@dataclass(frozen=True)
class Table:
    """A file's header (known names, lower case) and data rows, one cell per header column."""

    header: tuple[str, ...]
    rows: list[Record]


@dataclass(frozen=True)
class Row:
    """One data row: its spreadsheet number and the cells that parsed, by column."""

    number: int
    values: dict[str, Any]
    ok: bool


def read_bytes(file: str, what: str = "file") -> bytes:
    """The bytes of ``file``.

    Raises:
        InputError: the file is missing or cannot be read.
    """
    try:
        with open(file, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        reason = "file not found"
    except IsADirectoryError:
        reason = f"is a directory, not a {what}"
    except OSError as exc:
        reason = f"cannot be read: {exc.strerror or exc}"
    except ValueError as exc:  # a path with a NUL character
        reason = f"cannot be opened: {exc}"
    raise InputError(reason, Location(file=file))


def decode(data: bytes, log: ErrorLog) -> str:
    """The text of a UTF-8 file, without its BOM.

    Raises:
        InputError: the bytes are not UTF-8.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise log.fail("the file is UTF-16 text, not UTF-8", hint=_UTF8_HINT)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        bad = data[exc.start]
        message = f"not UTF-8 text: byte 0x{bad:02x} on line {line} cannot be decoded"
        raise log.fail(message, hint=_UTF8_HINT) from None


def split_records(text: str, spec: TableSpec, log: ErrorLog) -> list[Record]:
    """The non-blank records of CSV ``text``, each with its row number and trimmed cells.

    Raises:
        InputError: the text is not valid CSV (an unclosed quote, text after a closing quote).
    """
    reader = csv.reader(io.StringIO(text, newline=""), strict=True, skipinitialspace=True)
    records: list[Record] = []
    row = 0
    try:
        for row, cells in enumerate(reader, start=1):
            trimmed = [cell.strip() for cell in cells]
            if any(trimmed):
                records.append((row, trimmed))
    except csv.Error as exc:
        first_line = text.lstrip().split("\n", 1)[0]
        if not records and first_line.startswith(("{", "[")):
            raise _not_a_header([first_line], row + 1, spec, log) from None
        message = f"not valid CSV from row {row + 1}: {exc}"
        raise log.fail(message, row=row + 1, hint="check the quotes: a quoted cell ends with '\"'") from None
    return records


def read_table(data: bytes, spec: TableSpec, log: ErrorLog) -> Table:
    """Decode and split ``data``, check its header, and line its rows up with the header.

    Rows that cannot be lined up (a value under no column) are logged and left out; so are the
    cells of unknown columns (the header error is logged).

    Raises:
        InputError: the file is empty, not CSV, has a bad header or no data rows.
    """
    records = split_records(decode(data, log), spec, log)
    if not records:
        raise log.fail("the file is empty: expected a header row naming the columns " + _known(spec))
    (header_row, raw_header), body = records[0], records[1:]
    header = [name.lower() for name in raw_header]
    _check_header(raw_header, header, header_row, spec, log)
    log.raise_if_any()
    if not body:
        raise log.fail("the file has a header but no data rows")
    named = [i for i, name in enumerate(header) if name]
    rows = [(row, [cells[i] for i in named]) for row, cells in _aligned(header, body, log)]
    return Table(tuple(header[i] for i in named), rows)


def parse_rows(table: Table, spec: TableSpec, log: ErrorLog) -> list[Row]:
    """Parse every cell of every row by its column (blank or absent cells take their default).

    A row is ``ok`` when all its cells parsed; every bad cell is logged.
    """
    return [
        _parse_row(number, dict(zip(table.header, cells, strict=True)), spec, log)
        for number, cells in table.rows
    ]


def _parse_row(number: int, cells: dict[str, str], spec: TableSpec, log: ErrorLog) -> Row:
    values: dict[str, Any] = {}
    for name, column in spec.columns.items():
        try:
            values[name] = _parse_cell(cells.get(name, ""), column)
        except CellError as exc:
            log.add(str(exc), number, name)
    return Row(number, values, len(values) == len(spec.columns))


def _parse_cell(text: str, column: Column) -> Any:
    """The value of one cell, or its column's default when blank."""
    if text:
        return column.parse(text)
    if column.default is REQUIRED:
        raise CellError("missing value: this column is required")
    return column.default


def _known(spec: TableSpec) -> str:
    """The known columns, comma-separated."""
    return ", ".join(spec.names)


def _aligned(header: list[str], body: list[Record], log: ErrorLog) -> list[Record]:
    """Rows padded with blanks to the header's width; rows with values under no name are logged."""
    width = len(header)
    unnamed = [i for i, name in enumerate(header) if not name]
    kept: list[Record] = []
    for row, cells in body:
        padded = cells + [""] * (width - len(cells))
        if any(padded[width:]):
            message = f"this row has {len(cells)} cells but the header names {width} columns"
            log.add(message, row, hint="quote values that contain commas")
        elif any(padded[i] for i in unnamed):
            message = f"a value in column {unnamed[0] + 1}, which has no name in the header"
            log.add(message, row, hint="quote values that contain commas")
        else:
            kept.append((row, padded[:width]))
    return kept


def _check_header(raw: list[str], header: list[str], row: int, spec: TableSpec, log: ErrorLog) -> None:
    """Log unknown, repeated and missing columns.

    Raises:
        InputError: the first row is one cell (or uses another separator, or is JSON) naming no
            known column, so it is not a header of comma-separated columns at all.
    """
    names = [name for name in header if name]
    if not set(names) & set(spec.names) and (len(names) <= 1 or _separators(raw) or _json(raw)):
        raise _not_a_header(raw, row, spec, log)
    _check_names(raw, header, row, spec, log)
    for name in spec.required:
        if name not in header:
            log.add(f"missing required column '{name}'", row, name)
    if spec.one_of and not set(spec.one_of) & set(header):
        either = " or ".join(repr(name) for name in spec.one_of)
        log.add(f"missing column {either}: each row needs one of them", row, spec.one_of[0])


def _check_names(raw: list[str], header: list[str], row: int, spec: TableSpec, log: ErrorLog) -> None:
    """Log unknown and repeated column names (the unknown ones as the file spells them)."""
    firsts: dict[str, int] = {}
    for position, (spelled, name) in enumerate(zip(raw, header, strict=True), start=1):
        if not name:
            continue
        if name not in spec.columns:
            hint = unknown_id_hint(name, spec.names, "columns")
            log.add(f"unknown column '{spelled}'", row, spelled, hint=hint)
        first = firsts.setdefault(name, position)
        if first != position:
            message = f"column '{name}' appears twice in the header (columns {first} and {position})"
            log.add(message, row, name)


def _separators(header: list[str]) -> list[str]:
    return [sep for sep in _OTHER_SEPARATORS if any(sep in name for name in header)]


def _json(header: list[str]) -> bool:
    return bool(header) and header[0].startswith(("{", "["))


def _not_a_header(header: list[str], row: int, spec: TableSpec, log: ErrorLog) -> InputError:
    """The error for a first row naming no known column; it guesses the separator when not a comma."""
    found = ", ".join(repr(name[:40]) for name in header[:6]) + (", ..." if len(header) > 6 else "")
    separators = _separators(header)
    hint = f"the columns seem separated by {separators[0]!r}; " if separators else ""
    if _json(header):
        hint = "the file looks like JSON; "
    return log.fail(
        f"expected comma-separated columns with a header row naming {_known(spec)}; found columns {found}",
        row,
        hint=hint + "save the file as CSV with ',' between columns",
    )
