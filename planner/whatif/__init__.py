"""What-if runs: one vocabulary of changes (:mod:`planner.whatif.changes`), applied to a problem.

``planner.whatif(demand, changes, **options)`` (the package is callable: it is
:func:`planner.api.whatif`) and ``plan whatif`` solve a base and a changed case and compare them
(:mod:`planner.whatif.compare`); ``plan diff`` compares two written plans; price ranges come from
:mod:`planner.whatif.sensitivity`.
"""

import sys
import types
from typing import Any

from planner.whatif.changes import (
    ChangeSet,
    apply_changes,
    changes_from_flags,
    changes_from_mapping,
    flag_where,
)
from planner.whatif.readers import ALL

__all__ = ["ALL", "ChangeSet", "apply_changes", "changes_from_flags", "changes_from_mapping", "flag_where"]


class _CallableModule(types.ModuleType):
    """``planner.whatif(...)`` runs a what-if (:func:`planner.api.whatif`); the package stays importable."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from planner.api import whatif

        return whatif(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
