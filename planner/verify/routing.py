"""Routing checks: deployments, route targets, loads within capacity, demand = routes + unmet."""

from __future__ import annotations

from planner.perf.precisions import precision_source
from planner.plan import PeriodPlan, RouteLine
from planner.units import SECONDS_PER_HOUR
from planner.verify.context import Config, Context, PeriodState, Row, config_id, config_of
from planner.verify.findings import FRACTION_TOL, Findings, rate_close, usd, usd_close

#: Routed load may exceed the replicas by this share plus CAPACITY_ABS replicas (6-decimal rates).
CAPACITY_REL, CAPACITY_ABS = 1e-5, 1e-6


def check_deployments(ctx: Context, f: Findings, state: PeriodState, period: PeriodPlan) -> None:
    """Each deployment: a known, allowed, legal configuration with a non-negative replica count."""
    for k, dep in enumerate(period.deployments):
        place = f"{state.place}.deployments[{k}]"
        if dep.id in state.deps:
            f.add(f"{place}.id", "deployment", f"deployment '{dep.id}' is listed twice in the period")
            state.bad_deps.add(k)
            continue
        state.deps[dep.id] = k
        config = config_of(dep)
        if dep.id != config_id(config):
            f.add(
                f"{place}.id",
                "deployment",
                f"the id '{dep.id}' does not match its fields ({config_id(config)})",
            )
        problem = _deployment_problem(ctx, config)
        if problem is not None:
            f.add(place, "deployment", problem)
            state.bad_deps.add(k)
        elif dep.precision_source is not None:
            expected = precision_source(ctx.catalog.models[dep.model], dep.precision)
            if dep.precision_source != expected:
                f.add(
                    f"{place}.precision_source",
                    "deployment",
                    f"precision_source '{dep.precision_source}', but {dep.precision} is a {expected} "
                    f"precision of {dep.model} in the catalog",
                )
        if dep.replicas < 0:
            f.add(f"{place}.replicas", "deployment", f"a negative replica count ({dep.replicas})")
            state.bad_deps.add(k)
        elif (
            dep.accelerator in ctx.catalog.accelerators
            and dep.tensor_parallel > 0
            and dep.pipeline_parallel > 0
        ):
            state.used[dep.accelerator] += _chips(dep.replicas, dep.tensor_parallel, dep.pipeline_parallel)


def _chips(replicas: int, tensor_parallel: int, pipeline_parallel: int) -> float:
    """Chips a deployment uses, as a float (absurd counts become inf, never an overflow)."""
    return float(replicas) * float(tensor_parallel) * float(pipeline_parallel)


def _deployment_problem(ctx: Context, config: Config) -> str | None:
    model, acc, tp, pp, precision = config
    if model not in ctx.catalog.models:
        return f"unknown model '{model}'"
    if acc not in ctx.catalog.accelerators:
        return f"unknown accelerator '{acc}'"
    if not ctx.catalog.models[model].open_weights:
        return f"model '{model}' has no open weights: it cannot be self-hosted"
    if acc not in ctx.allowed_accelerators:
        return f"accelerator '{acc}' is not allowed (--accelerators) or has no price"
    if not ctx.legal(config):
        return (
            f"{model} cannot run on {acc} at tp{tp} pp{pp} {precision} (no such layout or measured profile)"
        )
    return None


def estimate_for(ctx: Context, states: list[PeriodState], periods: list[PeriodPlan]) -> None:
    """Re-derive the capacity of every (demand row, deployment) pair that may serve it."""
    pairs: set[tuple[int, Config]] = set()
    for state, period in zip(states, periods, strict=True):
        for k, dep in enumerate(period.deployments):
            if k in state.bad_deps:
                continue
            pairs.update(
                (row.shape, config_of(dep)) for row in state.rows.values() if ctx.serves(row, dep.model)
            )
    ctx.estimate(pairs)


def check_routes(ctx: Context, f: Findings, state: PeriodState, period: PeriodPlan) -> None:
    """Each route: a workload of the demand, an existing target that serves it; API routes re-priced."""
    for j, route in enumerate(period.routing):
        place = f"{state.place}.routing[{j}]"
        row = state.rows.get(route.workload)
        if row is None:
            f.add(
                f"{place}.workload",
                "route",
                f"workload '{route.workload}' is not in the demand of period '{state.label}'",
            )
            continue
        state.routes_of[row.workload].append(j)
        if route.requests_per_s < 0:
            f.add(f"{place}.requests_per_s", "route", f"a negative rate ({route.requests_per_s:g} req/s)")
            continue
        if route.kind == "api":
            _api_route(ctx, f, state, j, route, row)
        else:
            _deployment_route(ctx, f, state, period, j, route, row)


def _deployment_route(
    ctx: Context, f: Findings, state: PeriodState, period: PeriodPlan, j: int, route: RouteLine, row: Row
) -> None:
    place = f"{state.place}.routing[{j}]"
    k = state.deps.get(route.target)
    if k is None:
        f.add(f"{place}.target", "route", f"no deployment '{route.target}' in the period")
        return
    x = route.requests_per_s
    state.self_hosted[row.workload] += x
    if row.api_only:
        f.add(
            f"{place}.kind", "route", f"workload '{row.workload}' is api_only, but is routed to a deployment"
        )
    if k in state.bad_deps:
        return
    dep = period.deployments[k]
    if not ctx.serves(row, dep.model):
        f.add(
            f"{place}.target",
            "route",
            f"'{dep.id}' runs {dep.model}, which does not serve workload '{row.workload}' ({row.wants()})",
        )
        return
    r = ctx.rate(row.shape, config_of(dep))
    if r is None:
        f.add(
            f"{place}.target",
            "route",
            f"'{dep.id}' cannot serve workload '{row.workload}' ({row.input_tokens:g} in, "
            f"{row.output_tokens:g} out tokens) within its latency targets",
        )
        return
    slots = x / (r * row.util)
    state.load[k] += x
    state.slots[k] += slots
    state.busy[k] += x / r
    state.route_slots[j] = (k, slots)


def _api_route(ctx: Context, f: Findings, state: PeriodState, j: int, route: RouteLine, row: Row) -> None:
    place = f"{state.place}.routing[{j}]"
    api = ctx.catalog.apis.get(route.target)
    if api is None:
        f.add(f"{place}.target", "route", f"unknown API offer '{route.target}'")
        return
    x = route.requests_per_s
    state.api[row.workload] += x
    state.api_routes_of[row.workload].append(j)
    if row.self_host_only:
        f.add(f"{place}.kind", "route", f"workload '{row.workload}' is self_host_only, but is sent to an API")
    if api.id not in ctx.allowed_apis:
        f.add(f"{place}.target", "settings", f"API '{api.id}' is not among the allowed --apis")
    if not ctx.api_serves(row, api):
        f.add(
            f"{place}.target",
            "route",
            f"API '{api.id}' does not serve workload '{row.workload}' ({row.wants()})",
        )
    elif api.max_context_tokens is not None and row.tokens > api.max_context_tokens:
        f.add(
            f"{place}.target",
            "route",
            f"API '{api.id}' takes at most {api.max_context_tokens} tokens, the workload's requests "
            f"have {row.tokens:g}",
        )
    per_request = api.usd_per_request(row.input_tokens, row.output_tokens)
    per_request *= ctx.price_factor("apis", api.id, state.label)
    expected = x * SECONDS_PER_HOUR * state.hours * per_request
    if not usd_close(expected, route.usd):
        f.add(
            f"{place}.usd",
            "price",
            f"{usd(route.usd)}, but {x:g} req/s x 3600 s x {state.hours:g} h x ${per_request:.6g}/request "
            f"= {usd(expected)}",
        )
    state.api_usd += expected
    state.api_load[api.id] += x
    state.api_tokens[api.id] += 60.0 * row.tokens * x
    state.api_first_route.setdefault(api.id, j)


def check_loads(ctx: Context, f: Findings, state: PeriodState, period: PeriodPlan) -> None:
    """Loads within replicas x capacity at the target utilisation; capacity, utilisation, usd lines."""
    for k, dep in enumerate(period.deployments):
        if k in state.bad_deps:
            continue
        place = f"{state.place}.deployments[{k}]"
        n, slots = dep.replicas, state.slots.get(k, 0.0)
        if slots > n * (1 + CAPACITY_REL) + CAPACITY_ABS:
            f.add(
                f"{place}.replicas",
                "capacity",
                f"the routed load needs {slots:.4f} replicas at the target utilisation, the plan has {n}",
            )
        _capacity_line(ctx, f, state, place, k, period)
        busy = state.busy.get(k, 0.0) / n if n > 0 else 0.0
        if abs(busy - dep.utilization) > FRACTION_TOL:
            f.add(
                f"{place}.utilization",
                "summary",
                f"{dep.utilization:g}, but the routed load makes it {busy:.4f}",
            )
        _allocation(f, state, place, k, period)


def _capacity_line(
    ctx: Context, f: Findings, state: PeriodState, place: str, k: int, period: PeriodPlan
) -> None:
    dep = period.deployments[k]
    slots = state.slots.get(k, 0.0)
    if slots > 0:
        expected = dep.replicas * state.load[k] / slots
        if not rate_close(dep.capacity_requests_per_s, expected):
            f.add(
                f"{place}.capacity_requests_per_s",
                "capacity",
                f"{dep.capacity_requests_per_s:g} req/s, but {dep.replicas} replicas sustain {expected:.6g} "
                "req/s of the routed mix at the target utilisation",
            )
        return
    rates = [
        r * row.util
        for row in state.rows.values()
        if row.rate > 0 and not row.api_only and ctx.serves(row, dep.model)
        for r in [ctx.rate(row.shape, config_of(dep))]
        if r is not None
    ]
    best = dep.replicas * max(rates, default=0.0)
    if dep.capacity_requests_per_s > best + 1e-6 * (1 + best) or dep.capacity_requests_per_s < 0:
        f.add(
            f"{place}.capacity_requests_per_s",
            "capacity",
            f"{dep.capacity_requests_per_s:g} req/s, but {dep.replicas} replicas sustain at most {best:.6g} "
            "req/s of any workload of the period at the target utilisation",
        )


def _allocation(f: Findings, state: PeriodState, place: str, k: int, period: PeriodPlan) -> None:
    """A deployment's usd is its chips' share of its accelerator's cost; its routes share that."""
    dep = period.deployments[k]
    used = state.used.get(dep.accelerator, 0)
    chips = _chips(dep.replicas, dep.tensor_parallel, dep.pipeline_parallel)
    expected = state.acc_usd.get(dep.accelerator, 0.0) * chips / used if used > 0 else 0.0
    if not usd_close(expected, dep.usd):
        f.add(
            f"{place}.usd",
            "summary",
            f"{usd(dep.usd)}, but its {chips:g} of the {used:g} {dep.accelerator} chips in use carry "
            f"{usd(expected)} of the accelerator cost",
        )
    slots = state.slots.get(k, 0.0)
    for j, (target, share) in state.route_slots.items():
        if target != k or slots <= 0:
            continue
        route_usd = expected * share / slots
        if not usd_close(route_usd, period.routing[j].usd):
            f.add(
                f"{state.place}.routing[{j}].usd",
                "summary",
                f"{usd(period.routing[j].usd)}, but its share of the capacity of '{dep.id}' carries "
                f"{usd(route_usd)}",
            )


def check_workloads(ctx: Context, f: Findings, state: PeriodState, period: PeriodPlan) -> None:
    """Every demand row has a line; demand = routes + unmet; the line's summaries equal its routes."""
    lines: dict[str, int] = {}
    for k, line in enumerate(period.workloads):
        if line.workload in lines:
            f.add(f"{state.place}.workloads[{k}]", "summary", f"workload '{line.workload}' has two lines")
        elif line.workload not in state.rows:
            f.add(
                f"{state.place}.workloads[{k}].workload",
                "summary",
                f"workload '{line.workload}' is not in the demand of period '{state.label}'",
            )
        else:
            lines[line.workload] = k
    for workload, row in state.rows.items():
        routed = state.self_hosted.get(workload, 0.0) + state.api.get(workload, 0.0)
        pos = lines.get(workload)
        if pos is None:
            f.add(
                f"{state.place}.workloads",
                "demand",
                f"no line for workload '{workload}' ({row.rate:g} req/s demanded, {routed:g} routed)",
            )
            continue
        _workload_line(f, state, period, pos, row, routed)


def _workload_line(
    f: Findings, state: PeriodState, period: PeriodPlan, k: int, row: Row, routed: float
) -> None:
    line = period.workloads[k]
    place = f"{state.place}.workloads[{k}]"
    if line.unmet_requests_per_s < 0:
        f.add(
            f"{place}.unmet_requests_per_s",
            "demand",
            f"a negative unmet rate ({line.unmet_requests_per_s:g})",
        )
    served = routed + line.unmet_requests_per_s
    if not rate_close(served, row.rate):
        own = line.self_hosted_requests_per_s + line.api_requests_per_s + line.unmet_requests_per_s
        routes = state.routes_of.get(row.workload, [])
        at = (
            f"{state.place}.routing[{routes[0]}].requests_per_s"
            if routes and rate_close(own, row.rate)
            else f"{place}.unmet_requests_per_s"
        )
        f.add(
            at,
            "demand",
            f"workload '{row.workload}': routed {routed:.6g} + unmet {line.unmet_requests_per_s:.6g} = "
            f"{served:.6g} req/s, but the demand is {row.rate:.6g} req/s",
        )
    figures = (
        ("demand_requests_per_s", line.demand_requests_per_s, row.rate, "the demand file says"),
        (
            "self_hosted_requests_per_s",
            line.self_hosted_requests_per_s,
            state.self_hosted.get(row.workload, 0.0),
            "its routes to deployments carry",
        ),
        (
            "api_requests_per_s",
            line.api_requests_per_s,
            state.api.get(row.workload, 0.0),
            "its API routes carry",
        ),
    )
    for name, given, expected, why in figures:
        if not rate_close(given, expected):
            f.add(f"{place}.{name}", "summary", f"{given:g}, but {why} {expected:.6g} req/s")


def check_limits(ctx: Context, f: Findings, state: PeriodState, period: PeriodPlan) -> None:
    """max_api_share, API rate limits and min_replicas per row and period."""
    for workload, row in state.rows.items():
        api = state.api.get(workload, 0.0)
        if api > row.max_api_share * row.rate + 1e-4 and state.api_routes_of.get(workload):
            j = state.api_routes_of[workload][0]
            f.add(
                f"{state.place}.routing[{j}].requests_per_s",
                "api_share",
                f"workload '{workload}' sends {api:.6g} of {row.rate:.6g} req/s to APIs, above its "
                f"max_api_share {row.max_api_share:g}",
            )
        _min_replicas(ctx, f, state, period, row)
    for api_id, load in state.api_load.items():
        offer = ctx.catalog.apis[api_id]
        place = f"{state.place}.routing[{state.api_first_route[api_id]}].requests_per_s"
        limit = offer.rate_limit_requests_per_s
        if limit is not None and load > limit + 1e-4:
            f.add(
                place, "api_rate_limit", f"{load:.6g} req/s to API '{api_id}', above its limit of {limit:g}"
            )
        tpm = offer.rate_limit_tokens_per_min
        tokens = state.api_tokens.get(api_id, 0.0)
        if tpm is not None and tokens > tpm * (1 + 1e-6) + 1.0:
            f.add(
                place,
                "api_rate_limit",
                f"{tokens:.6g} tokens/min to API '{api_id}', above its limit of {tpm:g}",
            )


def _min_replicas(ctx: Context, f: Findings, state: PeriodState, period: PeriodPlan, row: Row) -> None:
    if row.min_replicas <= 0 or row.rate <= 0 or row.api_only:
        return
    have = sum(
        max(dep.replicas, 0)
        for k, dep in enumerate(period.deployments)
        if k not in state.bad_deps
        and ctx.serves(row, dep.model)
        and ctx.rate(row.shape, config_of(dep)) is not None
    )
    if have < row.min_replicas and ctx.servable(row):
        f.add(
            f"{state.place}.deployments",
            "min_replicas",
            f"workload '{row.workload}' needs at least {row.min_replicas} replicas able to serve it, "
            f"the period has {have}",
        )
