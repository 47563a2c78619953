"""Totals and summaries: period usd, cost_usd parts, objective, budget, diagnostics, baselines, solver."""

from __future__ import annotations

from planner.units import SECONDS_PER_HOUR
from planner.verify.context import Context, PeriodState
from planner.verify.findings import FRACTION_TOL, Findings, usd, usd_close

#: Unmet rates below this are solver round-off, not unmet demand that needs a diagnostics line.
UNMET_TOL = 2e-6


def check_totals(ctx: Context, f: Findings, states: list[PeriodState], charged_beyond: float) -> float:
    """Every total equal to the re-priced lines it sums; returns the re-priced objective."""
    penalty_rate = ctx.settings.unmet_penalty_usd_per_request
    accelerators = api = penalty = 0.0
    for state in states:
        period = ctx.plan.periods[state.index]
        acc_p = sum(state.acc_usd.values())
        expected = acc_p + state.api_usd
        if not usd_close(period.usd, expected):
            f.add(
                f"{state.place}.usd",
                "total",
                f"{usd(period.usd)}, but its accelerator lines ({usd(acc_p)}) and API routes "
                f"({usd(state.api_usd)}) re-price to {usd(expected)}",
            )
        accelerators += acc_p
        api += state.api_usd
        penalty += sum(
            max(w.unmet_requests_per_s, 0.0) * SECONDS_PER_HOUR * state.hours * penalty_rate
            for w in period.workloads
            if w.workload in state.rows
        )
    parts = {
        "accelerators": (accelerators, "the accelerator lines re-price to"),
        "committed_beyond_horizon": (charged_beyond, "the commitments charge beyond the horizon"),
        "api": (api, "the API routes re-price to"),
        "unmet_penalty": (
            penalty,
            f"the unmet lines x 3600 s x hours x ${penalty_rate:g}/request "
            "(--unmet-penalty-usd-per-request) are",
        ),
    }
    for name, (value, why) in parts.items():
        given = float(getattr(ctx.plan.cost_usd, name))
        if not usd_close(given, value):
            f.add(f"cost_usd.{name}", "total", f"{usd(given)}, but {why} {usd(value)}")
    objective = accelerators + charged_beyond + api + penalty
    if not usd_close(ctx.plan.objective_usd, objective):
        f.add(
            "objective_usd",
            "total",
            f"{usd(ctx.plan.objective_usd)}, but the re-priced cost parts add up to {usd(objective)}",
        )
    budget = ctx.settings.budget_usd
    spent = accelerators + charged_beyond + api
    if budget is not None and spent > budget * (1 + 1e-9) + 0.01:
        f.add(
            "cost_usd",
            "budget",
            f"accelerators + commitments + APIs cost {usd(spent)}, above --budget-usd {budget:g}",
        )
    return objective


def check_diagnostics(ctx: Context, f: Findings, states: list[PeriodState], objective: float) -> None:
    """Unmet lines match the workload lines; unmet share, relaxation savings add up."""
    plan = ctx.plan
    unmet: dict[tuple[str, str], float] = {}
    demanded = missing = 0.0
    for state in states:
        for w in plan.periods[state.index].workloads:
            if w.workload in state.rows:
                unmet[(state.label, w.workload)] = w.unmet_requests_per_s
                demanded += w.demand_requests_per_s * state.hours
                missing += w.unmet_requests_per_s * state.hours
    listed: set[tuple[str, str]] = set()
    for i, line in enumerate(plan.diagnostics.unmet):
        key = (line.period, line.workload)
        listed.add(key)
        given = unmet.get(key)
        if given is None or abs(given - line.requests_per_s) > 1e-6 + 1e-9 * abs(given):
            what = "no such workload line" if given is None else f"the workload line says {given:g} req/s"
            f.add(
                f"diagnostics.unmet[{i}].requests_per_s",
                "diagnostics",
                f"{line.requests_per_s:g}, but {what}",
            )
    for (period, workload), value in unmet.items():
        if value >= UNMET_TOL and (period, workload) not in listed:
            f.add(
                "diagnostics.unmet",
                "diagnostics",
                f"workload '{workload}' leaves {value:g} req/s unmet in period '{period}', with no line here",
            )
    share = missing / demanded if demanded > 0 else 0.0
    if abs(plan.diagnostics.unmet_share - share) > 1e-6:
        f.add(
            "diagnostics.unmet_share",
            "diagnostics",
            f"{plan.diagnostics.unmet_share:g}, but the unmet lines make {share:.6f}",
        )
    for i, relax in enumerate(plan.diagnostics.relaxations):
        saving = objective - relax.objective_usd
        if abs(relax.saving_usd - saving) > 0.01 + 1e-6 * abs(objective):
            f.add(
                f"diagnostics.relaxations[{i}].saving_usd",
                "diagnostics",
                f"{usd(relax.saving_usd)}, but the objective {usd(objective)} minus "
                f"{usd(relax.objective_usd)} is {usd(saving)}",
            )


def check_solver_and_baselines(ctx: Context, f: Findings, objective: float) -> None:
    """The gap is (objective - bound) / objective; each baseline's saving is against the objective."""
    solver = ctx.plan.solver
    if objective > 1e-9:
        gap = max(0.0, (objective - solver.bound_usd) / objective)
        if abs(solver.gap - gap) > FRACTION_TOL:
            f.add("solver.gap", "summary", f"{solver.gap:g}, but the objective and bound make {gap:.6f}")
    for i, base in enumerate(ctx.plan.baselines):
        if base.usd is None or base.usd <= 0:
            continue
        saving = (base.usd - objective) / base.usd
        if base.saving_fraction is None or abs(base.saving_fraction - saving) > FRACTION_TOL:
            f.add(
                f"baselines[{i}].saving_fraction",
                "summary",
                f"{base.saving_fraction}, but {usd(base.usd)} against the objective {usd(objective)} "
                f"is {saving:.6f}",
            )
