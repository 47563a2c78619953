"""The columns of a measured-profiles file and of its normalised frame (shared by reader and lookup)."""

from __future__ import annotations

from planner.table import MAX_REPORTED_ERRORS, cells

REQUIRED_COLUMNS = ("model", "accelerator", "input_tokens", "output_tokens", "requests_per_s")
OPTIONAL_COLUMNS = ("tensor_parallel", "pipeline_parallel", "precision", "ttft_ms", "tpot_ms", "source")
CONFIG_COLUMNS = ("model", "accelerator", "tensor_parallel", "pipeline_parallel", "precision")
NUMERIC_COLUMNS = ("input_tokens", "output_tokens", "requests_per_s", "ttft_ms", "tpot_ms")
FRAME_COLUMNS = (*CONFIG_COLUMNS, *NUMERIC_COLUMNS, "source")
#: Columns that identify a measurement: two rows equal on all of them are duplicates.
KEY_COLUMNS = tuple(c for c in FRAME_COLUMNS if c not in ("requests_per_s", "source"))
MAX_PARALLEL = cells.MAX_PARALLEL
MAX_ERRORS = MAX_REPORTED_ERRORS
