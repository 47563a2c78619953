"""``plan whatif``: solve a base case and a changed case, and compare them.

The ``plan solve`` options (flags over the folder's options.yaml) apply to both cases; only the
changes differ (``change`` alters a solve option in the changed case alone). Every change is
checked against the loaded problem before either case is solved, so a bad change costs no solve.
The changed case's search starts from the base's plan (``planner.warmstart``: a candidate beside
its own rounded plan, never a bound); ``--start`` applies to the base.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from planner.errors import InputError, Location
from planner.pipeline import BASE_START, Problem, Solved, Start, solve_problem
from planner.plan import Plan
from planner.whatif.changes import ChangeSet, Where, apply_changes, changes_from_mapping, flag_where
from planner.whatif.compare import Comparison, compare, comparison_json


@dataclass(frozen=True)
class WhatIf:
    """A what-if run: the base and the changed case, solved.

    ``base.plan`` and ``changed.plan`` are plans as ``plan solve`` writes them (with a
    ``sensitivity`` section when it was asked for); ``options`` are the run's ``plan solve`` options
    (flags over the folder's options.yaml).
    """

    changes: ChangeSet
    base: Solved
    changed: Solved
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def comparison(self) -> Comparison:
        """The two plans side by side (changed minus base)."""
        return compare(self.base.plan, self.changed.plan)

    @property
    def unmet(self) -> bool:
        """True when either case leaves demand unmet (``plan whatif`` then exits 1)."""
        return self.base.plan.unmet_requests > 1e-6 or self.changed.plan.unmet_requests > 1e-6

    def to_json(self) -> dict[str, Any]:
        """``{"base": PLAN, "changed": PLAN, "difference": {...}, "changes": {...}}``."""
        return comparison_json(self.base.plan, self.changed.plan, {"changes": self.changes.describe()})


def _checked_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """``plan solve``'s options, minus those a two-case run cannot take."""
    if options.get("save_model"):
        raise InputError(
            "plan whatif builds two models and writes neither", Location(column="--save-model"), "drop it"
        )
    output = options.get("output")
    if output and Path(output).suffix.lower() != ".json":
        raise InputError(
            "plan whatif writes one JSON document (base, changed, difference)",
            Location(column="--output"),
            "give a .json file",
        )
    return dict(options)


def solve_case(
    problem: Problem, *, sensitivity: bool, started: float | None = None, start: Start | None = None
) -> Solved:
    """Solve one case (from ``start``, if given); with ``sensitivity``, the plan carries its price ranges."""
    solved = solve_problem(problem, started=started, start=start)
    if not sensitivity:
        return solved
    from planner.whatif.sensitivity import with_sensitivity

    return with_sensitivity(problem, solved)


def run_whatif(
    demand: str | os.PathLike[str],
    changes: ChangeSet | Mapping[str, Any] | None = None,
    *,
    catalog_dirs: Sequence[str | os.PathLike[str]] = (),
    options: Mapping[str, Any] | None = None,
    base_dir: str | os.PathLike[str] | None = None,
    where: Where = flag_where,
) -> WhatIf:
    """Solve the base and the changed case (see :func:`planner.api.whatif`)."""
    from planner.api import prepare_solve
    from planner.outputs import write_text

    change_set = changes if isinstance(changes, ChangeSet) else changes_from_mapping(changes or {}, where)
    given = _checked_options(options or {})
    sensitivity = bool(given.pop("sensitivity", False))
    run = prepare_solve(demand, catalog_dirs, given)
    sensitivity = sensitivity or bool(run.options.get("sensitivity"))
    problem = run.load_problem()
    changed_problem = apply_changes(problem, change_set, base_dir, where)
    base = solve_case(problem, sensitivity=sensitivity, started=time.monotonic(), start=run.start())
    changed = solve_case(
        changed_problem,
        sensitivity=sensitivity,
        started=time.monotonic(),
        start=Start(base.plan, BASE_START),
    )
    result = WhatIf(change_set, base, changed, run.options)
    if run.options.get("output"):
        import json

        write_text(run.options["output"], json.dumps(result.to_json(), indent=2) + "\n")
    return result


def diff_plans(first: Plan | str | os.PathLike[str], second: Plan | str | os.PathLike[str]) -> Comparison:
    """The comparison of two plans or plan files (``plan diff A B``: B minus A)."""
    from planner.planfile import read_plan

    a = first if isinstance(first, Plan) else read_plan(first)
    b = second if isinstance(second, Plan) else read_plan(second)
    return compare(a, b)
