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

The sift runs on a live HiGHS instance (:class:`solvers.live.LiveLP`): new columns enter with
``addCols`` and the next run starts from the current basis; a later solve with other bounds (the
engine's re-routes and fixed LPs) goes on from the working set and basis of the one before.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from solvers.arrays import ArrayModel, ArraySolution
from solvers.base import SolveResult, Status

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


def unsolved(result: SolveResult, rounds: int) -> SiftResult:
    """A working LP that ended without an optimum: no values, no bound (the caller decides)."""
    status: Status = "infeasible" if result.status == "infeasible" else "no_solution"
    failed = dataclasses.replace(result, status=status, objective=None, bound=None)
    return SiftResult(ArraySolution(failed, None, None), -np.inf, False, rounds, 0)


def most_negative(candidates: np.ndarray, reduced: np.ndarray, limit: int) -> np.ndarray:
    """Up to ``limit`` candidates with the most negative reduced costs, in column order."""
    if len(candidates) > limit:
        candidates = candidates[np.argpartition(reduced[candidates], limit)[:limit]]
    return np.sort(candidates)
