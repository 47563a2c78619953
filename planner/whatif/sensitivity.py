"""Price sensitivity: over which price range does the plan's fleet stay the same, and what replaces it?

For each accelerator offer and API the plan uses, or that is within 20 % of entering it, the
range is found by re-solving with the price changed through the change vocabulary (``set``):

1. the first guess is the LP relaxation's cost ranging (HiGHS ``getRanging``, on the planning
   model's arrays; an offer's price scales one column per period, so the guess is the tightest
   of its columns' ranges);
2. from the guess, the factor steps out (x2 up, /2 down) until a re-solve gives another fleet or
   the searched range (:data:`FACTOR_RANGE`) ends, then bisects (geometric mean) between the last
   factor with the same fleet and the first with another, :data:`BISECTIONS` times.

A price rise never makes an unused offer or API enter (the plan stays optimal), so only used ones
are searched upwards. The fleet is the chips per (accelerator, provider, tier, period) and the set
of APIs with traffic. Every re-solve runs without baselines under a work limit (the run's
``--work-limit``, else :data:`DEFAULT_WORK_LIMIT`), so the ranges do not depend on machine load;
at most :data:`MAX_RESOLVES` re-solves are spent, and a range the budget did not reach says so.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from planner.pipeline import Problem, Solved, solve_problem
from planner.plan import Plan, PriceRange, Sensitivity
from planner.whatif.changes import ChangeSet, apply_changes
from planner.whatif.compare import compare
from solvers.arrays import ArrayModel

#: Factors of the current price searched (below: 1/20 of it; above: 20 times it).
FACTOR_RANGE = (0.05, 20.0)
#: An unused offer or API is a candidate when its price need fall by at most this share to enter.
ENTERING_SHARE = 0.2
#: Bisection steps at each end of a range.
BISECTIONS = 3
#: Re-solves one sensitivity run may spend.
MAX_RESOLVES = 40
#: Most offers and APIs examined (used ones first, then those nearest entering).
MAX_CANDIDATES = 12
#: Work limit of each re-solve when the run has none.
DEFAULT_WORK_LIMIT = 1000
Fleet = tuple[tuple[tuple[str, str, str, str, int], ...], tuple[str, ...]]


@dataclass(frozen=True)
class Candidate:
    """An offer or API whose price is searched."""

    kind: str
    accelerator: str | None
    provider: str | None
    tier: str | None
    api: str | None
    usd: float
    in_plan: bool
    lp_low: float | None
    lp_high: float | None

    @property
    def path(self) -> str:
        """The ``--set`` path of the price (an API: its id; both token prices change)."""
        if self.kind == "offer":
            return f"accelerators.{self.accelerator}.prices.{self.provider}.{self.tier}.usd_per_chip_hour"
        return f"apis.{self.api}"


def fleet_of(plan: Plan) -> Fleet:
    """The fleet a range keeps: chips per (accelerator, provider, tier, period), and the APIs used."""
    chips = tuple(
        sorted(
            (a.accelerator, a.provider, a.tier, p.period, a.chips)
            for p in plan.periods
            for a in p.accelerators
            if a.chips > 0
        )
    )
    apis = sorted(
        {r.target for p in plan.periods for r in p.routing if r.kind == "api" and r.requests_per_s > 0}
    )
    return chips, tuple(apis)


def fleet_change(base: Plan, other: Plan) -> str:
    """What ``other``'s fleet changes against ``base``: peak chips per line, APIs that start or stop."""
    comparison = compare(base, other)
    before, after = comparison.base.peak_chips, comparison.changed.peak_chips
    parts = []
    for key in comparison.chip_keys():
        delta = after.get(key, 0) - before.get(key, 0)
        if delta:
            parts.append(f"{'/'.join(key)} {delta:+d} chips at peak")
    if not parts and fleet_of(base)[0] != fleet_of(other)[0]:
        parts.append("chips move between periods")
    used_before, used_after = set(fleet_of(base)[1]), set(fleet_of(other)[1])
    parts += [f"API {a} starts" for a in sorted(used_after - used_before)]
    parts += [f"API {a} stops" for a in sorted(used_before - used_after)]
    return "; ".join(parts) or "the same chips and APIs"


def _ranging(solved: Solved) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(cost, cost up to, cost down to) per column of the LP relaxation; None when HiGHS gives none.

    When HiGHS stops without a status on the unmet penalty's large costs, the costs are scaled
    down by a power of two (as :mod:`solvers.arrays` does) and the ranging read in those units.
    """
    model = solved.model.arrays
    if model.n_cols == 0:
        return None
    largest = float(np.max(np.abs(model.cost)))
    for scale in (1.0, 2.0 ** -(math.ceil(math.log2(max(largest, 1.0))) - 20)):
        cost = model.cost * scale
        found = _lp_ranging(model, cost)
        if found is not None:
            return cost, *found
        if largest <= 2.0**20:
            break
    return None


def _lp_ranging(model: ArrayModel, cost: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    import highspy

    from solvers.arrays import highs_lp
    from solvers.highs import quiet_stdout, use_threads

    with quiet_stdout():
        highs = highspy.Highs()  # type: ignore[no-untyped-call]
    highs.setOptionValue("output_flag", False)
    use_threads(highs, None)
    highs.passModel(highs_lp(dataclasses.replace(model, cost=cost), False))
    highs.run()
    if highs.modelStatusToString(highs.getModelStatus()) != "Optimal":
        return None
    status, ranging = highs.getRanging()
    if status != highspy.HighsStatus.kOk or not ranging.valid:
        return None
    n = model.n_cols
    up = np.asarray(ranging.col_cost_up.value_, dtype=float)[:n]
    down = np.asarray(ranging.col_cost_dn.value_, dtype=float)[:n]
    return up, down


def _factor_range(
    ranging: tuple[np.ndarray, np.ndarray, np.ndarray] | None, columns: np.ndarray
) -> tuple[float | None, float | None]:
    """The factors on every column's cost that keep the LP basis: the tightest of its columns."""
    if ranging is None or len(columns) == 0:
        return None, None
    cost, up, down = (array[columns] for array in ranging)
    priced = cost > 0
    if not priced.any():
        return None, None
    high = float(np.min(up[priced] / cost[priced]))
    low = float(np.max(down[priced] / cost[priced]))
    return (max(low, 0.0) if math.isfinite(low) else 0.0), (high if math.isfinite(high) else None)


def candidates(problem: Problem, solved: Solved) -> list[Candidate]:
    """The offers and APIs to search: in the plan, or within ENTERING_SHARE of entering it."""
    plan, ix = solved.plan, solved.model.index
    ranging = _ranging(solved)
    used_offers = {
        (a.accelerator, a.provider, a.tier) for p in plan.periods for a in p.accelerators if a.chips > 0
    }
    used_apis = set(fleet_of(plan)[1])
    found: list[Candidate] = []
    for table, family in ((ix.supply, "supply"), (ix.commit, "commit")):
        pairs = table[["a", "f"]].to_numpy(dtype=np.int64) if len(table) else np.zeros((0, 2), np.int64)
        for a, f in sorted({(int(a), int(f)) for a, f in pairs}):
            rows = np.flatnonzero((pairs[:, 0] == a) & (pairs[:, 1] == f))
            acc = problem.catalog.accelerators[ix.accelerators[a]]
            offer = acc.prices[f]
            low, high = _factor_range(ranging, solved.model.columns(family, rows))
            used = (acc.id, offer.provider, offer.tier) in used_offers
            found.append(
                Candidate(
                    "offer",
                    acc.id,
                    offer.provider,
                    offer.tier,
                    None,
                    offer.usd_per_chip_hour,
                    used,
                    low,
                    high,
                )
            )
    api_positions = ix.api["k"].to_numpy(dtype=np.int64) if len(ix.api) else np.zeros(0, np.int64)
    for k in sorted({int(k) for k in api_positions}):
        api = problem.catalog.apis[ix.apis[k]]
        low, high = _factor_range(ranging, solved.model.columns("api", np.flatnonzero(api_positions == k)))
        found.append(
            Candidate(
                "api", None, None, None, api.id, api.usd_per_1m_output_tokens, api.id in used_apis, low, high
            )
        )
    near = [c for c in found if not c.in_plan and c.lp_low is not None and c.lp_low >= 1 - ENTERING_SHARE]
    chosen = [c for c in found if c.in_plan] + sorted(near, key=lambda c: -(c.lp_low or 0.0))
    return chosen[:MAX_CANDIDATES]


def _price_change(candidate: Candidate, problem: Problem, factor: float) -> ChangeSet:
    if candidate.kind == "none":
        return ChangeSet()
    if candidate.kind == "offer":
        return ChangeSet(set={candidate.path: candidate.usd * factor})
    assert candidate.api is not None
    api = problem.catalog.apis[candidate.api]
    values: dict[str, float | None] = {
        f"apis.{api.id}.usd_per_1m_input_tokens": api.usd_per_1m_input_tokens * factor,
        f"apis.{api.id}.usd_per_1m_output_tokens": api.usd_per_1m_output_tokens * factor,
    }
    if api.usd_per_1m_cached_input_tokens is not None:
        values[f"apis.{api.id}.usd_per_1m_cached_input_tokens"] = api.usd_per_1m_cached_input_tokens * factor
    return ChangeSet(set=dict(values))


@dataclass
class _Search:
    """Re-solves with a shared budget."""

    problem: Problem
    reference: Fleet
    budget: int
    spent: int = 0
    clock_stopped: int = 0

    def fleet_at(self, candidate: Candidate, factor: float) -> Plan | None:
        """The plan at ``factor`` times the candidate's price; None when the budget is spent."""
        if self.spent >= self.budget:
            return None
        self.spent += 1
        changed = apply_changes(self.problem, _price_change(candidate, self.problem, factor))
        plan = solve_problem(changed, relaxations=False).plan
        self.clock_stopped += plan.solver.stopped_by == "time_limit"
        return plan


def _search_end(
    search: _Search, candidate: Candidate, guess: float | None, limit: float, step: Callable[[float], float]
) -> tuple[float, float | None, Plan | None, bool]:
    """One end of a range: (last factor with the same fleet, first with another, its plan, complete).

    ``step`` moves a factor away from 1 (x2 or /2); ``limit`` is the end of the searched range.
    """
    upward = limit > 1
    same, other, other_plan = 1.0, None, None
    trial = guess if guess is not None and guess != 1.0 else step(1.0)
    trial = min(trial, limit) if upward else max(trial, limit)
    while other is None:
        plan = search.fleet_at(candidate, trial)
        if plan is None:
            return same, None, None, False
        if fleet_of(plan) == search.reference:
            same = trial
            if trial == limit:
                return same, None, None, True
            trial = min(step(trial), limit) if upward else max(step(trial), limit)
        else:
            other, other_plan = trial, plan
    for _ in range(BISECTIONS):
        middle = math.sqrt(same * other)
        plan = search.fleet_at(candidate, middle)
        if plan is None:
            return same, other, other_plan, False
        if fleet_of(plan) == search.reference:
            same = middle
        else:
            other, other_plan = middle, plan
    return same, other, other_plan, True


def _range(search: _Search, candidate: Candidate, plan: Plan) -> PriceRange:
    before = search.spent
    low_limit, high_limit = FACTOR_RANGE
    notes = []
    if candidate.in_plan:
        high, above, above_plan, done_high = _search_end(
            search, candidate, candidate.lp_high, high_limit, lambda f: f * 2
        )
        if not done_high:
            notes.append("upper end: the re-solve budget ran out")
    else:
        high, above, above_plan = high_limit, None, None
        notes.append("unused: a higher price keeps it unused")
    guess_low = None if candidate.lp_low is None else max(candidate.lp_low, low_limit)
    low, below, below_plan, done_low = _search_end(search, candidate, guess_low, low_limit, lambda f: f / 2)
    if not done_low:
        notes.append("lower end: the re-solve budget ran out")
    return PriceRange(
        kind="offer" if candidate.kind == "offer" else "api",
        path=candidate.path,
        accelerator=candidate.accelerator,
        provider=candidate.provider,
        tier=candidate.tier,
        api=candidate.api,
        in_plan=candidate.in_plan,
        usd=candidate.usd,
        lp_low_factor=candidate.lp_low,
        lp_high_factor=candidate.lp_high,
        low_factor=low,
        high_factor=high,
        changes_below=below,
        changes_above=above,
        below=None if below_plan is None else fleet_change(plan, below_plan),
        above=None if above_plan is None else fleet_change(plan, above_plan),
        resolves=search.spent - before,
        note="; ".join(notes),
    )


def sensitivity(problem: Problem, solved: Solved, *, max_resolves: int = MAX_RESOLVES) -> Sensitivity:
    """The price ranges of the plan's offers and APIs (and those near entering it)."""
    work_limit = problem.settings.work_limit or DEFAULT_WORK_LIMIT
    settings = problem.settings.model_copy(update={"baselines": False, "work_limit": work_limit})
    resolving = dataclasses.replace(problem, settings=settings)
    search = _Search(resolving, fleet_of(solved.plan), max_resolves)
    note = ""
    if problem.settings.work_limit is None:
        reference = search.fleet_at(_no_candidate(), 1.0)
        if reference is not None and fleet_of(reference) != search.reference:
            note = (
                " (the plan's own fleet differs from the re-solves' at the current prices; the ranges "
                "keep the re-solves' fleet)"
            )
            search.reference = fleet_of(reference)
    ranges = tuple(_range(search, c, solved.plan) for c in candidates(problem, solved))
    low, high = FACTOR_RANGE
    if search.clock_stopped:
        note += (
            f"; {search.clock_stopped} re-solves stopped on --time-limit before the work limit, so "
            "these ranges may differ on a busier or faster machine (give a smaller --work-limit)"
        )
    method = (
        f"re-solves (no baselines, work limit {work_limit} each, at most {max_resolves}) from the LP "
        f"relaxation's cost ranging, stepping x2 and bisecting {BISECTIONS} times at each end, over "
        f"{low:g}x to {high:g}x the current price{note}"
    )
    return Sensitivity(
        method=method,
        searched_factors=FACTOR_RANGE,
        work_limit=work_limit,
        max_resolves=max_resolves,
        resolves=search.spent,
        resolves_stopped_by_time=search.clock_stopped,
        ranges=ranges,
    )


def _no_candidate() -> Candidate:
    """A candidate whose price change is none (the re-solve at the current prices)."""
    return Candidate("none", None, None, None, None, 0.0, False, None, None)


def with_sensitivity(problem: Problem, solved: Solved) -> Solved:
    """``solved`` with its plan's ``sensitivity`` section filled in."""
    section = sensitivity(problem, solved)
    return dataclasses.replace(solved, plan=solved.plan.model_copy(update={"sensitivity": section}))
