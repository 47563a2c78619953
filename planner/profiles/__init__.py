"""Measured profiles: read, look up, import from benchmark tools, check against the model.

Modules: :mod:`.reader` (the CSV format), :mod:`.lookup` (matching a workload shape),
:mod:`.importers` (benchmark result files) and :mod:`.check` (comparison with the estimates).

The public names of the former ``planner/profiles.py`` stay importable from here.
"""

from __future__ import annotations

from planner.profiles.columns import (
    CONFIG_COLUMNS,
    FRAME_COLUMNS,
    KEY_COLUMNS,
    MAX_ERRORS,
    MAX_PARALLEL,
    NUMERIC_COLUMNS,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
)
from planner.profiles.lookup import (
    EXACT,
    IDW_NEIGHBOURS,
    INTERPOLATED,
    METHODS,
    NEAREST_SMALLER,
    NONE,
    SCALED,
    ConfigKey,
    ManyEstimate,
    Method,
    ProfileHit,
    ProfileTable,
)
from planner.profiles.reader import PROFILE_SPEC, empty_profiles, load_profiles, parse_profiles

__all__ = [
    "CONFIG_COLUMNS",
    "EXACT",
    "FRAME_COLUMNS",
    "IDW_NEIGHBOURS",
    "INTERPOLATED",
    "KEY_COLUMNS",
    "MAX_ERRORS",
    "MAX_PARALLEL",
    "METHODS",
    "NEAREST_SMALLER",
    "NONE",
    "NUMERIC_COLUMNS",
    "OPTIONAL_COLUMNS",
    "PROFILE_SPEC",
    "REQUIRED_COLUMNS",
    "SCALED",
    "ConfigKey",
    "ManyEstimate",
    "Method",
    "ProfileHit",
    "ProfileTable",
    "empty_profiles",
    "load_profiles",
    "parse_profiles",
]
