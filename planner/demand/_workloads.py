"""``workloads.csv``: the static attributes of each series of a forecast (demand.csv's other columns)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from planner.catalog.schema import Catalog
from planner.demand._check import check_rows
from planner.demand._rows import check_row
from planner.demand._spec import COLUMNS, FRAME_DTYPES, TARGET_COLUMNS
from planner.errors import InputError
from planner.table import ErrorLog, TableSpec, parse_rows, read_table

#: The columns of ``workloads.csv``: the demand columns other than the period and the rate.
WORKLOAD_COLUMNS: tuple[str, ...] = tuple(
    name for name in COLUMNS if name not in ("period", "requests_per_s")
)
WORKLOADS_SPEC = TableSpec(
    "workloads file",
    {name: COLUMNS[name] for name in WORKLOAD_COLUMNS},
    ("workload", "input_tokens", "output_tokens"),
    TARGET_COLUMNS,
)


@dataclass(frozen=True)
class Workload:
    """One workloads.csv row: its number and the demand cells it gives."""

    row: int
    values: dict[str, Any]


def read_workloads(data: bytes, catalog: Catalog, log: ErrorLog) -> dict[str, Workload]:
    """The rows of workloads.csv by workload id; errors are logged (file errors raised)."""
    try:
        table = read_table(data, WORKLOADS_SPEC, log)
    except InputError as exc:
        log.errors.append(exc)
        return {}
    found: dict[str, Workload] = {}
    for row in parse_rows(table, WORKLOADS_SPEC, log):
        ok = check_row(row.values, row.number, log) and row.ok
        workload = row.values.get("workload")
        if workload is None:
            continue
        if workload in found:
            message = f"workload '{workload}' appears twice: rows {found[workload].row} and {row.number}"
            log.add(message, row.number, "workload")
        elif ok:
            found[workload] = Workload(row.number, row.values)
    references = pd.DataFrame(
        {
            "source_row": pd.Series([w.row for w in found.values()], dtype="int64"),
            **{
                name: pd.Series([w.values[name] for w in found.values()], dtype=FRAME_DTYPES[name])
                for name in ("model", "min_quality", "input_tokens", "output_tokens")
            },
        }
    )
    check_rows(references, catalog, log)
    return found
