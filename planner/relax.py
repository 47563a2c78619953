"""The cheapest way out: for each group of unmet demand, one rule relaxed, re-solved.

Each unmet line names its causes (``planner.explain``). For every cause a user can change, one
relaxation is tried by re-solving the whole problem with that rule alone relaxed:

| cause | change (``kind``) | to |
|---|---|---|
| ``self_host_only`` | ``allow_api``: the workload may use APIs | ``allowed`` |
| ``api_only`` | ``allow_self_host``: the workload may be self-hosted | ``allowed`` |
| ``max_api_share`` | ``max_api_share`` | 1 |
| ``latency`` | ``tpot_ms`` or ``ttft_ms``: the target the closest option misses | what that option reaches |
| ``max_chips`` | ``max_chips`` of the accelerator | the chips the re-solved plan uses |
| ``budget`` | ``budget_usd`` | what the re-solved plan spends |

API rate limits, the penalty and missing models are not the user's to relax and get none. A change
is reported when its plan costs less than the plan's (``saving_usd > 0``); the cheapest first.
The re-solves share what is left of ``--time-limit`` (``planner.pipeline``'s time rule).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from planner.demand import Demand
from planner.errors import PlannerError
from planner.options import Options
from planner.plan import Plan, Relaxation, RelaxationChange, UnmetLine
from planner.settings import SolveSettings

#: Re-solves get at least this many seconds each, or are skipped.
MIN_RESOLVE_S = 1.0


@dataclass(frozen=True)
class Candidate:
    """One rule to relax, the unmet lines it addresses, and how to apply it."""

    change: RelaxationChange
    lines: tuple[UnmetLine, ...]
    demand: Demand
    settings: SolveSettings


def _with_workload(demand: Demand, workload: str, column: str, value: bool | float) -> Demand:
    frame = demand.frame.copy()
    rows = (frame["workload"] == workload).to_numpy()
    values = frame[column].to_numpy().copy()
    values[rows] = value
    frame[column] = values
    return dataclasses.replace(demand, frame=frame)


def _first_target(demand: Demand, workload: str, column: str) -> float:
    return float(demand.frame.loc[demand.frame["workload"] == workload, column].iloc[0])


def _latency_change(
    demand: Demand, workload: str, options: Options
) -> tuple[RelaxationChange, Demand] | None:
    shapes = options.rows.loc[options.rows["workload"] == workload, "shape"]
    misses = [options.latency_miss[int(s)] for s in shapes if int(s) in options.latency_miss]
    if not misses:
        return None
    _option, metric, predicted, _target = max(misses, key=lambda m: m[2] / m[3])
    column = "tpot_ms" if metric == "TPOT" else "ttft_ms"
    reach = math.ceil(predicted * 1.001)
    change = RelaxationChange(
        kind=column, target=workload, from_=_first_target(demand, workload, column), to=float(reach)
    )
    frame = demand.frame.copy()
    rows = frame["workload"] == workload
    frame.loc[rows, column] = np.maximum(frame.loc[rows, column].to_numpy(float), float(reach))
    return change, dataclasses.replace(demand, frame=frame)


def candidates(
    lines: tuple[UnmetLine, ...], demand: Demand, settings: SolveSettings, options: Options
) -> list[Candidate]:
    """One candidate per (cause, target) among the unmet lines."""
    groups: dict[tuple[str, str], list[UnmetLine]] = {}
    for line in lines:
        for reason_code in line.reason_codes:
            code, target = str(reason_code), line.workload
            if code == "max_chips":
                for acc in sorted(settings.max_chips):
                    if f"--max-chips on {acc} " in line.reason:
                        groups.setdefault((code, acc), []).append(line)
                continue
            groups.setdefault((code, "budget" if code == "budget" else target), []).append(line)
    out = []
    for (cause, name), members in groups.items():
        made = _make(cause, name, demand, settings, options)
        if made is not None:
            change, new_demand, new_settings = made
            out.append(Candidate(change, tuple(members), new_demand, new_settings))
    return out


def _make(
    code: str, target: str, demand: Demand, settings: SolveSettings, options: Options
) -> tuple[RelaxationChange, Demand, SolveSettings] | None:
    if code == "self_host_only":
        change = RelaxationChange(kind="allow_api", target=target, from_="self_host_only", to="allowed")
        return change, _with_workload(demand, target, "self_host_only", False), settings
    if code == "api_only":
        change = RelaxationChange(kind="allow_self_host", target=target, from_="api_only", to="allowed")
        return change, _with_workload(demand, target, "api_only", False), settings
    if code == "max_api_share":
        share = _first_target(demand, target, "max_api_share")
        change = RelaxationChange(kind="max_api_share", target=target, from_=share, to=1.0)
        return change, _with_workload(demand, target, "max_api_share", 1.0), settings
    if code == "latency":
        found = _latency_change(demand, target, options)
        return None if found is None else (*found, settings)
    if code == "max_chips":
        limits = {a: n for a, n in settings.max_chips.items() if a != target}
        change = RelaxationChange(
            kind="max_chips", target=target, from_=float(settings.max_chips[target]), to=None
        )
        return change, demand, settings.model_copy(update={"max_chips": limits})
    if code == "budget" and settings.budget_usd is not None:
        change = RelaxationChange(kind="budget_usd", target="budget", from_=settings.budget_usd, to=None)
        return change, demand, settings.model_copy(update={"budget_usd": None})
    return None


def _resolved_to(candidate: Candidate, plan: Plan) -> RelaxationChange:
    """The change with ``to`` read from the re-solved plan where it is a measured figure."""
    change = candidate.change
    if change.kind == "max_chips":
        used = [
            sum(
                d.replicas * d.tensor_parallel * d.pipeline_parallel
                for d in p.deployments
                if d.accelerator == change.target
            )
            for p in plan.periods
        ]
        return change.model_copy(update={"to": float(max(used, default=0))})
    if change.kind == "budget_usd":
        spent = plan.cost_usd.accelerators + plan.cost_usd.committed_beyond_horizon + plan.cost_usd.api
        return change.model_copy(update={"to": round(spent, 2)})
    return change


Resolve = Callable[[Demand, SolveSettings, float], Plan]


def cheapest_ways_out(
    lines: tuple[UnmetLine, ...],
    demand: Demand,
    settings: SolveSettings,
    options: Options,
    objective_usd: float,
    deadline: float,
    resolve: Resolve,
) -> tuple[Relaxation, ...]:
    """Re-solve with each candidate relaxed, in the time left before ``deadline``."""
    found: list[Relaxation] = []
    todo = candidates(lines, demand, settings, options)
    for i, cand in enumerate(todo):
        left = deadline - time.monotonic()
        share = left / (len(todo) - i)
        if share < MIN_RESOLVE_S:
            break
        try:
            plan = resolve(cand.demand, cand.settings, share)
        except PlannerError:
            continue
        saving = objective_usd - plan.objective_usd
        if saving <= 1e-6 * max(1.0, objective_usd):
            continue
        found.append(
            Relaxation(
                workloads=tuple(dict.fromkeys(line.workload for line in cand.lines)),
                periods=tuple(dict.fromkeys(line.period for line in cand.lines)),
                requests_per_s=round(sum(line.requests_per_s for line in cand.lines), 6),
                change=_resolved_to(cand, plan),
                objective_usd=round(plan.objective_usd, 6),
                saving_usd=round(saving, 6),
            )
        )
    return tuple(sorted(found, key=lambda r: -r.saving_usd))
