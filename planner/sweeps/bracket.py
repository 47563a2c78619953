"""Price axes of a sweep: interior points settled by the proven bounds of their neighbours.

**Why it is exact.** Take the points of one scenario that differ only in one accelerator price
``p`` (an axis ``set: {accelerators.A.prices.P.T.usd_per_chip_hour: {from, to, steps}}``), and
``OPT(p)`` the optimum of the problem each poses. Every plan's objective is linear in ``p`` with a
non-negative slope (its chip-hours on that offer, times the periods' trend factors, and for a
committed offer its charged hours), and which plans exist does not depend on ``p``: no constraint
holds a price (the one that does, ``--budget-usd``, switches this off), and the reductions that read
prices are exact, so they do not change ``OPT``. So ``OPT`` is a minimum of non-decreasing linear
functions of ``p``: concave and non-decreasing. For points ``a < p < b`` with proven bounds
``L_a <= OPT(a)`` and ``L_b <= OPT(b)``::

    OPT(p) >= OPT(a) >= L_a                                          (non-decreasing)
    OPT(p) >= lam OPT(a) + (1 - lam) OPT(b) >= lam L_a + (1 - lam) L_b,  lam = (b - p) / (b - a)

so ``max(L_a, lam L_a + (1 - lam) L_b)`` is a proven bound at ``p`` (:func:`bound_between`). The
point is still solved as a point: its LP relaxation (another bound), its rounded plan and the
cheaper neighbour's plan routed by its own LP (``planner.warmstart``); when the best of those is
within ``accept_gap = max(--mip-gap, gap_a, gap_b)`` of the bound, its MILPs are not run
(``stopped_by: bracketed``, ``solver.bracket``), else its search goes on as any point's.

**The schedule**, the same whatever runs the points (serial, local processes, Ray), so that their
summaries agree: the base row; then every point not inside an axis, and each axis's lowest and
highest price; then rounds. In a round, every run of unsolved points between two points with plans
``a < b`` on an axis is looked at with the neighbours alone: when each point's estimated gap (the
neighbours' plans re-priced at its price, :func:`cost_at`, against the bound) is within its
``accept_gap``, all of them are bracketed by ``a`` and ``b``; otherwise the failing point nearest the
run's middle is solved as any point is, which splits the run for the next round. A point's result
depends only on its neighbours', so a resumed sweep gets the same points bracketed the same way.
``plan sweep --no-bracket`` solves every point.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from planner.catalog.schema import Catalog
from planner.engine import settles
from planner.pipeline import Bracket
from planner.plan import AcceleratorLine, Plan
from planner.settings import SolveSettings
from planner.sweeps.scenarios import BASE, Point
from planner.whatif.catalog_path import PathError, resolve

PRICE_FIELD = "usd_per_chip_hour"


@dataclass(frozen=True)
class Axis:
    """The points of one scenario over one accelerator price, by price (the base row too when on it)."""

    scenario: str
    column: str
    accelerator: str
    provider: str
    tier: str
    members: tuple[tuple[float, str], ...]
    mip_gap: float

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
    points: Sequence[Point], catalog: Catalog, settings: Mapping[str, SolveSettings]
) -> list[Axis]:
    """The scenarios that are one axis over one accelerator price, with at least one interior point.

    ``catalog``: the base's; ``settings``: each point's. A scenario whose points have a
    ``--budget-usd`` is not an axis (a constraint on cost: the optimum need not be concave in a price).
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
            axes.append(axis)
    return axes


def _axis(scenario: str, members: list[Point], catalog: Catalog, mip_gap: float) -> Axis | None:
    columns = {p.axes for p in members}
    if scenario == BASE or len(columns) != 1 or len(next(iter(columns))) != 1:
        return None
    (column,) = next(iter(columns))
    offer = _price_offer(column, catalog)
    if offer is None:
        return None
    acc, provider, tier = offer
    values = [(float(p.axis_values[column]), p.name) for p in members]
    path = column.removeprefix("set.")
    if all(set(p.changes) == {"set"} and set(p.changes["set"]) == {path} for p in members):
        price = next(
            o.usd_per_chip_hour
            for o in catalog.accelerators[acc].prices
            if (o.provider, o.tier) == (provider, tier)
        )
        values.append((price, BASE))  # the scenario changes nothing else: the base row is on it
    return Axis(scenario, column, acc, provider, tier, tuple(sorted(values)), mip_gap)


def _price_offer(column: str, catalog: Catalog) -> tuple[str, str, str] | None:
    """(accelerator, provider, tier) when the column sets an accelerator offer's price per chip-hour."""
    if not column.startswith("set.accelerators."):
        return None
    try:
        path = resolve(column.removeprefix("set."), catalog)
    except PathError:
        return None
    if len(path.steps) != 2 or path.steps[1] != PRICE_FIELD or not isinstance(path.steps[0], tuple):
        return None
    _prices, provider, tier = path.steps[0]
    return path.entry, provider, tier


def _offer_usd(lines: Iterable[AcceleratorLine], axis: Axis) -> float:
    offer = (axis.accelerator, axis.provider, axis.tier)
    return sum(line.usd for line in lines if (line.accelerator, line.provider, line.tier) == offer)


def slope_usd_per_price(plan: Plan, axis: Axis, price: float) -> float:
    """The slope of a plan's objective in the price at ``price``: its cost on the offer per unit of it.

    The offer's lines cost chips x price x hours (x the period's trend factor), linear in the price;
    a committed offer's charge beyond the horizon too.
    """
    usd = sum(_offer_usd(period.accelerators, axis) for period in plan.periods)
    usd += sum(
        line.usd - line.usd_within_horizon
        for line in plan.commitments
        if (line.accelerator, line.provider, line.tier) == (axis.accelerator, axis.provider, axis.tier)
    )
    return usd / price


def cost_at(plan: Plan, axis: Axis, price: float, at: float) -> float:
    """The objective of a plan solved at ``price`` with its offer re-priced to ``at``."""
    return plan.objective_usd + (at - price) * slope_usd_per_price(plan, axis, price)


def period_costs_at(plan: Plan, axis: Axis, price: float, at: float) -> list[float]:
    """Per period, the plan's cost (its lines and unmet penalty) with the offer re-priced to ``at``."""
    penalty = float(plan.inputs.settings.get("unmet_penalty_usd_per_request", 0.0))  # type: ignore[arg-type]
    out = []
    for period in plan.periods:
        unmet = sum(w.unmet_requests_per_s for w in period.workloads) * 3600.0 * period.hours * penalty
        out.append(period.usd + unmet + (at / price - 1.0) * _offer_usd(period.accelerators, axis))
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
    a bound per period (and no commitment) also of each period's, whose sum may be higher; the
    start is the cheaper neighbour's plan at this price, or per period the cheaper one's periods.
    Settled (the second value) when that start is within ``accept_gap`` of the bound.
    """
    p, pa, pb = axis.price(name), axis.price(a), axis.price(b)
    plan_a, plan_b = plans[a], plans[b]
    bound = bound_between(p, (pa, plan_a.solver.bound_usd), (pb, plan_b.solver.bound_usd))
    accept = max(axis.mip_gap, plan_a.solver.gap, plan_b.solver.gap)
    cost_a, cost_b = cost_at(plan_a, axis, pa, p), cost_at(plan_b, axis, pb, p)
    start, cost, source = (plan_a, cost_a, a) if cost_a <= cost_b else (plan_b, cost_b, b)
    period_bounds = None
    if _by_period(plan_a, plan_b):
        period_bounds = tuple(
            bound_between(p, (pa, qa.bound_usd or 0.0), (pb, qb.bound_usd or 0.0))
            for qa, qb in zip(plan_a.periods, plan_b.periods, strict=True)
        )
        bound = max(bound, sum(period_bounds))
        at_a = period_costs_at(plan_a, axis, pa, p)
        at_b = period_costs_at(plan_b, axis, pb, p)
        mixed = tuple(
            qa if ca <= cb else qb
            for qa, qb, ca, cb in zip(plan_a.periods, plan_b.periods, at_a, at_b, strict=True)
        )
        mixed_cost = sum(min(ca, cb) for ca, cb in zip(at_a, at_b, strict=True))
        if mixed_cost < cost:
            start, cost, source = plan_a.model_copy(update={"periods": mixed}), mixed_cost, f"{a} and {b}"
    bracket = Bracket(
        points=(a, b), values=(pa, pb), bound_usd=bound, accept_gap=accept, period_bounds=period_bounds
    )
    return Assignment(name, bracket, start, source), settles(cost, bound, accept)


def next_round(axes: Sequence[Axis], open_points: set[str], plans: Mapping[str, Plan]) -> list[Assignment]:
    """This round's assignments for the open points (the module docstring); none when none is open."""
    out: list[Assignment] = []
    for axis in axes:
        run: list[str] = []
        below: str | None = None
        for _, name in axis.members:
            if name in open_points:
                run.append(name)
                continue
            if run:
                out += _run_assignments(axis, run, below, name if name in plans else None, plans)
                run = []
            below = name if name in plans else None
        if run:
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
