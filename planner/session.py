"""One solve sequence over one planning model: what the engine asks solvers for, as data.

The engine sees only the model, solutions and fixings. A :class:`Session` holds, for HiGHS, one
live LP instance (:class:`solvers.live.LiveLP`) for every LP of the sequence (the relaxation,
rounding's re-routes, the fixed LP), changing only bounds between them and starting each from the
last basis; large models are sifted on it (:mod:`planner.relaxation`). The relaxation may start from
another run's basis by name (``start_basis``: a sweep's base row's, :mod:`planner.lpbasis`), and the
relaxation's own basis can be kept for later runs (``keep_basis``). MILPs go to a fresh HiGHS
instance each (:func:`solvers.arrays.solve_arrays`). With CBC every solve goes through the PuLP
writer. Solutions come back labelled by block (:class:`planner.formulation.blocks.Solution`).
"""

from __future__ import annotations

import dataclasses
from functools import cached_property

import numpy as np

from planner.formulation.blocks import Fixings, PlanningModel, Solution
from planner.lpbasis import LpBasis
from planner.relaxation import (
    forced_zero_routes,
    implied_upper,
    initial_working_set,
    route_replica_rows,
    use_sifting,
)
from planner.settings import SolveSettings
from solvers.arrays import ArrayModel, ArraySolution, solve_arrays
from solvers.cbc import solve_cbc
from solvers.live import BASIC, LiveLP


class Session:
    """The solves of one engine run over ``model``."""

    def __init__(
        self,
        model: PlanningModel,
        settings: SolveSettings,
        start_basis: LpBasis | None = None,
        keep_basis: bool = False,
    ) -> None:
        self.model = model
        self.settings = settings
        self.sift = use_sifting(model, settings)
        self.live: LiveLP | None = None
        self.start_basis = start_basis
        self.keep_basis = keep_basis
        #: The relaxation's basis by name, when ``keep_basis`` (HiGHS only; None before it is solved).
        self.kept_basis: LpBasis | None = None

    def labelled(self, solution: ArraySolution) -> Solution:
        """A solver's arrays split per block."""
        r = solution.result
        m = self.model
        values = m.split(solution.x) if solution.x is not None else {}
        duals = m.split_rows(solution.duals) if solution.duals is not None else {}
        return Solution(r.status, r.objective, r.bound, r.seconds, r.detail, r.stopped_by, values, duals)

    def at_bounds(self, lower: np.ndarray, upper: np.ndarray) -> ArrayModel:
        """The model's arrays at other column bounds."""
        return dataclasses.replace(self.model.arrays, lower=lower, upper=upper)

    def relaxation(self, time_limit_s: float | None = None) -> Solution:
        """The LP relaxation, from ``start_basis`` when there is one.

        A sift stopped by ``time_limit_s`` is returned with its bound; the relaxation's basis is
        kept in ``kept_basis`` when ``keep_basis``.
        """
        solution = self.lp(time_limit_s=time_limit_s, exact=False, basis=self.start_basis)
        if self.keep_basis and self.live is not None and solution.has_solution:
            self.kept_basis = LpBasis.of(self.model, *self.live.basis())
        return solution

    def lp(
        self,
        fixings: Fixings | None = None,
        time_limit_s: float | None = None,
        *,
        exact: bool = True,
        hint: dict[str, np.ndarray] | None = None,
        basis: LpBasis | None = None,
    ) -> Solution:
        """The LP at the model's bounds with ``fixings``.

        Sifted on large models: with ``exact``, a sift that does not reach the whole LP's optimum
        (stopped, or a working set that is infeasible) is followed by a plain solve; without it,
        a sift stopped by ``time_limit_s`` is returned with its Lagrangian bound. ``hint``: values
        of a solution near this one (a MILP's plan); its nonzero columns join the working set
        first, which saves sifting rounds and changes nothing else. ``basis``: start from this
        basis (by name; its basic columns join the working set first) instead of the last one.
        """
        lower, upper = self.model.bounds_with(fixings)
        if self.settings.solver == "cbc":
            return self.labelled(
                self._cbc(self.at_bounds(lower, upper), mip=False, time_limit_s=time_limit_s)
            )
        forced = forced_zero_routes(self.model, upper, self.route_rows)
        live = self._live(forced)
        implied = implied_upper(self.model, forced) if live.sifting else None
        # routes of options with no replica are 0 in every solution: said as bounds, the warm
        # instance needs no pivots to learn it (the same LP: the capacity rows force them to 0)
        tight = upper.copy()
        tight[self.model.columns("route", np.flatnonzero(forced))] = 0.0
        if hint is not None and live.sifting:
            used = np.flatnonzero((np.nan_to_num(self.model.stack(hint)) > 0) & ~live.in_set & (tight > 0))
            live.include(used, lower, tight)
        codes = basis.on(self.model) if basis is not None else None
        if codes is not None and live.sifting:
            live.include(np.flatnonzero((codes[0] == BASIC) & ~live.in_set & (tight > 0)), lower, tight)
        result = live.solve(lower, tight, implied, time_limit_s, basis=codes).solution
        done = result.result.status == "optimal" or (not exact and result.result.has_solution)
        if done or not live.sifting:  # the live instance held the whole LP: its answer stands
            return self.labelled(result)
        plain = solve_arrays(self.at_bounds(lower, upper), mip=False, threads=self.settings.threads)
        return self.labelled(plain)

    @cached_property
    def route_rows(self) -> np.ndarray:
        """Each route's row of ``index.replica`` (the same for every solve of the model)."""
        return route_replica_rows(self.model)

    def _live(self, forced: np.ndarray) -> LiveLP:
        if self.live is None:
            working = initial_working_set(self.model, self.route_rows, forced) if self.sift else None
            self.live = LiveLP(self.model.arrays, working=working, threads=self.settings.threads)
        return self.live

    def milp(
        self,
        time_limit_s: float | None,
        proven_at: float | None = None,
        fixings: Fixings | None = None,
    ) -> Solution:
        """The whole-horizon MILP in ``time_limit_s`` (stopped early once ``proven_at`` is proven)."""
        lower, upper = self.model.bounds_with(fixings)
        return self.labelled(self.solve_arrays(self.at_bounds(lower, upper), time_limit_s, proven_at))

    def solve_arrays(
        self,
        model: ArrayModel,
        time_limit_s: float | None,
        proven_at: float | None = None,
        names: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> ArraySolution:
        """A MILP given as arrays (the whole model or a slice; ``names``: its column and row ids)."""
        s = self.settings
        if s.solver == "cbc":
            return self._cbc(model, mip=True, time_limit_s=time_limit_s, ids=names)
        return solve_arrays(
            model,
            mip=True,
            time_limit_s=time_limit_s,
            mip_gap=s.mip_gap,
            threads=s.threads,
            work_limit=s.work_limit,
            proven_at=proven_at,
        )

    def _cbc(
        self,
        model: ArrayModel,
        *,
        mip: bool,
        time_limit_s: float | None,
        ids: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> ArraySolution:
        cols, rows = self.model.column_names, self.model.row_names
        if ids is not None:
            cols = tuple(cols[i] for i in ids[0])
            rows = tuple(rows[i] for i in ids[1])
        s = self.settings
        return solve_cbc(
            model, cols, rows, mip=mip, time_limit_s=time_limit_s, mip_gap=s.mip_gap, threads=s.threads
        )
