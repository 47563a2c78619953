"""HiGHS on a model given as numpy arrays: no PuLP objects on the way in or out.

The planning engine solves the same model many times with other bounds (rounding, the fixed LP)
and solves slices of it (one period at a time). Walking PuLP's constraints for each call cost more
than some of the solves (docs/benchmarks.md); with arrays, the model is walked once
(:attr:`planner.formulation.blocks.PlanningModel.arrays`) and every later call is a numpy slice.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from solvers.base import SolveResult
from solvers.highs import highs_result, quiet_stdout, use_threads


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


def highs_lp(model: ArrayModel, mip: bool) -> Any:
    """The arrays as a ``highspy.HighsLp`` (integrality set only when ``mip``)."""
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
        kinds = np.array([highspy.HighsVarType.kContinuous, highspy.HighsVarType.kInteger], dtype=object)
        lp.integrality_ = kinds[model.integer.astype(np.intp)].tolist()
    return lp


def _configure(
    highs: Any, time_limit_s: float | None, mip_gap: float, threads: int | None, work_limit: int | None
) -> None:
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("mip_rel_gap", mip_gap)
    use_threads(highs, threads)
    if time_limit_s is not None:
        highs.setOptionValue("time_limit", float(time_limit_s))
    if work_limit is not None:  # a MILP's work: N branch-and-bound nodes, 10,000 N simplex iterations
        highs.setOptionValue("mip_max_nodes", int(work_limit))
        highs.setOptionValue("simplex_iteration_limit", SIMPLEX_ITERATIONS_PER_WORK_UNIT * int(work_limit))


#: ``--work-limit N`` allows each MILP N nodes and this many simplex iterations per unit of N.
SIMPLEX_ITERATIONS_PER_WORK_UNIT = 10_000


@dataclass(eq=False)  # hashable: HiGHS keeps its callbacks in a set
class _Guard:
    """Stops a MIP from HiGHS's callback: past the deadline, or once its bound proves ``proven_at``."""

    deadline: float | None
    proven_at: float | None
    mip_gap: float
    reason: str | None = None

    def __call__(self, event: Any) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            self.reason = "time_limit"
            event.interrupt()
            return
        if self.proven_at is not None:
            bound = float(event.data_out.mip_dual_bound)
            if np.isfinite(bound) and self.proven_at - bound <= self.mip_gap * abs(self.proven_at) + 1e-9:
                self.reason = "proven_elsewhere"
                event.interrupt()


def solve_arrays(
    model: ArrayModel,
    *,
    mip: bool,
    time_limit_s: float | None = None,
    mip_gap: float = 1e-3,
    threads: int | None = None,
    work_limit: int | None = None,
    proven_at: float | None = None,
) -> ArraySolution:
    """Solve with HiGHS (the LP relaxation when ``mip`` is False) and map its status.

    ``work_limit`` caps a MIP's branch-and-bound nodes (LPs always run to completion);
    ``proven_at`` stops a MIP once its dual bound proves a plan of that cost found elsewhere.
    """
    import highspy

    began = time.monotonic()
    if model.n_cols == 0:
        return ArraySolution(SolveResult("optimal", 0.0, 0.0, 0.0, "highs", "Empty"), np.zeros(0), None)
    with quiet_stdout():
        highs = highspy.Highs()  # type: ignore[no-untyped-call]
    is_mip = mip and bool(model.integer.any())
    _configure(highs, time_limit_s, mip_gap, threads, work_limit if is_mip else None)
    highs.passModel(highs_lp(model, is_mip))
    guard = _Guard(None if time_limit_s is None else began + time_limit_s, proven_at, mip_gap)
    if is_mip and (time_limit_s is not None or proven_at is not None):
        highs.cbMipInterrupt.subscribe(guard)
    highs.run()
    if highs.modelStatusToString(highs.getModelStatus()) == "Not Set":
        rescaled_rerun(highs, model)
    return _solution(highs, is_mip, began, guard.reason)


def rescaled_rerun(highs: Any, model: ArrayModel) -> None:
    """Run again with the objective scaled down by a power of two (results stay unscaled).

    The unmet penalty's costs (up to ~1e10 USD per request/s over a long period) can make HiGHS's
    dual simplex stop with an error ("excessive dual values") and no status; HiGHS's own advice is
    ``user_objective_scale``, which brings the largest cost to about 2**20.
    """
    largest = float(np.max(np.abs(model.cost))) if model.n_cols else 0.0
    if largest <= 2.0**20:
        return
    highs.setOptionValue("user_objective_scale", -int(np.ceil(np.log2(largest)) - 20))
    highs.run()


def _stop_reason(detail: str, guard_reason: str | None) -> str | None:
    text = detail.lower()
    if guard_reason is not None:
        return guard_reason
    if "time limit" in text:
        return "time_limit"
    if "limit" in text:
        return "work_limit"
    return None


def _solution(highs: Any, mip: bool, began: float, guard_reason: str | None) -> ArraySolution:
    result = highs_result(highs, mip, began)
    if mip:
        result = dataclasses.replace(result, stopped_by=_stop_reason(result.detail, guard_reason))
    solution = highs.getSolution()
    x = np.asarray(solution.col_value, dtype=float) if result.objective is not None else None
    duals = np.asarray(solution.row_dual, dtype=float) if not mip and solution.dual_valid else None
    return ArraySolution(result, x, duals)
