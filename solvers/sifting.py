"""Sifting: an LP with many columns solved over a working set that grows by pricing.

Most columns of a large planning LP (routes: one per demand row and option) are zero at the
optimum. Sifting solves the LP over a working set of columns, prices every column left out with
the working LP's row duals (reduced cost ``d_j = c_j - a_j' y``), adds those with negative reduced
costs, and re-solves from the previous basis, until none is left:

* **Exact.** When no column left out has a negative reduced cost, the duals ``y`` are feasible for
  the whole LP, so the working LP's optimum is the whole LP's optimum (the column values left out
  are 0, which their bounds allow: only columns with lower bound 0 may be left out).
* **A bound at any time.** For any duals ``y``, ``z_work + sum_j min(0, d_j u_j)`` over the columns
  left out is a valid lower bound on the whole LP (Lagrangian duality), given finite upper bounds
  ``u_j`` that every feasible solution satisfies (for routes: the row's demand rate). A sift
  stopped by its time limit reports that bound.

HiGHS keeps one instance; new columns enter with ``addCols`` and the next run starts from the
current basis.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from solvers.arrays import ArrayModel, ArraySolution, _highs_lp, _rescaled_rerun, set_threads
from solvers.base import SolveResult, Status
from solvers.highs import highs_result, quiet_stdout

#: A column left out enters when its reduced cost is below ``-REDUCED_COST_TOL``: HiGHS's default
#: dual feasibility tolerance, so a converged sift is as optimal as a plain HiGHS solve.
REDUCED_COST_TOL = 1e-7
#: Columns added per round: at least this many, at most as many as the working set already has.
MIN_ADDED = 10_000


@dataclass(frozen=True)
class SiftResult:
    """A sifted LP.

    Attributes:
        solution: the whole model's column values (0 for columns left out) and the row duals.
        bound: a valid lower bound on the whole LP (its optimum when ``converged``).
        converged: no column left out prices in: the solution is optimal for the whole LP.
        rounds: LP solves made.
        columns: columns in the final working set.
    """

    solution: ArraySolution
    bound: float
    converged: bool
    rounds: int
    columns: int


def working_model(model: ArrayModel, cols: np.ndarray, entry_rows: np.ndarray) -> ArrayModel:
    """The model over the columns ``cols`` (all rows kept)."""
    new_col = np.full(model.n_cols, -1, dtype=np.int64)
    new_col[cols] = np.arange(len(cols))
    keep = new_col[model.index] >= 0
    start = np.concatenate([[0], np.cumsum(np.bincount(entry_rows[keep], minlength=model.n_rows))])
    return ArrayModel(
        model.cost[cols],
        model.lower[cols],
        model.upper[cols],
        np.zeros(len(cols), dtype=bool),
        model.row_lower,
        model.row_upper,
        start.astype(np.int64),
        new_col[model.index][keep],
        model.value[keep],
    )


def reduced_costs(model: ArrayModel, entry_rows: np.ndarray, duals: np.ndarray) -> np.ndarray:
    """``c - A' y`` for every column (HiGHS's sign convention: its ``col_dual``)."""
    used = np.bincount(model.index, weights=model.value * duals[entry_rows], minlength=model.n_cols)
    reduced: np.ndarray = model.cost - used
    return reduced


def sifted_lp(
    model: ArrayModel,
    initial: np.ndarray,
    implied_upper: np.ndarray,
    *,
    time_limit_s: float | None = None,
    threads: int | None = None,
) -> SiftResult:
    """Solve the LP relaxation of ``model`` by sifting, starting from the columns ``initial``.

    Args:
        model: the whole model (integrality is ignored).
        initial: True for the columns of the first working set; columns left out must have lower
            bound 0 (others are always in the working set).
        implied_upper: an upper bound every feasible solution satisfies, per column (``inf``
            where none is known): the columns left out enter the time-limit bound through it,
            and a column whose implied bound is 0 never enters (it is 0 in every solution).
        time_limit_s: stop adding columns after this many seconds (the bound is then Lagrangian);
            the first working LP always runs to its end, a later one stopped by the limit gives
            back the round before it.
        threads: HiGHS threads.
    """
    import highspy

    began = time.monotonic()
    entry_rows = np.repeat(np.arange(model.n_rows), np.diff(model.start))
    work = np.asarray(initial, dtype=bool) | (model.lower != 0)
    cols = np.flatnonzero(work)
    with quiet_stdout():
        highs = highspy.Highs()  # type: ignore[no-untyped-call]
    highs.setOptionValue("output_flag", False)
    set_threads(highs, threads)
    sub = working_model(model, cols, entry_rows)
    highs.passModel(_highs_lp(sub, False))
    rounds, last = 0, None
    while True:
        _run(highs, sub, began, time_limit_s if last is not None else None)
        rounds += 1
        result = highs_result(highs, False, began)
        if result.status != "optimal":
            clocked_out = "time limit" in result.detail.lower()
            return last if last is not None and clocked_out else _unsolved(result, rounds)
        solution = highs.getSolution()
        duals = np.asarray(solution.row_dual, dtype=float)
        reduced = reduced_costs(model, entry_rows, duals)
        enter = ~work & (reduced < -REDUCED_COST_TOL) & (implied_upper > 0)
        objective = float(result.objective or 0.0)
        x = np.zeros(model.n_cols)
        x[cols] = np.asarray(solution.col_value, dtype=float)
        if not enter.any():
            return SiftResult(ArraySolution(result, x, duals), objective, True, rounds, len(cols))
        bound = objective + float(np.sum(np.minimum(0.0, reduced[enter]) * implied_upper[enter]))
        stopped = SolveResult("feasible", objective, bound, result.seconds, "highs", "sifting: time limit")
        last = SiftResult(ArraySolution(stopped, x, duals), bound, False, rounds, len(cols))
        if _timed_out(began, time_limit_s):
            return last
        added = _most_negative(np.flatnonzero(enter), reduced, max(MIN_ADDED, len(cols)))
        _add_columns(highs, model, added, entry_rows)
        work[added] = True
        cols = np.concatenate([cols, added])


def _timed_out(began: float, time_limit_s: float | None) -> bool:
    return time_limit_s is not None and time.monotonic() - began > time_limit_s


def _run(highs: Any, sub: ArrayModel, began: float, time_limit_s: float | None) -> None:
    if time_limit_s is not None:  # HiGHS's clock runs over every run of the instance
        left = max(1.0, time_limit_s - (time.monotonic() - began))
        highs.setOptionValue("time_limit", float(highs.getRunTime()) + left)
    highs.run()
    if highs.modelStatusToString(highs.getModelStatus()) == "Not Set":
        _rescaled_rerun(highs, sub)


def _unsolved(result: SolveResult, rounds: int) -> SiftResult:
    """A working LP that ended without an optimum: no values, no bound (the caller decides)."""
    status: Status = "infeasible" if result.status == "infeasible" else "no_solution"
    failed = dataclasses.replace(result, status=status, objective=None, bound=None)
    return SiftResult(ArraySolution(failed, None, None), -np.inf, False, rounds, 0)


def _most_negative(candidates: np.ndarray, reduced: np.ndarray, limit: int) -> np.ndarray:
    """Up to ``limit`` candidates with the most negative reduced costs, in column order."""
    if len(candidates) > limit:
        candidates = candidates[np.argpartition(reduced[candidates], limit)[:limit]]
    return np.sort(candidates)


def _add_columns(highs: Any, model: ArrayModel, added: np.ndarray, entry_rows: np.ndarray) -> None:
    """Append columns ``added`` (sorted) to the HiGHS instance, column-wise."""
    entries = np.flatnonzero(np.isin(model.index, added))
    entries = entries[np.argsort(model.index[entries], kind="stable")]
    starts = np.searchsorted(model.index[entries], added)
    status = highs.addCols(
        len(added),
        model.cost[added],
        model.lower[added],
        model.upper[added],
        len(entries),
        starts.astype(np.int32),
        entry_rows[entries].astype(np.int32),
        model.value[entries].astype(float),
    )
    if str(status) != "HighsStatus.kOk":
        raise RuntimeError(f"HiGHS refused the sifted columns ({status})")
