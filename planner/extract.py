"""Read a solved model back into a :class:`planner.plan.Plan`."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planner.catalog.schema import Catalog
from planner.demand import Demand
from planner.engine import EngineResult
from planner.explain import explain_unmet, plan_warnings
from planner.fleet import Fleet, owned_lines, placement_pool, with_fleet_changes
from planner.formulation.blocks import PlanningModel
from planner.formulation.index import HOURS_PER_TERM
from planner.options import Options
from planner.perf import estimate_grid
from planner.placement import place_period
from planner.plan import (
    AcceleratorLine,
    Baseline,
    CommitmentLine,
    CostUsd,
    DeploymentLine,
    Diagnostics,
    Inputs,
    PeriodPlan,
    Plan,
    RouteLine,
    SolverInfo,
    WorkloadLine,
)
from planner.plan_serving import planned_sizes, precision_kind, precision_source_of, with_request_shapes
from planner.settings import SolveSettings
from planner.units import SECONDS_PER_HOUR

_TINY = 1e-9


def _r(x: float, digits: int = 6) -> float:
    return float(round(float(x), digits)) + 0.0


#: Decimals of the requests/s a plan prints. Costs are priced from the printed rates, and the unmet
#: penalty (about $8.6e7 per request/s over a 24 h period at the default $1,000 per request) makes
#: 6 decimals cost up to $43 of round-off; 12 keep it below $0.0001.
RATE_DIGITS = 12


def _rate(x: float) -> float:
    return _r(x, RATE_DIGITS)


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
                    usd=_r(n * price * charged),
                    usd_within_horizon=_r(within),
                    usd_beyond_horizon=_r(obligation - within),
                    usd_obligation=_r(obligation),
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
    route = route[(route["x"] > _TINY) & on_replicas].copy()
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


def _deployment_lines(
    ctx: Context, deps: pd.DataFrame, route: pd.DataFrame
) -> dict[int, list[DeploymentLine]]:
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
                capacity_requests_per_s=_r(capacity),
                utilization=_r(utilization, 4),
                usd=_r(usd),
            )
        )
    return out


def _route_lines(ctx: Context, route: pd.DataFrame, deps: pd.DataFrame) -> dict[int, list[RouteLine]]:
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
                requests_per_s=_rate(x),
                usd=_r(usd),
            )
        )
    api = ix.api.assign(y=np.nan_to_num(ctx.result.values["api"]))
    api = api[api["y"] > _TINY]
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
        usd = _rate(y) * SECONDS_PER_HOUR * hours * usd_per_request  # priced as printed: re-prices exactly
        out.setdefault(int(p), []).append(
            RouteLine(
                workload=workload,
                kind="api",
                target=ix.apis[int(k)],
                requests_per_s=_rate(y),
                usd=_r(usd),
            )
        )
    return out


def _workload_lines(ctx: Context, route: pd.DataFrame, deps: pd.DataFrame) -> dict[int, list[WorkloadLine]]:
    ix, vals = ctx.model.index, ctx.result.values
    cover = ix.cover.assign(unmet=np.nan_to_num(vals["unmet"]))
    self_hosted = route.groupby("d")["x"].sum()
    api = ix.api.assign(y=np.nan_to_num(vals["api"])).groupby("d")["y"].sum()
    lp_dual = ctx.result.lp_duals.get("cover", np.full(len(cover), np.nan))
    fixed_dual = ctx.result.fixed_duals.get("cover", np.full(len(cover), np.nan))
    lat = _latencies(ctx, route, deps)
    pairs = zip(cover["p"].to_numpy(), cover["w"].to_numpy(), strict=True)
    by_key = {(int(p), int(w)): i for i, (p, w) in enumerate(pairs)}
    out: dict[int, list[WorkloadLine]] = {}
    rows = ctx.options.rows
    for period_index, workload, demand in zip(
        rows["period_index"].to_numpy(),
        rows["workload"].to_numpy(),
        rows["requests_per_s"].to_numpy(),
        strict=True,
    ):
        p, w = int(period_index), ix.workloads.index(workload)
        d = by_key.get((p, w))
        out.setdefault(p, []).append(
            _workload_line(workload, float(demand), d, self_hosted, api, cover, lp_dual, fixed_dual, lat)
        )
    return out


def _workload_line(
    workload: str,
    demand: float,
    d: int | None,
    self_hosted: pd.Series,
    api: pd.Series,
    cover: pd.DataFrame,
    lp_dual: np.ndarray,
    fixed_dual: np.ndarray,
    lat: dict[int, tuple[float, float]],
) -> WorkloadLine:
    if d is None:
        return WorkloadLine(
            workload=workload,
            demand_requests_per_s=_rate(demand),
            self_hosted_requests_per_s=0.0,
            api_requests_per_s=0.0,
            unmet_requests_per_s=0.0,
            marginal_usd_per_request_per_s=None,
            short_run_marginal_usd_per_request_per_s=None,
            ttft_ms=None,
            tpot_ms=None,
        )
    ttft, tpot = lat.get(d, (np.nan, np.nan))
    return WorkloadLine(
        workload=workload,
        demand_requests_per_s=_rate(demand),
        self_hosted_requests_per_s=_rate(self_hosted.get(d, 0.0)),
        api_requests_per_s=_rate(api.get(d, 0.0)),
        unmet_requests_per_s=_rate(cover["unmet"].to_numpy()[d]),
        marginal_usd_per_request_per_s=_opt(lp_dual[d]),
        short_run_marginal_usd_per_request_per_s=_opt(fixed_dual[d] if d < len(fixed_dual) else np.nan),
        ttft_ms=_opt(ttft),
        tpot_ms=_opt(tpot),
    )


def _opt(x: float) -> float | None:
    return None if x is None or not np.isfinite(x) else _r(x, 4)


def _latencies(ctx: Context, route: pd.DataFrame, deps: pd.DataFrame) -> dict[int, tuple[float, float]]:
    """Worst predicted TTFT and TPOT per demand row, at the load the plan puts on each deployment.

    A deployment at utilisation u (of its measured maximum) runs about u x its largest batch
    concurrently (Little's law at equal latency), so the roofline is evaluated at that batch. Options
    known only from measured profiles keep the latencies of the batch they were sized at.
    """
    if route.empty:
        return {}
    shape = ctx.model.index.cover["shape"].to_numpy(int)[route["d"].to_numpy(int)]
    cap = ctx.options.capacity.set_index(["shape", "option"])
    sized = cap.reindex(pd.MultiIndex.from_arrays([shape, route["o"].to_numpy(int)]))
    util = (
        deps.set_index(["p", "o"])["utilization"]
        .reindex(pd.MultiIndex.from_frame(route[["p", "o"]]))
        .to_numpy()
    )
    batch = np.ceil(np.clip(util, 0.0, 1.0) * sized["max_batch"].to_numpy(float)).clip(min=1.0)
    ttft, tpot = _at_batch(ctx, shape, route["o"].to_numpy(int), batch)
    roofline = (sized["source"].to_numpy(object) == "roofline") & np.isfinite(ttft) & np.isfinite(tpot)
    frame = pd.DataFrame(
        {
            "d": route["d"].to_numpy(int),
            "ttft": np.where(roofline, ttft, sized["ttft_ms"].to_numpy(float)),
            "tpot": np.where(roofline, tpot, sized["tpot_ms"].to_numpy(float)),
        }
    )
    worst = frame.groupby("d")[["ttft", "tpot"]].max()
    triples = zip(worst.index.to_numpy(), worst["ttft"].to_numpy(), worst["tpot"].to_numpy(), strict=True)
    return {int(d): (float(a), float(b)) for d, a, b in triples}


def _at_batch(
    ctx: Context, shape: np.ndarray, option: np.ndarray, batch: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Roofline TTFT and TPOT of (shape, option) pairs at fixed batches (NaN where it gives none)."""
    dep = ctx.options.deployments.iloc[option].reset_index(drop=True)
    shapes = ctx.options.shapes.iloc[shape].reset_index(drop=True)
    cases = pd.DataFrame(
        {
            "model": dep["model"],
            "accelerator": dep["accelerator"],
            "tensor_parallel": dep["tensor_parallel"],
            "pipeline_parallel": dep["pipeline_parallel"],
            "precision": dep["precision"],
            "input_tokens": shapes["input_tokens"].astype(float),
            "output_tokens": shapes["output_tokens"].astype(float),
            "ttft_ms": np.nan,
            "tpot_ms": np.nan,
            "batch": batch,
        }
    )
    est = estimate_grid(cases, ctx.catalog.models, ctx.catalog.accelerators)
    return est["ttft_ms_pred"].to_numpy(float), est["tpot_ms_pred"].to_numpy(float)


def extract_plan(
    ctx: Context, baselines: tuple[Baseline, ...], inputs: Inputs, seconds: float, timings: dict[str, float]
) -> Plan:
    """Assemble the plan from the solved model."""
    ix = ctx.model.index
    acc = accelerator_lines(ctx)
    route = route_frame(ctx)
    deps = deployment_frame(ctx, acc, route)
    dep_lines, route_lines = _deployment_lines(ctx, deps, route), _route_lines(ctx, route, deps)
    workloads = with_request_shapes(ctx, _workload_lines(ctx, route, deps))
    periods = tuple(_period(ctx, p, acc, dep_lines, route_lines, workloads) for p in range(len(ix.periods)))
    if ctx.fleet.lines:
        periods = with_fleet_changes(periods, ctx.fleet)
    cost = _cost(ctx, acc, route_lines)
    r = ctx.result
    solver = SolverInfo(
        name=r.solver,
        stage=r.stage,
        bound_usd=_r(r.bound_usd),
        gap=_r(r.gap, 6),
        seconds=_r(seconds, 3),
        stopped_by=r.stopped_by,
        reductions=r.reductions,
    )
    diagnostics = Diagnostics(
        unmet=explain_unmet(ctx.model, ctx.result, ctx.options, ctx.settings),
        unmet_share=unmet_share(periods),
        warnings=(
            *ctx.demand.warnings,
            *plan_warnings(ctx.options),
            *_search_warnings(r),
            *placement_warnings(periods),
        ),
    )
    objective = cost.accelerators + cost.committed_beyond_horizon + cost.api + cost.unmet_penalty
    return Plan(
        status=r.status,
        objective_usd=_r(objective),
        cost_usd=cost,
        solver=solver,
        baselines=baselines,
        commitments=commitment_lines(ctx),
        periods=periods,
        diagnostics=diagnostics,
        inputs=inputs,
        timings={k: _r(v, 3) for k, v in timings.items()},
    )


_STOP_TEXT = {
    "time_limit": "the --time-limit stopped the search",
    "work_limit": "the --work-limit stopped the search",
    "gap": "the search ended without proving it",
}


def _search_warnings(r: EngineResult) -> tuple[str, ...]:
    """A plan not proven within --mip-gap says so, and what stopped the search."""
    if r.status == "optimal":
        return ()
    why = _STOP_TEXT.get(r.stopped_by, r.stopped_by)
    return (
        f"not proven optimal: {why} at a gap of {100 * r.gap:.2f}% to the bound "
        f"${r.bound_usd:,.2f} (give it more time, or a larger --work-limit)",
    )


def unmet_share(periods: tuple[PeriodPlan, ...]) -> float:
    """Unmet share of the demanded requests, weighted by hours (from the lines as printed)."""
    demand = sum(w.demand_requests_per_s * p.hours for p in periods for w in p.workloads)
    unmet = sum(w.unmet_requests_per_s * p.hours for p in periods for w in p.workloads)
    return _r(unmet / demand) if demand > 0 else 0.0


def _period(
    ctx: Context,
    p: int,
    acc: pd.DataFrame,
    deps: dict[int, list[DeploymentLine]],
    routes: dict[int, list[RouteLine]],
    workloads: dict[int, list[WorkloadLine]],
) -> PeriodPlan:
    rows = acc[acc["p"] == p]
    columns = (rows[c].to_numpy() for c in ("accelerator", "provider", "tier", "chips", "usd"))
    lines = tuple(
        AcceleratorLine(accelerator=a, provider=pr, tier=t, chips=int(n), usd=_r(u))
        for a, pr, t, n, u in zip(*columns, strict=True)
    )
    api_usd = sum(r.usd for r in routes.get(p, []) if r.kind == "api")
    period = ctx.model.index.periods[p]
    owned = owned_lines(ctx.fleet, p, ctx.model.index.periods)
    placements, _ = place_period(period, placement_pool(lines, owned), deps.get(p, []))
    return PeriodPlan(
        period=period,
        hours=float(ctx.model.index.hours[p]),
        usd=_r(float(rows["usd"].sum()) + api_usd),
        accelerators=lines,
        deployments=tuple(deps.get(p, [])),
        routing=tuple(routes.get(p, [])),
        workloads=tuple(workloads.get(p, [])),
        placements=placements,
        owned=owned,
    )


def placement_warnings(periods: tuple[PeriodPlan, ...]) -> tuple[str, ...]:
    """One warning per replica whose chips could not sit with a single provider and tier."""
    return tuple(
        w
        for p in periods
        for w in place_period(p.period, placement_pool(p.accelerators, p.owned), p.deployments)[1]
    )


def _cost(ctx: Context, acc: pd.DataFrame, api_lines: dict[int, list[RouteLine]]) -> CostUsd:
    ix, vals = ctx.model.index, ctx.result.values
    committed = np.round(np.nan_to_num(vals["commit"])) * ix.commit["multiplier"].to_numpy(float)
    beyond = (
        float(
            np.sum(
                committed
                * ix.commit["usd_per_chip_hour"].to_numpy(float)
                * ix.commit["beyond_hours"].to_numpy(float)
            )
        )
        if len(committed)
        else 0.0
    )
    api = float(sum(r.usd for lines in api_lines.values() for r in lines if r.kind == "api"))
    # priced at the unmet rates as printed (6 decimals), so the plan re-prices to the cent
    printed = np.array([_rate(u) for u in np.nan_to_num(vals["unmet"])], dtype=float)
    unmet = float(np.sum(printed * ctx.model.cost["unmet"]))
    return CostUsd(
        accelerators=_r(float(acc["usd"].sum())),
        committed_beyond_horizon=_r(beyond),
        api=_r(api),
        unmet_penalty=_r(unmet),
    )
