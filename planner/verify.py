"""An independent plan verifier: re-prices and re-checks a plan without any solver.

It reads only the plan, the demand, the catalogs and (for capacities) the performance model or the
measured profiles, and reports every broken promise: demand not accounted for, a route to a
deployment that does not exist or to an API that cannot serve the workload, replicas overloaded
beyond the target utilisation, chips used but not bought, a price that does not match the catalog,
totals that do not add up, a limit exceeded.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from pathlib import Path
from typing import Any, cast

import pandas as pd

from planner.errors import InputError, Location
from planner.options import CONFIG_KEYS, build_shapes, estimate_pairs
from planner.pipeline import Problem
from planner.plan import PeriodPlan, Plan

REL_TOL = 1e-5
ABS_TOL = 1e-4
_TERM_HOURS = {"committed_1y": 8760.0, "committed_3y": 26280.0}


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= ABS_TOL + REL_TOL * max(abs(a), abs(b))


def read_plan(path: str | os.PathLike[str]) -> Plan:
    """Load a plan JSON file (an InputError when it is not one)."""
    try:
        return Plan.model_validate(json.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        raise InputError(f"not a readable plan: {exc}", Location(file=str(path))) from None


def verify_plan_json(path: str | os.PathLike[str], problem: Problem) -> list[str]:
    """Load a plan JSON file and verify it."""
    return verify_plan(read_plan(path), problem)


def verify_plan(plan: Plan, problem: Problem) -> list[str]:
    """Every problem found in ``plan`` (an empty list: the plan holds)."""
    issues: list[str] = []
    rows = problem.demand.frame
    if [p.period for p in plan.periods] != list(problem.demand.periods):
        return ["the plan's periods differ from the demand's"]
    for period in plan.periods:
        demand_rows = rows[rows["period"] == period.period]
        issues += _check_workloads(period, demand_rows)
        issues += _check_routes(period, demand_rows, problem)
        issues += _check_chips_and_prices(period, problem)
    issues += _check_capacity(plan, problem)
    issues += _check_totals(plan, problem)
    return issues


def _check_workloads(period: PeriodPlan, demand_rows: pd.DataFrame) -> list[str]:
    issues = []
    lines = {w.workload: w for w in period.workloads}
    columns = ("workload", "requests_per_s", "self_host_only", "api_only", "max_api_share")
    for workload, demand, self_host_only, api_only, max_api_share in zip(
        *(demand_rows[c].to_numpy() for c in columns), strict=True
    ):
        line = lines.get(workload)
        if line is None:
            issues.append(f"{period.period}/{workload}: missing from the plan")
            continue
        total = line.self_hosted_requests_per_s + line.api_requests_per_s + line.unmet_requests_per_s
        if not _close(total, float(demand)):
            issues.append(f"{period.period}/{workload}: served {total:.6g} + unmet != demand {demand:.6g}")
        if self_host_only and line.api_requests_per_s > ABS_TOL:
            issues.append(f"{period.period}/{workload}: self_host_only but sent to an API")
        if api_only and line.self_hosted_requests_per_s > ABS_TOL:
            issues.append(f"{period.period}/{workload}: api_only but self-hosted")
        if line.api_requests_per_s > float(max_api_share) * float(demand) + ABS_TOL:
            issues.append(f"{period.period}/{workload}: API share above max_api_share")
    return issues


def _serves(problem: Problem, row: object, model: str | None, quality: float | None) -> bool:
    pinned = getattr(row, "model", None)
    if isinstance(pinned, str) and pinned:
        return model == pinned
    return quality is not None and quality >= float(row.min_quality)  # type: ignore[attr-defined]


def _check_routes(period: PeriodPlan, demand_rows: pd.DataFrame, problem: Problem) -> list[str]:
    issues = []
    cat = problem.catalog
    deployments = {d.id: d for d in period.deployments}
    # itertuples rows are dynamic namedtuples: their fields are not visible to the type checker.
    by_workload: dict[Any, Any] = {r.workload: r for r in demand_rows.itertuples(index=False)}
    api_sum: dict[str, float] = defaultdict(float)
    for route in period.routing:
        row = by_workload.get(route.workload)
        if row is None:
            issues.append(f"{period.period}: route for unknown workload {route.workload}")
            continue
        if route.kind == "deployment":
            dep = deployments.get(route.target)
            quality = cat.models[dep.model].quality if dep is not None and dep.model in cat.models else None
            if dep is None or not _serves(problem, row, dep.model, quality):
                issues.append(
                    f"{period.period}/{route.workload}: route to {route.target}, which cannot serve it"
                )
            continue
        api = cat.apis.get(route.target)
        if api is None or not _serves(problem, row, api.model, cat.api_quality(api)):
            issues.append(f"{period.period}/{route.workload}: API {route.target} cannot serve it")
            continue
        usd = (
            route.requests_per_s
            * 3600
            * period.hours
            * api.usd_per_request(row.input_tokens, row.output_tokens)
        )
        if not _close(usd, route.usd):
            issues.append(f"{period.period}/{route.workload}: API cost {route.usd} != re-priced {usd:.6f}")
        api_sum[route.workload] += route.requests_per_s
    return issues


def _price(problem: Problem, accelerator: str, provider: str, tier: str) -> float | None:
    acc = problem.catalog.accelerators.get(accelerator)
    offers = [p for p in (acc.prices if acc else ()) if p.provider == provider and p.tier == tier]
    return offers[0].usd_per_chip_hour if offers else None


def _check_chips_and_prices(period: PeriodPlan, problem: Problem) -> list[str]:
    issues = []
    bought: dict[str, int] = defaultdict(int)
    spot: dict[str, int] = defaultdict(int)
    for line in period.accelerators:
        price = _price(problem, line.accelerator, line.provider, line.tier)
        if price is None:
            issues.append(f"{period.period}: no catalog offer {line.accelerator}/{line.provider}/{line.tier}")
        elif not _close(line.chips * price * period.hours, line.usd):
            issues.append(
                f"{period.period}: {line.accelerator}/{line.provider}/{line.tier} costs {line.usd}, "
                f"re-priced {line.chips * price * period.hours:.6f}"
            )
        bought[line.accelerator] += line.chips
        spot[line.accelerator] += line.chips if line.tier == "spot" else 0
    used: dict[str, int] = defaultdict(int)
    for dep in period.deployments:
        used[dep.accelerator] += dep.replicas * dep.tensor_parallel * dep.pipeline_parallel
    settings = problem.settings
    for acc, chips in used.items():
        if chips > bought.get(acc, 0):
            issues.append(f"{period.period}: {acc} uses {chips} chips but buys {bought.get(acc, 0)}")
        if acc in settings.max_chips and chips > settings.max_chips[acc]:
            issues.append(
                f"{period.period}: {acc} uses {chips} chips, above --max-chips {settings.max_chips[acc]}"
            )
    for acc, chips in spot.items():
        if chips > settings.max_spot_share * bought[acc] + ABS_TOL:
            issues.append(f"{period.period}: {acc} spot chips {chips} above the spot share")
    return issues


def _check_capacity(plan: Plan, problem: Problem) -> list[str]:
    """Re-derive what one replica sustains and check no deployment is loaded past its target."""
    rows, shapes = build_shapes(problem.demand)
    records = []
    for p_index, period in enumerate(plan.periods):
        deps = {d.id: d for d in period.deployments}
        for route in period.routing:
            if route.kind != "deployment" or route.target not in deps:
                continue
            d = deps[route.target]
            row = rows[(rows["period_index"] == p_index) & (rows["workload"] == route.workload)].iloc[0]
            util = row["target_utilization"]
            util = problem.settings.target_utilization if pd.isna(util) else float(util)
            records.append(
                (
                    p_index,
                    d.id,
                    d.replicas,
                    int(row["shape"]),
                    route.requests_per_s,
                    util,
                    d.model,
                    d.accelerator,
                    d.tensor_parallel,
                    d.pipeline_parallel,
                    d.precision,
                )
            )
    if not records:
        return []
    frame = pd.DataFrame(records, columns=["p", "id", "replicas", "shape", "x", "util", *CONFIG_KEYS])
    pairs = frame.merge(
        shapes[["input_tokens", "output_tokens", "ttft_ms", "tpot_ms"]],
        left_on="shape",
        right_index=True,
        how="left",
        validate="many_to_one",
    )
    est = estimate_pairs(pairs, problem.catalog, problem.profiles)
    frame["slots"] = frame["x"] / (est["requests_per_s"].to_numpy(float) * frame["util"])
    issues = []
    for (p, dep_id), group in frame.groupby(["p", "id"]):
        label = plan.periods[int(cast(int, p))].period
        # the plan prints rates to 6 decimals: allow that round-off, nothing more
        if group["slots"].sum() > group["replicas"].to_numpy()[0] * (1 + 1e-5) + 1e-6:
            issues.append(
                f"{label}: {dep_id} loaded {group['slots'].sum():.4f} replicas' worth "
                f"at the target utilisation, has {group['replicas'].iat[0]}"
            )
    return issues


def _check_totals(plan: Plan, problem: Problem) -> list[str]:
    issues = []
    cost = plan.cost_usd
    acc = sum(line.usd for p in plan.periods for line in p.accelerators)
    api = sum(r.usd for p in plan.periods for r in p.routing if r.kind == "api")
    if not _close(acc, cost.accelerators):
        issues.append(f"accelerator cost {cost.accelerators} != sum of periods {acc:.6f}")
    if not _close(api, cost.api):
        issues.append(f"API cost {cost.api} != sum of routes {api:.6f}")
    total = cost.accelerators + cost.committed_beyond_horizon + cost.api + cost.unmet_penalty
    if not _close(total, plan.objective_usd):
        issues.append(f"objective {plan.objective_usd} != sum of costs {total:.6f}")
    unmet = sum(w.unmet_requests_per_s * 3600 * p.hours for p in plan.periods for w in p.workloads)
    penalty = unmet * problem.settings.unmet_penalty_usd_per_request
    if not _close(penalty, cost.unmet_penalty):
        issues.append(f"unmet penalty {cost.unmet_penalty} != re-priced {penalty:.6f}")
    if unmet > ABS_TOL and not plan.diagnostics.unmet:
        issues.append("demand is unmet but the diagnostics say nothing")
    budget = problem.settings.budget_usd
    if budget is not None and cost.accelerators + cost.committed_beyond_horizon + cost.api > budget * (
        1 + REL_TOL
    ):
        issues.append(f"cost above --budget-usd {budget}")
    return issues
