"""A plan's integer choices carried onto another model: a start for the engine (a MIP start).

A what-if's changed case starts from the base's plan, a sweep's points from the base row's, and
``plan solve --start PLAN.json`` from any earlier plan of the same workloads. The choices are
carried by ids, not by column positions (reductions may keep other options or offers in the other
model): replicas by (period, deployment id), per-period chips by (period, accelerator, tier),
committed chips by (accelerator, tier), each bought from the offer of that accelerator, tier and
purchase size this model keeps.

A start only adds a candidate: the engine routes it with the LP (its integer choices fixed) and
keeps it when that is cheaper than the rounded plan; the MILP stages then improve on the cheaper
of the two (a period's MILP plan replaces it only where cheaper). It is not handed to HiGHS as a
start solution (``setSolution`` gave wrong bounds: docs/benchmarks.md, "Ideas tried"), and it never
changes the model, the bound or what counts as proven. A start that does not fit
(a deployment or accelerator this model does not have, other periods) is not used, and the run
says so (:func:`start_values` returns the reason).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from planner.formulation.blocks import PlanningModel
from planner.formulation.index import HOURS_PER_TERM
from planner.options import Options
from planner.plan import Plan

__all__ = ["StartValues", "start_values"]


@dataclass(frozen=True)
class StartValues:
    """The start's integer values per block, or why it could not be carried (values None).

    ``missing``: with ``partial``, the periods whose lines this model could not hold (their values
    are 0 here; the engine takes them from the rounded plan), and ``reason`` says why.
    """

    values: dict[str, np.ndarray] | None
    reason: str = ""
    missing: frozenset[int] = frozenset()


def _replicas(
    m: PlanningModel, options: Options, plan: Plan, missing: dict[str, str] | None = None
) -> np.ndarray | str:
    ix = m.index
    ids = options.deployments["id"].to_numpy()
    position = {
        (ix.periods[p], str(ids[o])): i
        for i, (p, o) in enumerate(ix.replica[["p", "o"]].itertuples(index=False))
    }
    out = np.zeros(len(ix.replica))
    for period in plan.periods:
        for line in period.deployments:
            if line.replicas <= 0:
                continue
            at = position.get((period.period, line.id))
            if at is None:
                why = f"deployment {line.id} in period {period.period} is not an option of this model"
                if missing is None:
                    return why
                missing.setdefault(period.period, why)
                continue
            out[at] += line.replicas
    return out


def _by_chips(
    wanted: dict[tuple[object, ...], int],
    keys: Sequence[tuple[object, ...]],
    multiplier: np.ndarray,
    missing: dict[str, str] | None = None,
) -> np.ndarray | str:
    """Units per column buying ``wanted`` chips per key (the first column of a key gets them all).

    With ``missing``, a key (period first) this model lacks is recorded by its period instead.
    """
    out = np.zeros(len(keys))
    first: dict[tuple[object, ...], int] = {}
    for i, key in enumerate(keys):
        first.setdefault(key, i)
    for key, chips in wanted.items():
        if chips <= 0:
            continue
        at = first.get(key)
        if at is None:
            why = "no offer of " + " / ".join(str(k) for k in key) + " in this model"
            if missing is None:
                return why
            missing.setdefault(str(key[0]), why)
            continue
        out[at] = float(np.ceil(chips / multiplier[at] - 1e-9))
    return out


def _supply(m: PlanningModel, plan: Plan, missing: dict[str, str] | None = None) -> np.ndarray | str:
    ix = m.index
    keys = [
        (ix.periods[p], ix.accelerators[a], str(tier))
        for p, a, tier in ix.supply[["p", "a", "tier"]].itertuples(index=False)
    ]
    wanted: dict[tuple[object, ...], int] = defaultdict(int)
    for period in plan.periods:
        for line in period.accelerators:
            if line.tier not in HOURS_PER_TERM:  # committed chips are the commitments' lines
                wanted[(period.period, line.accelerator, line.tier)] += line.chips
    return _by_chips(wanted, keys, ix.supply["multiplier"].to_numpy(float), missing)


def _commit(m: PlanningModel, plan: Plan) -> np.ndarray | str:
    ix = m.index
    keys = [(ix.accelerators[a], str(tier)) for a, tier in ix.commit[["a", "tier"]].itertuples(index=False)]
    wanted: dict[tuple[object, ...], int] = defaultdict(int)
    for line in plan.commitments:
        wanted[(line.accelerator, line.tier)] += line.chips
    return _by_chips(wanted, keys, ix.commit["multiplier"].to_numpy(float))


def start_values(m: PlanningModel, options: Options, plan: Plan, partial: bool = False) -> StartValues:
    """The plan's replicas and chips as values of ``m``'s integer blocks (see the module docstring).

    With ``partial`` a period whose lines do not fit is left out (``StartValues.missing``) instead of
    the whole start (a sweep's price axis: reductions at another price may keep other options).
    """
    unfit = _unfit(m, plan)
    if unfit is not None:
        return StartValues(None, unfit)
    if partial:
        return _partial(m, options, plan)
    values: dict[str, np.ndarray] = {}
    for name, carried in (
        ("replicas", _replicas(m, options, plan)),
        ("supply", _supply(m, plan)),
        ("commit", _commit(m, plan)),
    ):
        if isinstance(carried, str):
            return StartValues(None, carried)
        values[name] = carried
    return StartValues(values)


def _unfit(m: PlanningModel, plan: Plan) -> str | None:
    """Why no part of the plan can be carried onto ``m`` (None when it can be tried)."""
    if tuple(p.period for p in plan.periods) != m.index.periods:
        return "its periods are not this run's"
    if set(m.integer_blocks) != {"replicas", "supply", "commit"}:
        return "this model has integer blocks a plan does not describe"
    return None


def _partial(m: PlanningModel, options: Options, plan: Plan) -> StartValues:
    """:func:`start_values` period by period: the periods that fit, and those that do not."""
    missing: dict[str, str] = {}
    replicas = _replicas(m, options, plan, missing)
    supply = _supply(m, plan, missing)
    commit = _commit(m, plan)
    if isinstance(commit, str) or isinstance(replicas, str) or isinstance(supply, str):
        return StartValues(None, next(r for r in (commit, replicas, supply) if isinstance(r, str)))
    ix = m.index
    out = {label: p for p, label in enumerate(ix.periods) if label in missing}
    gone = list(out.values())
    replicas[np.isin(ix.replica["p"].to_numpy(), gone)] = 0.0  # those periods: the rounded plan's
    supply[np.isin(ix.supply["p"].to_numpy(), gone)] = 0.0
    why = "; ".join(missing.values())
    note = f"{len(out)} period(s) from the rounded plan instead: {why}" if out else ""
    return StartValues({"replicas": replicas, "supply": supply, "commit": commit}, note, frozenset(gone))
