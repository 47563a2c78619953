"""HiGHS helpers shared by every path to highspy: a quiet start, threads, and status mapping.

Models reach HiGHS as arrays (:mod:`solvers.arrays`, :mod:`solvers.live`); no PuLP object is on
that path.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

from solvers.base import SolveResult, map_status

_INTEGRALITY_TOL = 1e-6


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    """Silence file descriptor 1 (HiGHS prints its banner from C++ when its wrapper is made)."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


#: The ``threads`` option HiGHS's process-wide scheduler was last started for (None: not yet).
_SCHEDULER_THREADS: list[int | None] = [None]


def use_threads(highs: Any, threads: int | None) -> None:
    """Set ``threads`` on a HiGHS instance, restarting HiGHS's process-wide scheduler when it changes.

    HiGHS starts one task scheduler per process with the first run's thread count; a later
    instance asking for another count fails its run with no status ("Not Set": a sweep worker at
    1 thread after a solve at the default). Solves in this process run one at a time, so the
    scheduler can be reset between them.
    """
    _scheduler_for(threads)
    if threads is not None:
        highs.setOptionValue("threads", int(threads))


def _scheduler_for(threads: int | None) -> None:
    """Restart HiGHS's scheduler when a solve is about to ask for another thread count."""
    import highspy

    wanted = 0 if threads is None else int(threads)
    if _SCHEDULER_THREADS[0] is not None and _SCHEDULER_THREADS[0] != wanted:
        highspy.Highs.resetGlobalScheduler(True)
    _SCHEDULER_THREADS[0] = wanted


def highs_result(highs: Any, mip: bool, began: float) -> SolveResult:
    """Map a solved ``highspy.Highs`` object's status, objective and bound to a :class:`SolveResult`."""
    info = highs.getInfo()
    detail = highs.modelStatusToString(highs.getModelStatus())
    has_primal = info.primal_solution_status == 2  # kSolutionStatusFeasible
    integral = (not mip) or info.max_integrality_violation <= _INTEGRALITY_TOL
    status = map_status(detail, has_primal, integral, mip)
    objective = info.objective_function_value if status in ("optimal", "feasible") else None
    bound = _bound(info, mip, objective)
    return SolveResult(status, objective, bound, time.monotonic() - began, "highs", detail)


def _bound(info: Any, mip: bool, objective: float | None) -> float | None:
    if not mip:
        return objective
    bound = float(info.mip_dual_bound)
    return bound if np.isfinite(bound) else None
