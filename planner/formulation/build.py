"""Build the planning MILP from the index sets: variables, costs, constraint families, objective."""

from __future__ import annotations

import numpy as np
import pulp

from planner.catalog.schema import Catalog
from planner.demand import Demand
from planner.fleet import Fleet
from planner.formulation import constraints as cons
from planner.formulation.expr import make_variables
from planner.formulation.index import IndexSets, build_index, replica_rows
from planner.formulation.model import PlanningModel
from planner.options import Options
from planner.settings import SolveSettings

SECONDS_PER_HOUR = 3600.0


def replica_upper_bounds(ix: IndexSets) -> np.ndarray:
    """Valid upper bounds on replicas: enough to carry every routable request, plus availability floors."""
    if len(ix.replica) == 0:
        return np.zeros(0)
    rows = replica_rows(ix, ix.route["p"].to_numpy(), ix.route["o"].to_numpy())
    rate = ix.cover["rate"].to_numpy(float)[ix.route["d"].to_numpy(int)]
    need = np.bincount(
        rows,
        weights=rate / (ix.route["r"].to_numpy(float) * ix.route["util"].to_numpy(float)),
        minlength=len(ix.replica),
    )
    floor = ix.cover["min_replicas"].max() if len(ix.cover) else 0
    bounds: np.ndarray = np.ceil(need - 1e-9) + float(floor)
    return bounds


def _variables(prob: pulp.LpProblem, ix: IndexSets) -> dict[str, np.ndarray]:
    route = ix.route
    api = ix.api
    cover_pw = ix.cover[["p", "w"]].to_numpy()
    route_pw = cover_pw[route["d"].to_numpy()] if len(route) else np.zeros((0, 2), int)
    api_pw = cover_pw[api["d"].to_numpy()] if len(api) else np.zeros((0, 2), int)
    return {
        "route": make_variables(
            prob,
            [f"route_p{p}_w{w}_o{o}" for (p, w), o in zip(route_pw, route["o"], strict=True)],
            0,
            None,
            False,
        ),
        "api": make_variables(
            prob, [f"api_p{p}_w{w}_k{k}" for (p, w), k in zip(api_pw, api["k"], strict=True)], 0, None, False
        ),
        "unmet": make_variables(prob, [f"unmet_p{p}_w{w}" for p, w in cover_pw], 0, None, False),
        "replicas": make_variables(
            prob,
            [f"replicas_p{p}_o{o}" for p, o in ix.replica[["p", "o"]].itertuples(index=False)],
            0,
            None,
            True,
        ),
        "supply": make_variables(
            prob,
            [f"chips_p{p}_a{a}_f{f}" for p, a, f in ix.supply[["p", "a", "f"]].itertuples(index=False)],
            0,
            None,
            True,
        ),
        "commit": make_variables(
            prob,
            [f"commit_a{a}_f{f}" for a, f in ix.commit[["a", "f"]].itertuples(index=False)],
            0,
            None,
            True,
        ),
    }


def _costs(ix: IndexSets, settings: SolveSettings) -> dict[str, np.ndarray]:
    """Objective coefficients (USD over the horizon) per unit of each variable."""
    supply_hours = ix.hours[ix.supply["p"].to_numpy(int)] if len(ix.supply) else np.array([])
    return {
        "route": np.zeros(len(ix.route)),
        "api": ix.api["usd_per_request"].to_numpy(float) * SECONDS_PER_HOUR * ix.api["hours"].to_numpy(float),
        "unmet": settings.unmet_penalty_usd_per_request
        * SECONDS_PER_HOUR
        * ix.cover["hours"].to_numpy(float),
        "replicas": np.zeros(len(ix.replica)),
        "supply": (ix.supply["usd_per_chip_hour"] * ix.supply["multiplier"]).to_numpy(float) * supply_hours,
        "commit": (
            ix.commit["usd_per_chip_hour"] * ix.commit["multiplier"] * ix.commit["charged_hours"]
        ).to_numpy(float),
    }


def _objective(m: PlanningModel) -> pulp.LpAffineExpression:
    pairs: list[tuple[pulp.LpVariable, float]] = []
    for name, variables in (
        ("route", m.route),
        ("api", m.api),
        ("unmet", m.unmet),
        ("replicas", m.replicas),
        ("supply", m.supply),
        ("commit", m.commit),
    ):
        coefs = m.cost[name]
        nonzero = coefs != 0
        pairs.extend(zip(variables[nonzero], coefs[nonzero], strict=True))
    return pulp.LpAffineExpression(pairs)


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
    """The planning MILP for one run: index sets, variables, every constraint family, objective."""
    ix = build_index(options, demand, catalog, settings, apis, fleet)
    return model_from_index(ix, options, catalog, settings)


def model_from_index(
    ix: IndexSets, options: Options, catalog: Catalog, settings: SolveSettings
) -> PlanningModel:
    """The planning MILP over given index sets (the whole horizon, or one period's slice)."""
    prob = pulp.LpProblem("fleetplan", pulp.LpMinimize)
    var = _variables(prob, ix)
    for variable, bound in zip(var["replicas"], replica_upper_bounds(ix), strict=True):
        variable.upBound = float(bound)
    m = PlanningModel(
        prob=prob,
        index=ix,
        route=var["route"],
        api=var["api"],
        unmet=var["unmet"],
        replicas=var["replicas"],
        supply=var["supply"],
        commit=var["commit"],
    )
    m.cost = _costs(ix, settings)
    cons.add_demand_cover(m)
    cons.add_replica_capacity(m)
    cons.add_route_link(m)
    cons.add_chip_balance(m)
    cons.add_spot_share(m, settings)
    cons.add_min_replicas(m)
    cons.add_max_api_share(m)
    cons.add_api_rate_limits(m, catalog, api_token_counts(ix, options))
    cons.add_max_chips(m, settings)
    cons.add_budget(m, settings)
    prob.setObjective(_objective(m))
    return m
