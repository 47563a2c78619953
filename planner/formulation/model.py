"""The planning model object: the PuLP problem, its index sets and aligned variable arrays."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pulp

from planner.formulation.index import IndexSets

if TYPE_CHECKING:
    from planner.formulation.matrix import Matrix

#: The variable families of a planning model, in the order solutions are stored.
FAMILIES = ("route", "api", "unmet", "replicas", "supply", "commit")
INTEGER_FAMILIES = ("replicas", "supply", "commit")
_INTEGRALITY_TOL = 1e-6
Bounds = list[tuple[float | None, float | None]]


@dataclass
class PlanningModel:
    """A built MILP with everything needed to read a solution back.

    Attributes:
        prob: the PuLP problem.
        index: the index sets; each variable array below is aligned with one of them.
        route: continuous requests/s per ``index.route`` row (workload to deployment).
        api: continuous requests/s per ``index.api`` row (workload to API offer).
        unmet: continuous unmet requests/s per ``index.cover`` row.
        replicas: integer replicas per ``index.replica`` row.
        supply: integer chips (or nodes) per ``index.supply`` row.
        commit: integer committed chips (or nodes) per ``index.commit`` row.
        cost: objective coefficient arrays, keyed like the variable arrays.
        rows: constraint family name -> (constraints, the index table row each one belongs to).
        matrix: the model as arrays, once the engine has walked it for HiGHS (None until then).
    """

    prob: pulp.LpProblem
    index: IndexSets
    route: np.ndarray
    api: np.ndarray
    unmet: np.ndarray
    replicas: np.ndarray
    supply: np.ndarray
    commit: np.ndarray
    cost: dict[str, np.ndarray] = field(default_factory=dict)
    rows: dict[str, tuple[list[pulp.LpConstraint], np.ndarray]] = field(default_factory=dict)
    matrix: Matrix | None = None

    def integer_arrays(self) -> dict[str, np.ndarray]:
        """The integer variable families by name."""
        return {"replicas": self.replicas, "supply": self.supply, "commit": self.commit}

    @property
    def n_variables(self) -> int:
        """Number of columns."""
        return sum(
            len(a) for a in (self.route, self.api, self.unmet, self.replicas, self.supply, self.commit)
        )

    @property
    def n_constraints(self) -> int:
        """Number of rows."""
        return sum(len(rows) for rows, _ in self.rows.values())


def values(variables: np.ndarray) -> np.ndarray:
    """Solution values of a variable array (NaN where the solver set none)."""
    return np.array([np.nan if v.varValue is None else v.varValue for v in variables], dtype=float)


def duals(rows: list[pulp.LpConstraint]) -> np.ndarray:
    """Dual values of constraints (NaN where the solver gave none)."""
    return np.array([np.nan if r.pi is None else r.pi for r in rows], dtype=float)


def read_values(m: PlanningModel) -> dict[str, np.ndarray]:
    """The solution values of every variable family."""
    return {name: values(getattr(m, name)) for name in FAMILIES}


def is_integral(vals: dict[str, np.ndarray]) -> bool:
    """True when every integer family has values, all whole numbers (within 1e-6)."""
    return all(
        not np.any(np.isnan(vals[name]))
        and not np.any(np.abs(vals[name] - np.round(vals[name])) > _INTEGRALITY_TOL)
        for name in INTEGER_FAMILIES
    )


def fix_values(variables: np.ndarray, vals: np.ndarray) -> Bounds:
    """Fix variables at values; return their bounds so that :func:`release_values` can restore them.

    Integer variables are fixed at the whole number: a solver's 3.0000004 replicas, fixed as is,
    can make a row of fixed variables infeasible by more than the solver's tolerance.
    """
    saved = [(var.lowBound, var.upBound) for var in variables]
    for var, val in zip(variables, vals, strict=True):
        var.lowBound = var.upBound = float(round(val)) if var.cat == pulp.LpInteger else float(val)
    return saved


def release_values(variables: np.ndarray, saved: Bounds) -> None:
    """Restore the bounds :func:`fix_values` saved."""
    for var, (low, up) in zip(variables, saved, strict=True):
        var.lowBound, var.upBound = low, up
