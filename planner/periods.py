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
from planner.formulation.model import PlanningModel, fix_values, is_integral, read_values
from planner.options import Options
from planner.settings import SolveSettings


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
class PeriodResult:
    """One period's MILP outcome: status, proven bound, and values (None without an integer plan)."""

    status: str
    bound: float | None
    objective: float | None
    values: dict[str, np.ndarray] | None


def solve_period(
    rebuild: Rebuilder,
    sub_ix: IndexSets,
    fixed_commit: np.ndarray | None,
    time_limit_s: float,
) -> PeriodResult:
    """Build and solve one period's MILP."""
    sub = rebuild(sub_ix)
    if fixed_commit is not None:
        fix_values(sub.commit, fixed_commit)
    s = rebuild.settings
    result = solvers.solve(
        sub.prob,
        s.solver,
        mip=True,
        time_limit_s=max(0.05, time_limit_s),
        mip_gap=s.mip_gap,
        threads=s.threads,
    )
    vals = read_values(sub) if result.has_solution else None
    return PeriodResult(
        result.status, result.bound, result.objective, vals if vals and is_integral(vals) else None
    )
