"""HiGHS through PuLP, with a vectorised hand-off, a start solution and a wall-clock guard.

PuLP's own ``HiGHS`` class adds columns and rows one Python call at a time; this subclass passes
the whole model to highspy as arrays in one call, passes a start solution (``setSolution``) and
stops the MIP from a callback once the wall-clock deadline passes (HiGHS's own time limit
overshoots on some models).
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pulp

from solvers.base import SolveResult, map_status

_INTEGRALITY_TOL = 1e-6


def _row_arrays(lp: pulp.LpProblem, col_of: dict[str, int]) -> tuple[np.ndarray, ...]:
    starts: list[int] = [0]
    index: list[int] = []
    value: list[float] = []
    lower: list[float] = []
    upper: list[float] = []
    inf = float("inf")
    for i, row in enumerate(lp._constraints.values()):
        row.index = i
        items = [(col_of[v.name], c) for v, c in row.items() if c != 0]
        index.extend(k for k, _ in items)
        value.extend(c for _, c in items)
        starts.append(len(index))
        lb, ub = row.getLb(), row.getUb()
        lower.append(-inf if lb is None else lb)
        upper.append(inf if ub is None else ub)
    return (
        np.array(starts, np.int32),
        np.array(index, np.int32),
        np.array(value, float),
        np.array(lower, float),
        np.array(upper, float),
    )


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


class FastHiGHS(pulp.HiGHS):  # type: ignore[misc]
    """PuLP's HiGHS API solver with an array hand-off, warm start and a hard deadline."""

    name = "HiGHS"

    def __init__(
        self, *, start: dict[str, float] | None = None, deadline: float | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.start = start
        self.deadline = deadline
        self._columns: list[pulp.LpVariable] = []

    def actualSolve(self, lp: pulp.LpProblem) -> int:  # noqa: N802 (PuLP's name)
        """Solve, reading values back against the column list built once for the hand-off.

        PuLP's own ``actualSolve`` lists the variables again (walking every constraint and sorting)
        for the read-back and once more to clear ``modified`` flags, which only matter for PuLP's
        re-solves; this solver never re-solves a problem object, so both walks are skipped.
        """
        self.createAndConfigureSolver(lp)
        self.buildSolverModel(lp)
        self.callSolver(lp)
        columns = self._columns
        lp.variables = lambda: columns  # the read-back asks for the same list, in the same order
        try:
            status, sol_status = self.findSolutionValues(lp)
        finally:
            del lp.variables
        lp.assignStatus(status, sol_status)
        return int(status)

    def createAndConfigureSolver(self, lp: pulp.LpProblem) -> None:  # noqa: N802 (PuLP's name)
        """Make the highspy object without its banner on stdout, then configure it."""
        with quiet_stdout():
            super().createAndConfigureSolver(lp)
        if self.threads is not None:  # a scheduler of that size (solvers.arrays.set_threads)
            lp.solverModel.resetGlobalScheduler(True)

    def buildSolverModel(self, lp: pulp.LpProblem) -> None:  # noqa: N802 (PuLP's name)
        """Pass the whole model to highspy in one call."""
        import highspy

        variables = self._columns = lp.variables()
        col_of = {v.name: i for i, v in enumerate(variables)}
        for i, v in enumerate(variables):
            v.index = i
        inf = highspy.kHighsInf
        model = highspy.HighsLp()
        model.num_col_ = len(variables)
        model.col_cost_ = np.array([lp.objective.get(v, 0.0) for v in variables], float)
        model.col_lower_ = np.array([-inf if v.lowBound is None else v.lowBound for v in variables], float)
        model.col_upper_ = np.array([inf if v.upBound is None else v.upBound for v in variables], float)
        starts, index, value, lower, upper = _row_arrays(lp, col_of)
        model.num_row_ = len(lower)
        model.row_lower_, model.row_upper_ = lower, upper
        model.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        model.a_matrix_.start_, model.a_matrix_.index_, model.a_matrix_.value_ = starts, index, value
        model.a_matrix_.num_col_, model.a_matrix_.num_row_ = len(variables), len(lower)
        if self.mip:
            kinds = [
                highspy.HighsVarType.kInteger if v.cat == pulp.LpInteger else highspy.HighsVarType.kContinuous
                for v in variables
            ]
            model.integrality_ = kinds
        lp.solverModel.passModel(model)
        self._pass_start(lp, variables)
        self._guard(lp)

    def _pass_start(self, lp: pulp.LpProblem, variables: list[pulp.LpVariable]) -> None:
        """Pass a start solution: off by default.

        Measured with highspy 1.16, in plain highspy on an MPS file as well as here: given a feasible
        start costing 12, the MIP returned that start unchanged while reporting objective 9.0 as
        optimal (the true optimum, found without a start, is 9.0086). So a start is passed only when
        ``FLEETPLAN_HIGHS_START=1``; the engine re-prices every solution either way.
        """
        if not self.start or not self.mip or os.environ.get("FLEETPLAN_HIGHS_START") != "1":
            return
        import highspy

        sol = highspy.HighsSolution()
        sol.col_value = [float(self.start.get(v.name, 0.0)) for v in variables]
        sol.value_valid = True
        lp.solverModel.setSolution(sol)

    def _guard(self, lp: pulp.LpProblem) -> None:
        if self.deadline is not None and self.mip:
            guard_deadline(lp.solverModel, self.deadline)


def solve_highs(
    lp: pulp.LpProblem,
    *,
    mip: bool,
    time_limit_s: float | None = None,
    mip_gap: float = 1e-3,
    threads: int | None = None,
    start: dict[str, float] | None = None,
    msg: bool = False,
) -> SolveResult:
    """Solve with HiGHS (the LP relaxation when ``mip`` is False) and map its status."""
    began = time.monotonic()
    deadline = began + time_limit_s if time_limit_s is not None else None
    solver = FastHiGHS(
        mip=mip,
        msg=msg,
        timeLimit=time_limit_s,
        gapRel=mip_gap,
        threads=threads,
        start=start,
        deadline=deadline,
    )
    lp.solve(solver)
    return highs_result(lp.solverModel, mip, began)


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


def guard_deadline(highs: Any, deadline: float) -> None:
    """Interrupt a MIP from HiGHS's callback once ``time.monotonic()`` passes ``deadline``.

    HiGHS's own time limit overshoots on some models.
    """

    def stop(event: Any) -> None:
        if time.monotonic() > deadline:
            event.interrupt()

    highs.cbMipInterrupt.subscribe(stop)
