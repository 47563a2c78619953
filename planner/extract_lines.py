"""The plan's lines of accelerators, commitments, deployments and routes, from the solved model."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from planner.extract_context import TINY, Context, rounded, rounded_rate
from planner.formulation.index import HOURS_PER_TERM
from planner.plan import CommitmentLine, DeploymentLine, RouteLine
from planner.plan_serving import planned_sizes, precision_kind, precision_source_of
from planner.units import SECONDS_PER_HOUR


def _offer(ctx: Context, a: int, f: int) -> tuple[str, str, str, float]:
    acc = ctx.catalog.accelerators[ctx.model.index.accelerators[a]]
    offer = acc.prices[f]
    return acc.id, offer.provider, offer.tier, offer.usd_per_chip_hour


def accelerator_lines(ctx: Context) -> pd.DataFrame:
    """Chips and USD per (period, accelerator, offer), committed offers included in every period."""
    ix, vals = ctx.model.index, ctx.result.values
    records = []
    chips = np.round(np.nan_to_num(vals["supply"])) * ix.supply["multiplier"].to_numpy(float)
    prices = ix.supply["usd_per_chip_hour"].to_numpy(float)  # with the period's --price-trend factor
    for (p, a, f), n, price in zip(
        ix.supply[["p", "a", "f"]].itertuples(index=False), chips, prices, strict=True
    ):
        if n > 0:
            acc, provider, tier, _ = _offer(ctx, a, f)
            records.append((p, a, acc, provider, tier, int(n), n * price * ix.hours[p]))
    committed = np.round(np.nan_to_num(vals["commit"])) * ix.commit["multiplier"].to_numpy(float)
    for (a, f), n in zip(ix.commit[["a", "f"]].itertuples(index=False), committed, strict=True):
        if n > 0:
            acc, provider, tier, price = _offer(ctx, a, f)
            records.extend((p, a, acc, provider, tier, int(n), n * price * h) for p, h in enumerate(ix.hours))
    cols = ["p", "a", "accelerator", "provider", "tier", "chips", "usd"]
    return pd.DataFrame(records, columns=cols)


def commitment_lines(ctx: Context) -> tuple[CommitmentLine, ...]:
    """Committed chips over the horizon: the charge, and the obligation split at the horizon's end."""
    ix, vals = ctx.model.index, ctx.result.values
    lines = []
    committed = np.round(np.nan_to_num(vals["commit"])) * ix.commit["multiplier"].to_numpy(float)
    commit = ix.commit
    horizon = ix.horizon_hours
    for a, f, charged, n in zip(
        commit["a"].to_numpy(),
        commit["f"].to_numpy(),
        commit["charged_hours"].to_numpy(),
        committed,
        strict=True,
    ):
        if n > 0:
            acc, provider, tier, price = _offer(ctx, int(a), int(f))
            term = HOURS_PER_TERM[tier]
            obligation = n * price * max(1, math.ceil(horizon / term - 1e-9)) * term
            within = n * price * horizon
            lines.append(
                CommitmentLine(
                    accelerator=acc,
                    provider=provider,
                    tier=tier,
                    chips=int(n),
                    usd=rounded(n * price * charged),
                    usd_within_horizon=rounded(within),
                    usd_beyond_horizon=rounded(obligation - within),
                    usd_obligation=rounded(obligation),
                )
            )
    return tuple(lines)


def route_frame(ctx: Context) -> pd.DataFrame:
    """Routed load per (row, option) with its share of the replicas it occupies."""
    ix = ctx.model.index
    route = ix.route.assign(x=np.nan_to_num(ctx.result.values["route"]))
    staffed = np.round(np.nan_to_num(ctx.result.values["replicas"])) > 0
    live = pd.MultiIndex.from_frame(ix.replica.loc[staffed, ["p", "o"]])
    # solver round-off can leave ~1e-5 req/s on an option with no replica: not a route
    on_replicas = pd.MultiIndex.from_frame(route[["p", "o"]]).isin(live)
    route = route[(route["x"] > TINY) & on_replicas].copy()
    route["slots"] = route["x"] / (route["r"] * route["util"])
    route["busy"] = route["x"] / route["r"]
    return route


def deployment_frame(ctx: Context, acc_lines: pd.DataFrame, route: pd.DataFrame) -> pd.DataFrame:
    """Replicas per (period, option) with capacity, utilisation and USD (accelerator cost by chips)."""
    ix = ctx.model.index
    rep = ix.replica.assign(n=np.round(np.nan_to_num(ctx.result.values["replicas"])))
    rep = rep[rep["n"] > 0].copy()
    load = route.groupby(["p", "o"])[["x", "slots", "busy"]].sum()
    rep = rep.merge(load, left_on=["p", "o"], right_index=True, how="left", validate="one_to_one").fillna(0.0)
    rep["used_chips"] = rep["n"] * rep["chips"]
    acc_usd = acc_lines.groupby(["p", "a"])["usd"].sum()
    used = rep.groupby(["p", "a"])["used_chips"].sum()
    share = rep["used_chips"] / used.reindex(pd.MultiIndex.from_frame(rep[["p", "a"]])).to_numpy()
    rep["usd"] = share * acc_usd.reindex(pd.MultiIndex.from_frame(rep[["p", "a"]])).fillna(0.0).to_numpy()
    best = ix.route.assign(ru=ix.route["r"] * ix.route["util"]).groupby(["p", "o"])["ru"].max()
    per_replica = np.where(
        rep["slots"] > 0,
        rep["x"] / rep["slots"].where(rep["slots"] > 0, 1.0),
        best.reindex(pd.MultiIndex.from_frame(rep[["p", "o"]])).to_numpy(),
    )
    rep["capacity"] = rep["n"] * per_replica
    rep["utilization"] = rep["busy"] / rep["n"]
    return rep


def deployment_lines(
    ctx: Context, deps: pd.DataFrame, route: pd.DataFrame
) -> dict[int, list[DeploymentLine]]:
    """The deployment lines by period: replicas, capacity, utilisation, USD, planned sizes."""
    table = ctx.options.deployments
    sizes = planned_sizes(ctx, route)
    out: dict[int, list[DeploymentLine]] = {}
    for p, o, n, capacity, utilization, usd in zip(
        deps["p"].to_numpy(),
        deps["o"].to_numpy(),
        deps["n"].to_numpy(),
        deps["capacity"].to_numpy(),
        deps["utilization"].to_numpy(),
        deps["usd"].to_numpy(),
        strict=True,
    ):
        d = table.iloc[int(o)]
        batch, context = sizes.get((int(p), int(o)), (None, None))
        out.setdefault(int(p), []).append(
            DeploymentLine(
                id=d["id"],
                model=d["model"],
                accelerator=d["accelerator"],
                tensor_parallel=int(d["tensor_parallel"]),
                pipeline_parallel=int(d["pipeline_parallel"]),
                precision=d["precision"],
                replicas=int(n),
                precision_kind=precision_kind(ctx, d["model"], d["precision"]),
                precision_source=precision_source_of(ctx, d["model"], d["precision"]),
                max_num_seqs=batch,
                max_model_len_tokens=context,
                capacity_requests_per_s=rounded(capacity),
                utilization=rounded(utilization, 4),
                usd=rounded(usd),
            )
        )
    return out


def route_lines(ctx: Context, route: pd.DataFrame, deps: pd.DataFrame) -> dict[int, list[RouteLine]]:
    """The routing lines by period: load on each deployment (USD by its share of slots) and API."""
    ix = ctx.model.index
    slots = deps[["p", "o", "slots", "usd"]].rename(columns={"slots": "slots_dep"})
    joined = route.merge(slots, on=["p", "o"], how="left", validate="many_to_one")
    joined["usd"] = joined["usd"] * joined["slots"] / joined["slots_dep"]
    ids = ctx.options.deployments["id"].to_numpy()
    out: dict[int, list[RouteLine]] = {}
    cover_w = ix.cover["w"].to_numpy()
    for d, p, o, x, usd in zip(
        joined["d"].to_numpy(),
        joined["p"].to_numpy(),
        joined["o"].to_numpy(),
        joined["x"].to_numpy(),
        joined["usd"].to_numpy(),
        strict=True,
    ):
        workload = ix.workloads[int(cover_w[int(d)])]
        out.setdefault(int(p), []).append(
            RouteLine(
                workload=workload,
                kind="deployment",
                target=ids[int(o)],
                requests_per_s=rounded_rate(x),
                usd=rounded(usd),
            )
        )
    api = ix.api.assign(y=np.nan_to_num(ctx.result.values["api"]))
    api = api[api["y"] > TINY]
    for d, p, k, y, hours, usd_per_request in zip(
        api["d"].to_numpy(),
        api["p"].to_numpy(),
        api["k"].to_numpy(),
        api["y"].to_numpy(),
        api["hours"].to_numpy(),
        api["usd_per_request"].to_numpy(),
        strict=True,
    ):
        workload = ix.workloads[int(cover_w[int(d)])]
        usd = (
            rounded_rate(y) * SECONDS_PER_HOUR * hours * usd_per_request
        )  # priced as printed: re-prices exactly
        out.setdefault(int(p), []).append(
            RouteLine(
                workload=workload,
                kind="api",
                target=ix.apis[int(k)],
                requests_per_s=rounded_rate(y),
                usd=rounded(usd),
            )
        )
    return out
