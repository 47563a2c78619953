"""Vectorised expression building: many grouped sums, each made in one shot.

Python's ``sum()`` over PuLP terms is quadratic and ``+=`` loops are slow; here every row of a
constraint family is one ``LpAffineExpression`` built from (variable, coefficient) pairs that were
grouped with numpy first.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import numpy as np
import pulp


def make_variables(
    prob: pulp.LpProblem, names: Sequence[str], low: float | None, up: float | None, integer: bool
) -> np.ndarray:
    """Create one variable per name; return them as an object array."""
    cat = pulp.LpInteger if integer else pulp.LpContinuous
    out = np.empty(len(names), dtype=object)
    out[:] = [prob.add_variable(name, low, up, cat) for name in names]
    return out


def grouped_sums(
    groups: np.ndarray, variables: np.ndarray, coefs: np.ndarray, n_groups: int
) -> list[pulp.LpAffineExpression]:
    """``[sum(coefs[i] * variables[i] for i with groups[i] == g) for g in range(n_groups)]``.

    Each variable must appear at most once per group (an ``LpAffineExpression`` built from pairs
    keeps the last coefficient of a repeated variable).
    """
    order = np.argsort(groups, kind="stable")
    g, v, c = groups[order], variables[order], coefs[order].astype(float)
    bounds = np.searchsorted(g, np.arange(n_groups + 1))
    return [pulp.LpAffineExpression(list(zip(v[s:e], c[s:e], strict=True))) for s, e in pairwise(bounds)]


def stack(*parts: tuple[np.ndarray, np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Concatenate several (groups, variables, coefficients) triples into one."""
    groups = np.concatenate([p[0] for p in parts]).astype(np.int64)
    variables = np.concatenate([p[1] for p in parts])
    coefs = np.concatenate([p[2] for p in parts]).astype(float)
    return groups, variables, coefs


def add_rows(
    prob: pulp.LpProblem,
    exprs: list[pulp.LpAffineExpression],
    sense: int,
    rhs: np.ndarray,
    names: Sequence[str],
) -> list[pulp.LpConstraint]:
    """Add one constraint per expression: ``expr (sense) rhs``, named; return them in order."""
    rows = [pulp.LpConstraint(e, sense, n, float(r)) for e, r, n in zip(exprs, rhs, names, strict=True)]
    for row in rows:
        prob.addConstraint(row)
    return rows
