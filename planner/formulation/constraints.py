"""One function per constraint family of the planning MILP.

Notation (``docs/formulation.md`` has the full table with the meaning of each dual):
``d`` a demand row (period p, workload w) with rate ``R_d``; ``o`` a deployment option with
``chips_o`` chips per replica; ``x_do`` requests/s routed from d to o, ``r_do`` what one replica of o
sustains for d's request shape, ``util_d`` the target utilisation; ``y_dk`` requests/s sent to API k;
``u_d`` unmet requests/s; ``n_po`` replicas; ``s_paf`` per-period chips of offer f; ``c_af``
committed chips; ``m`` an offer's multiplier (chips per node when bought by the node, else 1).
"""

from __future__ import annotations

import numpy as np
import pulp

from planner.catalog.schema import Catalog
from planner.formulation.expr import add_rows, grouped_sums, stack
from planner.formulation.index import replica_rows
from planner.formulation.model import PlanningModel
from planner.settings import SolveSettings

LE, GE, EQ = pulp.LpConstraintLE, pulp.LpConstraintGE, pulp.LpConstraintEQ
#: At most this many ``link`` rows (valid inequalities; past this they slow the LP more than they lift it).
MAX_LINK_ROWS = 20_000


def add_demand_cover(m: PlanningModel) -> None:
    """Demand cover, ``cover_p{p}_w{w}``: ``sum_o x_do + sum_k y_dk + u_d = R_d`` for every row d.

    Dual: the marginal cost (USD over the period) of one more request/s of that workload.
    """
    ix = m.index
    n = len(ix.cover)
    if n == 0:
        return
    route_d, api_d = ix.route["d"].to_numpy(), ix.api["d"].to_numpy()
    g, v, c = stack(
        (route_d, m.route, np.ones(len(route_d))),
        (api_d, m.api, np.ones(len(api_d))),
        (np.arange(n), m.unmet, np.ones(n)),
    )
    names = [f"cover_p{p}_w{w}" for p, w in ix.cover[["p", "w"]].itertuples(index=False)]
    rows = add_rows(m.prob, grouped_sums(g, v, c, n), EQ, ix.cover["rate"].to_numpy(), names)
    m.rows["cover"] = (rows, np.arange(n))


def add_replica_capacity(m: PlanningModel) -> None:
    """Replica capacity, ``capacity_p{p}_o{o}``: ``sum_d x_do / (r_do * util_d) - n_po <= 0``.

    Dual: the value (USD over the period) of one more replica of that option.
    """
    ix = m.index
    n = len(ix.replica)
    if n == 0:
        return
    route_row = replica_rows(ix, ix.route["p"].to_numpy(), ix.route["o"].to_numpy())
    load = 1.0 / (ix.route["r"].to_numpy(float) * ix.route["util"].to_numpy(float))
    g, v, c = stack((route_row, m.route, load), (np.arange(n), m.replicas, -np.ones(n)))
    names = [f"capacity_p{p}_o{o}" for p, o in ix.replica[["p", "o"]].itertuples(index=False)]
    m.rows["capacity"] = (add_rows(m.prob, grouped_sums(g, v, c, n), LE, np.zeros(n), names), np.arange(n))


def add_route_link(m: PlanningModel) -> None:
    """Whole replicas, ``link_p{p}_w{w}_o{o}``: ``x_do / R_d - n_po <= 0`` where ``R_d < r_do util_d``.

    A valid inequality (any request routed to o needs at least one whole replica of it, and
    ``x_do <= R_d``) that the capacity row implies only for rows at least one replica's worth of
    traffic: it lifts the LP relaxation for small workloads from a fraction of a replica to a whole
    one (the strong formulation of facility location). Rows with ``R_d >= r_do util_d`` get none.
    Dual: the cost (USD over the period) of the whole replica that routing row d to o calls for.
    """
    ix = m.index
    if len(ix.route) == 0:
        return
    d = ix.route["d"].to_numpy(int)
    rate = ix.cover["rate"].to_numpy(float)[d]
    per_replica = ix.route["r"].to_numpy(float) * ix.route["util"].to_numpy(float)
    sel = np.flatnonzero(rate < per_replica * (1 - 1e-9))
    if len(sel) > MAX_LINK_ROWS:  # the rows that lift the relaxation most: the smallest shares of a replica
        share = rate[sel] / per_replica[sel]
        sel = np.sort(sel[np.argsort(share, kind="stable")[:MAX_LINK_ROWS]])
    if len(sel) == 0:
        return
    p, o, w = ix.route["p"].to_numpy()[sel], ix.route["o"].to_numpy()[sel], ix.cover["w"].to_numpy()[d[sel]]
    rep_row = replica_rows(ix, p, o)
    exprs = [
        pulp.LpAffineExpression([(x, 1.0 / r), (n, -1.0)])
        for x, r, n in zip(m.route[sel], rate[sel], m.replicas[rep_row], strict=True)
    ]
    names = [f"link_p{pp}_w{ww}_o{oo}" for pp, ww, oo in zip(p, w, o, strict=True)]
    m.rows["link"] = (add_rows(m.prob, exprs, LE, np.zeros(len(sel)), names), sel)


def _pa_groups(m: PlanningModel) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(period, accelerator) pairs in use, and the group of each replica, supply and commit row."""
    ix = m.index
    n_acc = max(len(ix.accelerators), 1)
    pa = np.unique(ix.replica["p"].to_numpy(np.int64) * n_acc + ix.replica["a"].to_numpy(np.int64))
    rep_g = np.searchsorted(
        pa, ix.replica["p"].to_numpy(np.int64) * n_acc + ix.replica["a"].to_numpy(np.int64)
    )
    sup_key = ix.supply["p"].to_numpy(np.int64) * n_acc + ix.supply["a"].to_numpy(np.int64)
    if not np.isin(sup_key, pa).all():
        raise ValueError("index sets: supply rows for a (period, accelerator) with no replica rows")
    return pa, rep_g, np.searchsorted(pa, sup_key), pa % n_acc


def _commit_terms(
    m: PlanningModel, pa: np.ndarray, pa_acc: np.ndarray, tiers: tuple[str, ...] | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Committed chips enter every (period, accelerator) group of their accelerator."""
    commit = m.index.commit
    mask = commit["tier"].isin(tiers).to_numpy() if tiers is not None else np.ones(len(commit), dtype=bool)
    groups, variables, coefs = [], [], []
    acc, multiplier = commit["a"].to_numpy(), commit["multiplier"].to_numpy(float)
    for j in np.flatnonzero(mask):
        members = np.flatnonzero(pa_acc == acc[j])
        groups.append(members)
        variables.append(np.full(len(members), m.commit[j], dtype=object))
        coefs.append(np.full(len(members), float(multiplier[j])))
    if not groups:
        return np.array([], dtype=np.int64), np.array([], dtype=object), np.array([])
    return np.concatenate(groups), np.concatenate(variables), np.concatenate(coefs)


def add_chip_balance(m: PlanningModel) -> None:
    """Chips, ``chips_p{p}_a{a}``: ``sum_o chips_o n_po - sum_f m s_paf - sum_f m c_af <= O_pa``.

    Every chip a replica uses is bought in that period (on-demand or spot), committed, or already
    yours (``O_pa``, ``--fleet``; 0 without one).
    Dual: the money saved (USD over the period) per extra chip of that accelerator.
    """
    ix = m.index
    if len(ix.replica) == 0:
        return
    pa, rep_g, sup_g, pa_acc = _pa_groups(m)
    sup_mult = -ix.supply["multiplier"].to_numpy(float)
    cg, cv, cc = _commit_terms(m, pa, pa_acc)
    g, v, c = stack(
        (rep_g, m.replicas, ix.replica["chips"].to_numpy(float)), (sup_g, m.supply, sup_mult), (cg, cv, -cc)
    )
    n_acc = max(len(ix.accelerators), 1)
    names = [f"chips_p{k // n_acc}_a{k % n_acc}" for k in pa]
    owned = ix.owned_chips(pa // n_acc, pa % n_acc)
    m.rows["chips"] = (add_rows(m.prob, grouped_sums(g, v, c, len(pa)), LE, owned, names), pa)


def add_spot_share(m: PlanningModel, settings: SolveSettings) -> None:
    """Spot share, ``spot_p{p}_a{a}``: ``(1 - s) sum_spot m s_paf - s sum_other m (s_paf, c_af) <= s O_pa``.

    At most a share ``s`` (``--max-spot-share``) of an accelerator's chips in a period are spot;
    owned chips (``--fleet``, ``O_pa``) count in the total as chips that cannot be taken away.
    Dual: the value of letting one more chip of that accelerator be spot.
    """
    ix = m.index
    spot = (ix.supply["tier"] == "spot").to_numpy()
    if not spot.any():
        return
    pa, _rep_g, sup_g, pa_acc = _pa_groups(m)
    s = settings.max_spot_share
    mult = ix.supply["multiplier"].to_numpy(float)
    coef = np.where(spot, (1 - s) * mult, -s * mult)
    cg, cv, cc = _commit_terms(m, pa, pa_acc)
    g, v, c = stack((sup_g, m.supply, coef), (cg, cv, -s * cc))
    has_spot = np.unique(sup_g[spot])
    exprs = grouped_sums(g, v, c, len(pa))
    n_acc = max(len(ix.accelerators), 1)
    names = [f"spot_p{pa[k] // n_acc}_a{pa[k] % n_acc}" for k in has_spot]
    p, a = pa[has_spot] // n_acc, pa[has_spot] % n_acc
    rhs = s * ix.owned_chips(p, a)
    rows = add_rows(m.prob, [exprs[k] for k in has_spot], LE, rhs, names)
    m.rows["spot"] = (rows, pa[has_spot])


def add_min_replicas(m: PlanningModel) -> None:
    """Availability, ``minreplicas_p{p}_w{w}``: ``sum_{o serving d} n_po >= min_replicas_d``.

    Dual: the cost (USD over the period) of the last replica the availability floor requires.
    """
    ix = m.index
    need = ix.cover.index[(ix.cover["min_replicas"] > 0) & ~ix.cover["api_only"]].to_numpy()
    need = need[np.isin(need, ix.route["d"].to_numpy())]  # rows no deployment can serve get no floor
    if len(need) == 0:
        return
    pairs = ix.route[ix.route["d"].isin(need)][["d", "p", "o"]]
    rep_row = replica_rows(ix, pairs["p"].to_numpy(), pairs["o"].to_numpy())
    group = np.searchsorted(need, pairs["d"].to_numpy())
    exprs = grouped_sums(group, m.replicas[rep_row], np.ones(len(rep_row)), len(need))
    cover = ix.cover.loc[need]
    names = [f"minreplicas_p{p}_w{w}" for p, w in cover[["p", "w"]].itertuples(index=False)]
    m.rows["minreplicas"] = (add_rows(m.prob, exprs, GE, cover["min_replicas"].to_numpy(float), names), need)


def add_max_api_share(m: PlanningModel) -> None:
    """API share, ``apishare_p{p}_w{w}``: ``sum_k y_dk <= max_api_share_d * R_d`` where the share < 1.

    Dual: the saving (USD over the period) if one more request/s could go to an API.
    """
    ix = m.index
    cover = ix.cover
    limited = cover.index[cover["max_api_share"] < 1].to_numpy()
    limited = limited[np.isin(limited, ix.api["d"].to_numpy())]
    if len(limited) == 0:
        return
    sel = np.isin(ix.api["d"].to_numpy(), limited)
    group = np.searchsorted(limited, ix.api["d"].to_numpy()[sel])
    exprs = grouped_sums(group, m.api[sel], np.ones(int(sel.sum())), len(limited))
    rhs = (cover.loc[limited, "max_api_share"] * cover.loc[limited, "rate"]).to_numpy()
    names = [f"apishare_p{p}_w{w}" for p, w in cover.loc[limited, ["p", "w"]].itertuples(index=False)]
    m.rows["apishare"] = (add_rows(m.prob, exprs, LE, rhs, names), limited)


def add_api_rate_limits(m: PlanningModel, catalog: Catalog, token_counts: np.ndarray) -> None:
    """API limits: requests/s and tokens/min where the catalog publishes them.

    ``apirate_p{p}_k{k}``: ``sum_d y_dk <= limit_k`` (requests/s), and
    ``apitokens_p{p}_k{k}``: ``sum_d 60 tokens_d y_dk <= limit_k`` (tokens/min).

    ``token_counts`` holds input + output tokens per ``index.api`` row.
    Dual: the saving (USD over the period) per unit of extra limit.
    """
    ix = m.index
    req = np.array([catalog.apis[a].rate_limit_requests_per_s or np.nan for a in ix.apis])
    tpm = np.array([catalog.apis[a].rate_limit_tokens_per_min or np.nan for a in ix.apis])
    for name, limits, coef in (
        ("apirate", req, np.ones(len(ix.api))),
        ("apitokens", tpm, 60.0 * token_counts),
    ):
        _add_api_limit(m, name, limits, coef)


def _add_api_limit(m: PlanningModel, name: str, limits: np.ndarray, coef: np.ndarray) -> None:
    ix = m.index
    k = ix.api["k"].to_numpy(np.int64)
    sel = ~np.isnan(limits[k]) if len(k) else np.array([], dtype=bool)
    if not sel.any():
        return
    keys = ix.api["p"].to_numpy(np.int64)[sel] * len(ix.apis) + k[sel]
    uniq, group = np.unique(keys, return_inverse=True)
    exprs = grouped_sums(group, m.api[sel], coef[sel], len(uniq))
    names = [f"{name}_p{u // len(ix.apis)}_k{u % len(ix.apis)}" for u in uniq]
    m.rows[name] = (add_rows(m.prob, exprs, LE, limits[uniq % len(ix.apis)], names), uniq)


def add_max_chips(m: PlanningModel, settings: SolveSettings) -> None:
    """Chip limits, ``maxchips_p{p}_a{a}``: ``sum_o chips_o n_po <= N_a`` (``--max-chips ACC=N``).

    Dual: the saving (USD over the period) per extra chip allowed.
    """
    ix = m.index
    limited = {i: settings.max_chips[a] for i, a in enumerate(ix.accelerators) if a in settings.max_chips}
    if not limited or len(ix.replica) == 0:
        return
    pa, rep_g, _sup_g, pa_acc = _pa_groups(m)
    sel_groups = np.flatnonzero(np.isin(pa_acc, list(limited)))
    if len(sel_groups) == 0:
        return
    exprs = grouped_sums(rep_g, m.replicas, ix.replica["chips"].to_numpy(float), len(pa))
    n_acc = max(len(ix.accelerators), 1)
    names = [f"maxchips_p{pa[k] // n_acc}_a{pa[k] % n_acc}" for k in sel_groups]
    rhs = np.array([limited[int(pa_acc[k])] for k in sel_groups], dtype=float)
    m.rows["maxchips"] = (add_rows(m.prob, [exprs[k] for k in sel_groups], LE, rhs, names), pa[sel_groups])


def add_budget(m: PlanningModel, settings: SolveSettings) -> None:
    """Budget, ``budget``: accelerator + API cost over the horizon ``<= --budget-usd``.

    Dual: the saving in unmet-demand penalty per extra dollar of budget.
    """
    if settings.budget_usd is None:
        return
    parts = [(m.supply, m.cost["supply"]), (m.commit, m.cost["commit"]), (m.api, m.cost["api"])]
    variables = np.concatenate([p[0] for p in parts])
    coefs = np.concatenate([p[1] for p in parts])
    exprs = grouped_sums(np.zeros(len(variables), dtype=np.int64), variables, coefs, 1)
    m.rows["budget"] = (
        add_rows(m.prob, exprs, LE, np.array([settings.budget_usd]), ["budget"]),
        np.array([0]),
    )
