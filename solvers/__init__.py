"""Solvers behind one small interface, on models given as arrays: HiGHS by default, CBC as fallback.

* :func:`solvers.arrays.solve_arrays`: one HiGHS solve (LP or MILP) of an :class:`ArrayModel`;
* :class:`solvers.live.LiveLP`: one HiGHS instance kept over a sequence of LP solves that change
  bounds and costs (warm-started, sifted over a working set of columns when asked);
* :func:`solvers.cbc.solve_cbc`: CBC through the PuLP writer (:mod:`solvers.pulp_writer`).

Every result's status is mapped in one place (:func:`solvers.base.map_status`).
"""

from __future__ import annotations

from solvers.base import SolveResult, Status, map_status
from solvers.cbc import cbc_available

SOLVERS = ("highs", "cbc")

__all__ = ["SOLVERS", "SolveResult", "Status", "available_solvers", "map_status"]


def available_solvers() -> list[str]:
    """Names of the solvers that can run here."""
    names = []
    try:
        import highspy  # noqa: F401

        names.append("highs")
    except ImportError:
        pass
    if cbc_available():
        names.append("cbc")
    return names
