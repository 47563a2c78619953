"""The demand columns: names, order, parsers, defaults and the dtypes of the loaded frame."""

from __future__ import annotations

import math

from planner.table import REQUIRED, Column, TableSpec, cells

#: Time-to-first-token target when a row leaves ``ttft_ms`` blank, milliseconds.
DEFAULT_TTFT_MS: float = 2000.0
#: Time-per-output-token target when a row leaves ``tpot_ms`` blank, milliseconds.
DEFAULT_TPOT_MS: float = 100.0
#: Length of a period when none of its rows gives ``hours``.
DEFAULT_HOURS: float = 1.0

REQUIRED_COLUMNS: tuple[str, ...] = ("period", "workload", "requests_per_s", "input_tokens", "output_tokens")
#: Each row gives exactly one of these two; the header needs at least one of them.
TARGET_COLUMNS: tuple[str, ...] = ("model", "min_quality")
OPTIONAL_COLUMNS: tuple[str, ...] = (
    "hours",
    "ttft_ms",
    "tpot_ms",
    "self_host_only",
    "api_only",
    "max_api_share",
    "target_utilization",
    "min_replicas",
)
#: Every column a demand file may have, required first.
DEMAND_COLUMNS: tuple[str, ...] = REQUIRED_COLUMNS + TARGET_COLUMNS + OPTIONAL_COLUMNS


#: Parsers and blank-cell values, in :data:`DEMAND_COLUMNS` order. A blank ``hours`` is ``None``:
#: the row takes its period's length from the other rows, else :data:`DEFAULT_HOURS`.
COLUMNS: dict[str, Column] = {
    "period": Column(cells.label, REQUIRED),
    "workload": Column(cells.identifier, REQUIRED),
    "requests_per_s": Column(cells.rate, REQUIRED),
    "input_tokens": Column(cells.tokens, REQUIRED),
    "output_tokens": Column(cells.tokens, REQUIRED),
    "model": Column(cells.identifier, None),
    "min_quality": Column(cells.non_negative, math.nan),
    "hours": Column(cells.hours, None),
    "ttft_ms": Column(cells.latency_ms, DEFAULT_TTFT_MS),
    "tpot_ms": Column(cells.latency_ms, DEFAULT_TPOT_MS),
    "self_host_only": Column(cells.boolean, False),
    "api_only": Column(cells.boolean, False),
    "max_api_share": Column(cells.share, 1.0),
    "target_utilization": Column(cells.utilization, math.nan),
    "min_replicas": Column(cells.whole, 0),
}

#: The demand file's format, for the table reader.
DEMAND_SPEC = TableSpec("demand file", COLUMNS, REQUIRED_COLUMNS, TARGET_COLUMNS)

#: Columns of :attr:`Demand.frame` and their dtypes (``"str"`` is pandas' default string dtype).
FRAME_DTYPES: dict[str, str] = {
    "period": "str",
    "period_index": "int64",
    "workload": "str",
    "requests_per_s": "float64",
    "input_tokens": "float64",
    "output_tokens": "float64",
    "model": "object",
    "min_quality": "float64",
    "ttft_ms": "float64",
    "tpot_ms": "float64",
    "self_host_only": "bool",
    "api_only": "bool",
    "max_api_share": "float64",
    "target_utilization": "float64",
    "min_replicas": "int64",
    "hours": "float64",
    "source_row": "int64",
}
