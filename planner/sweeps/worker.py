"""What runs in a sweep's worker: one loaded problem in, one plan (JSON-able) out.

Workers get the problem with its changes applied and its budget in seconds
(``settings.time_limit_s``, counted from when the worker starts it, never an absolute deadline)
and return the plan as plain data, never solver objects, so that local processes and Ray nodes
are interchangeable. Each worker process keeps one :class:`~planner.sweeps.cache.OptionsCache`,
so the performance model runs once per distinct input across the scenarios it solves.
"""

from __future__ import annotations

import signal
import time
from typing import Any

from planner.errors import PlannerError
from planner.pipeline import BASE_START, Bracket, Problem, Start, solve_problem
from planner.plan import Plan
from planner.sweeps.cache import OptionsCache

#: One cache per process: the scenarios a worker solves share their performance-model results.
CACHE = OptionsCache()


def solve_point(
    problem: Problem,
    start: dict[str, Any] | None = None,
    bracket: Bracket | None = None,
    start_source: str = BASE_START,
) -> tuple[dict[str, Any] | None, str | None, float]:
    """Solve one scenario point: (the plan as JSON data, or None; the error, or None; seconds).

    ``start``: the plan (JSON data) the point's search starts from (the base row's, or a
    neighbour's on a price axis: ``start_source`` says which); ``bracket``: the bound its
    neighbours prove (``planner.sweeps.bracket``).
    """
    started = time.monotonic()
    try:
        begin = Start(Plan.model_validate(start), start_source) if start is not None else None
        solved = solve_problem(
            problem, started=started, options_builder=CACHE.build_options, start=begin, bracket=bracket
        )
    except PlannerError as exc:
        return None, str(exc), time.monotonic() - started
    except Exception as exc:  # a failing scenario is reported in its row; the others go on
        return None, f"internal error: {type(exc).__name__}: {exc}", time.monotonic() - started
    return solved.plan.model_dump(mode="json"), None, time.monotonic() - started


def quiet_worker() -> None:
    """A local worker process leaves Ctrl-C to the sweep, which stops it (no traceback per worker)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
