"""CBC through PuLP: the fallback solver and a cross-check on small models.

The model comes as arrays and goes to CBC through the one PuLP writer (:mod:`solvers.pulp_writer`).
On PuLP 3.x this is the bundled ``PULP_CBC_CMD`` (its deprecation warning is filtered here and
nowhere else); on PuLP 4.x it is ``COIN_CMD`` with a ``cbc`` binary on PATH.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Sequence

import numpy as np
import pulp

from solvers.arrays import ArrayModel, ArraySolution
from solvers.base import SolveResult, map_status
from solvers.pulp_writer import to_pulp

_INTEGRALITY_TOL = 1e-6


def _cbc(**kwargs: object) -> pulp.LpSolver:
    if hasattr(pulp, "PULP_CBC_CMD"):
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*PULP_CBC_CMD.*")
            return pulp.PULP_CBC_CMD(**kwargs)
    return pulp.COIN_CMD(**kwargs)


def cbc_available() -> bool:
    """True when a CBC binary can be run."""
    try:
        return bool(_cbc(msg=False).available())
    except pulp.PulpSolverError:
        return False


def _values(columns: list[pulp.LpVariable]) -> np.ndarray:
    return np.array([np.nan if v.varValue is None else v.varValue for v in columns], dtype=float)


def solve_cbc(
    model: ArrayModel,
    col_names: Sequence[str],
    row_names: Sequence[str],
    *,
    mip: bool,
    time_limit_s: float | None = None,
    mip_gap: float = 1e-3,
    threads: int | None = None,
    msg: bool = False,
) -> ArraySolution:
    """Solve with CBC and map its status (CBC reports no MILP bound through PuLP)."""
    began = time.monotonic()
    is_mip = mip and bool(model.integer.any())
    written = to_pulp(model, col_names, row_names, mip=is_mip)
    solver = _cbc(
        mip=is_mip,
        msg=msg,
        timeLimit=None if time_limit_s is None else max(1, math.ceil(time_limit_s)),
        gapRel=mip_gap,
        threads=threads,
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*PULP_CBC_CMD.*")
        written.problem.solve(solver)
    lp = written.problem
    detail = pulp.LpStatus.get(lp.status, "Undefined")
    has_primal = lp.sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible)
    text = {"Optimal": "optimal", "Infeasible": "infeasible", "Unbounded": "unbounded"}.get(detail, detail)
    if lp.sol_status == pulp.LpSolutionIntegerFeasible:
        text = "feasible"
    x = _values(written.columns)
    integral = not np.any(
        model.integer & (np.abs(np.nan_to_num(x) - np.round(np.nan_to_num(x))) > _INTEGRALITY_TOL)
    )
    status = map_status(text, has_primal, integral or not is_mip, is_mip)
    solved = status in ("optimal", "feasible")
    objective = float(np.dot(model.cost, np.nan_to_num(x))) if solved else None
    bound = objective if (not is_mip and objective is not None) else None
    stopped = "time_limit" if is_mip and status in ("feasible", "no_solution") else None
    result = SolveResult(status, objective, bound, time.monotonic() - began, "cbc", detail, stopped)
    duals = None
    if solved and not is_mip:
        duals = np.array([np.nan if r.pi is None else r.pi for r in written.rows], dtype=float)
    return ArraySolution(result, np.nan_to_num(x) if solved else None, duals)
