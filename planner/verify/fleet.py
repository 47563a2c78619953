"""Fleet checks: accelerator lines re-priced from the catalog, commitments, chips, spot share, limits."""

from __future__ import annotations

import math

from planner.catalog.schema import Accelerator, PriceOffer
from planner.formulation.index import HOURS_PER_TERM
from planner.plan import CommitmentLine, PeriodPlan
from planner.verify.context import Context, PeriodState
from planner.verify.findings import Findings, usd, usd_close

PER_PERIOD_TIERS = ("on_demand", "spot")


def _offer(acc: Accelerator, provider: str, tier: str) -> PriceOffer | None:
    return next((o for o in acc.prices if o.provider == provider and o.tier == tier), None)


def check_accelerator_lines(ctx: Context, f: Findings, state: PeriodState, period: PeriodPlan) -> None:
    """Each line: a catalog offer, a non-negative chip count, its price x chips x hours."""
    for j, line in enumerate(period.accelerators):
        place = f"{state.place}.accelerators[{j}]"
        acc = ctx.catalog.accelerators.get(line.accelerator)
        if acc is None:
            f.add(f"{place}.accelerator", "price", f"unknown accelerator '{line.accelerator}'")
            continue
        offer = _offer(acc, line.provider, line.tier)
        if offer is None:
            f.add(place, "price", f"{acc.id} has no {line.provider}/{line.tier} offer in the catalogs")
            continue
        if line.accelerator not in ctx.allowed_accelerators:
            f.add(f"{place}.accelerator", "settings", f"{acc.id} is not among the allowed --accelerators")
        if line.chips < 0:
            f.add(f"{place}.chips", "chips", f"a negative chip count ({line.chips})")
            continue
        if ctx.settings.whole_nodes and offer.sold_by_node and line.chips % acc.chips_per_node:
            f.add(
                f"{place}.chips",
                "chips",
                f"{line.chips} chips of an offer sold by the node ({acc.chips_per_node} chips) "
                "with --whole-nodes",
            )
        price = offer.usd_per_chip_hour
        if line.tier in PER_PERIOD_TIERS:  # committed offers are priced at signing: no trend
            price *= ctx.price_factor("accelerators", acc.id, state.label)
        expected = line.chips * price * state.hours
        if not usd_close(expected, line.usd):
            f.add(
                f"{place}.usd",
                "price",
                f"{usd(line.usd)}, but {line.chips} chips x ${price:g}/chip-hour x "
                f"{state.hours:g} h = {usd(expected)}",
            )
        state.acc_usd[acc.id] += expected
        state.bought[acc.id] += line.chips
        state.first_line.setdefault(acc.id, j)
        if line.tier == "spot":
            state.spot[acc.id] += line.chips
        if line.tier not in PER_PERIOD_TIERS:
            key = (acc.id, line.provider, line.tier)
            old = state.committed.get(key, (j, 0))
            state.committed[key] = (old[0], old[1] + line.chips)


def check_commitments(ctx: Context, f: Findings, states: list[PeriodState]) -> float:
    """Each commitment re-priced and present in every period; returns the charge beyond the horizon."""
    seen: set[tuple[str, str, str]] = set()
    beyond = 0.0
    for c, line in enumerate(ctx.plan.commitments):
        place = f"commitments[{c}]"
        key = (line.accelerator, line.provider, line.tier)
        if key in seen:
            f.add(place, "commitment", f"{'/'.join(key)} is committed twice")
            continue
        seen.add(key)
        charged = _commitment_money(ctx, f, place, line)
        if charged is not None:
            beyond += charged
        for state in states:
            held = state.committed.get(key)
            if held is None:
                f.add(
                    f"{state.place}.accelerators",
                    "commitment",
                    f"the {line.chips} chips of {place} ({'/'.join(key)}) are missing from the period",
                )
            elif held[1] != line.chips:
                f.add(
                    f"{state.place}.accelerators[{held[0]}].chips",
                    "commitment",
                    f"{held[1]} committed chips, but {place} commits {line.chips}",
                )
    for state in states:
        for key, (j, _chips) in state.committed.items():
            if key not in seen:
                f.add(
                    f"{state.place}.accelerators[{j}]",
                    "commitment",
                    f"committed chips ({'/'.join(key)}) with no line in commitments[]",
                )
    return beyond


def _commitment_money(ctx: Context, f: Findings, place: str, line: CommitmentLine) -> float | None:
    """Check a commitment's figures; return what it charges beyond the horizon (None: unpriced)."""
    acc = ctx.catalog.accelerators.get(line.accelerator)
    offer = _offer(acc, line.provider, line.tier) if acc is not None else None
    if offer is None or line.tier not in HOURS_PER_TERM:
        f.add(place, "commitment", f"no committed offer {line.accelerator}/{line.provider}/{line.tier}")
        return None
    if line.chips <= 0:
        f.add(f"{place}.chips", "commitment", f"a commitment of {line.chips} chips")
        return None
    price, term = offer.usd_per_chip_hour, HOURS_PER_TERM[line.tier]
    hours = max(1, math.ceil(ctx.horizon_hours / term - 1e-9)) * term
    within = line.chips * price * ctx.horizon_hours
    obligation = line.chips * price * hours
    charged = obligation if ctx.settings.commitment_cost == "term" else within
    rule = f"{line.chips} chips x ${price:g}/chip-hour x"
    expected = {
        "usd_within_horizon": (within, f"{rule} {ctx.horizon_hours:g} h of horizon"),
        "usd_obligation": (obligation, f"{rule} {hours:g} h of whole terms"),
        "usd_beyond_horizon": (obligation - within, "usd_obligation - usd_within_horizon"),
        "usd": (charged, f"--commitment-cost {ctx.settings.commitment_cost} charges {usd(charged)}"),
    }
    for name, (value, why) in expected.items():
        given = float(getattr(line, name))
        if not usd_close(given, value):
            f.add(f"{place}.{name}", "price", f"{usd(given)}, but {why} = {usd(value)}")
    return charged - within


def check_chips(ctx: Context, f: Findings, state: PeriodState, period: PeriodPlan) -> None:
    """Chips bought (per period + committed) cover the replicas; spot share and --max-chips hold."""
    for acc, used in state.used.items():
        bought = state.bought.get(acc, 0)
        line = state.first_line.get(acc)
        place = f"{state.place}.accelerators" + (f"[{line}].chips" if line is not None else "")
        if used > bought:
            f.add(place, "chips", f"the replicas use {used:g} {acc} chips, the period buys or owns {bought}")
        limit = ctx.settings.max_chips.get(acc)
        if limit is not None and used > limit:
            dep = next(k for k, d in enumerate(period.deployments) if d.accelerator == acc)
            f.add(
                f"{state.place}.deployments[{dep}].replicas",
                "max_chips",
                f"the replicas use {used:g} {acc} chips, above --max-chips {acc}={limit}",
            )
    share = ctx.settings.max_spot_share
    for acc, spot in state.spot.items():
        total = state.bought.get(acc, 0)
        if spot > share * total + 1e-9:
            j = next(
                k for k, a in enumerate(period.accelerators) if a.accelerator == acc and a.tier == "spot"
            )
            f.add(
                f"{state.place}.accelerators[{j}].chips",
                "spot_share",
                f"{spot} of {total} {acc} chips are spot, above --max-spot-share {share:g}",
            )


def check_owned(ctx: Context, f: Findings, state: PeriodState, period: PeriodPlan) -> None:
    """Owned chips: the plan's ``owned`` lines are the ``--fleet`` file's for the period; they count.

    The chips come from the fleet file (``plan verify --fleet``), never from the plan's lines, and
    join the chips bought (they cover replicas and count in the spot share's total).
    """
    fleet = ctx.problem.fleet
    expected = fleet.owned(ctx.periods.index(state.label), ctx.periods)
    given: dict[tuple[str, str, str], int] = {}
    for line in period.owned:
        key = (line.accelerator, line.provider, line.tier)
        given[key] = given.get(key, 0) + line.chips
    for key in sorted(set(expected) | set(given)):
        if expected.get(key, 0) != given.get(key, 0):
            acc, provider, tier = key
            f.add(
                f"{state.place}.owned",
                "fleet",
                f"{given.get(key, 0)} owned {acc} chips from {provider}/{tier}, but the fleet file gives "
                f"{expected.get(key, 0)} in this period",
            )
    for (acc, _provider, _tier), chips in expected.items():
        state.bought[acc] += chips


def check_fleet_changes(
    ctx: Context, f: Findings, states: list[PeriodState], periods: list[PeriodPlan]
) -> None:
    """``fleet_changes`` re-derived from each period's owned chips and accelerator lines."""
    from planner.fleet import fleet_changes, fleet_of

    if not ctx.problem.fleet.lines and not any(p.fleet_changes for p in periods):
        return
    before = ctx.problem.fleet.as_given()
    for state, period in zip(states, periods, strict=True):
        now = fleet_of(period)
        if tuple(period.fleet_changes) != fleet_changes(before, now):
            f.add(
                f"{state.place}.fleet_changes",
                "fleet",
                "the chips added, kept and released do not follow from the owned chips and the "
                "accelerator lines of this period and the one before",
            )
        before = now
