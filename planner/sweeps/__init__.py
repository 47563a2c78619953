"""Scenario sweeps: many what-if cases over one base, solved in parallel, summarised and charted.

``planner.sweep(scenario_file, out_dir, ...)`` (:func:`planner.sweeps.run.sweep`) is ``plan sweep``
as a function. The package is ``planner.sweeps`` so that ``planner.sweep`` stays that function (a
subpackage of the same name would replace it once imported).
"""

from __future__ import annotations

from planner.sweeps.run import SweepInterrupted, SweepResult, sweep
from planner.sweeps.scenarios import Point, ScenarioFile, read_scenarios

__all__ = ["Point", "ScenarioFile", "SweepInterrupted", "SweepResult", "read_scenarios", "sweep"]
