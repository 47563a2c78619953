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
from planner.lpbasis import LpBasis
from planner.pipeline import BASE_START, Bracket, Problem, Start, solve_problem
from planner.plan import Plan
from planner.sweeps.cache import OptionsCache

#: One cache per process: the scenarios a worker solves share their performance-model results.
CACHE = OptionsCache()


#: What a worker returns: the plan as JSON data (or None), the error (or None), the seconds it
#: took, and the LP relaxation's basis when it was asked to keep it.
PointResult = tuple[dict[str, Any] | None, str | None, float, LpBasis | None]


def solve_point(
    problem: Problem,
    start: dict[str, Any] | None = None,
    bracket: Bracket | None = None,
    start_source: str = BASE_START,
    lp_start: LpBasis | None = None,
    keep_basis: bool = False,
) -> PointResult:
    """Solve one scenario point (see :data:`PointResult`).

    ``start``: the plan (JSON data) the point's search starts from (the base row's, or a
    neighbour's on a price axis: ``start_source`` says which); ``bracket``: the bound its
    neighbours prove (``planner.sweeps.bracket``); ``lp_start``: the basis its LP relaxation
    starts from (the base row's, which the base row's job keeps: ``keep_basis``).
    """
    started = time.monotonic()
    try:
        begin = Start(Plan.model_validate(start), start_source) if start is not None else None
        solved = solve_problem(
            problem,
            started=started,
            options_builder=CACHE.build_options,
            start=begin,
            bracket=bracket,
            lp_start=lp_start,
            keep_basis=keep_basis,
        )
    except PlannerError as exc:
        return None, str(exc), time.monotonic() - started, None
    except Exception as exc:  # a failing scenario is reported in its row; the others go on
        return None, f"internal error: {type(exc).__name__}: {exc}", time.monotonic() - started, None
    return solved.plan.model_dump(mode="json"), None, time.monotonic() - started, solved.result.lp_basis


def quiet_worker() -> None:
    """A local worker process leaves Ctrl-C to the sweep, which stops it (no traceback per worker)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
