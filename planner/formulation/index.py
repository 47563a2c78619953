"""Sparse index sets of the planning MILP, computed in pandas before any variable exists.

Every set is a DataFrame whose row number is the position of its variable in the aligned variable
array (see ``planner.formulation.build``). Names in the model use integer positions only:
``p`` period, ``w`` workload, ``o`` deployment option, ``a`` accelerator, ``k`` API offering,
``f`` price offer; the tables in ``docs/formulation.md`` map them back to ids.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.catalog.schema import Catalog
from planner.demand import Demand
from planner.fleet import Fleet
from planner.options import Options
from planner.settings import SolveSettings
from planner.trends import price_factors

HOURS_PER_TERM = {"committed_1y": 8760.0, "committed_3y": 26280.0}


@dataclass(frozen=True)
class IndexSets:
    """The index sets of one model.

    Attributes:
        periods: period labels in order; ``hours`` their lengths.
        workloads: workload ids in order.
        cover: one row per demand row with a positive rate (p, w, shape, rate, hours, util, ...).
        route: (cover row ``d``, option ``o``, requests_per_s of one replica ``r``).
        api: (cover row ``d``, API position ``k``, usd_per_request).
        replica: (period ``p``, option ``o``, accelerator position ``a``, chips).
        supply: (period ``p``, accelerator ``a``, offer ``f``, tier, multiplier, usd_per_chip_hour):
            per-period offers (on-demand, spot).
        commit: (accelerator ``a``, offer ``f``, tier, multiplier, usd_per_chip_hour, charged_hours,
            beyond_hours): one count over the horizon.
        accelerators, apis: ids by position.
        owned: ``[p, a]`` chips of accelerator ``a`` you already have in period ``p`` (``--fleet``),
            None without a fleet.
    """

    periods: tuple[str, ...]
    hours: np.ndarray
    workloads: tuple[str, ...]
    cover: pd.DataFrame
    route: pd.DataFrame
    api: pd.DataFrame
    replica: pd.DataFrame
    supply: pd.DataFrame
    commit: pd.DataFrame
    accelerators: tuple[str, ...]
    apis: tuple[str, ...]
    owned: np.ndarray | None = None

    def owned_chips(self, p: np.ndarray, a: np.ndarray) -> np.ndarray:
        """Owned chips per (period, accelerator) position pair (0 without a fleet)."""
        if self.owned is None:
            return np.zeros(len(p))
        values: np.ndarray = self.owned[np.asarray(p, np.int64), np.asarray(a, np.int64)]
        return values

    @property
    def horizon_hours(self) -> float:
        """Total hours of all periods."""
        return float(self.hours.sum())


def build_cover(options: Options, demand: Demand, settings: SolveSettings) -> pd.DataFrame:
    """Demand rows with a positive rate, with their period and workload positions."""
    rows = options.rows
    workload_pos = {w: i for i, w in enumerate(demand.workloads)}
    cover = pd.DataFrame(
        {
            "p": rows["period_index"].to_numpy(int),
            "w": rows["workload"].map(workload_pos).to_numpy(int),
            "shape": rows["shape"].to_numpy(int),
            "rate": rows["requests_per_s"].to_numpy(float),
            "hours": rows["hours"].to_numpy(float),
            "util": rows["target_utilization"].fillna(settings.target_utilization).to_numpy(float),
            "max_api_share": rows["max_api_share"].to_numpy(float),
            "self_host_only": rows["self_host_only"].to_numpy(bool),
            "api_only": rows["api_only"].to_numpy(bool),
            "min_replicas": rows["min_replicas"].to_numpy(int),
        }
    )
    return cover[cover["rate"] > 0].reset_index(drop=True)


def build_route(cover: pd.DataFrame, options: Options) -> pd.DataFrame:
    """(d, o, r): each positive-rate row paired with the options that serve its shape."""
    allowed = cover[~cover["api_only"]].reset_index(names="d")[["d", "p", "shape", "util"]]
    cap = options.capacity[["shape", "option", "requests_per_s"]]
    route = allowed.merge(cap, on="shape", how="inner", validate="many_to_many")
    route = route.rename(columns={"option": "o", "requests_per_s": "r"})
    return route[["d", "p", "o", "r", "util"]].sort_values(["d", "o"], ignore_index=True)


def build_api(cover: pd.DataFrame, options: Options, apis: tuple[str, ...]) -> pd.DataFrame:
    """(d, k, usd_per_request): each positive-rate row paired with the APIs that serve it."""
    allowed = cover[~cover["self_host_only"]].reset_index(names="d")[["d", "p", "shape", "hours"]]
    pos = {a: i for i, a in enumerate(apis)}
    routes = options.api_routes.assign(k=options.api_routes["api"].map(pos))
    api = allowed.merge(
        routes[["shape", "k", "usd_per_request"]], on="shape", how="inner", validate="many_to_many"
    )
    api["k"] = api["k"].astype(int)
    return api[["d", "p", "k", "usd_per_request", "hours"]].sort_values(["d", "k"], ignore_index=True)


def build_replica(
    route: pd.DataFrame, cover: pd.DataFrame, options: Options, accs: tuple[str, ...]
) -> pd.DataFrame:
    """(p, o, a, chips): options that some workload of that period may route to."""
    replica = route[["p", "o"]].drop_duplicates().sort_values(["p", "o"], ignore_index=True)
    dep = options.deployments
    pos = {a: i for i, a in enumerate(accs)}
    replica["a"] = dep["accelerator"].map(pos).to_numpy(int)[replica["o"].to_numpy(int)]
    replica["chips"] = dep["chips"].to_numpy(int)[replica["o"].to_numpy(int)]
    return replica


def _offers(catalog: Catalog, accs: tuple[str, ...], settings: SolveSettings) -> pd.DataFrame:
    records = []
    for a, acc_id in enumerate(accs):
        acc = catalog.accelerators[acc_id]
        for f, offer in enumerate(acc.prices):
            mult = acc.chips_per_node if settings.whole_nodes and offer.sold_by_node else 1
            records.append((a, f, offer.provider, offer.tier, mult, offer.usd_per_chip_hour))
    cols = ["a", "f", "provider", "tier", "multiplier", "usd_per_chip_hour"]
    offers = pd.DataFrame(records, columns=cols)
    return cheapest_offers(offers) if settings.reductions else offers


def offer_counts(catalog: Catalog, accs: tuple[str, ...], settings: SolveSettings) -> tuple[int, int]:
    """Price offers of the planned accelerators: (all, kept by the cheapest-offer reduction)."""
    every = settings.model_copy(update={"reductions": False})
    return len(_offers(catalog, accs, every)), len(_offers(catalog, accs, settings))


def cheapest_offers(offers: pd.DataFrame) -> pd.DataFrame:
    """Keep the cheapest offer per (accelerator, tier, multiplier): the others are dominated.

    Exact: costs are linear in chips, no offer has a limit of its own, and the constraints tell
    offers apart only by tier (spot share, commitments) and purchase size (``--whole-nodes``), so a
    plan never needs a dearer offer of the same tier and size. Ties go to the first offer in
    catalog order. Off with ``--no-reductions``.
    """
    if offers.empty:
        return offers
    ranked = offers.sort_values(["a", "tier", "multiplier", "usd_per_chip_hour", "f"], kind="stable")
    return ranked.drop_duplicates(["a", "tier", "multiplier"]).sort_values(["a", "f"], ignore_index=True)


def build_supply(replica: pd.DataFrame, offers: pd.DataFrame) -> pd.DataFrame:
    """(p, a, f): per-period offers (on-demand, spot) of the accelerators a period may use."""
    used = replica[["p", "a"]].drop_duplicates()
    per_period = offers[offers["tier"].isin(["on_demand", "spot"])]
    supply = used.merge(per_period, on="a", how="inner", validate="many_to_many")
    return supply.sort_values(["p", "a", "f"], ignore_index=True)


def build_commit(
    replica: pd.DataFrame, offers: pd.DataFrame, horizon_hours: float, settings: SolveSettings
) -> pd.DataFrame:
    """(a, f): committed offers of the accelerators any period may use, with the hours charged."""
    used = pd.DataFrame({"a": np.unique(replica["a"].to_numpy(int))})
    commit = used.merge(
        offers[offers["tier"].isin(list(HOURS_PER_TERM))], on="a", how="inner", validate="one_to_many"
    ).sort_values(["a", "f"], ignore_index=True)
    charged, beyond = [], []
    for tier in commit["tier"]:
        term = HOURS_PER_TERM[tier]
        terms = max(1, math.ceil(horizon_hours / term - 1e-9))
        paid = terms * term if settings.commitment_cost == "term" else horizon_hours
        charged.append(paid)
        beyond.append(max(0.0, paid - horizon_hours))
    commit["charged_hours"] = np.array(charged, dtype=float)
    commit["beyond_hours"] = np.array(beyond, dtype=float)
    return commit


def apply_price_trends(
    supply: pd.DataFrame,
    api: pd.DataFrame,
    settings: SolveSettings,
    periods: tuple[str, ...],
    accs: tuple[str, ...],
    apis: tuple[str, ...],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-period prices: on-demand and spot offers and API requests scaled by their trends' factors."""
    acc_f = price_factors(settings.price_trends, periods, "accelerators", accs)
    api_f = price_factors(settings.price_trends, periods, "apis", apis)
    supply = supply.assign(
        usd_per_chip_hour=supply["usd_per_chip_hour"].to_numpy(float)
        * acc_f[supply["p"].to_numpy(int), supply["a"].to_numpy(int)]
    )
    api = api.assign(
        usd_per_request=api["usd_per_request"].to_numpy(float)
        * api_f[api["p"].to_numpy(int), api["k"].to_numpy(int)]
    )
    return supply, api


def build_index(
    options: Options,
    demand: Demand,
    catalog: Catalog,
    settings: SolveSettings,
    apis: tuple[str, ...],
    fleet: Fleet | None = None,
) -> IndexSets:
    """All index sets of one planning model (``fleet``: the chips you already have)."""
    cover = build_cover(options, demand, settings)
    route = build_route(cover, options)
    replica = build_replica(route, cover, options, options.accelerators)
    offers = _offers(catalog, options.accelerators, settings)
    hours = np.array([demand.hours[p] for p in demand.periods], dtype=float)
    supply, api = build_supply(replica, offers), build_api(cover, options, apis)
    if settings.price_trends:
        supply, api = apply_price_trends(supply, api, settings, demand.periods, options.accelerators, apis)
    return IndexSets(
        periods=demand.periods,
        hours=hours,
        workloads=demand.workloads,
        cover=cover,
        route=route,
        api=api,
        replica=replica,
        supply=supply,
        commit=build_commit(replica, offers, float(hours.sum()), settings),
        accelerators=options.accelerators,
        apis=apis,
        owned=fleet.chips_by_period(demand.periods, options.accelerators) if fleet and fleet.lines else None,
    )


def replica_rows(ix: IndexSets, p: np.ndarray, o: np.ndarray) -> np.ndarray:
    """Row of ``ix.replica`` for each (period, option) pair (every pair must be in the table)."""
    n_o = int(ix.replica["o"].max()) + 1 if len(ix.replica) else 1
    key = ix.replica["p"].to_numpy(np.int64) * n_o + ix.replica["o"].to_numpy(np.int64)
    return np.searchsorted(key, np.asarray(p, np.int64) * n_o + np.asarray(o, np.int64))


def slice_period(
    ix: IndexSets, p: int, commit_share: float | None = None
) -> tuple[IndexSets, dict[str, np.ndarray]]:
    """The index sets of one period, and, per variable family, the slice's original positions.

    With ``commit_share``, committed offers are charged only that share of their cost: each period
    may then pick its own committed count. When the shares of the periods solved add up to one, this
    is a relaxation of the whole-horizon model whose period bounds add up to a valid bound, exact
    when every period picks the same counts.
    """
    cover_rows = np.flatnonzero(ix.cover["p"].to_numpy() == p)
    remap = np.full(len(ix.cover), -1, dtype=np.int64)
    remap[cover_rows] = np.arange(len(cover_rows))
    rows = {
        "unmet": cover_rows,
        "route": np.flatnonzero(ix.route["p"].to_numpy() == p),
        "api": np.flatnonzero(ix.api["p"].to_numpy() == p),
        "replicas": np.flatnonzero(ix.replica["p"].to_numpy() == p),
        "supply": np.flatnonzero(ix.supply["p"].to_numpy() == p),
        "commit": np.arange(len(ix.commit)),
    }
    route = ix.route.iloc[rows["route"]].reset_index(drop=True)
    route["d"] = remap[route["d"].to_numpy()]
    api = ix.api.iloc[rows["api"]].reset_index(drop=True)
    api["d"] = remap[api["d"].to_numpy()]
    commit = ix.commit
    if commit_share is not None and len(commit):
        share = commit_share
        commit = commit.assign(
            charged_hours=commit["charged_hours"] * share, beyond_hours=commit["beyond_hours"] * share
        )
    sub = IndexSets(
        periods=ix.periods,
        hours=ix.hours,
        workloads=ix.workloads,
        cover=ix.cover.iloc[cover_rows].reset_index(drop=True),
        route=route,
        api=api,
        replica=ix.replica.iloc[rows["replicas"]].reset_index(drop=True),
        supply=ix.supply.iloc[rows["supply"]].reset_index(drop=True),
        commit=commit,
        accelerators=ix.accelerators,
        apis=ix.apis,
        owned=ix.owned,
    )
    return sub, rows
