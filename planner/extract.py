"""Read a solved model back into a :class:`planner.plan.Plan`.

:func:`extract_plan` assembles the plan from the lines built by :mod:`planner.extract_lines`
(accelerators, commitments, deployments, routes) and :mod:`planner.extract_workloads` (workloads),
prices its totals and adds the diagnostics. What it reads is :class:`planner.extract_context.Context`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.engine import EngineResult
from planner.explain import explain_unmet, plan_warnings
from planner.extract_context import Context, rounded, rounded_rate
from planner.extract_lines import (
    accelerator_lines,
    commitment_lines,
    deployment_frame,
    deployment_lines,
    route_frame,
    route_lines,
)
from planner.extract_workloads import workload_lines
from planner.fleet import owned_lines, placement_pool, with_fleet_changes
from planner.placement import place_period
from planner.plan import (
    AcceleratorLine,
    Baseline,
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
from planner.plan_serving import with_request_shapes

__all__ = ["Context", "extract_plan", "placement_warnings", "unmet_share"]


def extract_plan(
    ctx: Context, baselines: tuple[Baseline, ...], inputs: Inputs, seconds: float, timings: dict[str, float]
) -> Plan:
    """Assemble the plan from the solved model."""
    ix = ctx.model.index
    acc = accelerator_lines(ctx)
    route = route_frame(ctx)
    deps = deployment_frame(ctx, acc, route)
    dep_lines, routes = deployment_lines(ctx, deps, route), route_lines(ctx, route, deps)
    workloads = with_request_shapes(ctx, workload_lines(ctx, route, deps))
    periods = tuple(_period(ctx, p, acc, dep_lines, routes, workloads) for p in range(len(ix.periods)))
    if ctx.fleet.lines:
        periods = with_fleet_changes(periods, ctx.fleet)
    cost = _cost(ctx, acc, routes)
    r = ctx.result
    solver = SolverInfo(
        name=r.solver,
        stage=r.stage,
        bound_usd=rounded(r.bound_usd),
        gap=rounded(r.gap, 6),
        seconds=rounded(seconds, 3),
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
        objective_usd=rounded(objective),
        cost_usd=cost,
        solver=solver,
        baselines=baselines,
        commitments=commitment_lines(ctx),
        periods=periods,
        diagnostics=diagnostics,
        inputs=inputs,
        timings={k: rounded(v, 3) for k, v in timings.items()},
    )


_STOP_TEXT = {
    "time_limit": "the --time-limit stopped the search",
    "work_limit": "the --work-limit stopped the search",
    "gap": "the search ended without proving it",
    "bracketed": "its sweep neighbours' bounds settled it without a MILP",
}


def _search_warnings(r: EngineResult) -> tuple[str, ...]:
    """A plan not proven within --mip-gap says so, and what stopped the search."""
    if r.status == "optimal":
        return ()
    why = _STOP_TEXT.get(r.stopped_by, r.stopped_by)
    advice = (
        "within the gap its sweep neighbours reached; plan sweep --no-bracket solves every point"
        if r.stopped_by == "bracketed"
        else "give it more time, or a larger --work-limit"
    )
    return (
        f"not proven optimal: {why} at a gap of {100 * r.gap:.2f}% to the bound "
        f"${r.bound_usd:,.2f} ({advice})",
    )


def unmet_share(periods: tuple[PeriodPlan, ...]) -> float:
    """Unmet share of the demanded requests, weighted by hours (from the lines as printed)."""
    demand = sum(w.demand_requests_per_s * p.hours for p in periods for w in p.workloads)
    unmet = sum(w.unmet_requests_per_s * p.hours for p in periods for w in p.workloads)
    return rounded(unmet / demand) if demand > 0 else 0.0


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
        AcceleratorLine(accelerator=a, provider=pr, tier=t, chips=int(n), usd=rounded(u))
        for a, pr, t, n, u in zip(*columns, strict=True)
    )
    api_usd = sum(r.usd for r in routes.get(p, []) if r.kind == "api")
    period = ctx.model.index.periods[p]
    owned = owned_lines(ctx.fleet, p, ctx.model.index.periods)
    placements, _ = place_period(period, placement_pool(lines, owned), deps.get(p, []))
    return PeriodPlan(
        period=period,
        hours=float(ctx.model.index.hours[p]),
        usd=rounded(float(rows["usd"].sum()) + api_usd),
        accelerators=lines,
        deployments=tuple(deps.get(p, [])),
        routing=tuple(routes.get(p, [])),
        workloads=tuple(workloads.get(p, [])),
        placements=placements,
        owned=owned,
        bound_usd=_period_bound(ctx, p),
    )


def _period_bound(ctx: Context, p: int) -> float | None:
    bounds = ctx.result.period_bounds
    value = bounds[p] if bounds is not None else None
    return rounded(value) if value is not None and np.isfinite(value) else None


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
    printed = np.array([rounded_rate(u) for u in np.nan_to_num(vals["unmet"])], dtype=float)
    unmet = float(np.sum(printed * ctx.model.cost["unmet"]))
    return CostUsd(
        accelerators=rounded(float(acc["usd"].sum())),
        committed_beyond_horizon=rounded(beyond),
        api=rounded(api),
        unmet_penalty=rounded(unmet),
    )
