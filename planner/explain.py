"""Explain unmet demand from the solved model: the constraints and option sets that bind it.

For each (period, workload) left partly unmet, the causes are read from the LP with the plan's
integer choices fixed (its slacks) and from the option and API sets:

* ``latency`` / ``no_option``: no self-hosted option serves its shape (the closest one and by how
  much it misses), or no model and accelerator can hold it;
* ``self_host_only`` / ``api_only``: the flag forbids a route that exists for its shape;
* ``max_api_share``, ``api_rate_limit``, ``max_chips``: that row has no slack left;
* ``budget``: what is left of ``--budget-usd`` does not pay for serving it;
* ``penalty_cheaper``: none of these binds, so serving it costs more than the unmet-demand penalty.

Every cause that binds is named, in that order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planner.engine import EngineResult
from planner.formulation.blocks import PlanningModel
from planner.options import Options
from planner.plan import UnmetLine
from planner.settings import SolveSettings
from planner.units import SECONDS_PER_HOUR

_UNMET_TOL = 1e-6
_SLACK_TOL = 1e-6


@dataclass(frozen=True)
class Cause:
    """One binding cause of unmet demand: its code and its sentence."""

    code: str
    text: str


Slacks = dict[str, np.ndarray]


def _binding(m: PlanningModel, slacks: Slacks, family: str) -> set[int]:
    """Labels (the family's own index) of its rows with no slack left at the plan's values."""
    if family not in m.constraints or family not in slacks:
        return set()
    block = m.constraints[family]
    tight = np.abs(slacks[family]) <= _SLACK_TOL * np.maximum(1.0, np.abs(block.rhs))
    return {int(i) for i in block.labels[tight]}


def _shape_causes(options: Options, shape: int) -> list[Cause]:
    """Why no self-hosted option serves a shape (empty when one does)."""
    if shape in set(options.capacity["shape"]):
        return []
    text = options.reasons.get(shape, "no self-hosted option serves it")
    return [Cause("latency" if shape in options.latency_miss else "no_option", text)]


def _flag_causes(m: PlanningModel, d: int, options: Options) -> list[Cause]:
    ix = m.index
    row = ix.cover.iloc[d]
    shape = int(row["shape"])
    out: list[Cause] = []
    if row["api_only"]:
        self_host = _shape_causes(options, shape)
        if not self_host:
            out.append(Cause("api_only", "api_only is set, and a self-hosted option could serve it"))
        if not (ix.api["d"] == d).any():
            out.append(Cause("api_only", "api_only is set and no allowed API offer serves it"))
            out += self_host
        return out
    if row["self_host_only"] and shape in set(options.api_eligible["shape"]):
        out.append(Cause("self_host_only", "self_host_only is set, and an allowed API offer could serve it"))
    if not (ix.route["d"] == d).any():
        out += _shape_causes(options, shape)
        if not row["self_host_only"] and not (ix.api["d"] == d).any():
            out.append(
                Cause("no_option", "no allowed API offer serves its model or quality floor (or context)")
            )
    return out


def _limit_causes(m: PlanningModel, d: int, slacks: Slacks) -> list[Cause]:
    ix = m.index
    p = int(ix.cover["p"].to_numpy()[d])
    accs = set(ix.replica.loc[ix.replica["o"].isin(ix.route.loc[ix.route["d"] == d, "o"]), "a"])
    n_acc = max(len(ix.accelerators), 1)
    out = [
        Cause("max_chips", f"--max-chips on {ix.accelerators[k % n_acc]} is reached")
        for k in sorted(_binding(m, slacks, "maxchips"))
        if k // n_acc == p and k % n_acc in accs
    ]
    if d in _binding(m, slacks, "apishare"):
        share = ix.cover["max_api_share"].iat[d]
        out.append(Cause("max_api_share", f"max_api_share {share:g} is reached"))
    apis = set(ix.api.loc[ix.api["d"] == d, "k"])
    for family, label in (("apirate", "request-rate limit"), ("apitokens", "token-rate limit")):
        out += [
            Cause("api_rate_limit", f"the {label} of API {ix.apis[k % len(ix.apis)]} is reached")
            for k in sorted(_binding(m, slacks, family))
            if k // len(ix.apis) == p and k % len(ix.apis) in apis
        ]
    return out


def _serve_cost_usd(m: PlanningModel, d: int, unmet: float) -> float:
    """The cheapest direct cost of serving ``unmet`` requests/s of row d (API, or whole replicas)."""
    ix = m.index
    hours = float(ix.cover["hours"].to_numpy(float)[d])
    per_request = ix.api.loc[ix.api["d"] == d, "usd_per_request"].to_numpy(float)
    costs = list(per_request * unmet * SECONDS_PER_HOUR * hours)
    routes = ix.route[ix.route["d"] == d]
    if len(routes) and len(ix.supply):
        chips = ix.replica.set_index(["p", "o"]).loc[list(zip(routes["p"], routes["o"], strict=True))]
        price = ix.supply.groupby("a")["usd_per_chip_hour"].min()
        per_chip = chips["a"].map(price).to_numpy(float)
        replicas = np.ceil(unmet / (routes["r"].to_numpy(float) * routes["util"].to_numpy(float)) - 1e-9)
        costs += list(replicas * chips["chips"].to_numpy(float) * per_chip * hours)
    finite = [c for c in costs if np.isfinite(c)]
    return min(finite) if finite else float("inf")


def _budget_cause(
    m: PlanningModel, d: int, unmet: float, settings: SolveSettings, spent: float
) -> Cause | None:
    if settings.budget_usd is None:
        return None
    left = settings.budget_usd - spent
    need = _serve_cost_usd(m, d, unmet)
    if np.isfinite(need) and need > left + 1e-6:
        return Cause(
            "budget",
            f"--budget-usd ${settings.budget_usd:,.2f} is spent but ${max(left, 0.0):,.2f}; "
            f"serving it needs about ${need:,.2f}",
        )
    return None


def _penalty_cause(m: PlanningModel, d: int, unmet: float, settings: SolveSettings) -> Cause:
    hours = float(m.index.cover["hours"].to_numpy(float)[d])
    penalty = settings.unmet_penalty_usd_per_request * unmet * SECONDS_PER_HOUR * hours
    need = _serve_cost_usd(m, d, unmet)
    cost = f"about ${need:,.2f}" if np.isfinite(need) else "more"
    return Cause(
        "penalty_cheaper",
        f"serving it costs {cost}, more than the unmet-demand penalty ${penalty:,.2f} "
        f"(--unmet-penalty-usd-per-request {settings.unmet_penalty_usd_per_request:g})",
    )


def unmet_causes(
    m: PlanningModel,
    d: int,
    unmet: float,
    options: Options,
    settings: SolveSettings,
    spent: float,
    slacks: Slacks,
) -> list[Cause]:
    """Every binding cause of row d's unmet demand, in the module docstring's order."""
    causes = _flag_causes(m, d, options) + _limit_causes(m, d, slacks)
    budget = _budget_cause(m, d, unmet, settings, spent)
    if budget is not None:
        causes.append(budget)
    if not causes:
        causes.append(_penalty_cause(m, d, unmet, settings))
    unique: dict[tuple[str, str], Cause] = {(c.code, c.text): c for c in causes}
    return list(unique.values())


def spent_usd(m: PlanningModel, result: EngineResult) -> float:
    """What the plan spends on accelerators and APIs (the budget row's left side)."""
    vals = result.values
    return float(sum(np.nansum(m.cost[f] * np.nan_to_num(vals[f])) for f in ("supply", "commit", "api")))


def explain_unmet(
    m: PlanningModel, result: EngineResult, options: Options, settings: SolveSettings
) -> tuple[UnmetLine, ...]:
    """One line per (period, workload) with unmet demand, naming every cause that binds it."""
    ix = m.index
    unmet = np.nan_to_num(result.values["unmet"])
    spent = spent_usd(m, result)
    lines = []
    for d in np.flatnonzero(unmet > _UNMET_TOL):
        causes = unmet_causes(m, int(d), float(unmet[d]), options, settings, spent, result.slacks)
        codes = tuple(dict.fromkeys(c.code for c in causes))
        lines.append(
            UnmetLine(
                period=ix.periods[int(ix.cover["p"].to_numpy()[d])],
                workload=ix.workloads[int(ix.cover["w"].to_numpy()[d])],
                requests_per_s=round(float(unmet[d]), 12),
                reason_code=codes[0],
                reason_codes=codes,
                reason="; ".join(c.text for c in causes),
            )
        )
    return tuple(lines)


def unmet_share(m: PlanningModel, result: EngineResult) -> float:
    """Unmet share of the demanded requests over the horizon (rates weighted by hours)."""
    hours = m.index.cover["hours"].to_numpy(float)
    demanded = float(np.sum(m.index.cover["rate"].to_numpy(float) * hours))
    if demanded <= 0:
        return 0.0
    return float(np.sum(np.nan_to_num(result.values["unmet"]) * hours)) / demanded


def plan_warnings(options: Options) -> tuple[str, ...]:
    """What the user should know even when all demand is met, one line per workload."""
    rows = options.rows
    warnings: list[str] = []
    for workload, group in rows.groupby("workload", sort=False):
        shapes = set(group.loc[~group["api_only"], "shape"])
        reasons = sorted({options.reasons[s] for s in shapes if s in options.reasons})
        if reasons:
            warnings.append(f"workload '{workload}' cannot be self-hosted: {reasons[0]}")
        floor = int(group["min_replicas"].max())
        if floor > 0 and reasons:
            warnings.append(
                f"workload '{workload}': min_replicas {floor} cannot be met (no deployment serves it)"
            )
    return tuple(warnings)
