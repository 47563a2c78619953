"""One live HiGHS instance over a sequence of LP solves of one model.

The engine solves the same LP many times with other bounds (the relaxation, rounding's re-routes
with replicas fixed, the fixed LP for the duals). A :class:`LiveLP` passes the model to HiGHS once
and changes only what differs between solves (``changeColsBounds``, ``changeColsCost``); each
solve starts from the basis the one before left, or from a basis the caller hands it
(:meth:`LiveLP.solve`'s ``basis``: another run's, placed by name, as a sweep point gets its base
row's). An instance is never carried from one run to the next: HiGHS keeps the scale factors of
the first LP it solved, so a reused instance can end a changed LP at other round-off than a new
one would (``python -m benchmarks.highs_reuse``), and a run's result must not depend on what ran
before it in the same process.

The instance may hold a **working set** of the columns only (sifting, :mod:`solvers.sifting`):
each solve prices the columns left out with its row duals, adds those that price in (``addCols``)
and solves again, until none does; the optimum is then the whole LP's. A column may be left out
only while its lower bound is 0: one whose lower bound is not enters before the solve.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import numpy as np

from solvers.arrays import ArrayModel, ArraySolution, highs_lp, rescaled_rerun
from solvers.base import SolveResult
from solvers.highs import highs_result, quiet_stdout, use_threads
from solvers.sifting import (
    MIN_ADDED,
    REDUCED_COST_TOL,
    SiftResult,
    most_negative,
    reduced_costs,
    unsolved,
    working_model,
)

#: A solve that changes the bounds of more than this share of the instance's columns starts from
#: presolve, not the last basis. Measured on benchmark sizes M and L (docs/benchmarks.md): rounding's
#: re-route (replicas fixed: 90 % of the columns change, the forced routes included) took 0.35 s
#: warm and 0.21 s from presolve at M, 2.1 s and 1.5 s at L; the fixed LP after it (0.6 % change)
#: 0.04 s warm and 0.12 s from presolve at M, 0.15 s and 0.47 s at L.
PRESOLVE_SHARE = 0.1

#: HiGHS's basis status codes (``highspy.HighsBasisStatus``) as small integers.
LOWER, BASIC, UPPER, ZERO = 0, 1, 2, 3


def _status_codes(statuses: Any) -> np.ndarray:
    return np.fromiter((int(s) for s in statuses), dtype=np.int8, count=len(statuses))


def _statuses(codes: np.ndarray) -> list[Any]:
    import highspy

    members = [highspy.HighsBasisStatus(code) for code in range(5)]
    return [members[code] for code in codes.tolist()]


class LiveLP:
    """A HiGHS instance holding the LP relaxation of ``model`` (or a working set of its columns)."""

    def __init__(
        self, model: ArrayModel, working: np.ndarray | None = None, threads: int | None = None
    ) -> None:
        import highspy

        self.model = model
        self.entry_rows = np.repeat(np.arange(model.n_rows), np.diff(model.start))
        self.in_set = (
            np.ones(model.n_cols, dtype=bool) if working is None else np.asarray(working, bool).copy()
        )
        self.in_set |= model.lower != 0
        self.cols = np.flatnonzero(self.in_set)  # instance order
        self.lower, self.upper = model.lower.copy(), model.upper.copy()
        self.cost = model.cost.copy()
        with quiet_stdout():
            self.highs = highspy.Highs()  # type: ignore[no-untyped-call]
        self.highs.setOptionValue("output_flag", False)
        use_threads(self.highs, threads)
        self.threads = threads
        self.highs.passModel(highs_lp(working_model(model, self.cols, self.entry_rows), False))
        self.solves = 0

    @property
    def sifting(self) -> bool:
        """True while some columns are left out of the instance."""
        return not bool(self.in_set.all())

    def set_cost(self, cost: np.ndarray) -> None:
        """Change the objective (columns left out take it when they enter)."""
        cost = np.asarray(cost, dtype=float)
        changed = np.flatnonzero(cost[self.cols] != self.cost[self.cols])
        if len(changed):
            status = self.highs.changeColsCost(
                len(changed), changed.astype(np.int32), cost[self.cols][changed].astype(float)
            )
            _ok(status, "changeColsCost")
        self.cost = cost.copy()

    def _set_bounds(self, lower: np.ndarray, upper: np.ndarray) -> int:
        """Change the bounds that differ on the instance; return how many columns changed."""
        new_lower, new_upper = lower[self.cols], upper[self.cols]
        changed = np.flatnonzero((new_lower != self.lower[self.cols]) | (new_upper != self.upper[self.cols]))
        self.lower, self.upper = lower.copy(), upper.copy()
        if len(changed):
            status = self.highs.changeColsBounds(
                len(changed), changed.astype(np.int32), new_lower[changed], new_upper[changed]
            )
            _ok(status, "changeColsBounds")
        return len(changed)

    def solve(
        self,
        lower: np.ndarray,
        upper: np.ndarray,
        implied_upper: np.ndarray | None = None,
        time_limit_s: float | None = None,
        *,
        presolve: bool | None = None,
        basis: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> SiftResult:
        """Solve the LP at these column bounds, from the last basis; sift when columns are left out.

        Args:
            lower: every column's lower bound for this solve.
            upper: every column's upper bound for this solve.
            implied_upper: an upper bound every feasible solution satisfies, per column (``inf``
                where none is known): columns left out enter the time-limit bound through it, and
                a column whose implied bound is 0 never enters. Needed only while sifting.
            time_limit_s: stop adding columns after this many seconds (the bound is then
                Lagrangian); the first working LP always runs to its end, a later one stopped by
                the limit gives back the round before it.
            presolve: start this solve from HiGHS's presolve instead of the last basis (faster
                when the solve fixes many columns: presolve removes them); None: when more than
                :data:`PRESOLVE_SHARE` of the instance's columns change bounds. Later rounds of
                the same solve start from the basis as always.
            basis: start from this basis instead (a status code per column of the model and per
                row: :data:`BASIC`, :data:`LOWER`, ...), as HiGHS takes an "alien" basis: one it
                completes or repairs to a factorable one when it does not fit (another run's
                basis, whose model had other columns). The solve's answer is the same LP's
                optimum; only the pivots to reach it change.
        """
        began = time.monotonic()
        if self.model.n_cols == 0:
            empty = SolveResult("optimal", 0.0, 0.0, 0.0, "highs", "Empty")
            return SiftResult(ArraySolution(empty, np.zeros(0), np.zeros(self.model.n_rows)), 0.0, True, 0, 0)
        lower, upper = np.asarray(lower, float), np.asarray(upper, float)
        self._add(np.flatnonzero(~self.in_set & (lower != 0)), lower, upper)
        changed = self._set_bounds(lower, upper)
        if basis is not None:
            self._set_basis(basis)
        elif presolve or (presolve is None and changed > PRESOLVE_SHARE * len(self.cols)):
            self.highs.clearSolver()
        implied = np.full(self.model.n_cols, np.inf) if implied_upper is None else implied_upper
        rounds, last = 0, None
        while True:
            self._run(began, time_limit_s if last is not None else None)
            rounds += 1
            self.solves += 1
            result = highs_result(self.highs, False, began)
            if result.status != "optimal":
                clocked_out = "time limit" in result.detail.lower()
                return last if last is not None and clocked_out else unsolved(result, rounds)
            solution = self.highs.getSolution()
            duals = np.asarray(solution.row_dual, dtype=float)
            x = np.zeros(self.model.n_cols)
            x[self.cols] = np.asarray(solution.col_value, dtype=float)
            objective = float(result.objective or 0.0)
            if not self.sifting:
                return SiftResult(ArraySolution(result, x, duals), objective, True, rounds, len(self.cols))
            reduced = reduced_costs(self._priced(), self.entry_rows, duals)
            enter = ~self.in_set & (reduced < -REDUCED_COST_TOL) & (implied > 0) & (upper > 0)
            if not enter.any():
                return SiftResult(ArraySolution(result, x, duals), objective, True, rounds, len(self.cols))
            bound = objective + float(np.sum(np.minimum(0.0, reduced[enter]) * implied[enter]))
            stopped = SolveResult(
                "feasible", objective, bound, result.seconds, "highs", "sifting: time limit"
            )
            last = SiftResult(ArraySolution(stopped, x, duals), bound, False, rounds, len(self.cols))
            if time_limit_s is not None and time.monotonic() - began > time_limit_s:
                return last
            self._add(
                most_negative(np.flatnonzero(enter), reduced, max(MIN_ADDED, len(self.cols))), lower, upper
            )

    def basis(self) -> tuple[np.ndarray, np.ndarray]:
        """The instance's basis as status codes per model column and per row (columns left out: lower).

        Only meaningful after a solve; before one, every column is at its lower bound and every
        row basic (HiGHS's slack basis).
        """
        current = self.highs.getBasis()
        cols = np.full(self.model.n_cols, LOWER, dtype=np.int8)
        rows = np.full(self.model.n_rows, BASIC, dtype=np.int8)
        if current.valid:
            cols[self.cols] = _status_codes(current.col_status)
            rows[:] = _status_codes(current.row_status)
        return cols, rows

    def _set_basis(self, basis: tuple[np.ndarray, np.ndarray]) -> None:
        import highspy

        cols = np.asarray(basis[0], dtype=np.int8)[self.cols].copy()
        cols[(cols == UPPER) & ~np.isfinite(self.upper[self.cols])] = LOWER  # no upper bound to sit at
        start = highspy.HighsBasis()
        start.col_status = _statuses(cols)
        start.row_status = _statuses(np.asarray(basis[1], dtype=np.int8))
        start.valid, start.alien = True, True
        self.highs.clearSolver()
        if not _accepted(self.highs.setBasis(start)):  # refused: the solve starts afresh
            self.highs.clearSolver()

    def include(self, columns: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        """Add columns (sorted, not in the instance yet) to the working set before a solve."""
        self._add(np.asarray(columns, dtype=np.int64), np.asarray(lower, float), np.asarray(upper, float))

    def _priced(self) -> ArrayModel:
        """The model with the current costs (reduced costs are priced with them)."""
        if np.array_equal(self.cost, self.model.cost):
            return self.model
        return dataclasses.replace(self.model, cost=self.cost)

    def _run(self, began: float, time_limit_s: float | None) -> None:
        # HiGHS's clock runs over every run of the instance
        if time_limit_s is None:
            self.highs.setOptionValue("time_limit", float("inf"))
        else:
            left = max(1.0, time_limit_s - (time.monotonic() - began))
            self.highs.setOptionValue("time_limit", float(self.highs.getRunTime()) + left)
        use_threads(self.highs, self.threads)
        self.highs.run()
        if self.highs.modelStatusToString(self.highs.getModelStatus()) == "Not Set":
            rescaled_rerun(self.highs, self.model)

    def _add(self, added: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        """Append columns ``added`` (sorted) to the instance, column-wise, at these bounds."""
        if len(added) == 0:
            return
        model = self.model
        entries = np.flatnonzero(np.isin(model.index, added))
        entries = entries[np.argsort(model.index[entries], kind="stable")]
        starts = np.searchsorted(model.index[entries], added)
        status = self.highs.addCols(
            len(added),
            self.cost[added],
            lower[added],
            upper[added],
            len(entries),
            starts.astype(np.int32),
            self.entry_rows[entries].astype(np.int32),
            model.value[entries].astype(float),
        )
        _ok(status, "addCols")
        self.in_set[added] = True
        self.lower[added], self.upper[added] = lower[added], upper[added]
        self.cols = np.concatenate([self.cols, added])


def _accepted(status: Any) -> bool:
    return str(status) == "HighsStatus.kOk"


def _ok(status: Any, what: str) -> None:
    if not _accepted(status):
        raise RuntimeError(f"HiGHS refused {what} ({status})")


def sifted_lp(
    model: ArrayModel,
    initial: np.ndarray,
    implied_upper: np.ndarray,
    *,
    time_limit_s: float | None = None,
    threads: int | None = None,
) -> SiftResult:
    """Solve the LP relaxation of ``model`` once by sifting, starting from the columns ``initial``."""
    live = LiveLP(model, working=initial, threads=threads)
    return live.solve(model.lower, model.upper, implied_upper, time_limit_s)
