"""The staged solve: always a plan when one exists, ``optimal`` only when proven.

1. Solve the LP relaxation; its objective is the first valid lower bound.
2. Build an integer plan from it by rounding (``planner.rounding``); where rounding cannot (tight
   ``--max-chips``, ``min_replicas``, budgets, spot-only offers), repair with the MILP itself, and
   where the MILP proves that no plan exists, say which rows and limits make it so
   (``planner.infeasible``). With a start (``--start``, a what-if's or a sweep's base plan:
   ``planner.warmstart``), its choices routed by the LP are offered beside the rounded plan.
3. Improve the plan and the bound in the time left, as the blocks' declared couplings allow:
   * no row spans periods and no column spans the horizon (no committed offer, no budget): one
     MILP per period, exactly the whole-horizon MILP (``planner.periods``);
   * horizon columns (committed offers) but no row across periods: on large models, per-period
     MILPs that propose plans and a bound, then the whole-horizon MILP;
   * a row across periods (a budget, any ``adjacent`` family): on large models, window MILPs (the
     whole model with every column outside one or two periods fixed at the plan, no row dropped:
     ``planner.windows``) that propose plans, then the whole-horizon MILP for the bound; on small
     ones the whole-horizon MILP alone (per-period slicing of such a model is refused, never done
     with rows dropped).
   Every solve's proven bound raises the bound; every plan found is re-priced and the cheapest kept.
   A sweep point on a price axis may come with a bound its neighbours prove
   (``planner.sweeps.bracket``): it raises the bound, and when the plan is within the gap the
   neighbours reached (``KnownBound.accept_gap``) the MILP stage is skipped (``stopped_by:
   bracketed``); otherwise the search goes on as without it.
4. Re-solve the LP with every integer choice fixed: its routing is the plan's and its duals are
   the short-run marginal costs; the relaxation's duals are the long-run ones.

Every LP of a run is a solve of one live HiGHS instance (``planner.session``); the plan returned is
checked integral in every integer block of the model. No MILP is handed a start solution: with
HiGHS's ``setSolution`` (highspy 1.16) a MILP reported a dual bound above a plan that exists
(docs/benchmarks.md, "Ideas tried"), and the engine's bound must be valid.

``status`` is ``optimal`` if and only if ``gap = (objective - bound) / objective <= --mip-gap``;
``stopped_by`` says what ended the search (``proven``, ``gap``, ``time_limit``, ``work_limit``,
``bracketed``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from planner.errors import SolveError
from planner.formulation.blocks import PlanningModel, Solution
from planner.infeasible import explain_infeasible, lp_infeasible
from planner.lpbasis import LpBasis
from planner.periods import (
    Search,
    demand_periods,
    improve_by_period,
    period_costs,
    proven_bound,
    restricted_pass,
)
from planner.plan import Reduction, StoppedBy
from planner.rounding import fixed_lp, round_plan
from planner.session import Session
from planner.settings import SolveSettings
from planner.windows import improve_by_window

_EPS = 1e-6
#: Share of the engine's time a sifted LP relaxation may take before it stops adding columns (its
#: bound is the foundation of the gap: a sift stopped early reports a weak Lagrangian one).
LP_TIME_SHARE = 0.8
#: Time kept after the MILPs for the final fixed LP and the plan's extraction, as a multiple of the
#: relaxation's: plain, sifted. Measured on the block model (docs/benchmarks.md): the sifted fixed
#: LP took 0.03-0.06 x the relaxation (L 0.35 s after 13.67 s, XL 1.80 s after 33.45 s) and the
#: extraction and write after the engine 0.13-0.2 x (L 2.13 s, XL 4.41 s); 0.15 x let L end at
#: 61.2 s and XL at 301.9 s, over their limits.
FIXED_LP_SHARE = {False: 1.5, True: 0.3}
#: Share of the MILP time for the restricted per-period MILPs (stage 2b); the rest goes to the full ones.
RESTRICTED_SHARE = 0.6
#: Share of the MILP time the per-period proposals get on coupled models before the whole MILP.
PROPOSAL_SHARE = 0.5
#: Coupled models with at most this many integer columns go straight to the whole-horizon MILP.
SMALL_INTEGER_COLUMNS = 200
#: Coupled models with more integer columns than this get per-period MILPs only: measured on the
#: benchmark instances, HiGHS on the whole horizon found no plan near the per-period ones (M: 17,734
#: integer columns, incumbent 100x the rounded plan's cost after 10 s).
WHOLE_MILP_INTEGER_COLUMNS = 5000
#: Round-off allowed when comparing a gap with ``--mip-gap``: solvers prove bounds to their feasibility
#: tolerance (HiGHS's dual bound of a $2,175.60 optimum was $2,175.5999969), so the bound counts as
#: reached within $1e-6 + 1e-7 x the objective.
_REL_TOL = 1e-7

__all__ = ["EngineResult", "KnownBound", "run_engine"]


@dataclass(frozen=True)
class KnownBound:
    """A proven lower bound on the objective from outside the model, and the gap it settles for.

    ``bound_usd`` must be valid for the problem as posed (a sweep's neighbours prove it:
    ``planner.sweeps.bracket``); within ``accept_gap`` of it the MILP stage is not run.
    ``period_bounds``: per period (in order), a bound on its cost with horizon columns at its share
    (what :func:`planner.periods.period_costs` measures); with them, per-period MILPs skip every
    period whose cost is within ``accept_gap`` of its bound (only on models without rows across
    periods, where those bounds add up to a bound of the whole).
    """

    bound_usd: float
    accept_gap: float
    period_bounds: tuple[float, ...] | None = None


@dataclass
class EngineResult:
    """What the engine found.

    Attributes:
        status: ``optimal`` when proven within the MIP gap, else ``feasible``.
        stage: ``lp_rounding`` or ``milp``: which stage produced the plan.
        objective_usd: the plan's objective (accelerators + API + unmet penalty).
        bound_usd: the best proven lower bound (LP relaxation, per-period or whole MILP bounds).
        values: variable block -> solution values aligned with the model's blocks.
        lp_duals / fixed_duals: constraint block -> duals of the relaxation / of the fixed LP.
        slacks: constraint block -> row slacks at the plan's values.
        timings: stage -> seconds.
        solver: solver name.
        stopped_by: what ended the search.
        reductions: the model reductions considered (filled in by the pipeline).
        start_kept: with a start, whether it was cheaper than the rounded plan (None: no start).
        bracketed: with a known bound, whether the plan was within its accept_gap (None: none).
        period_bounds: per period, a proven bound on its cost with horizon columns at its share
            (None for a period without one; None when no per-period MILPs ran over every period).
        lp_basis: the relaxation's basis by name, when asked for (``keep_basis``).
    """

    status: str
    stage: str
    objective_usd: float
    bound_usd: float
    values: dict[str, np.ndarray]
    lp_duals: dict[str, np.ndarray]
    fixed_duals: dict[str, np.ndarray]
    slacks: dict[str, np.ndarray] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    solver: str = "highs"
    stopped_by: StoppedBy = "gap"
    reductions: tuple[Reduction, ...] = ()
    start_kept: bool | None = None
    bracketed: bool | None = None
    period_bounds: tuple[float | None, ...] | None = None
    lp_basis: LpBasis | None = None

    @property
    def gap(self) -> float:
        """Relative gap between the plan and the bound."""
        return relative_gap(self.objective_usd, self.bound_usd)


def relative_gap(objective: float, bound: float) -> float:
    """``(objective - bound) / objective``, 0 when the objective is 0 (never negative)."""
    if abs(objective) <= _EPS:
        return 0.0
    return max(0.0, (objective - bound) / abs(objective))


def within_gap(objective: float, bound: float, settings: SolveSettings) -> bool:
    """True when the plan is proven within ``--mip-gap`` of the bound (with solver round-off)."""
    return settles(objective, bound, settings.mip_gap)


def _round_off(objective: float, bound: float) -> float:
    """The bound, snapped to the objective when they differ by solver round-off only."""
    return objective if objective - bound <= _EPS + _REL_TOL * abs(objective) else bound


def solve_relaxation(session: Session, time_limit_s: float | None = None) -> Solution:
    """Stage 1: the LP relaxation; sifted on large models (``planner.relaxation``).

    A plain LP runs to completion; a sift stops adding columns at ``time_limit_s`` with a valid
    Lagrangian bound (``result.bound``) and a solution feasible for the whole LP.
    """
    m, settings = session.model, session.settings
    result = session.relaxation(time_limit_s)
    if result.status == "infeasible" or (not result.has_solution and lp_infeasible(m)):
        raise SolveError(explain_infeasible(m, settings))
    if not result.has_solution:
        raise SolveError(f"the LP relaxation has no solution ({result.detail}); no plan can be made")
    return result


@dataclass
class _Best:
    """The cheapest plan found so far and the stage that found it."""

    values: dict[str, np.ndarray]
    stage: str
    objective: float

    def offer(self, m: PlanningModel, vals: dict[str, np.ndarray], stage: str) -> bool:
        """Keep ``vals`` when it is an integer plan cheaper than the best; True when kept."""
        if not m.is_integral(vals):
            return False
        cost = m.objective_of(vals)
        if cost < self.objective - _EPS * max(1.0, abs(self.objective)):
            self.values, self.stage, self.objective = vals, stage, cost
            return True
        return False


def _whole_milp(session: Session, best: _Best | None, search: Search, deadline: float) -> _Best | None:
    """The whole-horizon MILP in the time left; its bound raises the search's, its plan is offered."""
    m = session.model
    left = deadline - time.monotonic()
    if left < 0.05:
        search.note("time_limit")
        return best
    proven_at = best.objective if best is not None else None
    result = session.milp(left, proven_at)
    if result.status == "infeasible":
        raise SolveError(explain_infeasible(m, session.settings))
    search.raise_bound(proven_bound(result, session.settings))
    search.note(result.stopped_by)
    if not result.has_solution:
        return best
    vals = result.values
    if best is None:
        return _Best(vals, "milp", m.objective_of(vals)) if m.is_integral(vals) else None
    best.offer(m, vals, "milp")
    return best


def _n_integer(m: PlanningModel) -> int:
    return sum(m.size(name) for name in m.integer_blocks)


def _improve(
    session: Session,
    best: _Best,
    search: Search,
    relaxed: dict[str, np.ndarray],
    deadline: float,
    decompose: bool,
    settled: dict[int, float] | None = None,
) -> None:
    """Stage 3: improve plan and bound until proven or out of time.

    The declared couplings choose: no row spans periods and no column spans the horizon, so the
    per-period MILPs are exact; no row spans periods, so per-period proposals then the whole MILP
    (large models); rows across periods, so window MILPs propose plans (large models,
    :mod:`planner.windows`) and the whole MILP follows; else the whole-horizon MILP alone.
    """
    m, settings = session.model, session.settings
    if within_gap(best.objective, search.bound, settings) or _n_integer(m) == 0:
        return
    several = len(set(m.index.cover["p"])) > 1
    by_period = decompose and several and not m.coupled_rows()
    if by_period and not m.horizon_columns():
        _by_period(session, best, search, relaxed, deadline, settled)
        return
    n_integer = _n_integer(m)
    if by_period and n_integer > SMALL_INTEGER_COLUMNS:
        huge = n_integer > WHOLE_MILP_INTEGER_COLUMNS
        left = max(0.0, deadline - time.monotonic())
        share = 1.0 if huge or settings.work_limit is not None else PROPOSAL_SHARE
        _by_period(session, best, search, relaxed, time.monotonic() + share * left, settled)
        if huge or within_gap(best.objective, search.bound, settings):
            return
    elif decompose and several and m.coupled_rows() and n_integer > SMALL_INTEGER_COLUMNS:
        left = max(0.0, deadline - time.monotonic())
        share = 1.0 if settings.work_limit is not None else PROPOSAL_SHARE
        plan, _done = improve_by_window(
            session, best.values, relaxed, search, time.monotonic() + share * left
        )
        best.offer(m, plan, "milp")
        if within_gap(best.objective, search.bound, settings):
            return
    _whole_milp(session, best, search, deadline)


def _by_period(
    session: Session,
    best: _Best,
    search: Search,
    relaxed: dict[str, np.ndarray],
    deadline: float,
    settled: dict[int, float] | None = None,
) -> None:
    """Restricted per-period MILPs, then full ones; the plan and bound they find are kept.

    ``settled`` periods (a known bound's, :class:`KnownBound`) are not solved.
    """
    m = session.model
    by_work = session.settings.work_limit is not None
    left = max(0.0, deadline - time.monotonic())
    restricted_deadline = deadline if by_work else time.monotonic() + RESTRICTED_SHARE * left
    plan = restricted_pass(session, best.values, relaxed, restricted_deadline, skip=set(settled or {}))
    best.offer(m, plan, "milp")
    plan, stage, _proven = improve_by_period(session, best.values, search, deadline, settled)
    best.offer(m, plan, stage)


def run_engine(
    m: PlanningModel,
    settings: SolveSettings,
    deadline: float,
    decompose: bool = False,
    reserve_if_unmet_s: float = 0.0,
    start: dict[str, np.ndarray] | None = None,
    known_bound: KnownBound | None = None,
    start_missing: frozenset[int] = frozenset(),
    lp_start: LpBasis | None = None,
    keep_basis: bool = False,
) -> EngineResult:
    """Run the four stages within the wall-clock ``deadline`` (a ``time.monotonic()`` value).

    With ``decompose``, periods are solved one MILP each where the declared couplings make that
    exact (or a source of proposals and bounds) instead of one MILP for the whole horizon. When
    the LP relaxation leaves demand unmet, ``reserve_if_unmet_s`` seconds before the deadline are
    left for the caller's re-solves. ``start``: integer values of a known plan (``planner.warmstart``),
    routed by the LP and kept beside the rounded plan when cheaper; it changes no bound.
    ``known_bound``: a bound proven elsewhere (a sweep's neighbours), see :class:`KnownBound`.
    ``start_missing``: periods the start does not hold: their choices come from the rounded plan.
    ``lp_start``: a basis (by name) the relaxation starts from; ``keep_basis``: return the
    relaxation's own basis in ``lp_basis`` (``planner.lpbasis``: a sweep's base row keeps it).
    """
    session = Session(m, settings, lp_start, keep_basis)
    timings: dict[str, float] = {}
    t = time.monotonic()
    lp = solve_relaxation(session, LP_TIME_SHARE * max(1.0, deadline - t))
    relaxed = lp.values
    timings["lp_s"] = time.monotonic() - t
    # keep time for the final LP with the integer choices fixed, and the read-back: about one LP
    # solve, or a fraction of one when sifted (it prices only the routes of staffed options)
    milp_deadline = deadline - (FIXED_LP_SHARE[session.sift] * timings["lp_s"] + 0.5)
    if float(np.nansum(relaxed["unmet"])) > _EPS:
        milp_deadline -= reserve_if_unmet_s
    search = Search(float(lp.bound if lp.bound is not None else (lp.objective or 0.0)))
    if known_bound is not None:
        search.raise_bound(known_bound.bound_usd)
    t = time.monotonic()
    rounded = round_plan(session, relaxed)
    if rounded is not None and not m.is_integral(rounded):  # a block rounding left fractional
        rounded = None
    best = _Best(rounded, "lp_rounding", m.objective_of(rounded)) if rounded is not None else None
    start_kept = None
    if start is not None:
        best, start_kept = _offer_start(session, best, _filled(m, start, start_missing, best))
    timings["rounding_s"] = time.monotonic() - t
    t = time.monotonic()
    settled = _settled_periods(m, best, search, known_bound)
    bracketed = _settled(best, search, known_bound)
    if best is None:  # repair: the MILP itself finds a plan, or proves there is none
        best = _whole_milp(session, None, search, max(milp_deadline, time.monotonic() + 1.0))
        if best is None:
            raise SolveError(_no_plan_message(search))
    if bracketed and known_bound is not None and known_bound.period_bounds is not None:
        search.period_bounds = dict(enumerate(known_bound.period_bounds))
    if not bracketed:
        _improve(session, best, search, relaxed, milp_deadline, decompose, settled)
    timings["milp_s"] = time.monotonic() - t
    t = time.monotonic()
    final, fixed_duals = _final_values(session, best)
    timings["duals_s"] = time.monotonic() - t
    if not m.is_integral(final):  # every integer block, registered or not
        raise SolveError("internal error: the plan has fractional values in an integer family")
    objective = m.objective_of(final)
    bound = _round_off(objective, min(search.bound, objective))
    proven = within_gap(objective, bound, settings)
    return EngineResult(
        "optimal" if proven else "feasible",
        best.stage,
        objective,
        bound,
        final,
        lp.duals,
        fixed_duals,
        m.slacks(final),
        timings,
        settings.solver,
        _stopped_by(proven, search, bool(bracketed)),
        start_kept=start_kept,
        bracketed=bracketed,
        period_bounds=_period_bounds(m, search),
        lp_basis=session.kept_basis,
    )


def _settled_periods(
    m: PlanningModel, best: _Best | None, search: Search, known: KnownBound | None
) -> dict[int, float]:
    """The periods a known bound settles (their cost within its accept_gap of their bound).

    Only where no row spans periods: then the periods' bounds add up to a bound of the whole,
    which raises the search's bound.
    """
    if known is None or known.period_bounds is None or best is None or m.coupled_rows():
        return {}
    bounds = dict(enumerate(known.period_bounds))
    active = demand_periods(m)
    if any(p not in bounds for p in active):
        return {}
    search.raise_bound(sum(bounds[p] for p in active))
    costs = period_costs(m, best.values)
    return {p: bounds[p] for p in active if settles(costs[p], bounds[p], known.accept_gap)}


def _period_bounds(m: PlanningModel, search: Search) -> tuple[float | None, ...] | None:
    if search.period_bounds is None:
        return None
    active = set(demand_periods(m))
    return tuple(search.period_bounds.get(p) if p in active else 0.0 for p in range(len(m.index.periods)))


def _settled(best: _Best | None, search: Search, known: KnownBound | None) -> bool | None:
    """With a known bound: whether the plan so far is within its accept_gap (None: no known bound)."""
    if known is None:
        return None
    return best is not None and settles(best.objective, search.bound, known.accept_gap)


def settles(objective: float, bound: float, gap: float) -> bool:
    """True when ``objective`` is within ``gap`` of ``bound``, with the round-off of :func:`within_gap`."""
    return objective - bound <= gap * abs(objective) + _EPS + _REL_TOL * abs(objective)


def _offer_start(
    session: Session, best: _Best | None, start: dict[str, np.ndarray]
) -> tuple[_Best | None, bool]:
    """The start's integer choices, routed by the LP, offered beside the rounded plan.

    Returns the best plan and whether it is now the start's (kept when strictly cheaper, or when
    rounding found none). A start whose choices break a row of this model is not kept.
    """
    m = session.model
    vals, _fixed = _routed(session, start)
    if vals is None:  # its choices do not fit this model (limits, budgets)
        return best, False
    if best is None:
        return _Best(vals, "lp_rounding", m.objective_of(vals)), True
    return best, best.offer(m, vals, "lp_rounding")


def _filled(
    m: PlanningModel, start: dict[str, np.ndarray], missing: frozenset[int], best: _Best | None
) -> dict[str, np.ndarray]:
    """The start with the periods it does not hold taken from the rounded plan (when there is one)."""
    if not missing or best is None:
        return start
    out = {name: values.copy() for name, values in start.items()}
    for name in m.integer_blocks:
        block = m.variables[name]
        if block.coupling == "horizon":
            continue
        at = np.isin(block.period, list(missing))
        out[name][at] = np.round(np.nan_to_num(best.values[name][at]))
    return out


def _no_plan_message(search: Search) -> str:
    if search.stops:
        return (
            "no integer plan found before the "
            + ("--work-limit" if search.stops == {"work_limit"} else "--time-limit")
            + " (rounding the LP relaxation failed; give the MILP more time)"
        )
    return "no integer plan found (rounding the LP relaxation failed and the MILP found none)"


def _routed(session: Session, plan: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray] | None, Solution]:
    """The plan's integer choices, as whole numbers, with the routing of the LP that fixes them.

    None (with that LP's result) when the LP has no solution: the choices break a row.
    """
    fixed = fixed_lp(session, plan)
    if not fixed.has_solution:
        return None, fixed
    vals = dict(fixed.values)
    for name in session.model.integer_blocks:  # exactly as planned (the fixed LP holds them there)
        vals[name] = np.round(np.nan_to_num(plan[name]))
    return vals, fixed


def _final_values(session: Session, best: _Best) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The plan's values from the LP with its integer choices fixed, and that LP's duals."""
    vals, fixed = _routed(session, best.values)
    return (best.values, {}) if vals is None else (vals, fixed.duals)


def _stopped_by(proven: bool, search: Search, bracketed: bool = False) -> StoppedBy:
    if proven:
        return "proven"
    if bracketed:
        return "bracketed"
    if "time_limit" in search.stops:
        return "time_limit"
    if "work_limit" in search.stops:
        return "work_limit"
    return "gap"
