"""Small real plans for the verifier tests: a case folder on disk, solved once, with its problem.

The case: accelerators ``tgpu-a`` (on-demand $2, spot $0.80 per chip-hour, 10 req/s per replica)
and ``tgpu-b`` (on-demand $1, committed one year $0.30, 4 req/s); API ``tapi`` serves ``tmodel``
(rate limit 0.1 req/s) and ``tapi2`` serves ``tmodel2``. Workloads per period: ``chat`` (24 then
30 req/s), ``batch`` (6 then 7 req/s, min_replicas 2, no API share) and ``tiny`` (api_only, 0.05
then 0.08 req/s). With months (730 h) the fleet is on-demand + spot tgpu-a (4 replicas, then 5:
cheaper than any tgpu-b); with half years (4,380 h) it holds a one-year tgpu-b commitment.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import accelerator, api, build_case, write_csv

from planner.api import make_settings
from planner.pipeline import Problem, load_problem
from planner.plan import Plan
from planner.planfile import plan_from_data
from planner.verify import Finding, verify_plan

HEADER = (
    "period",
    "workload",
    "requests_per_s",
    "input_tokens",
    "output_tokens",
    "model",
    "hours",
    "api_only",
    "min_replicas",
    "max_api_share",
)
OPTIONS = {"accelerators": ("tgpu-a", "tgpu-b"), "apis": ("tapi", "tapi2"), "max_spot_share": 0.5}
OPTIONS_YAML = (
    "accelerators: [tgpu-a, tgpu-b]\napis: [tapi, tapi2]\nmax-spot-share: 0.5\nno-baselines: true\n"
)


def write_case(folder: Path, hours: float) -> Path:
    """Write the case folder (demand.csv, profiles.csv, catalog/, options.yaml); return it."""
    limited = {**api("tapi", 1.0, 2.0), "rate_limit_requests_per_s": 0.1}
    case = build_case(
        folder,
        accelerators=[accelerator("tgpu-a", 2.0, spot=0.8), accelerator("tgpu-b", 1.0, committed_1y=0.3)],
        rates={"tgpu-a": 10.0, "tgpu-b": 4.0},
        apis=[limited, api("tapi2", 1.0, 2.0, model="tmodel2")],
        models=[{"id": "tmodel", "precisions": ["bf16"]}, {"id": "tmodel2", "precisions": ["bf16"]}],
        demand=[],
    )
    rows = []
    for period, (chat, batch, tiny) in {"p1": (24, 6, 0.05), "p2": (30, 7, 0.08)}.items():
        rows += [
            (period, "chat", chat, 1000, 200, "tmodel", hours, "false", 0, 1),
            (period, "batch", batch, 1000, 200, "tmodel", hours, "false", 2, 0),
            (period, "tiny", tiny, 1000, 200, "tmodel", hours, "true", 0, 1),
        ]
    write_csv(case.demand, HEADER, rows)
    (folder / "options.yaml").write_text(OPTIONS_YAML, encoding="utf-8")
    return folder


@dataclass
class Solved:
    """A solved case: its folder, the plan as JSON data, and the problem it verifies against."""

    folder: Path
    data: dict[str, Any]
    problem: Problem

    def problems(
        self, tamper: Callable[[dict[str, Any]], object] | None = None, **settings: Any
    ) -> list[Finding]:
        """Verify the plan, tampered with by ``tamper`` (in place) and under other settings if given."""
        data = copy.deepcopy(self.data)
        if tamper is not None:
            tamper(data)
        plan = plan_from_data(data, "plan.json")
        problem = self.problem if not settings else self.problem_with(**settings)
        return verify_plan(plan, problem)

    def problem_with(self, **settings: Any) -> Problem:
        folder = self.folder
        return load_problem(
            folder / "demand.csv",
            [folder / "catalog"],
            folder / "profiles.csv",
            make_settings({**OPTIONS, **settings}),
        )

    @property
    def plan(self) -> Plan:
        return plan_from_data(copy.deepcopy(self.data), "plan.json")


def solve_case(folder: Path, empty_catalog: Path, hours: float, **settings: Any) -> Solved:
    """Write and solve the case with the shipped catalog replaced by an empty folder."""
    import planner.catalog.load as catalog_load
    from planner.api import solve

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(catalog_load, "shipped_catalog_dir", lambda: empty_catalog)
        write_case(folder, hours)
        solved = solve(folder, **{**OPTIONS, "mip_gap": 0.0, "baselines": False, **settings})
        data = solved.plan.model_dump(mode="json")
        problem = load_problem(
            folder / "demand.csv",
            [folder / "catalog"],
            folder / "profiles.csv",
            make_settings({**OPTIONS, **settings}),
        )
    return Solved(folder, data, problem)
