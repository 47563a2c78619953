"""CBC through PuLP: the fallback solver and a cross-check on small models.

On PuLP 3.x this is the bundled ``PULP_CBC_CMD`` (its deprecation warning is filtered here and
nowhere else); on PuLP 4.x it is ``COIN_CMD`` with a ``cbc`` binary on PATH.
"""

from __future__ import annotations

import math
import time
import warnings

import pulp

from solvers.base import SolveResult, map_status

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


def _integral(lp: pulp.LpProblem) -> bool:
    return not any(
        v.cat == pulp.LpInteger
        and v.varValue is not None
        and abs(v.varValue - round(v.varValue)) > _INTEGRALITY_TOL
        for v in lp.variables()
    )


def solve_cbc(
    lp: pulp.LpProblem,
    *,
    mip: bool,
    time_limit_s: float | None = None,
    mip_gap: float = 1e-3,
    threads: int | None = None,
    start: dict[str, float] | None = None,
    msg: bool = False,
) -> SolveResult:
    """Solve with CBC and map its status (CBC reports no bound through PuLP)."""
    began = time.monotonic()
    if start:
        for v in lp.variables():
            v.setInitialValue(start.get(v.name, 0.0))
    solver = _cbc(
        mip=mip,
        msg=msg,
        timeLimit=None if time_limit_s is None else max(1, math.ceil(time_limit_s)),
        gapRel=mip_gap,
        threads=threads,
        warmStart=bool(start),
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*PULP_CBC_CMD.*")
        lp.solve(solver)
    detail = pulp.LpStatus.get(lp.status, "Undefined")
    has_primal = lp.sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible)
    text = {"Optimal": "optimal", "Infeasible": "infeasible", "Unbounded": "unbounded"}.get(detail, detail)
    if lp.sol_status == pulp.LpSolutionIntegerFeasible:
        text = "feasible"
    status = map_status(text, has_primal, _integral(lp), mip)
    objective = pulp.value(lp.objective) if status in ("optimal", "feasible") else None
    bound = objective if (not mip and objective is not None) else None
    return SolveResult(status, objective, bound, time.monotonic() - began, "cbc", detail)
