"""What-if runs: one vocabulary of changes (:mod:`planner.whatif.changes`), applied to a problem.

``plan whatif`` solves a base and a changed case and compares them (:mod:`planner.whatif.compare`);
``plan diff`` compares two written plans; sensitivity ranges come from :mod:`planner.whatif.sensitivity`.
"""

from planner.whatif.changes import (
    ALL,
    ChangeSet,
    apply_changes,
    changes_from_flags,
    changes_from_mapping,
    flag_where,
)

__all__ = ["ALL", "ChangeSet", "apply_changes", "changes_from_flags", "changes_from_mapping", "flag_where"]
