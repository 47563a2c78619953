"""Build the planning MILP from the index sets: every registered variable and constraint family."""

from __future__ import annotations

import dataclasses

import numpy as np

from planner.catalog.schema import Catalog
from planner.demand import Demand
from planner.fleet import Fleet
from planner.formulation import registry
from planner.formulation.blocks import ConstraintBlock, PlanningModel, VariableBlock
from planner.formulation.constraints import Parts
from planner.formulation.index import IndexSets, build_index
from planner.options import Options
from planner.settings import SolveSettings


def api_token_counts(ix: IndexSets, options: Options) -> np.ndarray:
    """Input + output tokens per request for each ``index.api`` row."""
    shapes = options.shapes
    shape_of_row = (
        ix.cover["shape"].to_numpy(int)[ix.api["d"].to_numpy(int)] if len(ix.api) else np.array([], int)
    )
    tokens = (shapes["input_tokens"].astype(float) + shapes["output_tokens"].astype(float)).to_numpy()
    per_row: np.ndarray = tokens[shape_of_row]
    return per_row


def build_model(
    options: Options,
    demand: Demand,
    catalog: Catalog,
    settings: SolveSettings,
    apis: tuple[str, ...],
    fleet: Fleet | None = None,
) -> PlanningModel:
    """The planning MILP for one run: index sets, then every family of the registry."""
    ix = build_index(options, demand, catalog, settings, apis, fleet)
    return model_from_index(ix, options, catalog, settings)


def _checked_variables(family: registry.VariableFamily, block: VariableBlock) -> VariableBlock:
    if block.name != family.name or block.integer != family.integer or block.coupling != family.coupling:
        raise ValueError(f"variable family {family.name}: its block disagrees with its registry row")
    return block


def _checked_rows(family: registry.ConstraintFamily, block: ConstraintBlock) -> ConstraintBlock:
    if block.name != family.name:
        raise ValueError(f"constraint family {family.name}: its block is named {block.name}")
    if block.coupling != family.coupling:  # the registry's declaration is the one the engine reads
        block = dataclasses.replace(block, coupling=family.coupling)
    return block


def model_from_index(
    ix: IndexSets, options: Options, catalog: Catalog, settings: SolveSettings
) -> PlanningModel:
    """The planning MILP over given index sets."""
    variables = {f.name: _checked_variables(f, f.build(ix, settings)) for f in registry.VARIABLES}
    parts = Parts(ix, variables, settings, catalog, api_token_counts(ix, options))
    constraints = {}
    for family in registry.CONSTRAINTS:
        block = family.build(parts)
        if block is not None:
            constraints[family.name] = _checked_rows(family, block)
    model = PlanningModel(ix, variables, constraints)
    _ = model.arrays  # the solver arrays, derived once, as part of the build
    return model
