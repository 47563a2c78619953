"""One function per constraint family of the planning MILP; each returns its block (or None).

Notation (``docs/formulation.md`` has the full table with the meaning of each dual):
``d`` a demand row (period p, workload w) with rate ``R_d``; ``o`` a deployment option with
``chips_o`` chips per replica; ``x_do`` requests/s routed from d to o, ``r_do`` what one replica of o
sustains for d's request shape, ``util_d`` the target utilisation; ``y_dk`` requests/s sent to API k;
``u_d`` unmet requests/s; ``n_po`` replicas; ``s_paf`` per-period chips of offer f; ``c_af``
committed chips; ``m`` an offer's multiplier (chips per node when bought by the node, else 1).

Every function takes the :class:`Parts` of the model being built and returns a
:class:`planner.formulation.blocks.ConstraintBlock` of (row, column, coefficient) triplets over
the variable blocks, built with numpy, or None when the family has no row in this model. The
registry (:mod:`planner.formulation.registry`) lists them with their coupling and dual.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planner.catalog.schema import Catalog
from planner.formulation.blocks import ConstraintBlock, Coupling, Sense, Terms, VariableBlock
from planner.formulation.index import IndexSets, replica_rows
from planner.settings import SolveSettings

#: At most this many ``link`` rows (valid inequalities; past this they slow the LP more than they lift it).
MAX_LINK_ROWS = 20_000


@dataclass(frozen=True)
class Parts:
    """What a constraint family is built from.

    Attributes:
        index: the index sets.
        variables: the variable blocks (their sizes and costs).
        settings: the run's settings.
        catalog: the catalog (API rate limits).
        api_tokens: input + output tokens per request for each ``index.api`` row.
    """

    index: IndexSets
    variables: dict[str, VariableBlock]
    settings: SolveSettings
    catalog: Catalog
    api_tokens: np.ndarray


def _terms(block: str, row: np.ndarray, col: np.ndarray, coef: np.ndarray | float) -> Terms:
    row = np.asarray(row, dtype=np.int64)
    coefs = np.broadcast_to(np.asarray(coef, dtype=float), row.shape).copy()
    return Terms(block, row, np.asarray(col, dtype=np.int64), coefs)


def _keep_rows(terms: Terms, kept: np.ndarray, n_rows: int) -> Terms:
    """Terms over ``n_rows`` groups, on the groups ``kept`` only (ascending), renumbered 0, 1, ..."""
    row_of = np.full(n_rows, -1, dtype=np.int64)
    row_of[kept] = np.arange(len(kept))
    rows = row_of[terms.row]
    keep = rows >= 0
    return Terms(terms.block, rows[keep], terms.col[keep], terms.coef[keep])


def _block(
    name: str,
    labels: np.ndarray,
    coords: dict[str, np.ndarray],
    terms: list[Terms],
    sense: Sense,
    rhs: np.ndarray,
    coupling: Coupling = "none",
) -> ConstraintBlock:
    return ConstraintBlock(
        name,
        np.asarray(labels),
        {c: np.asarray(v, dtype=np.int64) for c, v in coords.items()},
        tuple(terms),
        sense,
        np.asarray(rhs, dtype=float),
        coupling,
    )


def add_demand_cover(m: Parts) -> ConstraintBlock | None:
    """Demand cover, ``cover_p{p}_w{w}``: ``sum_o x_do + sum_k y_dk + u_d = R_d`` for every row d.

    Dual: the marginal cost (USD over the period) of one more request/s of that workload.
    """
    ix = m.index
    n = len(ix.cover)
    if n == 0:
        return None
    route_d, api_d = ix.route["d"].to_numpy(), ix.api["d"].to_numpy()
    terms = [
        _terms("route", route_d, np.arange(len(route_d)), 1.0),
        _terms("api", api_d, np.arange(len(api_d)), 1.0),
        _terms("unmet", np.arange(n), np.arange(n), 1.0),
    ]
    coords = {"p": ix.cover["p"].to_numpy(), "w": ix.cover["w"].to_numpy()}
    return _block("cover", np.arange(n), coords, terms, "==", ix.cover["rate"].to_numpy())


def add_replica_capacity(m: Parts) -> ConstraintBlock | None:
    """Replica capacity, ``capacity_p{p}_o{o}``: ``sum_d x_do / (r_do * util_d) - n_po <= 0``.

    Dual: the value (USD over the period) of one more replica of that option.
    """
    ix = m.index
    n = len(ix.replica)
    if n == 0:
        return None
    route_row = replica_rows(ix, ix.route["p"].to_numpy(), ix.route["o"].to_numpy())
    load = 1.0 / (ix.route["r"].to_numpy(float) * ix.route["util"].to_numpy(float))
    terms = [
        _terms("route", route_row, np.arange(len(route_row)), load),
        _terms("replicas", np.arange(n), np.arange(n), -1.0),
    ]
    coords = {"p": ix.replica["p"].to_numpy(), "o": ix.replica["o"].to_numpy()}
    return _block("capacity", np.arange(n), coords, terms, "<=", np.zeros(n))


def add_route_link(m: Parts) -> ConstraintBlock | None:
    """Whole replicas, ``link_p{p}_w{w}_o{o}``: ``x_do / R_d - n_po <= 0`` where ``R_d < r_do util_d``.

    A valid inequality (any request routed to o needs at least one whole replica of it, and
    ``x_do <= R_d``) that the capacity row implies only for rows at least one replica's worth of
    traffic: it lifts the LP relaxation for small workloads from a fraction of a replica to a whole
    one (the strong formulation of facility location). Rows with ``R_d >= r_do util_d`` get none.
    Dual: the cost (USD over the period) of the whole replica that routing row d to o calls for.
    """
    ix = m.index
    if len(ix.route) == 0:
        return None
    d = ix.route["d"].to_numpy(int)
    rate = ix.cover["rate"].to_numpy(float)[d]
    per_replica = ix.route["r"].to_numpy(float) * ix.route["util"].to_numpy(float)
    sel = np.flatnonzero(rate < per_replica * (1 - 1e-9))
    if len(sel) > MAX_LINK_ROWS:  # the rows that lift the relaxation most: the smallest shares of a replica
        share = rate[sel] / per_replica[sel]
        sel = np.sort(sel[np.argsort(share, kind="stable")[:MAX_LINK_ROWS]])
    if len(sel) == 0:
        return None
    p, o, w = ix.route["p"].to_numpy()[sel], ix.route["o"].to_numpy()[sel], ix.cover["w"].to_numpy()[d[sel]]
    rows = np.arange(len(sel))
    terms = [
        _terms("route", rows, sel, 1.0 / rate[sel]),
        _terms("replicas", rows, replica_rows(ix, p, o), -1.0),
    ]
    return _block("link", sel, {"p": p, "w": w, "o": o}, terms, "<=", np.zeros(len(sel)))


def _pa_groups(ix: IndexSets) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(period, accelerator) pairs in use, and the group of each replica, supply and commit row."""
    n_acc = max(len(ix.accelerators), 1)
    pa = np.unique(ix.replica["p"].to_numpy(np.int64) * n_acc + ix.replica["a"].to_numpy(np.int64))
    rep_g = np.searchsorted(
        pa, ix.replica["p"].to_numpy(np.int64) * n_acc + ix.replica["a"].to_numpy(np.int64)
    )
    sup_key = ix.supply["p"].to_numpy(np.int64) * n_acc + ix.supply["a"].to_numpy(np.int64)
    if not np.isin(sup_key, pa).all():
        raise ValueError("index sets: supply rows for a (period, accelerator) with no replica rows")
    return pa, rep_g, np.searchsorted(pa, sup_key), pa % n_acc


def _commit_terms(ix: IndexSets, pa_acc: np.ndarray, scale: float) -> Terms:
    """Committed chips enter every (period, accelerator) group of their accelerator (x ``scale``)."""
    acc, multiplier = ix.commit["a"].to_numpy(), ix.commit["multiplier"].to_numpy(float)
    groups, cols, coefs = [], [], []
    for j in range(len(ix.commit)):
        members = np.flatnonzero(pa_acc == acc[j])
        groups.append(members)
        cols.append(np.full(len(members), j))
        coefs.append(np.full(len(members), scale * float(multiplier[j])))
    if not groups:
        return _terms("commit", np.zeros(0), np.zeros(0), np.zeros(0))
    return _terms("commit", np.concatenate(groups), np.concatenate(cols), np.concatenate(coefs))


def _pa_coords(ix: IndexSets, pa: np.ndarray) -> dict[str, np.ndarray]:
    n_acc = max(len(ix.accelerators), 1)
    return {"p": pa // n_acc, "a": pa % n_acc}


def add_chip_balance(m: Parts) -> ConstraintBlock | None:
    """Chips, ``chips_p{p}_a{a}``: ``sum_o chips_o n_po - sum_f m s_paf - sum_f m c_af <= O_pa``.

    Every chip a replica uses is bought in that period (on-demand or spot), committed, or already
    yours (``O_pa``, ``--fleet``; 0 without one).
    Dual: the money saved (USD over the period) per extra chip of that accelerator.
    """
    ix = m.index
    if len(ix.replica) == 0:
        return None
    pa, rep_g, sup_g, pa_acc = _pa_groups(ix)
    terms = [
        _terms("replicas", rep_g, np.arange(len(rep_g)), ix.replica["chips"].to_numpy(float)),
        _terms("supply", sup_g, np.arange(len(sup_g)), -ix.supply["multiplier"].to_numpy(float)),
        _commit_terms(ix, pa_acc, -1.0),
    ]
    coords = _pa_coords(ix, pa)
    owned = ix.owned_chips(coords["p"], coords["a"])
    return _block("chips", pa, coords, terms, "<=", owned)


def add_spot_share(m: Parts) -> ConstraintBlock | None:
    """Spot share, ``spot_p{p}_a{a}``: ``(1 - s) sum_spot m s_paf - s sum_other m (s_paf, c_af) <= s O_pa``.

    At most a share ``s`` (``--max-spot-share``) of an accelerator's chips in a period are spot;
    owned chips (``--fleet``, ``O_pa``) count in the total as chips that cannot be taken away.
    Dual: the value of letting one more chip of that accelerator be spot.
    """
    ix = m.index
    spot = (ix.supply["tier"] == "spot").to_numpy()
    if not spot.any():
        return None
    pa, _rep_g, sup_g, pa_acc = _pa_groups(ix)
    s = m.settings.max_spot_share
    mult = ix.supply["multiplier"].to_numpy(float)
    has_spot = np.unique(sup_g[spot])
    supply = _terms("supply", sup_g, np.arange(len(sup_g)), np.where(spot, (1 - s) * mult, -s * mult))
    terms = [_keep_rows(t, has_spot, len(pa)) for t in (supply, _commit_terms(ix, pa_acc, -s))]
    coords = _pa_coords(ix, pa[has_spot])
    rhs = s * ix.owned_chips(coords["p"], coords["a"])
    return _block("spot", pa[has_spot], coords, terms, "<=", rhs)


def add_min_replicas(m: Parts) -> ConstraintBlock | None:
    """Availability, ``minreplicas_p{p}_w{w}``: ``sum_{o serving d} n_po >= min_replicas_d``.

    Dual: the cost (USD over the period) of the last replica the availability floor requires.
    """
    ix = m.index
    need = ix.cover.index[(ix.cover["min_replicas"] > 0) & ~ix.cover["api_only"]].to_numpy()
    need = need[np.isin(need, ix.route["d"].to_numpy())]  # rows no deployment can serve get no floor
    if len(need) == 0:
        return None
    pairs = ix.route[ix.route["d"].isin(need)][["d", "p", "o"]]
    rep_row = replica_rows(ix, pairs["p"].to_numpy(), pairs["o"].to_numpy())
    group = np.searchsorted(need, pairs["d"].to_numpy())
    cover = ix.cover.loc[need]
    coords = {"p": cover["p"].to_numpy(), "w": cover["w"].to_numpy()}
    terms = [_terms("replicas", group, rep_row, 1.0)]
    return _block("minreplicas", need, coords, terms, ">=", cover["min_replicas"].to_numpy(float))


def add_max_api_share(m: Parts) -> ConstraintBlock | None:
    """API share, ``apishare_p{p}_w{w}``: ``sum_k y_dk <= max_api_share_d * R_d`` where the share < 1.

    Dual: the saving (USD over the period) if one more request/s could go to an API.
    """
    ix = m.index
    cover = ix.cover
    limited = cover.index[cover["max_api_share"] < 1].to_numpy()
    limited = limited[np.isin(limited, ix.api["d"].to_numpy())]
    if len(limited) == 0:
        return None
    sel = np.flatnonzero(np.isin(ix.api["d"].to_numpy(), limited))
    group = np.searchsorted(limited, ix.api["d"].to_numpy()[sel])
    rhs = (cover.loc[limited, "max_api_share"] * cover.loc[limited, "rate"]).to_numpy()
    coords = {"p": cover.loc[limited, "p"].to_numpy(), "w": cover.loc[limited, "w"].to_numpy()}
    return _block("apishare", limited, coords, [_terms("api", group, sel, 1.0)], "<=", rhs)


def _api_limit(m: Parts, name: str, limits: np.ndarray, coef: np.ndarray) -> ConstraintBlock | None:
    ix = m.index
    k = ix.api["k"].to_numpy(np.int64)
    sel = np.flatnonzero(~np.isnan(limits[k])) if len(k) else np.zeros(0, np.int64)
    if len(sel) == 0:
        return None
    keys = ix.api["p"].to_numpy(np.int64)[sel] * len(ix.apis) + k[sel]
    uniq, group = np.unique(keys, return_inverse=True)
    coords = {"p": uniq // len(ix.apis), "k": uniq % len(ix.apis)}
    terms = [_terms("api", group, sel, coef[sel])]
    return _block(name, uniq, coords, terms, "<=", limits[uniq % len(ix.apis)])


def add_api_rate_limits(m: Parts) -> ConstraintBlock | None:
    """API request limits, ``apirate_p{p}_k{k}``: ``sum_d y_dk <= limit_k`` (requests/s).

    Only for APIs whose catalog entry publishes a requests/s limit.
    Dual: the saving (USD over the period) per extra request/s of the limit.
    """
    ix = m.index
    limits = np.array([m.catalog.apis[a].rate_limit_requests_per_s or np.nan for a in ix.apis], dtype=float)
    return _api_limit(m, "apirate", limits, np.ones(len(ix.api)))


def add_api_token_limits(m: Parts) -> ConstraintBlock | None:
    """API token limits, ``apitokens_p{p}_k{k}``: ``sum_d 60 tokens_d y_dk <= limit_k`` (tokens/min).

    Only for APIs whose catalog entry publishes a tokens/min limit; ``tokens_d`` is input +
    output tokens per request of the row's shape.
    Dual: the saving (USD over the period) per extra token/min of the limit.
    """
    ix = m.index
    limits = np.array([m.catalog.apis[a].rate_limit_tokens_per_min or np.nan for a in ix.apis], dtype=float)
    return _api_limit(m, "apitokens", limits, 60.0 * m.api_tokens)


def add_max_chips(m: Parts) -> ConstraintBlock | None:
    """Chip limits, ``maxchips_p{p}_a{a}``: ``sum_o chips_o n_po <= N_a`` (``--max-chips ACC=N``).

    Dual: the saving (USD over the period) per extra chip allowed.
    """
    ix = m.index
    limited = {i: m.settings.max_chips[a] for i, a in enumerate(ix.accelerators) if a in m.settings.max_chips}
    if not limited or len(ix.replica) == 0:
        return None
    pa, rep_g, _sup_g, pa_acc = _pa_groups(ix)
    sel_groups = np.flatnonzero(np.isin(pa_acc, list(limited)))
    if len(sel_groups) == 0:
        return None
    chips = _terms("replicas", rep_g, np.arange(len(rep_g)), ix.replica["chips"].to_numpy(float))
    terms = [_keep_rows(chips, sel_groups, len(pa))]
    rhs = np.array([limited[int(pa_acc[k])] for k in sel_groups], dtype=float)
    return _block("maxchips", pa[sel_groups], _pa_coords(ix, pa[sel_groups]), terms, "<=", rhs)


def add_budget(m: Parts) -> ConstraintBlock | None:
    """Budget, ``budget``: accelerator + API cost over the horizon ``<= --budget-usd``.

    One row over every period (coupling ``horizon``).
    Dual: the saving in unmet-demand penalty per extra dollar of budget.
    """
    if m.settings.budget_usd is None:
        return None
    terms = [
        _terms(
            name, np.zeros(m.variables[name].size), np.arange(m.variables[name].size), m.variables[name].cost
        )
        for name in ("supply", "commit", "api")
    ]
    return _block("budget", np.array([0]), {}, terms, "<=", np.array([m.settings.budget_usd]), "horizon")
