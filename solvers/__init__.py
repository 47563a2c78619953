"""Solvers behind one small interface: HiGHS by default, CBC as fallback.

``solve(lp, name, mip=..., ...)`` returns a :class:`solvers.base.SolveResult` whose status is
mapped in one place (:func:`solvers.base.map_status`).
"""

from __future__ import annotations

import pulp

from solvers.base import SolveResult, Status, map_status
from solvers.cbc import cbc_available, solve_cbc
from solvers.highs import solve_highs

SOLVERS = ("highs", "cbc")

__all__ = ["SOLVERS", "SolveResult", "Status", "available_solvers", "map_status", "solve"]


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


def solve(
    lp: pulp.LpProblem,
    name: str = "highs",
    *,
    mip: bool,
    time_limit_s: float | None = None,
    mip_gap: float = 1e-3,
    threads: int | None = None,
    start: dict[str, float] | None = None,
) -> SolveResult:
    """Solve ``lp`` with the named solver (``highs`` or ``cbc``)."""
    if name == "highs":
        return solve_highs(
            lp, mip=mip, time_limit_s=time_limit_s, mip_gap=mip_gap, threads=threads, start=start
        )
    if name == "cbc":
        return solve_cbc(
            lp, mip=mip, time_limit_s=time_limit_s, mip_gap=mip_gap, threads=threads, start=start
        )
    raise ValueError(f"unknown solver {name!r}; valid: {', '.join(SOLVERS)}")
