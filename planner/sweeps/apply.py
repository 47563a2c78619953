"""A point's changes applied to the base problem, through the what-if vocabulary (planner.whatif)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from planner.errors import Location
from planner.pipeline import Problem
from planner.sweeps.scenarios import Point
from planner.whatif.changes import apply_changes, changes_from_mapping


def apply_point(base: Problem, point: Point, scenario_file: Path) -> tuple[Problem, dict[str, Any]]:
    """The base problem with the point's changes, and the changes' summary columns.

    The columns are ``ChangeSet.columns()`` (``set.PATH``, ``scale-demand``, ``price-trend.apis``).
    Relative paths in changes (``demand: OTHER.csv``) are relative to the scenario file's folder.

    Raises:
        InputError: a bad change, naming the scenario file and the scenario's key.
    """
    if not point.changes:
        return base, {}

    def where(key: str) -> Location:
        return Location(
            file=str(scenario_file), key=".".join(k for k in ("scenarios", point.scenario, key) if k)
        )

    changes = changes_from_mapping(point.changes, where)
    return apply_changes(base, changes, scenario_file.parent, where), dict(changes.columns())
