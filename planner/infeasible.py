"""Say why no plan exists: which rows and limits conflict.

Unmet demand is priced, so the only hard constraints are the availability floors
(``min_replicas``) against what may be bought: ``--max-chips``, ``--budget-usd`` and offers that
cannot be bought alone (spot-only accelerators under ``--max-spot-share``). Each floor is checked on
its own first (the smallest option that serves it, against its accelerator's limit); a conflict
that only the floors together make is found by re-solving without one family of limits.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from planner.formulation.blocks import PlanningModel
from planner.settings import SolveSettings
from solvers.arrays import ArrayModel, solve_arrays

#: Seconds each auxiliary MILP of the diagnosis may take.
AUX_TIME_LIMIT_S = 10.0


def explain_infeasible(m: PlanningModel, settings: SolveSettings) -> str:
    """One message naming the rows and limits that leave no plan (exit 1)."""
    reasons = floor_conflicts(m, settings)
    if not reasons:
        reasons = _joint_conflicts(m, settings)
    return "no plan exists: " + "; ".join(reasons)


def _buyable(m: PlanningModel, p: int, a: int, settings: SolveSettings) -> bool:
    """Chips of accelerator ``a`` can be bought in period ``p`` without spot alone."""
    ix = m.index
    tiers = set(ix.supply.loc[(ix.supply["p"] == p) & (ix.supply["a"] == a), "tier"])
    committed = bool((ix.commit["a"] == a).any())
    return committed or bool(tiers - {"spot"}) or (bool(tiers) and settings.max_spot_share >= 1.0)


def floor_conflicts(m: PlanningModel, settings: SolveSettings) -> list[str]:
    """Floors that no single option can meet: each names its smallest option and the limit."""
    ix = m.index
    out: list[str] = []
    floors = ix.cover[(ix.cover["min_replicas"] > 0) & ~ix.cover["api_only"]]
    for d, row in floors.iterrows():
        routes = ix.route[ix.route["d"] == d]
        if routes.empty:
            continue
        reps = ix.replica.set_index(["p", "o"]).loc[list(zip(routes["p"], routes["o"], strict=True))]
        need = int(row["min_replicas"])
        problems = [
            _option_problem(m, int(row["p"]), int(a), int(c) * need, settings)
            for a, c in zip(reps["a"], reps["chips"], strict=True)
        ]
        if all(problems):
            smallest = int(np.argmin(reps["chips"].to_numpy()))
            workload, period = ix.workloads[int(row["w"])], ix.periods[int(row["p"])]
            out.append(f"`min_replicas` {need} of {workload} in period {period} needs {problems[smallest]}")
    return out


def _option_problem(m: PlanningModel, p: int, a: int, chips: int, settings: SolveSettings) -> str | None:
    acc = m.index.accelerators[a]
    if not _buyable(m, p, a, settings):
        return (
            f"{chips} chips of {acc}, which has only spot offers here "
            f"(`--max-spot-share` {settings.max_spot_share:g} forbids buying spot alone)"
        )
    limit = settings.max_chips.get(acc)
    if limit is not None and chips > limit:
        return f"{chips} chips of {acc}, above `--max-chips` {limit}"
    return None


def _family_rows(m: PlanningModel) -> dict[str, np.ndarray]:
    """Row ids of each constraint block in the arrays."""
    return {name: m.rows(name) for name in m.constraints}


def _without(model: ArrayModel, rows: np.ndarray) -> ArrayModel:
    lower, upper = model.row_lower.copy(), model.row_upper.copy()
    lower[rows], upper[rows] = -np.inf, np.inf
    return dataclasses.replace(model, row_lower=lower, row_upper=upper)


def lp_infeasible(m: PlanningModel) -> bool:
    """True when the LP relaxation has no feasible point at all (checked with a zero objective).

    With the unmet penalty's large costs, HiGHS's dual simplex can stop on an infeasible LP with an
    error ("Not Set") instead of saying so; a feasibility LP has no such costs.
    """
    base = m.arrays
    zero = dataclasses.replace(base, cost=np.zeros(base.n_cols))
    return solve_arrays(zero, mip=False).result.status == "infeasible"


def _feasible(model: ArrayModel) -> bool | None:
    result = solve_arrays(model, mip=True, time_limit_s=AUX_TIME_LIMIT_S, mip_gap=1e-4).result
    if result.status == "infeasible":
        return False
    return True if result.has_solution else None


def _joint_conflicts(m: PlanningModel, settings: SolveSettings) -> list[str]:
    """Which family of limits, dropped, leaves a plan: the floors conflict with it."""
    base, rows = m.arrays, _family_rows(m)
    out: list[str] = []
    if "budget" in rows and settings.budget_usd is not None:
        needed = _least_budget(m, base, rows["budget"])
        if needed is not None and needed > settings.budget_usd:
            out.append(
                f"the `min_replicas` floors need at least ${needed:,.2f} of accelerators, "
                f"above `--budget-usd` ${settings.budget_usd:,.2f}"
            )
    if not out and "maxchips" in rows and _feasible(_without(base, rows["maxchips"])):
        limits = ", ".join(f"{a}={n}" for a, n in sorted(settings.max_chips.items()))
        out.append(f"the `min_replicas` floors together need more chips than `--max-chips` {limits} allows")
    if not out:
        out.append(
            "the `min_replicas` floors cannot be met with the accelerators and offers allowed "
            "(check --accelerators, --max-chips, --budget-usd and --max-spot-share)"
        )
    return out


def _least_budget(m: PlanningModel, base: ArrayModel, budget_rows: np.ndarray) -> float | None:
    """The least accelerator and API spend that meets every floor (the budget row's left side)."""
    cost = np.zeros(base.n_cols)
    for name in ("api", "supply", "commit"):
        cost[m.columns(name)] = m.cost[name]
    aux = dataclasses.replace(_without(base, budget_rows), cost=cost)
    result = solve_arrays(aux, mip=True, time_limit_s=AUX_TIME_LIMIT_S, mip_gap=1e-6).result
    if result.status != "optimal" or result.objective is None:
        return None
    return float(result.objective)


__all__ = ["explain_infeasible", "floor_conflicts", "lp_infeasible"]
