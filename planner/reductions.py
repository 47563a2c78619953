"""Exact reductions of the option and offer sets, each with the conditions under which it is exact.

A reduction removes variables that no optimal plan needs. Each rule below states the constraint
families and option properties its proof relies on (``docs/formulation.md``, "Reductions"), and is
switched off, per instance, where they do not hold; ``--no-reductions`` switches them all off. What
was applied is recorded in the plan (``solver.reductions``).

* ``same-accelerator-dominance``: deployment option A is dropped when option B on the same
  accelerator uses no more chips per replica and sustains at least A's requests/s on every request
  shape A can serve. Replacing each replica of A by one of B, and routing A's traffic to B, keeps
  every constraint (capacity, links, chips, spot share, ``--max-chips``, ``min_replicas``, budget,
  whole nodes) and the cost: B's replicas use no more of the same chips. Always exact.
* ``cross-accelerator-dominance``: A on accelerator a is dropped when B on another accelerator b
  sustains at least A's requests/s on every shape A serves and one replica of B at b's cheapest
  on-demand price costs no more than one of A at a's cheapest per-period price. Replacing A's
  replicas one for one by B's, buying B's chips on demand and releasing A's (spot first), never
  costs more. Exact only when b has an on-demand offer (offers that cannot be bought alone, such as
  committed-only or spot-only ones, do not count), a has no committed offer (committed chips cannot
  be released in one period), b has no ``--max-chips`` limit, and, with ``--whole-nodes``, neither
  a nor b is sold by the node. Pairs where a condition fails are not compared.
* ``dominated-api-offers``: per request shape, the cheapest API without rate limits and the
  rate-limited ones cheaper still are kept (``planner.options.prune_dominated_apis``).
* ``cheapest-price-offer``: per accelerator, tier and purchase size, only the cheapest offer
  (``planner.formulation.index.cheapest_offers``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.catalog.schema import Accelerator, Catalog
from planner.plan import Reduction
from planner.settings import SolveSettings

PER_PERIOD_TIERS = ("on_demand", "spot")
_TOL = 1e-12

SAME_ACCELERATOR = "same-accelerator-dominance"
CROSS_ACCELERATOR = "cross-accelerator-dominance"
DOMINATED_APIS = "dominated-api-offers"
CHEAPEST_OFFER = "cheapest-price-offer"
OFF = "switched off by --no-reductions"


@dataclass(frozen=True)
class AcceleratorTerms:
    """What the cross-accelerator rule needs to know of one accelerator.

    Attributes:
        on_demand_usd_per_chip_hour: its cheapest on-demand price (NaN without an on-demand offer).
        min_per_period_usd_per_chip_hour: its cheapest on-demand or spot price (NaN without either).
        has_commit: it has a committed offer.
        node_sold: it has an offer sold by the node.
    """

    on_demand_usd_per_chip_hour: float
    min_per_period_usd_per_chip_hour: float
    has_commit: bool
    node_sold: bool


def accelerator_terms(acc: Accelerator) -> AcceleratorTerms:
    """The prices and offer kinds of one accelerator."""
    on_demand = [p.usd_per_chip_hour for p in acc.prices if p.tier == "on_demand"]
    per_period = [p.usd_per_chip_hour for p in acc.prices if p.tier in PER_PERIOD_TIERS]
    return AcceleratorTerms(
        on_demand_usd_per_chip_hour=min(on_demand) if on_demand else float("nan"),
        min_per_period_usd_per_chip_hour=min(per_period) if per_period else float("nan"),
        has_commit=any(p.tier not in PER_PERIOD_TIERS for p in acc.prices),
        node_sold=any(p.sold_by_node for p in acc.prices),
    )


@dataclass(frozen=True)
class ConfigTable:
    """The configs to compare, as arrays aligned by position.

    Attributes:
        rate: (configs x shapes) requests/s of one replica, 0 where the config cannot serve the shape.
        chips: chips per replica.
        accelerator: accelerator position of each config.
        can_be_replaced: the cross-accelerator rule may drop the config (its accelerator has no
            committed offer, and is not node-sold under ``--whole-nodes``).
        can_replace: the config may stand in across accelerators (on-demand offer, no chip limit,
            not node-sold under ``--whole-nodes``).
        replica_on_demand_usd: chips x its accelerator's cheapest on-demand price (inf without one).
        replica_min_usd: chips x its accelerator's cheapest per-period price.
        blocked: accelerators the cross-accelerator rule cannot use on one side or both, with why.
    """

    rate: np.ndarray
    chips: np.ndarray
    accelerator: np.ndarray
    can_be_replaced: np.ndarray
    can_replace: np.ndarray
    replica_on_demand_usd: np.ndarray
    replica_min_usd: np.ndarray
    blocked: tuple[str, ...] = ()


def _blocked(
    name: str, t: AcceleratorTerms, limited: bool, node_blocked: bool, trended: bool, fleet: bool
) -> str | None:
    why = [
        text
        for flag, text in (
            (t.has_commit, "committed offer"),
            (np.isnan(t.on_demand_usd_per_chip_hour), "no on-demand offer"),
            (limited, "--max-chips"),
            (node_blocked, "node-sold under --whole-nodes"),
            (trended, "a --price-trend of its own"),
            (fleet, "chips in --fleet"),
        )
        if flag
    ]
    return f"{name} ({', '.join(why)})" if why else None


def config_table(
    cap: pd.DataFrame,
    configs: pd.DataFrame,
    catalog: Catalog,
    settings: SolveSettings,
    owned: frozenset[str] = frozenset(),
) -> tuple[np.ndarray, ConfigTable]:
    """The configs of ``cap`` (one row per eligible (shape, config) pair) as a :class:`ConfigTable`."""
    ids = np.sort(cap["config"].unique())
    shapes = np.sort(cap["shape"].unique())
    rate = np.zeros((len(ids), len(shapes)))
    rows, cols = np.searchsorted(ids, cap["config"].to_numpy()), np.searchsorted(shapes, cap["shape"])
    rate[rows, cols] = cap["requests_per_s"].to_numpy(float)
    cfg = configs.loc[ids]
    acc_ids = cfg["accelerator"].to_numpy(str)
    names, acc_pos = np.unique(acc_ids, return_inverse=True)
    terms = [accelerator_terms(catalog.accelerators[a]) for a in names]
    node_blocked = np.array([settings.whole_nodes and t.node_sold for t in terms], dtype=bool)
    od = np.array([t.on_demand_usd_per_chip_hour for t in terms], dtype=float)
    low = np.array([t.min_per_period_usd_per_chip_hour for t in terms], dtype=float)
    commit = np.array([t.has_commit for t in terms], dtype=bool)
    limited = np.array([a in settings.max_chips for a in names], dtype=bool)
    own_trend = {t.entry for t in settings.price_trends if t.kind == "accelerators"}
    trended = np.array([a in own_trend for a in names], dtype=bool)
    has_fleet = np.array([a in owned for a in names], dtype=bool)
    chips = cfg["chips"].to_numpy(float)
    table = ConfigTable(
        rate=rate,
        chips=chips,
        accelerator=acc_pos,
        can_be_replaced=(~commit & ~node_blocked & ~trended & ~has_fleet & ~np.isnan(low))[acc_pos],
        can_replace=(~np.isnan(od) & ~limited & ~node_blocked & ~trended)[acc_pos],
        replica_on_demand_usd=chips * np.nan_to_num(od, nan=np.inf)[acc_pos],
        replica_min_usd=chips * np.nan_to_num(low, nan=-np.inf)[acc_pos],
        blocked=tuple(
            b
            for b in (
                _blocked(n, t, lim, nb, tr, fl)
                for n, t, lim, nb, tr, fl in zip(
                    names, terms, limited, node_blocked, trended, has_fleet, strict=True
                )
            )
            if b is not None
        ),
    )
    return ids, table


def _candidates(t: ConfigTable, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For configs ``rows`` against all: (same-accelerator pairs, cross-accelerator pairs).

    A pair is one whose chips and prices let config j stand in for config ``rows[r]``, before the
    rates are compared.
    """
    acc_i, acc_j = t.accelerator[rows][:, None], t.accelerator[None, :]
    same = (acc_j == acc_i) & (t.chips[None, :] <= t.chips[rows][:, None])
    cross = (
        (acc_j != acc_i)
        & t.can_be_replaced[rows][:, None]
        & t.can_replace[None, :]
        & (t.replica_on_demand_usd[None, :] <= t.replica_min_usd[rows][:, None] * (1 + _TOL))
    )
    return same, cross


def covers(t: ConfigTable) -> np.ndarray:
    """``C[i, j]``: config j sustains at least config i's requests/s on every shape i serves.

    Shape by shape, over the configs that serve it only (a config serves the shapes of its model).
    """
    n, n_shapes = t.rate.shape
    out = np.ones((n, n), dtype=bool)
    needed = t.rate * (1 - _TOL)
    for s in range(n_shapes):
        rows = np.flatnonzero(t.rate[:, s] > 0)
        if len(rows):
            out[rows] &= t.rate[None, :, s] >= needed[rows, s][:, None]
    return out


def weak_dominance(t: ConfigTable) -> tuple[np.ndarray, np.ndarray]:
    """``(same, both)``: ``W[i, j]``, config j weakly dominates config i.

    That is, j could replace each of i's replicas, by the same-accelerator rule alone, and by
    either rule; the rates are compared once for both.
    """
    rows = np.arange(len(t.chips))
    ok_same, ok_cross = _candidates(t, rows)
    cover = covers(t)
    return cover & ok_same, cover & (ok_same | ok_cross)


def dominated(weak: np.ndarray) -> np.ndarray:
    """Mask of the configs some other config dominates (the rules in the module docstring).

    Config j dominates i when j weakly dominates i and either i does not weakly dominate j or j
    comes first (ties broken by position). That is a strict partial order (weak dominance is
    transitive across both rules), so every dropped config is dominated by a kept one.
    """
    n = len(weak)
    if n == 0:
        return np.zeros(0, dtype=bool)
    weak = weak.copy()
    np.fill_diagonal(weak, False)
    earlier = np.arange(n)[None, :] < np.arange(n)[:, None]
    result: np.ndarray = np.any(weak & (~weak.T | earlier), axis=1)
    return result


def reduce_configs(
    cap: pd.DataFrame,
    configs: pd.DataFrame,
    catalog: Catalog,
    settings: SolveSettings,
    owned: frozenset[str] = frozenset(),
) -> tuple[pd.DataFrame, tuple[Reduction, ...]]:
    """Drop the dominated configs from ``cap``; return the kept pairs and the reductions' records.

    ``owned``: accelerators with chips in ``--fleet`` (never replaced by another accelerator).
    """
    if not settings.reductions:
        return cap, (
            Reduction(rule=SAME_ACCELERATOR, applied=False, reason=OFF),
            Reduction(rule=CROSS_ACCELERATOR, applied=False, reason=OFF),
        )
    if cap.empty:
        return cap, ()
    ids, table = config_table(cap, configs, catalog, settings, owned)
    weak_same, weak_both = weak_dominance(table)
    same, both = dominated(weak_same), dominated(weak_both)
    kept = cap[~np.isin(cap["config"].to_numpy(), ids[both])]
    return kept, (
        Reduction(
            rule=SAME_ACCELERATOR,
            applied=True,
            reason="always exact: no more chips of the same accelerator, at least the same requests/s",
            removed=int(same.sum()),
        ),
        Reduction(
            rule=CROSS_ACCELERATOR,
            applied=True,
            reason=_cross_reason(table),
            removed=int((both & ~same).sum()),
        ),
    )


def _cross_reason(t: ConfigTable) -> str:
    text = "exact: stand-ins bought on demand without a chip limit, for options without commitments"
    if t.blocked:
        return text + "; not applied on one side or both for " + "; ".join(t.blocked)
    return text


def api_reduction(applied: bool, before: int, after: int) -> Reduction:
    """The record of the dominated-API rule."""
    if not applied:
        return Reduction(rule=DOMINATED_APIS, applied=False, reason=OFF)
    return Reduction(
        rule=DOMINATED_APIS,
        applied=True,
        reason="exact: APIs differ only in price and rate limits (the API-share cap sums over all)",
        removed=before - after,
    )


def offer_reduction(applied: bool, before: int, after: int) -> Reduction:
    """The record of the cheapest-offer rule."""
    if not applied:
        return Reduction(rule=CHEAPEST_OFFER, applied=False, reason=OFF)
    return Reduction(
        rule=CHEAPEST_OFFER,
        applied=True,
        reason="exact: offers of one accelerator, tier and purchase size differ only in price",
        removed=before - after,
    )
