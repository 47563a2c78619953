"""Warnings about the inputs: fingerprints that differ, and settings that differ from the recorded ones.

A plan solved from a forecast records how it was read (``inputs.forecast``): ``plan verify`` reads
the forecast the same way unless told otherwise (:func:`recorded_forecast_options`), warns about
each selection option verified under another value, and fails when the workloads file is not the
one the plan was made with (:func:`forecast_problems`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

from planner.demand._options import FORECAST_KEYS, forecast_tool
from planner.errors import InputError, Location
from planner.pipeline import Problem, catalog_sha256, forecast_inputs
from planner.plan import Plan
from planner.verify.findings import Finding

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
    return _differences(
        "inputs.settings",
        CHECKED_SETTINGS,
        plan.inputs.settings,
        problem.settings.model_dump(mode="json"),
        "from the command line, options.yaml or the default; ",
    )


def _differences(
    section: str, keys: Sequence[str], recorded: Mapping[str, Any], given: Mapping[str, Any], source: str = ""
) -> list[str]:
    """One warning per key whose verified value differs from the one the plan records."""
    out = []
    for key in keys:
        mine, theirs = given.get(key), recorded.get(key)
        if _norm(mine) != _norm(theirs):
            flag = "--" + key.replace("_", "-")
            out.append(
                f"{section}.{key}: the plan records {_show(theirs)}, verified with {_show(mine)} "
                f"({source}give {flag} to verify under the other)"
            )
    return out


def _norm(value: object) -> str:
    try:
        return json.dumps(value, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return repr(value)


def _show(value: object) -> str:
    return "nothing" if value is None else _norm(value)[:80]


def recorded_forecast_options(
    plan: Plan, demand_file: str | os.PathLike[str], given: Mapping[str, Any]
) -> dict[str, Any]:
    """The forecast options the plan records that ``given`` (flags over options.yaml) leaves out.

    Only for a plan with ``inputs.forecast`` verified against a forecast file; ``{}`` otherwise.

    Raises:
        InputError: the recorded workloads file is not there (and no ``--workloads`` was given).
    """
    record = plan.inputs.forecast
    if record is None or forecast_tool(demand_file) is None:
        return {}
    recorded: dict[str, Any] = {"workloads": record.workloads_file}
    recorded |= {key: getattr(record, key) for key in FORECAST_KEYS}
    missing = {key: value for key, value in recorded.items() if given.get(key) is None and value is not None}
    if "workloads" in missing and not os.path.isfile(record.workloads_file):
        raise InputError(
            f"the plan was made with the workloads file {record.workloads_file} "
            "(inputs.forecast.workloads_file), which is not there",
            Location(file=os.fspath(demand_file)),
            "give --workloads FILE (workloads: in options.yaml)",
        )
    return missing


def forecast_problems(plan: Plan, problem: Problem) -> list[Finding]:
    """A workloads file other than the one the plan records (the plan was made for other series)."""
    record, given = plan.inputs.forecast, forecast_inputs(problem.demand)
    if record is None or given is None or record.workloads_sha256 == given.workloads_sha256:
        return []
    message = (
        f"the workloads file {given.workloads_file} differs from the one the plan was made with "
        f"({record.workloads_file}, workloads_sha256): the series' attributes are not those it was "
        "planned for"
    )
    return [Finding(place="inputs.forecast.workloads_sha256", check="forecast", message=message)]


def forecast_warnings(plan: Plan, problem: Problem) -> list[str]:
    """The forecast read otherwise than the plan records (another column, option or no forecast)."""
    record, given = plan.inputs.forecast, forecast_inputs(problem.demand)
    if record is None:
        return []
    if given is None:
        return [
            f"this plan was provisioned for {record.label} of a forecast (inputs.forecast), but "
            f"{problem.demand.path} was read as a demand.csv"
        ]
    out = []
    if (record.column, record.model) != (given.column, given.model):
        out.append(
            f"inputs.forecast: the plan was provisioned for {record.label}, verified against {given.label}"
        )
    values = {key: getattr(given, key) for key in FORECAST_KEYS}
    return out + _differences(
        "inputs.forecast", FORECAST_KEYS, {key: getattr(record, key) for key in FORECAST_KEYS}, values
    )
