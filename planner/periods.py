"""One period's MILP: the rebuild ingredients and the solve.

The periods' MILPs are independent once committed counts are fixed (or apportioned), so the engine
solves them one by one. A process pool was tried and measured: on this project's 2-vCPU machines two
CPU-bound processes each run at half speed, so it gained nothing and was removed
(docs/benchmarks.md, "Ideas tried").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import solvers
from planner.catalog.schema import Catalog
from planner.formulation.build import model_from_index
from planner.formulation.index import IndexSets
from planner.formulation.matrix import period_model, split_values
from planner.formulation.model import PlanningModel, fix_values, is_integral, read_values
from planner.options import Options
from planner.settings import SolveSettings
from solvers.arrays import solve_arrays


@dataclass(frozen=True)
class Rebuilder:
    """Makes a planning model from index sets: what the engine needs to build one period's model."""

    options: Options
    catalog: Catalog
    settings: SolveSettings

    def __call__(self, ix: IndexSets) -> PlanningModel:
        """The model over ``ix``."""
        return model_from_index(ix, self.options, self.catalog, self.settings)


@dataclass(frozen=True)
class PeriodSlice:
    """One period's sub-problem: its index sets, and per family its positions in the whole model.

    ``commit_share`` is the share of committed offers' cost the period carries (None: full cost,
    as when the committed counts are fixed).
    """

    p: int
    index: IndexSets
    rows: dict[str, np.ndarray]
    commit_share: float | None


@dataclass(frozen=True)
class PeriodResult:
    """One period's MILP outcome: status, proven bound, and values (None without an integer plan)."""

    status: str
    bound: float | None
    objective: float | None
    values: dict[str, np.ndarray] | None


def solve_period(
    rebuild: Rebuilder,
    m: PlanningModel,
    period: PeriodSlice,
    fixed_commit: np.ndarray | None,
    time_limit_s: float,
) -> PeriodResult:
    """Build and solve one period's MILP: a slice of ``m.matrix`` when there is one, else rebuilt."""
    s = rebuild.settings
    limit = max(0.05, time_limit_s)
    if m.matrix is not None:
        model = period_model(m.matrix, period.p, period.rows, period.commit_share, fixed_commit)
        solution = solve_arrays(model, mip=True, time_limit_s=limit, mip_gap=s.mip_gap, threads=s.threads)
        result = solution.result
        vals = split_values(solution.x, period.rows) if solution.x is not None else None
    else:
        sub = rebuild(period.index)
        if fixed_commit is not None:
            fix_values(sub.commit, fixed_commit)
        result = solvers.solve(
            sub.prob, s.solver, mip=True, time_limit_s=limit, mip_gap=s.mip_gap, threads=s.threads
        )
        vals = read_values(sub) if result.has_solution else None
    usable = vals if result.has_solution and vals is not None and is_integral(vals) else None
    return PeriodResult(result.status, result.bound, result.objective, usable)
