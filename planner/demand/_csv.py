"""Read a demand file into a header and rows of trimmed text cells, numbered as in a spreadsheet.

The file is decoded here (UTF-8, with or without a BOM) and split with :mod:`csv` in strict mode,
so every malformed file becomes an :class:`~planner.errors.InputError`. Row numbers count records
the way a spreadsheet shows them: the first record is row 1, blank lines count, and a quoted cell
spanning several lines is one row.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass

from planner.demand._log import ErrorLog
from planner.demand._spec import DEMAND_COLUMNS, REQUIRED_COLUMNS, TARGET_COLUMNS
from planner.errors import InputError, Location
from planner.ids import unknown_id_hint

_UTF8_HINT = "save the file as 'CSV UTF-8 (comma-delimited)'"
_OTHER_SEPARATORS = (";", "\t", "|")
Record = tuple[int, list[str]]


@dataclass(frozen=True)
class Table:
    """A demand file's header and data rows; every row has one cell per header column."""

    header: tuple[str, ...]
    rows: list[Record]


def read_bytes(file: str) -> bytes:
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
        reason = "is a directory, not a demand file"
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


def split_records(text: str, log: ErrorLog) -> list[Record]:
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
            raise _not_a_header([first_line], row + 1, log) from None
        message = f"not valid CSV from row {row + 1}: {exc}"
        raise log.fail(message, row=row + 1, hint="check the quotes: a quoted cell ends with '\"'") from None
    return records


def read_table(data: bytes, log: ErrorLog) -> Table:
    """Decode and split ``data``, check its header, and line its rows up with the header.

    Rows that cannot be lined up (a value under no column) are logged and left out.

    Raises:
        InputError: the file is empty, not CSV, has a bad header or no data rows.
    """
    records = split_records(decode(data, log), log)
    if not records:
        raise log.fail("the file is empty: expected a header row naming the columns " + _known())
    (header_row, header), body = records[0], records[1:]
    _check_header(header, header_row, log)
    log.raise_if_any()
    if not body:
        raise log.fail("the file has a header but no data rows")
    named = [i for i, name in enumerate(header) if name]
    rows = [(row, [cells[i] for i in named]) for row, cells in _aligned(header, body, log)]
    return Table(tuple(header[i] for i in named), rows)


def _known() -> str:
    """The known columns, comma-separated."""
    return ", ".join(DEMAND_COLUMNS)


def _aligned(header: list[str], body: list[Record], log: ErrorLog) -> list[Record]:
    """Rows padded with blanks to the header's width; rows with values under no name are logged."""
    width = len(header)
    unnamed = [i for i, name in enumerate(header) if not name]
    kept: list[Record] = []
    for row, cells in body:
        padded = cells + [""] * (width - len(cells))
        if any(padded[width:]):
            log.add(f"this row has {len(cells)} cells but the header names {width} columns", row)
        elif any(padded[i] for i in unnamed):
            log.add(f"a value in column {unnamed[0] + 1}, which has no name in the header", row)
        else:
            kept.append((row, padded[:width]))
    return kept


def _check_header(header: list[str], row: int, log: ErrorLog) -> None:
    """Log unknown, repeated and missing columns.

    Raises:
        InputError: no known column is in the header, so it is not a demand header at all.
    """
    if not set(header) & set(DEMAND_COLUMNS):
        raise _not_a_header(header, row, log)
    _check_names(header, row, log)
    for name in REQUIRED_COLUMNS:
        if name not in header:
            log.add(f"missing required column '{name}'", row, name)
    if not set(TARGET_COLUMNS) & set(header):
        log.add("missing column 'model' or 'min_quality': each row needs one of them", row, "model")


def _check_names(header: list[str], row: int, log: ErrorLog) -> None:
    """Log unknown and repeated column names."""
    firsts: dict[str, int] = {}
    for position, name in enumerate(header, start=1):
        if not name:
            continue
        if name not in DEMAND_COLUMNS:
            hint = unknown_id_hint(name, DEMAND_COLUMNS, "columns")
            log.add(f"unknown column '{name}'", row, name, hint=hint)
        first = firsts.setdefault(name, position)
        if first != position:
            message = f"column '{name}' appears twice in the header (columns {first} and {position})"
            log.add(message, row, name)


def _not_a_header(header: list[str], row: int, log: ErrorLog) -> InputError:
    """The error for a first row naming no known column; it guesses the separator when not a comma."""
    found = ", ".join(repr(name[:40]) for name in header[:6]) + (", ..." if len(header) > 6 else "")
    separators = [sep for sep in _OTHER_SEPARATORS if any(sep in name for name in header)]
    hint = f"the columns seem separated by {separators[0]!r}; " if separators else ""
    if header[0].startswith(("{", "[")):
        hint = "the file looks like JSON; "
    return log.fail(
        f"expected comma-separated columns with a header row naming {_known()}; found columns {found}",
        row,
        hint=hint + "save the file as CSV with ',' between columns",
    )
