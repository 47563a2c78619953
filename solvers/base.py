"""What every solver returns, and the one function that maps raw solver states to ours."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Status = Literal["optimal", "feasible", "infeasible", "unbounded", "no_solution"]


@dataclass(frozen=True)
class SolveResult:
    """The outcome of one solver call.

    Attributes:
        status: ``optimal`` (proven within the gap asked for), ``feasible`` (a solution, not proven),
            ``infeasible``, ``unbounded`` or ``no_solution`` (stopped before finding one).
        objective: objective value of the solution written back, or None.
        bound: best proven lower bound (MILP dual bound; the objective for an LP), or None.
        seconds: wall-clock seconds of the call, hand-off included.
        solver: solver name.
        detail: the solver's own status text.
        stopped_by: what ended a MILP short of its gap: ``time_limit`` (the clock),
            ``work_limit`` (a node or iteration limit), ``proven_elsewhere`` (its bound proved a
            plan found outside it), or None (it ran to its gap, or it is an LP).
    """

    status: Status
    objective: float | None
    bound: float | None
    seconds: float
    solver: str
    detail: str
    stopped_by: str | None = None

    @property
    def has_solution(self) -> bool:
        """True when values were written back that can be trusted."""
        return self.status in ("optimal", "feasible")


def map_status(model_status: str, has_primal: bool, integral: bool, mip: bool) -> Status:
    """Map a solver's model status and solution flags to a fleetplan status.

    A solution counts only when the solver says it has a primal solution and, for a MILP, its
    integer variables are integral: PuLP fills values from the LP relaxation when a MILP stops
    without an integer solution.
    """
    text = model_status.lower()
    if "infeasible" in text and "unbounded" not in text:
        return "infeasible"
    if text == "unbounded":
        return "unbounded"
    if not has_primal or (mip and not integral):
        return "no_solution"
    return "optimal" if text == "optimal" else "feasible"
