"""What extraction reads (:class:`Context`) and how it rounds what a plan prints.

Kept apart from :mod:`planner.extract` so that the modules that build a plan's lines
(:mod:`planner.extract_lines`, :mod:`planner.extract_workloads`, :mod:`planner.plan_serving`) and
the plan's assembly all read one definition without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from planner.catalog.schema import Catalog
from planner.demand import Demand
from planner.engine import EngineResult
from planner.fleet import Fleet
from planner.formulation.blocks import PlanningModel
from planner.options import Options
from planner.settings import SolveSettings

#: Values at or below this (req/s) are solver round-off, not a route.
TINY = 1e-9


def rounded(x: float, digits: int = 6) -> float:
    """``x`` as a plan prints it: rounded to ``digits`` decimals, a plain float, never -0.0."""
    return float(round(float(x), digits)) + 0.0


#: Decimals of the requests/s a plan prints. Costs are priced from the printed rates, and the unmet
#: penalty (about $8.6e7 per request/s over a 24 h period at the default $1,000 per request) makes
#: 6 decimals cost up to $43 of round-off; 12 keep it below $0.0001.
RATE_DIGITS = 12


def rounded_rate(x: float) -> float:
    """A request rate as a plan prints it (:data:`RATE_DIGITS` decimals)."""
    return rounded(x, RATE_DIGITS)


@dataclass(frozen=True)
class Context:
    """Everything extraction reads."""

    model: PlanningModel
    result: EngineResult
    options: Options
    demand: Demand
    catalog: Catalog
    settings: SolveSettings
    fleet: Fleet = field(default_factory=Fleet)
