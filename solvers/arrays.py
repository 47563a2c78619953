"""HiGHS on a model given as numpy arrays: no PuLP objects on the way in or out.

The planning engine solves the same model many times with other bounds (rounding, the fixed LP)
and solves slices of it (one period at a time). Walking PuLP's constraints for each call cost more
than some of the solves (docs/benchmarks.md); with arrays, the model is walked once
(:func:`planner.formulation.matrix.build_matrix`) and every later call is a numpy slice.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from solvers.base import SolveResult
from solvers.highs import guard_deadline, highs_result, quiet_stdout


@dataclass(frozen=True)
class ArrayModel:
    """A minimisation MILP, ``row_lower <= A x <= row_upper``, ``lower <= x <= upper``.

    Attributes:
        cost: objective coefficient per column.
        lower, upper: column bounds (``inf`` where unbounded).
        integer: True for integer columns.
        row_lower, row_upper: row bounds (``-inf`` / ``inf`` where open).
        start, index, value: the constraint matrix, row by row (CSR: row i's entries are
            ``start[i]:start[i + 1]``).
    """

    cost: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    integer: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    start: np.ndarray
    index: np.ndarray
    value: np.ndarray

    @property
    def n_cols(self) -> int:
        """Number of columns."""
        return len(self.cost)

    @property
    def n_rows(self) -> int:
        """Number of rows."""
        return len(self.row_lower)


@dataclass(frozen=True)
class ArraySolution:
    """One solve: the mapped result, column values (when it has a solution) and row duals (LPs)."""

    result: SolveResult
    x: np.ndarray | None
    duals: np.ndarray | None


def _highs_lp(model: ArrayModel, mip: bool) -> Any:
    import highspy

    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = model.n_cols, model.n_rows
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = model.cost, model.lower, model.upper
    lp.row_lower_, lp.row_upper_ = model.row_lower, model.row_upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = model.n_cols, model.n_rows
    lp.a_matrix_.start_ = model.start.astype(np.int32)
    lp.a_matrix_.index_ = model.index.astype(np.int32)
    lp.a_matrix_.value_ = model.value.astype(float)
    if mip and model.integer.any():
        kinds = (highspy.HighsVarType.kContinuous, highspy.HighsVarType.kInteger)
        lp.integrality_ = [kinds[int(k)] for k in model.integer]
    return lp


def _configure(highs: Any, time_limit_s: float | None, mip_gap: float, threads: int | None) -> None:
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("mip_rel_gap", mip_gap)
    if threads is not None:
        highs.setOptionValue("threads", threads)
    if time_limit_s is not None:
        highs.setOptionValue("time_limit", float(time_limit_s))


def solve_arrays(
    model: ArrayModel,
    *,
    mip: bool,
    time_limit_s: float | None = None,
    mip_gap: float = 1e-3,
    threads: int | None = None,
) -> ArraySolution:
    """Solve with HiGHS (the LP relaxation when ``mip`` is False) and map its status."""
    import highspy

    began = time.monotonic()
    if model.n_cols == 0:
        return ArraySolution(SolveResult("optimal", 0.0, 0.0, 0.0, "highs", "Empty"), np.zeros(0), None)
    with quiet_stdout():
        highs = highspy.Highs()  # type: ignore[no-untyped-call]
    _configure(highs, time_limit_s, mip_gap, threads)
    is_mip = mip and bool(model.integer.any())
    highs.passModel(_highs_lp(model, is_mip))
    if is_mip and time_limit_s is not None:
        guard_deadline(highs, began + time_limit_s)
    highs.run()
    return _solution(highs, is_mip, began)


def _solution(highs: Any, mip: bool, began: float) -> ArraySolution:
    result = highs_result(highs, mip, began)
    solution = highs.getSolution()
    x = np.asarray(solution.col_value, dtype=float) if result.objective is not None else None
    duals = np.asarray(solution.row_dual, dtype=float) if not mip and solution.dual_valid else None
    return ArraySolution(result, x, duals)
