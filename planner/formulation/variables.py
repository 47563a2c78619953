"""One function per variable family of the planning MILP; each returns its block.

Every function takes the index sets and the settings and returns a
:class:`planner.formulation.blocks.VariableBlock`: coordinates (positions into the index sets),
bounds, integrality, cost (USD over the horizon per unit) and coupling. The registry
(:mod:`planner.formulation.registry`) lists them in column order.
"""

from __future__ import annotations

import numpy as np

from planner.formulation.blocks import Coupling, VariableBlock
from planner.formulation.index import IndexSets, replica_rows
from planner.settings import SolveSettings
from planner.units import SECONDS_PER_HOUR


def _block(
    name: str,
    prefix: str,
    coords: dict[str, np.ndarray],
    cost: np.ndarray,
    integer: bool,
    upper: np.ndarray | None = None,
    coupling: Coupling = "none",
) -> VariableBlock:
    n = len(cost)
    return VariableBlock(
        name=name,
        prefix=prefix,
        coords={c: np.asarray(v, dtype=np.int64) for c, v in coords.items()},
        lower=np.zeros(n),
        upper=np.full(n, np.inf) if upper is None else np.asarray(upper, dtype=float),
        integer=integer,
        cost=np.asarray(cost, dtype=float),
        coupling=coupling,
    )


def _row_pw(ix: IndexSets, d: np.ndarray) -> dict[str, np.ndarray]:
    cover_pw = ix.cover[["p", "w"]].to_numpy(np.int64)
    pw = cover_pw[d] if len(d) else np.zeros((0, 2), np.int64)
    return {"p": pw[:, 0], "w": pw[:, 1]}


def route_block(ix: IndexSets, settings: SolveSettings) -> VariableBlock:
    """``x_do`` (``route_p{p}_w{w}_o{o}``): continuous requests/s of row d served by option o; cost 0."""
    coords = {**_row_pw(ix, ix.route["d"].to_numpy(np.int64)), "o": ix.route["o"].to_numpy()}
    return _block("route", "route", coords, np.zeros(len(ix.route)), False)


def api_block(ix: IndexSets, settings: SolveSettings) -> VariableBlock:
    """``y_dk`` (``api_p{p}_w{w}_k{k}``): requests/s of row d sent to API k, at its USD per request."""
    coords = {**_row_pw(ix, ix.api["d"].to_numpy(np.int64)), "k": ix.api["k"].to_numpy()}
    cost = ix.api["usd_per_request"].to_numpy(float) * SECONDS_PER_HOUR * ix.api["hours"].to_numpy(float)
    return _block("api", "api", coords, cost, False)


def unmet_block(ix: IndexSets, settings: SolveSettings) -> VariableBlock:
    """``u_d`` (``unmet_p{p}_w{w}``): unmet requests/s, at ``--unmet-penalty`` per request."""
    cost = settings.unmet_penalty_usd_per_request * SECONDS_PER_HOUR * ix.cover["hours"].to_numpy(float)
    return _block("unmet", "unmet", _row_pw(ix, np.arange(len(ix.cover))), cost, False)


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


def replicas_block(ix: IndexSets, settings: SolveSettings) -> VariableBlock:
    """``n_po`` (``replicas_p{p}_o{o}``): integer replicas, cost 0, at most :func:`replica_upper_bounds`."""
    coords = {"p": ix.replica["p"].to_numpy(), "o": ix.replica["o"].to_numpy()}
    return _block("replicas", "replicas", coords, np.zeros(len(ix.replica)), True, replica_upper_bounds(ix))


def supply_block(ix: IndexSets, settings: SolveSettings) -> VariableBlock:
    """``s_paf`` (``chips_p{p}_a{a}_f{f}``): integer chips (or nodes) bought in period p, at its price."""
    supply = ix.supply
    hours = ix.hours[supply["p"].to_numpy(int)] if len(supply) else np.array([])
    cost = (supply["usd_per_chip_hour"] * supply["multiplier"]).to_numpy(float) * hours
    coords = {"p": supply["p"].to_numpy(), "a": supply["a"].to_numpy(), "f": supply["f"].to_numpy()}
    return _block("supply", "chips", coords, cost, True)


def commit_block(ix: IndexSets, settings: SolveSettings) -> VariableBlock:
    """``c_af`` (``commit_a{a}_f{f}``): integer chips (or nodes) committed over the whole horizon."""
    commit = ix.commit
    cost = (commit["usd_per_chip_hour"] * commit["multiplier"] * commit["charged_hours"]).to_numpy(float)
    coords = {"a": commit["a"].to_numpy(), "f": commit["f"].to_numpy()}
    return _block("commit", "commit", coords, cost, True, coupling="horizon")
