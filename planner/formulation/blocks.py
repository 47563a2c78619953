"""The planning MILP as labelled blocks: the one form the model is held in.

A **variable block** is a family of columns labelled by integer coordinates into the index sets
(``p`` period, ``w`` workload, ``o`` option, ``a`` accelerator, ``f`` price offer, ``k`` API),
with bounds, integrality, cost and the coupling it has across periods. A **constraint block** is a
family of rows, labelled the same way, given as (row, column, coefficient) triplets over the
columns of variable blocks, with a sense and a right-hand side. The solver arrays (CSR, as HiGHS
takes them), the names a writer gives rows and columns, and the per-period slices are all derived
from the blocks; solutions come back as data, split per block (:class:`Solution`).

Couplings (``docs/formulation.md``, "Blocks and couplings"):

* a variable block is ``none`` (each column lives in one period, its ``p`` coordinate) or
  ``horizon`` (a column spans every period: committed offers);
* a constraint block is ``none`` (each row lives in one period and holds columns of that period
  and horizon columns), ``adjacent`` (a row ties consecutive periods) or ``horizon`` (a row spans
  the horizon: the budget).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

import numpy as np

from planner.formulation.index import IndexSets
from solvers.arrays import ArrayModel

Coupling = Literal["none", "adjacent", "horizon"]
Sense = Literal["<=", ">=", "=="]
#: The coordinates a block may be labelled by, in the order names spell them.
COORDINATES = ("p", "w", "o", "a", "f", "k")
_INTEGRALITY_TOL = 1e-6


def _names(prefix: str, coords: dict[str, np.ndarray], n: int) -> list[str]:
    """``prefix_p0_w3`` style names from coordinate arrays (just ``prefix`` without coordinates)."""
    if not coords:
        return [prefix] * n
    parts = [[f"{c}{v}" for v in values.tolist()] for c, values in coords.items()]
    return ["_".join((prefix, *labels)) for labels in zip(*parts, strict=True)]


@dataclass(frozen=True)
class VariableBlock:
    """One family of columns.

    Attributes:
        name: the family name (a registry row, :mod:`planner.formulation.registry`).
        prefix: the prefix of its column names (``chips`` for the ``supply`` family).
        coords: coordinate name -> integer labels, one per column (see :data:`COORDINATES`).
        lower, upper: column bounds (``inf`` where open).
        integer: True for an integer family.
        cost: objective coefficient (USD over the horizon) per unit of each column.
        coupling: ``none`` (columns live in the period of their ``p``) or ``horizon``.
    """

    name: str
    prefix: str
    coords: dict[str, np.ndarray]
    lower: np.ndarray
    upper: np.ndarray
    integer: bool
    cost: np.ndarray
    coupling: Coupling

    @property
    def size(self) -> int:
        """Number of columns."""
        return len(self.cost)

    @property
    def period(self) -> np.ndarray:
        """Period of each column (-1 for columns that span the horizon)."""
        if self.coupling == "horizon" or "p" not in self.coords:
            return np.full(self.size, -1, dtype=np.int64)
        return self.coords["p"].astype(np.int64)

    def names(self) -> list[str]:
        """Column names (only the writer needs them)."""
        return _names(self.prefix, self.coords, self.size)


@dataclass(frozen=True)
class Terms:
    """Coefficients of one variable block in the rows of a constraint block."""

    block: str
    row: np.ndarray
    col: np.ndarray
    coef: np.ndarray


@dataclass(frozen=True)
class ConstraintBlock:
    """One family of rows: ``sum(coef x) (sense) rhs`` per row.

    Attributes:
        name: the family name (a registry row), also the prefix of its row names.
        labels: the index-table row (or key) each row belongs to, as the family's docstring says.
        coords: coordinate name -> integer labels per row (the row names spell them).
        terms: the triplets, per variable block; within a row, entries keep the order given.
        sense: ``<=``, ``>=`` or ``==``.
        rhs: right-hand side per row.
        coupling: ``none`` (a row lives in the period of its ``p``), ``adjacent`` or ``horizon``.
    """

    name: str
    labels: np.ndarray
    coords: dict[str, np.ndarray]
    terms: tuple[Terms, ...]
    sense: Sense
    rhs: np.ndarray
    coupling: Coupling

    @property
    def size(self) -> int:
        """Number of rows."""
        return len(self.rhs)

    @property
    def period(self) -> np.ndarray:
        """Period of each row (-1 for rows that span periods)."""
        if self.coupling != "none" or "p" not in self.coords:
            return np.full(self.size, -1, dtype=np.int64)
        return self.coords["p"].astype(np.int64)

    def names(self) -> list[str]:
        """Row names (only the writer needs them)."""
        return _names(self.name, self.coords, self.size)

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """(row lower, row upper) from sense and right-hand side."""
        rhs = self.rhs.astype(float)
        inf = np.full(self.size, np.inf)
        if self.sense == "<=":
            return -inf, rhs
        if self.sense == ">=":
            return rhs, inf
        return rhs, rhs.copy()


@dataclass(frozen=True)
class Solution:
    """A solve's outcome, labelled by block.

    Attributes:
        status, objective, bound, seconds, detail, stopped_by: as :class:`solvers.base.SolveResult`.
        values: variable block -> column values (empty without a solution).
        duals: constraint block -> row duals (LPs with dual values only).
    """

    status: str
    objective: float | None
    bound: float | None
    seconds: float
    detail: str
    stopped_by: str | None = None
    values: dict[str, np.ndarray] = field(default_factory=dict)
    duals: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def has_solution(self) -> bool:
        """True when its values can be trusted."""
        return self.status in ("optimal", "feasible")


#: Fixed values per variable block (integer blocks are fixed at the whole number).
Fixings = dict[str, np.ndarray]


@dataclass(frozen=True)
class PlanningModel:
    """The planning MILP over one run's index sets: variable and constraint blocks, in order.

    Column order is the order of ``variables``; row order the order of ``constraints``. The
    solver arrays, offsets and names are derived once, on first use.
    """

    index: IndexSets
    variables: dict[str, VariableBlock]
    constraints: dict[str, ConstraintBlock]

    @property
    def cost(self) -> dict[str, np.ndarray]:
        """Objective coefficients per variable block."""
        return {name: block.cost for name, block in self.variables.items()}

    def size(self, block: str) -> int:
        """Columns of a variable block (0 for a block the model does not have)."""
        return self.variables[block].size if block in self.variables else 0

    @property
    def integer_blocks(self) -> tuple[str, ...]:
        """Names of the integer variable blocks."""
        return tuple(name for name, b in self.variables.items() if b.integer)

    @property
    def n_variables(self) -> int:
        """Number of columns."""
        return sum(b.size for b in self.variables.values())

    @property
    def n_constraints(self) -> int:
        """Number of rows."""
        return sum(b.size for b in self.constraints.values())

    @cached_property
    def col_start(self) -> dict[str, int]:
        """First column of each variable block."""
        sizes = np.cumsum([0] + [b.size for b in self.variables.values()])
        return {name: int(s) for name, s in zip(self.variables, sizes, strict=False)}

    @cached_property
    def row_start(self) -> dict[str, int]:
        """First row of each constraint block."""
        sizes = np.cumsum([0] + [b.size for b in self.constraints.values()])
        return {name: int(s) for name, s in zip(self.constraints, sizes, strict=False)}

    def columns(self, block: str, positions: np.ndarray | None = None) -> np.ndarray:
        """Column ids of a block's columns (all, or those at ``positions``)."""
        start, size = self.col_start[block], self.variables[block].size
        if positions is None:
            return np.arange(start, start + size, dtype=np.int64)
        return start + np.asarray(positions, dtype=np.int64)

    def rows(self, block: str) -> np.ndarray:
        """Row ids of a constraint block."""
        start = self.row_start[block]
        return np.arange(start, start + self.constraints[block].size, dtype=np.int64)

    @cached_property
    def arrays(self) -> ArrayModel:
        """The solver arrays at the blocks' own bounds (CSR rows in block order)."""
        return _array_model(self)

    @cached_property
    def col_period(self) -> np.ndarray:
        """Period of each column (-1 for horizon columns)."""
        return np.concatenate([b.period for b in self.variables.values()] or [np.zeros(0, np.int64)])

    @cached_property
    def row_period(self) -> np.ndarray:
        """Period of each row (-1 for rows that span periods)."""
        return np.concatenate([b.period for b in self.constraints.values()] or [np.zeros(0, np.int64)])

    def coupled_rows(self) -> tuple[str, ...]:
        """Constraint blocks with rows that span periods (declared ``adjacent`` or ``horizon``)."""
        return tuple(n for n, b in self.constraints.items() if b.coupling != "none" and b.size)

    def horizon_columns(self) -> tuple[str, ...]:
        """Variable blocks with columns that span the horizon."""
        return tuple(n for n, b in self.variables.items() if b.coupling == "horizon" and b.size)

    @cached_property
    def column_names(self) -> tuple[str, ...]:
        """Every column's name, in column order (the writer's and CBC's)."""
        return tuple(name for b in self.variables.values() for name in b.names())

    @cached_property
    def row_names(self) -> tuple[str, ...]:
        """Every row's name, in row order (the writer's and CBC's)."""
        return tuple(name for b in self.constraints.values() for name in b.names())

    def split(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """Column values per variable block."""
        return {n: x[self.col_start[n] : self.col_start[n] + b.size] for n, b in self.variables.items()}

    def split_rows(self, y: np.ndarray) -> dict[str, np.ndarray]:
        """Row values (duals, slacks) per constraint block."""
        return {n: y[self.row_start[n] : self.row_start[n] + b.size] for n, b in self.constraints.items()}

    def stack(self, values: dict[str, np.ndarray]) -> np.ndarray:
        """One column vector from per-block values (NaN read as 0)."""
        return np.concatenate(
            [np.nan_to_num(np.asarray(values[n], dtype=float)) for n in self.variables] or [np.zeros(0)]
        )

    def bounds_with(self, fixings: Fixings | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Column (lower, upper) bounds with the given blocks fixed (integer ones at whole numbers)."""
        lower, upper = self.arrays.lower.copy(), self.arrays.upper.copy()
        for name, vals in (fixings or {}).items():
            block = self.variables[name]
            fixed = np.asarray(vals, dtype=float)
            fixed = np.round(fixed) if block.integer else fixed
            cols = self.columns(name)
            lower[cols] = upper[cols] = fixed
        return lower, upper

    def objective_of(self, values: dict[str, np.ndarray]) -> float:
        """Re-price a solution with the objective coefficients (NaN read as 0)."""
        return float(sum(np.nansum(b.cost * values[n]) for n, b in self.variables.items()))

    def is_integral(self, values: dict[str, np.ndarray]) -> bool:
        """True when every integer block has values, all whole numbers (within 1e-6)."""
        for name in self.integer_blocks:
            v = values.get(name)
            if v is None or np.any(np.isnan(v)) or np.any(np.abs(v - np.round(v)) > _INTEGRALITY_TOL):
                return False
        return True

    def slacks(self, values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Per row: ``rhs - Ax`` for ``<=`` rows, ``Ax - rhs`` for the others (at ``values``)."""
        return self.split_rows(row_slacks(self.arrays, self.stack(values)))


def entry_rows(model: ArrayModel) -> np.ndarray:
    """The row of each CSR entry."""
    return np.repeat(np.arange(model.n_rows), np.diff(model.start))


def row_activity(model: ArrayModel, x: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
    """``Ax`` per row (``rows``: :func:`entry_rows`, when the caller has them already)."""
    at = entry_rows(model) if rows is None else rows
    activity: np.ndarray = np.bincount(at, weights=model.value * x[model.index], minlength=model.n_rows)
    return activity


def row_slacks(model: ArrayModel, x: np.ndarray) -> np.ndarray:
    """Slack of each row: ``upper - Ax`` for ``<=`` rows, ``Ax - lower`` for the others."""
    activity = row_activity(model, x)
    upper_only = np.isfinite(model.row_upper) & ~np.isfinite(model.row_lower)
    slack: np.ndarray = np.where(upper_only, model.row_upper - activity, activity - model.row_lower)
    return slack


def _block_entries(m: PlanningModel, block: ConstraintBlock) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, column, coefficient) of a block's nonzero entries, row by row, in the order given."""
    if not block.terms:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    row = np.concatenate([t.row for t in block.terms]).astype(np.int64)
    col = np.concatenate([m.col_start[t.block] + t.col.astype(np.int64) for t in block.terms])
    coef = np.concatenate([t.coef for t in block.terms]).astype(float)
    order = np.argsort(row, kind="stable")
    row, col, coef = row[order], col[order], coef[order]
    nonzero = coef != 0
    return row[nonzero], col[nonzero], coef[nonzero]


def _array_model(m: PlanningModel) -> ArrayModel:
    rows, cols, coefs, lowers, uppers = [], [], [], [], []
    for name, block in m.constraints.items():
        r, c, v = _block_entries(m, block)
        rows.append(r + m.row_start[name])
        cols.append(c)
        coefs.append(v)
        low, up = block.bounds()
        lowers.append(low)
        uppers.append(up)
    variables = list(m.variables.values())
    row = np.concatenate(rows) if rows else np.zeros(0, np.int64)
    start = np.concatenate([[0], np.cumsum(np.bincount(row, minlength=m.n_constraints))]).astype(np.int64)
    return ArrayModel(
        cost=np.concatenate([b.cost for b in variables] or [np.zeros(0)]).astype(float),
        lower=np.concatenate([b.lower for b in variables] or [np.zeros(0)]).astype(float),
        upper=np.concatenate([b.upper for b in variables] or [np.zeros(0)]).astype(float),
        integer=np.concatenate([np.full(b.size, b.integer) for b in variables] or [np.zeros(0, bool)]),
        row_lower=np.concatenate(lowers) if lowers else np.zeros(0),
        row_upper=np.concatenate(uppers) if uppers else np.zeros(0),
        start=start,
        index=np.concatenate(cols) if cols else np.zeros(0, np.int64),
        value=np.concatenate(coefs) if coefs else np.zeros(0),
    )
