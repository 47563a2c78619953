"""The one PuLP writer: a model given as arrays, written as a PuLP problem.

PuLP is the canonical LP/MPS export (``--save-model``) and the way to CBC; nothing else in the
project builds PuLP objects. Rows are written with the names given, in order: ``=`` where both row
bounds are equal, ``<=`` where only the upper one is finite, ``>=`` where only the lower one is.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pulp

from solvers.arrays import ArrayModel

#: The model name written into LP and MPS files.
MODEL_NAME = "fleetplan"


@dataclass(frozen=True)
class Written:
    """A PuLP problem and its columns and rows, in the arrays' order."""

    problem: pulp.LpProblem
    columns: list[pulp.LpVariable]
    rows: list[pulp.LpConstraint]


def _bound(value: float) -> float | None:
    return None if not np.isfinite(value) else float(value)


def _sense(lower: float, upper: float) -> tuple[int, float]:
    if np.isfinite(lower) and np.isfinite(upper):
        if lower != upper:
            raise ValueError("the PuLP writer takes no ranged rows (lower < upper, both finite)")
        return pulp.LpConstraintEQ, float(upper)
    if np.isfinite(upper):
        return pulp.LpConstraintLE, float(upper)
    if np.isfinite(lower):
        return pulp.LpConstraintGE, float(lower)
    raise ValueError("the PuLP writer takes no free rows")


def to_pulp(
    model: ArrayModel, col_names: Sequence[str], row_names: Sequence[str], *, mip: bool = True
) -> Written:
    """The arrays as a PuLP problem (integer columns stay integer when ``mip``)."""
    prob = pulp.LpProblem(MODEL_NAME, pulp.LpMinimize)
    columns = [
        prob.add_variable(
            name,
            _bound(lo),
            _bound(up),
            pulp.LpInteger if (mip and integer) else pulp.LpContinuous,
        )
        for name, lo, up, integer in zip(
            col_names, model.lower.tolist(), model.upper.tolist(), model.integer.tolist(), strict=True
        )
    ]
    rows = []
    index, value = model.index.tolist(), model.value.tolist()
    start = model.start.tolist()
    for i, name in enumerate(row_names):
        s, e = start[i], start[i + 1]
        expr = pulp.LpAffineExpression([(columns[j], c) for j, c in zip(index[s:e], value[s:e], strict=True)])
        sense, rhs = _sense(model.row_lower[i], model.row_upper[i])
        row = pulp.LpConstraint(expr, sense, name, rhs)
        prob.addConstraint(row)
        rows.append(row)
    nonzero = np.flatnonzero(model.cost != 0)
    prob.setObjective(pulp.LpAffineExpression([(columns[j], float(model.cost[j])) for j in nonzero]))
    return Written(prob, columns, rows)


def write_file(
    model: ArrayModel,
    col_names: Sequence[str],
    row_names: Sequence[str],
    path: str | os.PathLike[str],
    file_format: str,
) -> None:
    """Write the model at ``path`` as ``lp`` or ``mps`` (``file_format``)."""
    prob = to_pulp(model, col_names, row_names).problem
    if file_format == "lp":
        prob.writeLP(str(path))
    elif file_format == "mps":
        prob.writeMPS(str(path))
    else:
        raise ValueError(f"unknown model format {file_format!r}; valid: lp, mps")
