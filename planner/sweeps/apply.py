"""A point's changes applied to the base problem, through the what-if vocabulary (planner.whatif)."""

from __future__ import annotations

from pathlib import Path

from planner.errors import Location
from planner.pipeline import Problem
from planner.sweeps.scenarios import Point


def apply_point(base: Problem, point: Point, scenario_file: Path) -> Problem:
    """The base problem with the point's changes (the base itself for the ``base`` row).

    Relative paths in changes (``demand: OTHER.csv``) are relative to the scenario file's folder.

    Raises:
        InputError: a bad change, naming the scenario file and the scenario's key.
    """
    if not point.changes:
        return base
    from planner.whatif.changes import apply_changes, changes_from_mapping

    where = Location(file=str(scenario_file), key=f"scenarios.{point.scenario}")
    changes = changes_from_mapping(point.changes, where)
    return apply_changes(base, changes, base_dir=scenario_file.parent)
