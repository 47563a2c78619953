"""The benchmark workers, each run in a fresh process by :mod:`benchmarks.run`.

``--worker`` times one size stage by stage (:func:`worker`), ``--direct-lp`` solves a saved model's
LP relaxation with highspy (:func:`direct_lp`), ``--profile-worker`` runs a size under cProfile
(:func:`profile_worker`); each writes a JSON record to ``--result``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import time
from pathlib import Path
from typing import Any

from benchmarks.environment import ROOT, library_digest
from benchmarks.probe import Probe

GiB = 1024.0**3


def _settings_for(instance: Path, time_limit_s: float) -> tuple[Path, Any, dict[str, Any]]:
    from planner.api import make_settings
    from planner.optionsfile import resolve_demand_path

    demand_file, folder = resolve_demand_path(instance)
    merged = {**folder, "time_limit": time_limit_s}
    return demand_file, make_settings(merged), merged


def timed_run(instance: Path, time_limit_s: float, plan_path: Path) -> dict[str, Any]:
    """One ``plan solve``-equivalent run, stage by stage (call in a fresh process)."""
    from planner.outputs import write_plan
    from planner.pipeline import load_problem, solve_problem

    demand_file, settings, merged = _settings_for(instance, time_limit_s)
    t0 = time.monotonic()
    problem = load_problem(demand_file, list(merged.get("catalog", [])), merged.get("profiles"), settings)
    load_s = time.monotonic() - t0
    solved = solve_problem(problem, started=t0)
    t1 = time.monotonic()
    write_plan(solved.plan, plan_path)
    write_s = time.monotonic() - t1
    total_s = time.monotonic() - t0
    return {
        "problem": problem,
        "solved": solved,
        "load_s": load_s,
        "write_s": write_s,
        "total_s": total_s,
        "settings": settings.model_dump(mode="json"),
    }


def _preimport() -> None:
    """What ``plan solve`` has imported before its clock starts (the CLI imports these first)."""
    import importlib

    for module in ("planner.api", "planner.engine", "planner.outputs", "planner.pipeline", "solvers.highs"):
        importlib.import_module(module)


def worker(args: argparse.Namespace) -> None:
    """``--worker``: time one size in this (fresh) process; write a JSON record to ``--result``."""
    import resource

    began = time.monotonic()
    _preimport()
    import_s = time.monotonic() - began
    probe = Probe()
    probe.install()
    instance = Path(args.instance)
    run = timed_run(instance, args.time_limit, instance / "plan.json")
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    solved, problem = run["solved"], run["problem"]
    record = _record(run, probe.summary(), import_s, peak_kib)
    from planner.verify import verify_plan

    t = time.monotonic()
    problems = verify_plan(solved.plan, problem)
    record["verify_s"] = time.monotonic() - t
    record["library_digest"] = library_digest()
    record["verify_problems"] = [str(p) for p in problems[:10]]
    record["verify_ok"] = not problems
    if args.model_file:
        from planner.outputs import write_model

        t = time.monotonic()
        model = solved.model
        write_model(model.arrays, model.column_names, model.row_names, args.model_file)
        record["save_model_s"] = time.monotonic() - t
        record["model_file_bytes"] = os.path.getsize(args.model_file)
    Path(args.result).write_text(json.dumps(record, indent=1, default=float), encoding="utf-8")


def _record(run: dict[str, Any], probe: dict[str, Any], import_s: float, peak_kib: int) -> dict[str, Any]:
    solved = run["solved"]
    t = dict(solved.timings)
    result, plan, model = solved.result, solved.plan, solved.model
    lp_obj = probe.get("lp_objective")
    objective = float(result.objective_usd)
    gap_lp = (
        None if lp_obj is None else (0.0 if objective <= 1e-9 else max(0.0, (objective - lp_obj) / objective))
    )
    engine_s = sum(t.get(k, 0.0) for k in ("lp_s", "rounding_s", "milp_s", "duals_s"))
    record: dict[str, Any] = {
        "import_s": import_s,
        "load_s": run["load_s"],
        "options_s": t.get("options_s"),
        "build_s": t.get("build_s"),
        "lp_s": t.get("lp_s"),
        "rounding_s": t.get("rounding_s"),
        "milp_s": t.get("milp_s"),
        "duals_s": t.get("duals_s"),
        "baselines_s": t.get("baselines_s"),
        "extract_s": t.get("extract_s"),
        "write_s": run["write_s"],
        "total_s": run["total_s"],
        "engine_python_s": engine_s - probe["call_s"],
        "peak_rss_gib": peak_kib * 1024.0 / GiB,
        "n_variables": model.n_variables,
        "n_constraints": model.n_constraints,
        "n_integer": sum(model.size(name) for name in model.integer_blocks),
        "families": {name: block.size for name, block in model.variables.items()},
        "rows_by_family": {name: block.size for name, block in model.constraints.items()},
        "status": result.status,
        "stage": result.stage,
        "objective_usd": objective,
        "bound_usd": float(result.bound_usd),
        "lp_bound_usd": lp_obj,
        "gap_vs_lp": gap_lp,
        "gap_reported": float(plan.solver.gap),
        "stopped_by": getattr(plan.solver, "stopped_by", None),
        "reductions": [
            {"rule": x.rule, "applied": x.applied, "removed": x.removed, "reason": x.reason}
            for x in getattr(plan.solver, "reductions", ())
        ],
        "unmet_requests": float(plan.unmet_requests),
        "settings": run["settings"],
        "probe": probe,
    }
    return record


def direct_lp(args: argparse.Namespace) -> None:
    """``--direct-lp MPS``: read the saved model with highspy and solve its LP relaxation."""
    import resource

    import highspy

    h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.setOptionValue("output_flag", False)
    t = time.perf_counter()
    h.readModel(args.direct_lp)
    read_s = time.perf_counter() - t
    h.setOptionValue("solve_relaxation", True)
    t = time.perf_counter()
    h.run()
    run_s = time.perf_counter() - t
    info = h.getInfo()
    record = {
        "read_s": read_s,
        "run_s": run_s,
        "status": h.modelStatusToString(h.getModelStatus()),
        "objective": float(info.objective_function_value),
        "iterations": int(info.simplex_iteration_count),
        "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024.0 / GiB,
    }
    Path(args.result).write_text(json.dumps(record), encoding="utf-8")


def profile_worker(args: argparse.Namespace) -> None:
    """``--profile-worker``: the same run under cProfile; top functions to ``--result``."""
    import cProfile
    import io
    import pstats

    _preimport()
    instance = Path(args.instance)
    prof = cProfile.Profile()
    prof.enable()
    run = timed_run(instance, args.time_limit, instance / "plan-profiled.json")
    prof.disable()
    out: dict[str, Any] = {
        "total_s": run["total_s"],
        "timings": dict(run["solved"].timings),
        "library_digest": library_digest(),
    }
    for key in ("cumulative", "tottime"):
        buf = io.StringIO()
        stats = pstats.Stats(prof, stream=buf)
        stats.sort_stats(key).print_stats(args.top)
        out[key] = _trim_pstats(buf.getvalue())
    Path(args.result).write_text(json.dumps(out), encoding="utf-8")


def _trim_pstats(text: str) -> str:
    """The pstats table without its preamble, paths shortened to the repository or site-packages."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls")), 0)
    body = "\n".join(line.rstrip() for line in lines[start:] if line.strip())
    body = body.replace(str(ROOT) + "/", "")
    return re.sub(r"\S*/site-packages/", "", body)
