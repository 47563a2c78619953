"""The planning model as arrays: walked once from PuLP, then solved whole or one period at a time.

PuLP stays the modelling layer (names, ``--save-model``, the CBC path). For HiGHS the engine walks
the PuLP rows once into a CSR matrix whose columns are the variable families in
:data:`planner.formulation.model.FAMILIES` order; whole-model solves read the current bounds from
the PuLP variables (the engine fixes choices through them) and write values and duals back, and
each period's MILP is a numpy slice of the matrix instead of a rebuilt PuLP model.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pulp

from planner.formulation.model import FAMILIES, INTEGER_FAMILIES, PlanningModel
from solvers.arrays import ArrayModel, ArraySolution, solve_arrays

#: ``row_period`` of a row whose columns span several periods (the budget row).
SEVERAL_PERIODS = -2


@dataclass(frozen=True)
class Matrix:
    """A planning model's arrays, with the PuLP objects to write solutions back to.

    Attributes:
        model: the arrays, with the bounds the variables had when the matrix was built (solves
            read the current ones from ``columns``).
        columns: the PuLP variables, in column order (families in ``FAMILIES`` order).
        rows: the PuLP constraints, in row order.
        family_start: first column of each family.
        col_period: period of each column (-1 for committed offers, which span the horizon).
        row_period: period of each row (-1 without period columns, ``SEVERAL_PERIODS`` when mixed).
    """

    model: ArrayModel
    columns: np.ndarray
    rows: list[pulp.LpConstraint]
    family_start: dict[str, int]
    col_period: np.ndarray
    row_period: np.ndarray


def build_matrix(m: PlanningModel) -> Matrix:
    """Walk the PuLP model once into arrays (columns in family order, rows in family order)."""
    families = [getattr(m, name) for name in FAMILIES]
    columns = np.concatenate(families) if families else np.zeros(0, dtype=object)
    starts = np.cumsum([0] + [len(f) for f in families])
    rows = [row for family_rows, _index in m.rows.values() for row in family_rows]
    if len(rows) != m.prob.numConstraints():
        raise ValueError("model rows and PuLP constraints differ; build the matrix from a built model")
    start, index, value = _csr(rows, {v.name: i for i, v in enumerate(columns)})
    lower, upper = bounds_of(columns)
    col_period = _column_periods(m)
    model = ArrayModel(
        cost=np.concatenate([m.cost[name] for name in FAMILIES]).astype(float),
        lower=lower,
        upper=upper,
        integer=np.repeat([name in INTEGER_FAMILIES for name in FAMILIES], [len(f) for f in families]),
        row_lower=np.array([-np.inf if r.getLb() is None else r.getLb() for r in rows], dtype=float),
        row_upper=np.array([np.inf if r.getUb() is None else r.getUb() for r in rows], dtype=float),
        start=start,
        index=index,
        value=value,
    )
    family_start = {name: int(s) for name, s in zip(FAMILIES, starts, strict=False)}
    return Matrix(model, columns, rows, family_start, col_period, _row_periods(model, col_period))


def _csr(rows: list[pulp.LpConstraint], col_of: dict[str, int]) -> tuple[np.ndarray, ...]:
    lengths = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))
    start = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    index = np.fromiter(
        (col_of[v.name] for r in rows for v, _c in r.items()), dtype=np.int64, count=int(start[-1])
    )
    value = np.fromiter((c for r in rows for _v, c in r.items()), dtype=float, count=int(start[-1]))
    nonzero = value != 0
    if not nonzero.all():
        start = _starts(_entry_rows(start)[nonzero], len(rows))
        index, value = index[nonzero], value[nonzero]
    return start, index, value


def _entry_rows(start: np.ndarray) -> np.ndarray:
    """The row of each entry of a CSR matrix with row starts ``start``."""
    return np.repeat(np.arange(len(start) - 1), np.diff(start))


def _starts(entry_rows: np.ndarray, n_rows: int) -> np.ndarray:
    """CSR row starts for entries listed row by row (``entry_rows`` non-decreasing)."""
    return np.concatenate([[0], np.cumsum(np.bincount(entry_rows, minlength=n_rows))])


def bounds_of(columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Current (lower, upper) bounds of PuLP variables, ``-inf`` / ``inf`` where open."""
    lower = np.array([v.lowBound for v in columns], dtype=float)
    upper = np.array([v.upBound for v in columns], dtype=float)
    return np.nan_to_num(lower, nan=-np.inf), np.nan_to_num(upper, nan=np.inf)


def _column_periods(m: PlanningModel) -> np.ndarray:
    ix = m.index
    per_family = {
        "route": ix.route["p"],
        "api": ix.api["p"],
        "unmet": ix.cover["p"],
        "replicas": ix.replica["p"],
        "supply": ix.supply["p"],
    }
    parts = [per_family[name].to_numpy(np.int64) for name in FAMILIES if name in per_family]
    return np.concatenate([*parts, np.full(len(m.commit), -1, dtype=np.int64)])


def _row_periods(model: ArrayModel, col_period: np.ndarray) -> np.ndarray:
    row_of_entry = _entry_rows(model.start)
    period = col_period[model.index]
    timed = period >= 0
    high = np.full(model.n_rows, -1, dtype=np.int64)
    np.maximum.at(high, row_of_entry[timed], period[timed])
    low = np.full(model.n_rows, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(low, row_of_entry[timed], period[timed])
    return np.where((high >= 0) & (low != high), SEVERAL_PERIODS, high)


def matrix_of(m: PlanningModel) -> Matrix:
    """The model's arrays, walked from PuLP on first use and kept on the model."""
    if m.matrix is None:
        m.matrix = build_matrix(m)
    return m.matrix


def current_model(mx: Matrix) -> ArrayModel:
    """The arrays with the PuLP variables' current bounds (the engine fixes choices through them)."""
    lower, upper = bounds_of(mx.columns)
    return dataclasses.replace(mx.model, lower=lower, upper=upper)


def solve_whole(
    mx: Matrix,
    *,
    mip: bool,
    time_limit_s: float | None,
    mip_gap: float,
    threads: int | None,
    work_limit: int | None = None,
    proven_at: float | None = None,
) -> ArraySolution:
    """Solve the whole model at the PuLP variables' current bounds; write values and duals back."""
    model = current_model(mx)
    solution = solve_arrays(
        model,
        mip=mip,
        time_limit_s=time_limit_s,
        mip_gap=mip_gap,
        threads=threads,
        work_limit=work_limit,
        proven_at=proven_at,
    )
    write_back(mx, model, solution)
    return solution


def write_back(mx: Matrix, model: ArrayModel, solution: ArraySolution) -> None:
    """Values into the PuLP variables, duals and slacks into its rows (None where there are none)."""
    x = solution.x if solution.x is not None else [None] * len(mx.columns)
    for var, val in zip(mx.columns, x, strict=True):
        var.varValue = val
    duals = solution.duals if solution.duals is not None else [None] * len(mx.rows)
    slacks = row_slacks(model, solution.x) if solution.x is not None else [None] * len(mx.rows)
    for row, dual, slack in zip(mx.rows, duals, slacks, strict=True):
        row.pi, row.slack = dual, slack


def row_slacks(model: ArrayModel, x: np.ndarray) -> np.ndarray:
    """PuLP's slack of each row: ``upper - Ax`` for ``<=`` rows, ``Ax - lower`` for the others."""
    activity = np.bincount(
        _entry_rows(model.start), weights=model.value * x[model.index], minlength=model.n_rows
    )
    upper_only = np.isfinite(model.row_upper) & ~np.isfinite(model.row_lower)
    slack: np.ndarray = np.where(upper_only, model.row_upper - activity, activity - model.row_lower)
    return slack


def period_model(
    mx: Matrix,
    p: int,
    cols: dict[str, np.ndarray],
    commit_share: float | None,
    fixed_commit: np.ndarray | None,
) -> ArrayModel:
    """Period p's MILP over the given columns (per family, positions within the family).

    Rows are the period's rows; entries on columns left out are dropped (those columns are 0).
    Bounds are the PuLP variables' current ones, as in :func:`solve_whole`. With ``commit_share``
    committed offers cost that share; with ``fixed_commit`` they are fixed.
    """
    base = mx.model
    col = np.concatenate([mx.family_start[name] + np.asarray(cols[name], np.int64) for name in FAMILIES])
    new_col = np.full(base.n_cols, -1, dtype=np.int64)
    new_col[col] = np.arange(len(col))
    start, index, value, row_ids = _row_slice(base, np.flatnonzero(mx.row_period == p), new_col)
    cost = base.cost[col].copy()
    lower, upper = bounds_of(mx.columns[col])
    commit = np.arange(len(col) - len(cols["commit"]), len(col))
    if commit_share is not None:
        cost[commit] *= commit_share
    if fixed_commit is not None:
        lower[commit] = upper[commit] = np.round(fixed_commit)
    return ArrayModel(
        cost,
        lower,
        upper,
        base.integer[col],
        base.row_lower[row_ids],
        base.row_upper[row_ids],
        start,
        index,
        value,
    )


def _row_slice(base: ArrayModel, row_ids: np.ndarray, new_col: np.ndarray) -> tuple[np.ndarray, ...]:
    """CSR of the given rows with columns renumbered by ``new_col`` (entries on -1 dropped)."""
    lengths = base.start[row_ids + 1] - base.start[row_ids]
    total = int(lengths.sum())
    first = np.repeat(base.start[row_ids] - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
    entries = first + np.arange(total)
    cols = new_col[base.index[entries]]
    keep = cols >= 0
    start = _starts(np.repeat(np.arange(len(row_ids)), lengths)[keep], len(row_ids))
    return start, cols[keep], base.value[entries][keep], row_ids


def split_values(x: np.ndarray, cols: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Column values of a period model back into families (aligned with ``cols``)."""
    bounds = np.cumsum([0] + [len(cols[name]) for name in FAMILIES])
    return {name: x[bounds[i] : bounds[i + 1]] for i, name in enumerate(FAMILIES)}
