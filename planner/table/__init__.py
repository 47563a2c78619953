"""One reader for every table file (demand.csv, profiles.csv, and the fleet and forecast files).

A table file is UTF-8 CSV (a BOM, CRLF line ends and quoted cells are fine) with a header row
naming its columns (trimmed, any case) and one record per row. A :class:`TableSpec` says which
columns exist, which are required, how each cell is parsed (:mod:`planner.table.cells`: one number
grammar, documented bounds) and what a blank cell means. Errors name the file, the spreadsheet row
and the column, say what was wrong, and suggest close matches; all errors of a file are reported
together (at most :data:`~planner.table.log.MAX_REPORTED_ERRORS`).
"""

from __future__ import annotations

from planner.table import cells
from planner.table.cells import CellError
from planner.table.log import MAX_REPORTED_ERRORS, ErrorLog
from planner.table.reader import Row, Table, parse_rows, read_bytes, read_table
from planner.table.spec import REQUIRED, Column, TableSpec

__all__ = [
    "MAX_REPORTED_ERRORS",
    "REQUIRED",
    "CellError",
    "Column",
    "ErrorLog",
    "Row",
    "Table",
    "TableSpec",
    "cells",
    "parse_rows",
    "read_bytes",
    "read_table",
]
