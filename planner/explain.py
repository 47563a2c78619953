"""Explain unmet demand: which workload, and which constraint or missing option blocks it."""

from __future__ import annotations

import numpy as np

from planner.engine import EngineResult
from planner.formulation.model import PlanningModel
from planner.options import Options
from planner.plan import UnmetLine

_UNMET_TOL = 1e-6
_SLACK_TOL = 1e-6


def _binding(m: PlanningModel, family: str) -> set[int]:
    """Positions (in the family's own index) of the rows with no slack left."""
    if family not in m.rows:
        return set()
    rows, idx = m.rows[family]
    return {
        int(i)
        for row, i in zip(rows, idx, strict=True)
        if row.slack is not None and abs(row.slack) <= _SLACK_TOL
    }


def _no_route_reason(m: PlanningModel, d: int, options: Options) -> tuple[str, str] | None:
    ix = m.index
    row = ix.cover.iloc[d]
    has_route = bool((ix.route["d"] == d).any())
    has_api = bool((ix.api["d"] == d).any())
    if has_route or has_api:
        return None
    shape = int(row["shape"])
    self_host = options.reasons.get(shape, "its self-hosted options are excluded")
    if row["api_only"]:
        return "api_only", "api_only is set and no allowed API offer serves its model or quality floor"
    if row["self_host_only"]:
        return "self_host_only", f"self_host_only is set and {self_host}"
    no_api = "no allowed API offer serves its model or quality floor (or its context)"
    return "latency", f"{self_host}; and {no_api}"


def _limit_reasons(m: PlanningModel, d: int) -> list[tuple[str, str]]:
    ix = m.index
    p = int(ix.cover["p"].to_numpy()[d])
    accs = set(ix.replica.loc[ix.replica["o"].isin(ix.route.loc[ix.route["d"] == d, "o"]), "a"])
    n_acc = max(len(ix.accelerators), 1)
    reasons = [
        ("max_chips", f"--max-chips on {ix.accelerators[k % n_acc]}")
        for k in sorted(_binding(m, "maxchips"))
        if k // n_acc == p and k % n_acc in accs
    ]
    if _binding(m, "budget"):
        reasons.append(("budget", "--budget-usd"))
    if d in _binding(m, "apishare"):
        reasons.append(("max_api_share", f"max_api_share {ix.cover['max_api_share'].iat[d]:g}"))
    apis = set(ix.api.loc[ix.api["d"] == d, "k"])
    for family, label in (("apirate", "request-rate limit"), ("apitokens", "token-rate limit")):
        reasons += [
            ("api_rate_limit", f"the {label} of API {ix.apis[k % len(ix.apis)]}")
            for k in sorted(_binding(m, family))
            if k // len(ix.apis) == p and k % len(ix.apis) in apis
        ]
    return reasons


def explain_unmet(m: PlanningModel, result: EngineResult, options: Options) -> tuple[UnmetLine, ...]:
    """One line per (period, workload) with unmet demand, naming what blocks it."""
    ix = m.index
    unmet = np.nan_to_num(result.values["unmet"])
    lines = []
    for d in np.flatnonzero(unmet > _UNMET_TOL):
        found = _no_route_reason(m, int(d), options)
        if found is not None:
            codes, reason = [found[0]], found[1]
        else:
            limits = _limit_reasons(m, int(d))
            codes = list(dict.fromkeys(code for code, _ in limits)) or ["penalty_cheaper"]
            reason = (
                ("blocked by " + ", ".join(text for _, text in limits))
                if limits
                else (
                    "serving it would cost more than the unmet-demand penalty "
                    "(--unmet-penalty-usd-per-request)"
                )
            )
        lines.append(
            UnmetLine(
                period=ix.periods[int(ix.cover["p"].to_numpy()[d])],
                workload=ix.workloads[int(ix.cover["w"].to_numpy()[d])],
                requests_per_s=round(float(unmet[d]), 6),
                reason_code=codes[0],
                reason_codes=tuple(codes),
                reason=reason,
            )
        )
    return tuple(lines)


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
