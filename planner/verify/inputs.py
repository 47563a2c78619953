"""Warnings about the inputs: fingerprints that differ, and settings that differ from the recorded ones."""

from __future__ import annotations

import json

from planner.pipeline import Problem, catalog_sha256
from planner.plan import Plan

#: The settings the checks read; the others (solver, time limit, ...) do not change what holds.
CHECKED_SETTINGS = (
    "accelerators",
    "apis",
    "target_utilization",
    "max_spot_share",
    "commitment_cost",
    "max_chips",
    "budget_usd",
    "whole_nodes",
    "unmet_penalty_usd_per_request",
)


def fingerprint_hints(plan: Plan, problem: Problem) -> list[str]:
    """Catalogs, profiles or demand other than those the plan was made from (printed first)."""
    hints = []
    recorded = plan.inputs
    if recorded.catalog_sha256 != catalog_sha256(problem.catalog):
        hints.append(
            "the catalogs differ from those the plan was made with (catalog_sha256): was it made with "
            "--catalog folders you did not give, or have the catalog files changed?"
        )
    hints += _optional_file_hint(
        recorded.profiles_sha256,
        problem.profiles.sha256 or None,
        "this plan was made with --profiles you did not give (profiles_sha256)",
        "this plan was made without profiles, but --profiles (or profiles.csv) was given",
        "the profiles differ from those the plan was made with (profiles_sha256)",
    )
    hints += _optional_file_hint(
        recorded.fleet_sha256,
        problem.fleet.sha256,
        "this plan was made with --fleet you did not give (fleet_sha256)",
        "this plan was made without a fleet, but --fleet (or fleet.csv) was given",
        "the fleet file differs from the one the plan was made with (fleet_sha256)",
    )
    if recorded.demand_sha256 != problem.demand.sha256:
        hints.append(
            "the demand file differs from the one the plan was made from "
            f"({recorded.demand_file}, demand_sha256)"
        )
    return hints


def _optional_file_hint(
    recorded: str | None, given: str | None, not_given: str, not_recorded: str, differs: str
) -> list[str]:
    """The hint for an optional input file whose hash the plan recorded (none when they agree)."""
    if recorded == given:
        return []
    if given is None:
        return [not_given]
    return [not_recorded if recorded is None else differs]


def settings_warnings(plan: Plan, problem: Problem) -> list[str]:
    """Each checked setting whose value differs from what the plan records it was made with."""
    given = problem.settings.model_dump(mode="json")
    recorded = plan.inputs.settings
    out = []
    for key in CHECKED_SETTINGS:
        mine, theirs = given.get(key), recorded.get(key)
        if _norm(mine) != _norm(theirs):
            flag = "--" + key.replace("_", "-")
            out.append(
                f"inputs.settings.{key}: the plan records {_show(theirs)}, verified with {_show(mine)} "
                f"(from the command line, options.yaml or the default; give {flag} to verify under the other)"
            )
    return out


def _norm(value: object) -> str:
    try:
        return json.dumps(value, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return repr(value)


def _show(value: object) -> str:
    return "nothing" if value is None else _norm(value)[:80]
