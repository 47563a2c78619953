"""One definition of ``plan solve``'s options, for the command line, ``options.yaml`` and the API.

This module gathers the three parts, each in its own module:

* :mod:`planner.option_table`: every option as one :class:`OptionSpec` in :data:`SOLVE_OPTIONS`
  (its long name, kind, help and the SolveSettings field it sets), by name in :data:`BY_KEY` and by
  setting in :data:`BY_SETTING`; from it come the click flags of ``plan solve``
  (``planner.cli_common.click_option``);
* :mod:`planner.option_values`: :func:`coerce`, one value of one option, strict (a number is a
  number, never ``true``; NaN and infinity are refused), raising :class:`OptionError`;
* :mod:`planner.option_checks`: :func:`validate_options` (``options.yaml`` and
  ``planner.solve(**options)``, one message per mistake, close matches for unknown names) and
  :func:`settings_from`, the SolveSettings of validated values.
"""

from __future__ import annotations

from planner.option_checks import Where, api_where, settings_from, unknown_option, validate_options
from planner.option_table import BY_KEY, BY_SETTING, NOT_OPTIONS, SOLVE_OPTIONS, Bounds, Kind, OptionSpec
from planner.option_values import OptionError, coerce

__all__ = [
    "BY_KEY",
    "BY_SETTING",
    "NOT_OPTIONS",
    "SOLVE_OPTIONS",
    "Bounds",
    "Kind",
    "OptionError",
    "OptionSpec",
    "Where",
    "api_where",
    "coerce",
    "settings_from",
    "unknown_option",
    "validate_options",
]
