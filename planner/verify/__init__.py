"""An independent plan verifier: it re-derives everything from the plan's lines and the inputs.

It reads the plan's own lines (accelerator lines, commitments, deployments, routes, unmet rates),
the demand, the catalogs, the performance model and the measured profiles, under the settings it
is given (never those the plan records), and trusts no summary field. It checks that:

* the periods and their hours are the demand's; every demand row has a workload line, and its
  demand equals its routes plus its unmet line;
* every route names a workload of the period and an existing target that serves it: a deployment
  whose model is the pinned model or meets the quality floor and whose layout meets the row's
  latency targets for its request size, or an allowed API offer serving the model or floor within
  its context; api_only rows are not self-hosted, self_host_only rows use no API;
* routed load fits each deployment's replicas at the target utilisation (capacities re-derived);
  its capacity, utilisation and usd figures are what they summarise;
* chips bought (on-demand, spot, committed) cover the replicas per period and accelerator; spot
  share, ``--max-chips``, ``--whole-nodes``, max_api_share, API rate limits, min_replicas, budget;
* every accelerator line, commitment and API route re-prices from the catalog to the cent, and
  every total (period usd, workload lines, cost_usd parts, objective_usd, diagnostics, baselines,
  the solver's gap) equals what it summarises.

Each problem names its place (a JSON path such as ``periods[2].routing[0].requests_per_s``).
Warnings (never failures): inputs whose fingerprints differ from those the plan records (first),
a forecast read otherwise than the plan records, and checked settings that differ from the
recorded ones. A workloads file other than the one a forecast plan records is a problem
(``inputs.forecast.workloads_sha256``, check ``forecast``).
"""

from __future__ import annotations

from planner.pipeline import Problem
from planner.plan import Plan
from planner.verify.context import Context, PeriodState
from planner.verify.findings import Finding, Findings, VerifyReport
from planner.verify.fleet import (
    check_accelerator_lines,
    check_chips,
    check_commitments,
    check_fleet_changes,
    check_owned,
)
from planner.verify.inputs import fingerprint_hints, forecast_problems, forecast_warnings, settings_warnings
from planner.verify.routing import (
    check_deployments,
    check_limits,
    check_loads,
    check_routes,
    check_workloads,
    estimate_for,
)
from planner.verify.totals import check_diagnostics, check_solver_and_baselines, check_totals

__all__ = ["Finding", "VerifyReport", "verify", "verify_plan"]


def verify(plan: Plan, problem: Problem) -> VerifyReport:
    """Check ``plan`` against ``problem``: the problems found and the warnings about the inputs."""
    problems = forecast_problems(plan, problem) + verify_plan(plan, problem)
    warnings = (
        fingerprint_hints(plan, problem) + forecast_warnings(plan, problem) + settings_warnings(plan, problem)
    )
    return VerifyReport(ok=not problems, problems=tuple(problems), warnings=tuple(warnings))


def verify_plan(plan: Plan, problem: Problem) -> list[Finding]:
    """Every problem found in ``plan`` (an empty list: the plan holds)."""
    ctx = Context(plan, problem)
    f = Findings()
    states = _period_states(ctx, f)
    periods = [plan.periods[s.index] for s in states]
    for state, period in zip(states, periods, strict=True):
        check_accelerator_lines(ctx, f, state, period)
        check_owned(ctx, f, state, period)
        check_deployments(ctx, f, state, period)
    charged_beyond = check_commitments(ctx, f, states)
    check_fleet_changes(ctx, f, states, periods)
    estimate_for(ctx, states, periods)
    for state, period in zip(states, periods, strict=True):
        check_routes(ctx, f, state, period)
        check_loads(ctx, f, state, period)
        check_workloads(ctx, f, state, period)
        check_chips(ctx, f, state, period)
        check_limits(ctx, f, state, period)
    objective = check_totals(ctx, f, states, charged_beyond)
    check_diagnostics(ctx, f, states, objective)
    check_solver_and_baselines(ctx, f, objective)
    return f.items


def _period_states(ctx: Context, f: Findings) -> list[PeriodState]:
    """The plan's periods matched to the demand's, in order; the others reported."""
    states: list[PeriodState] = []
    seen: set[str] = set()
    order = {label: i for i, label in enumerate(ctx.periods)}
    for i, period in enumerate(ctx.plan.periods):
        label = period.period
        if label not in order:
            f.add(f"periods[{i}].period", "period", f"'{label}' is not a period of the demand")
            continue
        if label in seen:
            f.add(f"periods[{i}].period", "period", f"period '{label}' appears twice")
            continue
        if states and order[label] < order[states[-1].label]:
            f.add(f"periods[{i}].period", "period", f"period '{label}' is out of the demand's order")
        seen.add(label)
        hours = float(ctx.hours[label])
        if abs(period.hours - hours) > 1e-9 * max(1.0, hours):
            f.add(f"periods[{i}].hours", "period", f"{period.hours:g} h, but the demand gives {hours:g} h")
        states.append(PeriodState(i, label, hours, ctx.rows.get(label, {})))
    for label in ctx.periods:
        if label not in seen:
            f.add("periods", "period", f"the demand's period '{label}' is missing from the plan")
    return states
