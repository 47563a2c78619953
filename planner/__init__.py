"""fleetplan: capacity planning for AI inference fleets as a mixed-integer program.

The Python API mirrors the CLI::

    import planner
    catalog = planner.load_catalog()
    est = planner.estimate("llama-3.1-8b", "h100-sxm", input_tokens=1000, output_tokens=200, tpot_ms=50)
    solved = planner.solve("examples/chat-fleet")      # a demand.csv or a folder holding one
    print(solved.plan.objective_usd)
    planner.export(solved.plan, "kubernetes", "deploy/")  # or a plan JSON file; formats: planner.exports
    planner.report(solved.plan, "report.html")
    rows = planner.breakeven("qwen3-8b", "h100-sxm", shapes=["1000:200"])  # self-hosting vs the APIs
    planner.import_profiles(["bench.json"], "profiles.csv", accelerator=["h100-sxm"])  # benchmark results
    planner.check_profiles("profiles.csv").flagged      # rows more than 2x off the model
    run = planner.whatif("examples/chat-fleet", {"scale-demand": 3})  # base and changed case
    print(run.comparison.difference()["objective_usd"])
    result = planner.sweep("examples/procurement/scenarios.yaml", "sweep-out")  # plan sweep

Names are imported lazily so that ``plan --help`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "load_catalog": "planner.catalog.load",
    "estimate": "planner.api",
    "breakeven": "planner.break_even",
    "solve": "planner.api",
    "make_settings": "planner.api",
    "export": "planner.api",
    "report": "planner.api",
    "sweep": "planner.sweeps.run",
    "verify_plan": "planner.verify",
    "verify_plan_file": "planner.api",
    "diff": "planner.api",
    "read_plan": "planner.planfile",
    "load_demand": "planner.demand",
    "load_forecast": "planner.demand.forecast",
    "ForecastOptions": "planner.demand.forecast",
    "load_profiles": "planner.profiles",
    "import_profiles": "planner.profiles.imports",
    "check_profiles": "planner.profiles.check",
    "load_problem": "planner.pipeline",
    "solve_problem": "planner.pipeline",
    "write_plan": "planner.outputs",
    "Plan": "planner.plan",
    "ForecastInputs": "planner.plan",
    "SolveSettings": "planner.settings",
    "InputError": "planner.errors",
    "PlannerError": "planner.errors",
}

#: Subpackages that are also functions: ``planner.whatif(...)`` runs a what-if.
_CALLABLE_PACKAGES = ("whatif",)

__all__ = sorted([*_EXPORTS, *_CALLABLE_PACKAGES])


def __getattr__(name: str) -> Any:
    """Import public names on first use."""
    if name in _CALLABLE_PACKAGES:
        return importlib.import_module(f"planner.{name}")
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'planner' has no attribute {name!r}")
