"""Price axes of a sweep: interior points settled by the proven bounds of their neighbours.

**Why it is exact.** Take the points of one scenario that differ only in one price ``p`` (an axis
``set: {accelerators.A.prices.P.T.usd_per_chip_hour: {from, to, steps}}``, or an API's
``usd_per_1m_input_tokens`` / ``usd_per_1m_output_tokens``), and ``OPT(p)`` the optimum of the
problem each poses. Every plan's objective is linear in ``p`` with a non-negative slope (its
chip-hours on that offer, times the periods' trend factors, and for a committed offer its charged
hours; for an API the tokens of the requests routed to it, times the trend factors), and which
plans exist does not depend on ``p``: no constraint holds a price (the one that does,
``--budget-usd``, switches this off), and the reductions that read prices are exact, so they do
not change ``OPT``. So ``OPT`` is a minimum of non-decreasing linear
functions of ``p``: concave and non-decreasing. For points ``a < p < b`` with proven bounds
``L_a <= OPT(a)`` and ``L_b <= OPT(b)``::

    OPT(p) >= OPT(a) >= L_a                                          (non-decreasing)
    OPT(p) >= lam OPT(a) + (1 - lam) OPT(b) >= lam L_a + (1 - lam) L_b,  lam = (b - p) / (b - a)

so ``max(L_a, lam L_a + (1 - lam) L_b)`` is a proven bound at ``p`` (:func:`bound_between`). The
same holds period by period for the periods' proven bounds (``periods[].bound_usd``: with one
MILP per period each period's optimum, committed cost at its share, is concave and non-decreasing
in ``p`` too, and the reductions are exact period by period), and those add up to a bound of the
whole. The point is still solved as a point: its LP relaxation (another bound), its rounded plan
and its neighbours' plans, per period the cheaper at its price, routed by its own LP
(``planner.warmstart``, carried period by period); when the best of those is within
``accept_gap = max(--mip-gap, min(gap_a, gap_b))`` of the bound (no worse than either neighbour
reached, ``+ --bracket-gap``), its MILPs are not run
(``stopped_by: bracketed``, ``solver.bracket``), else its search goes on as any point's, skipping
the periods already within ``accept_gap`` of their bounds.

**The schedule** (:mod:`planner.sweeps.schedule`), the same jobs whatever runs the points (serial,
local processes, Ray), so that their summaries agree: the base row and each axis's lowest and
highest price at once; then every point not inside an axis, from the base row's plan; and every
run of unsolved points between two points ``a < b`` on an axis as soon as both (and the base
row, whose LP basis the points start from) have finished (:func:`next_round`), looked at with
those two alone: when each point's estimated gap (the neighbours' plans re-priced at its price,
:func:`cost_at`, against the bound) is within its ``accept_gap``, all of them are bracketed by
``a`` and ``b``; otherwise the failing point nearest the run's middle is searched (bracketed by
``a`` and ``b`` too), which splits the run in two, each taken when that point finishes. A
point's job depends only on its neighbours' plans, never on which point finished first, so a
resumed sweep gets the same points bracketed the same way.
``plan sweep --no-bracket`` solves every point.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from planner.catalog.schema import Catalog
from planner.engine import settles
from planner.pipeline import Bracket
from planner.plan import PeriodPlan, Plan
from planner.settings import SolveSettings
from planner.sweeps.scenarios import BASE, Point
from planner.whatif.catalog_path import PathError, resolve

PRICE_FIELD = "usd_per_chip_hour"
API_FIELDS = {"usd_per_1m_input_tokens": "input", "usd_per_1m_output_tokens": "output"}


@dataclass(frozen=True)
class OfferPrice:
    """An accelerator offer's USD per chip-hour."""

    accelerator: str
    provider: str
    tier: str


@dataclass(frozen=True)
class ApiPrice:
    """An API's USD per 1M input or output tokens; ``other`` is its other token price on the axis."""

    api: str
    token: str
    other: float


@dataclass(frozen=True)
class Axis:
    """The points of one scenario over one price, by price (the base row too when on it)."""

    scenario: str
    column: str
    priced: OfferPrice | ApiPrice
    members: tuple[tuple[float, str], ...]
    mip_gap: float
    extra_gap: float = 0.0

    @property
    def ends(self) -> tuple[str, str]:
        """The points at the lowest and the highest price."""
        return self.members[0][1], self.members[-1][1]

    @property
    def interior(self) -> tuple[str, ...]:
        """The points strictly between the ends (in price order)."""
        return tuple(name for _, name in self.members[1:-1])

    def price(self, name: str) -> float:
        """The price at one member."""
        return next(value for value, member in self.members if member == name)


@dataclass(frozen=True)
class Assignment:
    """What a round does with one point: solve it, or bracket it by two neighbours."""

    name: str
    bracket: Bracket | None = None
    start: Plan | None = None
    start_from: str = ""


def price_axes(
    points: Sequence[Point],
    catalog: Catalog,
    settings: Mapping[str, SolveSettings],
    extra_gap: float = 0.0,
) -> list[Axis]:
    """The scenarios that are one axis over one price, with at least one interior point.

    The price is an accelerator offer's per chip-hour or an API's per 1M input or output tokens.

    ``catalog``: the base's; ``settings``: each point's; ``extra_gap``: what a settled point may
    have beyond either neighbour's gap (``plan sweep --bracket-gap``, 0 by default). A scenario whose
    points have a ``--budget-usd`` is not an axis (a constraint on cost: the optimum need not be
    concave in a price).
    """
    by_scenario: dict[str, list[Point]] = {}
    for point in points:
        by_scenario.setdefault(point.scenario, []).append(point)
    axes = []
    for scenario, members in by_scenario.items():
        if any(settings[p.name].budget_usd is not None for p in members):
            continue
        axis = _axis(scenario, members, catalog, settings[members[0].name].mip_gap)
        if axis is not None and len(axis.members) >= 3:
            axes.append(replace(axis, extra_gap=extra_gap))
    return axes


def _axis(scenario: str, members: list[Point], catalog: Catalog, mip_gap: float) -> Axis | None:
    columns = {p.axes for p in members}
    if scenario == BASE or len(columns) != 1 or len(next(iter(columns))) != 1:
        return None
    (column,) = next(iter(columns))
    path = column.removeprefix("set.")
    priced = _priced(path, catalog, members[0])
    if priced is None:
        return None
    values = [(float(p.axis_values[column]), p.name) for p in members]
    if all(set(p.changes) == {"set"} and set(p.changes["set"]) == {path} for p in members):
        values.append((_catalog_price(priced, catalog), BASE))  # nothing else changes: the base is on it
    return Axis(scenario, column, priced, tuple(sorted(values)), mip_gap)


def _catalog_price(priced: OfferPrice | ApiPrice, catalog: Catalog) -> float:
    if isinstance(priced, ApiPrice):
        return float(getattr(catalog.apis[priced.api], f"usd_per_1m_{priced.token}_tokens"))
    return next(
        o.usd_per_chip_hour
        for o in catalog.accelerators[priced.accelerator].prices
        if (o.provider, o.tier) == (priced.provider, priced.tier)
    )


def _priced(path: str, catalog: Catalog, point: Point) -> OfferPrice | ApiPrice | None:
    """What the path prices, when it is an accelerator offer's or an API's token price."""
    try:
        resolved = resolve(path, catalog)
    except PathError:
        return None
    steps = resolved.steps
    offer = steps[0] if steps else None
    if (
        resolved.kind == "accelerators"
        and len(steps) == 2
        and steps[1] == PRICE_FIELD
        and isinstance(offer, tuple)
    ):
        return OfferPrice(resolved.entry, offer[1], offer[2])
    if resolved.kind == "apis" and len(steps) == 1 and steps[0] in API_FIELDS:
        token = API_FIELDS[str(steps[0])]
        other = "output" if token == "input" else "input"
        fixed = point.changes.get("set", {}).get(f"apis.{resolved.entry}.usd_per_1m_{other}_tokens")
        api = catalog.apis[resolved.entry]
        price = float(fixed) if fixed is not None else float(getattr(api, f"usd_per_1m_{other}_tokens"))
        return ApiPrice(resolved.entry, token, price)
    return None


def period_slopes(plan: Plan, axis: Axis, price: float) -> list[float]:
    """Per period, the slope of the plan's cost in the axis's price (USD per unit of it) at ``price``.

    An offer's lines cost chips x price x hours (x the period's trend factor); an API's routes cost
    req/s x 3600 x hours x (input x its input price + output x its output price) / 1e6 (x the
    trend factor): both linear in the price.
    """
    priced = axis.priced
    if isinstance(priced, OfferPrice):
        offer = (priced.accelerator, priced.provider, priced.tier)
        return [
            sum(q.usd for q in period.accelerators if (q.accelerator, q.provider, q.tier) == offer) / price
            for period in plan.periods
        ]
    return [_api_slope(period, priced, price) for period in plan.periods]


def _api_slope(period: PeriodPlan, priced: ApiPrice, price: float) -> float:
    tokens = {w.workload: (w.input_tokens or 0.0, w.output_tokens or 0.0) for w in period.workloads}
    out = 0.0
    for route in period.routing:
        if route.kind != "api" or route.target != priced.api:
            continue
        t_in, t_out = tokens.get(route.workload, (0.0, 0.0))
        p_in, p_out = (price, priced.other) if priced.token == "input" else (priced.other, price)
        mine = t_in if priced.token == "input" else t_out
        per_request = t_in * p_in + t_out * p_out
        if per_request > 0:  # the route's usd carries the trend factor
            out += route.usd * mine / per_request
        else:  # a free API: no factor to read, 1 assumed (an estimate only)
            out += route.requests_per_s * 3600.0 * period.hours * mine / 1e6
    return out


def slope_usd_per_price(plan: Plan, axis: Axis, price: float) -> float:
    """The slope of a plan's objective in the axis's price at ``price``.

    A committed offer's charge beyond the horizon included.
    """
    usd = sum(period_slopes(plan, axis, price))
    if isinstance(axis.priced, OfferPrice):
        offer = (axis.priced.accelerator, axis.priced.provider, axis.priced.tier)
        usd += sum(
            (line.usd - line.usd_within_horizon) / price
            for line in plan.commitments
            if (line.accelerator, line.provider, line.tier) == offer
        )
    return usd


def cost_at(plan: Plan, axis: Axis, price: float, at: float) -> float:
    """The objective of a plan solved at ``price`` with the axis's price set to ``at``."""
    return plan.objective_usd + (at - price) * slope_usd_per_price(plan, axis, price)


def period_costs_at(plan: Plan, axis: Axis, price: float, at: float) -> list[float]:
    """Per period, the plan's cost (its lines and unmet penalty) with the axis's price set to ``at``."""
    penalty = float(plan.inputs.settings.get("unmet_penalty_usd_per_request", 0.0))  # type: ignore[arg-type]
    out = []
    for period, slope in zip(plan.periods, period_slopes(plan, axis, price), strict=True):
        unmet = sum(w.unmet_requests_per_s for w in period.workloads) * 3600.0 * period.hours * penalty
        out.append(period.usd + unmet + (at - price) * slope)
    return out


def bound_between(p: float, a: tuple[float, float], b: tuple[float, float]) -> float:
    """The proven bound at price ``p`` from ``a = (price, bound)`` below it and ``b`` above it.

    ``max(L_a, lam L_a + (1 - lam) L_b)``, ``lam = (b - p) / (b - a)`` (the module docstring).
    """
    (pa, la), (pb, lb) = a, b
    if not pa <= p <= pb:
        raise ValueError(f"price {p} is not between {pa} and {pb}")
    if pb == pa:
        return max(la, lb)
    lam = (pb - p) / (pb - pa)
    return max(la, lam * la + (1 - lam) * lb)


def _by_period(plan_a: Plan, plan_b: Plan) -> bool:
    """Whether two plans can be bounded and mixed by period: a bound for every period, no commitment."""
    plans = (plan_a, plan_b)
    return all(not p.commitments and all(q.bound_usd is not None for q in p.periods) for p in plans)


def assess(axis: Axis, name: str, a: str, b: str, plans: Mapping[str, Plan]) -> tuple[Assignment, bool]:
    """How ``name`` is bracketed by its neighbours ``a`` and ``b``, and whether it is settled.

    The bound is :func:`bound_between` of the whole plans' bounds, and where both neighbours have
    a bound per period (and no commitment) also of each period's, whose sum may be higher. The
    start is the cheapest at this price of the neighbours' plans and, when the base row is on the
    axis, the base row's (every point of such an axis is looked at after the base row finished),
    or per period the cheapest one's periods. Settled (the second value) when that start is within
    ``accept_gap`` of the bound.
    """
    p, pa, pb = axis.price(name), axis.price(a), axis.price(b)
    plan_a, plan_b = plans[a], plans[b]
    bound = bound_between(p, (pa, plan_a.solver.bound_usd), (pb, plan_b.solver.bound_usd))
    accept = max(axis.mip_gap, min(plan_a.solver.gap, plan_b.solver.gap)) + axis.extra_gap
    sources = _candidates(axis, a, b, plans)
    costs = {n: cost_at(plans[n], axis, axis.price(n), p) for n in sources}
    source = min(sources, key=lambda n: costs[n])
    start, cost = plans[source], costs[source]
    period_bounds = None
    if _by_period(plan_a, plan_b):
        period_bounds = tuple(
            bound_between(p, (pa, qa.bound_usd or 0.0), (pb, qb.bound_usd or 0.0))
            for qa, qb in zip(plan_a.periods, plan_b.periods, strict=True)
        )
        bound = max(bound, sum(period_bounds))
    if all(not plans[n].commitments for n in sources):
        mixed, mixed_cost = _mixed(axis, p, sources, plans)
        if mixed_cost < cost:
            start, cost = plans[a].model_copy(update={"periods": mixed}), mixed_cost
            source = " and ".join(sources)
    bracket = Bracket(
        points=(a, b), values=(pa, pb), bound_usd=bound, accept_gap=accept, period_bounds=period_bounds
    )
    return Assignment(name, bracket, start, source), settles(cost, bound, accept)


def _candidates(axis: Axis, a: str, b: str, plans: Mapping[str, Plan]) -> list[str]:
    """The points whose plans may start one between ``a`` and ``b``.

    Those two, and the base row when it is on the axis (a plan of the same problem at another price).
    """
    on_axis = any(member == BASE for _, member in axis.members)
    extra = [BASE] if on_axis and BASE in plans and BASE not in (a, b) else []
    return [a, b, *extra]


def _mixed(
    axis: Axis, p: float, sources: Sequence[str], plans: Mapping[str, Plan]
) -> tuple[tuple[PeriodPlan, ...], float]:
    """Per period, the cheapest at price ``p`` of the sources' periods, and the sum of their costs."""
    at = [period_costs_at(plans[n], axis, axis.price(n), p) for n in sources]
    picked = [min(range(len(sources)), key=lambda i: at[i][t]) for t in range(len(at[0]))]
    periods = tuple(plans[sources[i]].periods[t] for t, i in enumerate(picked))
    return periods, sum(at[i][t] for t, i in enumerate(picked))


def next_round(
    axes: Sequence[Axis], open_points: set[str], plans: Mapping[str, Plan], done: set[str]
) -> list[Assignment]:
    """The assignments of every run of open points whose two neighbours are ``done``.

    Done: finished, with a plan or an error; a run next to a point still being solved waits for
    it. Each run's assignments depend on its neighbours' plans alone (the module docstring).
    """
    out: list[Assignment] = []
    for axis in axes:
        run: list[str] = []
        below: str | None = None
        below_done = True
        for _, name in axis.members:
            if name in open_points:
                run.append(name)
                continue
            if run and below_done and name in done:
                out += _run_assignments(axis, run, below, name if name in plans else None, plans)
            run = []
            below, below_done = (name if name in plans else None), name in done
        if run and below_done:
            out += _run_assignments(axis, run, below, None, plans)
    return out


def _run_assignments(
    axis: Axis, run: list[str], below: str | None, above: str | None, plans: Mapping[str, Plan]
) -> list[Assignment]:
    """Settle every point of the run, or search its unsettled point nearest the middle.

    That point is bracketed too: its periods within accept_gap of their bounds run no MILP.
    """
    if below is None or above is None:  # a neighbour failed: solve them all
        return [Assignment(name) for name in run]
    assessed = [assess(axis, name, below, above, plans) for name in run]
    failing = [i for i, (_, settled) in enumerate(assessed) if not settled]
    if not failing:
        return [assignment for assignment, _ in assessed]
    middle = (len(run) - 1) / 2
    return [assessed[min(failing, key=lambda i: (abs(i - middle), i))][0]]
