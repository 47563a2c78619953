"""The one table of model families: read by the builder, the engine, the writer and the docs test.

Adding a constraint family is one function (:mod:`planner.formulation.constraints`), one row in
:data:`CONSTRAINTS`, its golden file (``tests/data/golden/<name>.txt``) and its row in
``docs/formulation.md``; ``tests/test_formulation_docs.py`` fails when one of them is missing.
Adding a variable family is the same with :mod:`planner.formulation.variables` and
:data:`VARIABLES`; an integer family also names its rounding rule (``rounding``), or the engine
repairs plans with the MILP alone (it never returns a fractional value for an integer family).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from planner.formulation import constraints as cons
from planner.formulation import variables as var
from planner.formulation.blocks import ConstraintBlock, Coupling, VariableBlock
from planner.formulation.index import IndexSets
from planner.settings import SolveSettings

#: Rounding rules the engine's stage 2 knows (``planner.rounding``).
ROUNDING_RULES = ("replicas", "whole-chips")


@dataclass(frozen=True)
class VariableFamily:
    """A variable family: its builder, integrality, coupling and (integer families) rounding rule."""

    name: str
    build: Callable[[IndexSets, SolveSettings], VariableBlock]
    integer: bool
    coupling: Coupling
    rounding: str | None = None


@dataclass(frozen=True)
class ConstraintFamily:
    """A constraint family: its builder, coupling across periods and the meaning of its dual."""

    name: str
    build: Callable[[cons.Parts], ConstraintBlock | None]
    coupling: Coupling
    dual: str


VARIABLES: tuple[VariableFamily, ...] = (
    VariableFamily("route", var.route_block, False, "none"),
    VariableFamily("api", var.api_block, False, "none"),
    VariableFamily("unmet", var.unmet_block, False, "none"),
    VariableFamily("replicas", var.replicas_block, True, "none", "replicas"),
    VariableFamily("supply", var.supply_block, True, "none", "whole-chips"),
    VariableFamily("commit", var.commit_block, True, "horizon", "whole-chips"),
)

CONSTRAINTS: tuple[ConstraintFamily, ...] = (
    ConstraintFamily("cover", cons.add_demand_cover, "none", "marginal cost of one more request/s"),
    ConstraintFamily("capacity", cons.add_replica_capacity, "none", "value of one more replica"),
    ConstraintFamily("link", cons.add_route_link, "none", "cost of the whole replica a route calls for"),
    ConstraintFamily("chips", cons.add_chip_balance, "none", "saving per extra chip"),
    ConstraintFamily("spot", cons.add_spot_share, "none", "value of one more spot chip"),
    ConstraintFamily("minreplicas", cons.add_min_replicas, "none", "cost of the last replica a floor needs"),
    ConstraintFamily("apishare", cons.add_max_api_share, "none", "saving per request/s more to APIs"),
    ConstraintFamily("apirate", cons.add_api_rate_limits, "none", "saving per request/s of limit"),
    ConstraintFamily("apitokens", cons.add_api_token_limits, "none", "saving per token/min of limit"),
    ConstraintFamily("maxchips", cons.add_max_chips, "none", "saving per extra chip allowed"),
    ConstraintFamily("budget", cons.add_budget, "horizon", "penalty saved per extra dollar of budget"),
)


def variable_family(name: str) -> VariableFamily:
    """The registry row of a variable family."""
    for family in VARIABLES:
        if family.name == name:
            return family
    raise KeyError(name)
