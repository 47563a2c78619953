"""Time every stage of a planning run on generated instances and write ``docs/benchmarks.md``.

``python -m benchmarks.run [--sizes S,M,L] [--seed 1] [--time-limit 60]``

For each size the runner:

1. generates the instance folder (:mod:`benchmarks.generate`; not timed);
2. runs the pipeline in a **fresh subprocess** through the library's own stage functions, exactly
   what ``plan solve DIR -o plan.json`` does: :func:`planner.pipeline.load_problem` (load and
   check), then :func:`planner.pipeline.solve_problem` (options and performance model, model
   build, the engine's LP / rounding / MILP / duals stages, extraction), then
   :func:`planner.outputs.write_plan`. Every solver call is instrumented in that subprocess only
   (the hand-off to HiGHS, HiGHS's own run, the read-back into PuLP), the plan is re-checked with
   :func:`planner.verify.verify_plan` (not timed), the peak resident memory of the process is read
   (``ru_maxrss``), and the model is written as MPS with :func:`planner.outputs.write_model`
   (what ``--save-model`` writes; after the timed run, so it does not eat into the time limit);
3. in another fresh subprocess, reads that MPS file with ``highspy`` and solves its LP relaxation
   (option ``solve_relaxation=True``), timing the read and the solve separately: the run's
   **ratio to a direct highspy LP solve** is its total time over that solve;
4. optionally (``--profile``) runs the size once more under :mod:`cProfile` and keeps the top
   functions by cumulative and by own time.

It also times ``plan --help`` and ``plan catalog ...`` (best of 5 subprocesses) and, for S, the
real ``plan solve DIR`` command line (best of 3). Results are merged by size into
``benchmarks/results.json`` and rendered into ``docs/benchmarks.md``; the hand-written sections
``## Analysis`` and ``## Ideas tried`` of an existing ``docs/benchmarks.md`` are kept.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any, ClassVar

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results.json"
DOC = ROOT / "docs" / "benchmarks.md"
GiB = 1024.0**3
CLI = [sys.executable, "-c", "from planner.cli import main; main()"]


# --------------------------------------------------------------------------------------------------
# The worker: one size, one fresh process.
# --------------------------------------------------------------------------------------------------


class Probe:
    """Times every solver call of the engine, by engine stage, in this process only.

    Patches (this process only, never the library's files): the engine's stage functions, to know
    which stage a solver call belongs to; the solve entry points for each call's total
    (``planner.engine._solve`` for whole-model solves, ``planner.engine.sift_relaxation`` for a
    sifted relaxation, ``planner.periods.solve_arrays`` for a period's MILP); the hand-off parts
    (``build_matrix``, the one walk of the PuLP model, made in the first solve; ``period_model``, a
    period's slice; ``solvers.arrays._configure`` and ``_highs_lp``; ``highspy.Highs.passModel``
    and ``addCols``); and ``highspy.Highs.run`` (HiGHS's run). The rest of a call (the read-back:
    values into arrays, and for whole-model solves into PuLP) is the read-back.
    """

    #: engine function -> stage (the outermost one running decides); calls outside them: "other",
    #: except MIP calls, which only the MILP stage makes.
    STAGES: ClassVar[dict[str, str]] = {
        "solve_relaxation": "lp",
        "round_plan": "rounding",
        "_improve": "milp",
        "_improve_by_period": "milp",
        "_fixed_lp": "duals",
    }

    def __init__(self) -> None:
        self.stack: list[str] = []
        self.calls: list[dict[str, Any]] = []
        self.current: dict[str, Any] | None = None
        self.lp_objective: float | None = None
        self.patched: list[str] = []

    def install(self) -> None:
        """Install the wrappers (in this process)."""
        import highspy

        import planner.engine as engine
        import planner.formulation.matrix as matrix
        import planner.periods as periods
        import solvers.arrays as arrays

        for name, stage in self.STAGES.items():
            if hasattr(engine, name):
                setattr(engine, name, self._staged(getattr(engine, name), stage))
                self.patched.append(f"planner.engine.{name}")
        # the sifted relaxation is a solver call of its own; inside _solve it is part of that call
        for module, name in ((engine, "_solve"), (engine, "sift_relaxation"), (periods, "solve_arrays")):
            setattr(module, name, self._call(getattr(module, name)))
            self.patched.append(f"{module.__name__}.{name}")
        for owner, name, part in (
            (matrix, "build_matrix", "handoff_s"),  # called by matrix_of, the engine's first solve
            (periods, "period_model", "handoff_s"),
            (arrays, "_configure", "handoff_s"),
            (arrays, "_highs_lp", "handoff_s"),
            (highspy.Highs, "passModel", "handoff_s"),
            (highspy.Highs, "addCols", "handoff_s"),  # sifting's columns
            (highspy.Highs, "run", "highs_s"),
        ):
            setattr(owner, name, self._part(getattr(owner, name), part))
            self.patched.append(f"{getattr(owner, '__name__', owner)}.{name}")

    def _staged(self, fn: Callable[..., Any], stage: str) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            self.stack.append(stage)
            try:
                out = fn(*args, **kwargs)
            finally:
                self.stack.pop()
            if stage == "lp" and isinstance(out, tuple) and out and self.lp_objective is None:
                self.lp_objective = getattr(out[0], "objective", None)
            return out

        return wrapper

    def _call(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if self.current is not None:  # nested (a sift inside _solve): part of the outer call
                return fn(*args, **kwargs)
            mip = bool(kwargs.get("mip"))
            stage = self.stack[0] if self.stack else ("milp" if mip else "other")
            rec: dict[str, Any] = {
                "stage": stage,
                "mip": mip,
                "handoff_s": 0.0,
                "highs_s": 0.0,
                "readback_s": 0.0,
            }
            self.current = rec
            began = time.perf_counter()
            try:
                out = fn(*args, **kwargs)
            finally:
                rec["call_s"] = time.perf_counter() - began
                self.current = None
                self.calls.append(rec)
            rec["status"] = getattr(out, "status", None)
            rec["detail"] = getattr(out, "detail", None)
            return out

        return wrapper

    def _part(self, fn: Callable[..., Any], part: str) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                if self.current is not None:
                    self.current[part] += time.perf_counter() - began

        return wrapper

    def summary(self) -> dict[str, Any]:
        """Totals over all calls, and the LP relaxation's own figures."""
        out: dict[str, Any] = {
            "solver_calls": len(self.calls),
            "mip_calls": sum(c["mip"] for c in self.calls),
        }
        for key in ("handoff_s", "highs_s", "readback_s", "call_s"):
            out[key] = sum(c[key] for c in self.calls)
        # what PuLP's lp.solve does besides the three parts (status, flags) counts as read-back
        out["readback_s"] += out["call_s"] - out["handoff_s"] - out["highs_s"] - out["readback_s"]
        lp = [c for c in self.calls if c["stage"] == "lp"]
        out["lp_handoff_s"] = sum(c["handoff_s"] for c in lp)
        out["lp_highs_s"] = sum(c["highs_s"] for c in lp)
        out["lp_readback_s"] = sum(c["call_s"] - c["handoff_s"] - c["highs_s"] for c in lp)
        per_stage: dict[str, dict[str, float]] = {}
        for c in self.calls:
            s = per_stage.setdefault(c["stage"], {"calls": 0, "highs_s": 0.0, "call_s": 0.0})
            s["calls"] += 1
            s["highs_s"] += c["highs_s"]
            s["call_s"] += c["call_s"]
        out["per_stage"] = per_stage
        out["lp_objective"] = self.lp_objective
        out["calls"] = self.calls
        out["patched"] = self.patched
        return out


def _settings_for(instance: Path, time_limit_s: float) -> tuple[Path, Any, dict[str, Any]]:
    from planner.api import make_settings
    from planner.pipeline import resolve_demand_path

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
        write_model(solved.model.prob, args.model_file)
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
        "n_integer": sum(len(a) for a in model.integer_arrays().values()),
        "families": {
            k: len(getattr(model, k)) for k in ("route", "api", "unmet", "replicas", "supply", "commit")
        },
        "rows_by_family": {k: len(rows) for k, (rows, _ix) in model.rows.items()},
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

    h = highspy.Highs()
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


# --------------------------------------------------------------------------------------------------
# The parent: generate, spawn workers, collect, render.
# --------------------------------------------------------------------------------------------------


def _spawn(argv: list[str], timeout: float) -> tuple[int, str, float]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    began = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", *argv],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return proc.returncode, (proc.stdout + proc.stderr)[-4000:], time.monotonic() - began


def best_of(cmd: list[str], n: int, cwd: Path = ROOT) -> tuple[float, int]:
    """Best wall time of ``n`` runs of ``cmd`` (stdout discarded) and the last exit code."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    best, rc = float("inf"), 0
    for _ in range(n):
        began = time.perf_counter()
        rc = subprocess.run(
            cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
        ).returncode
        best = min(best, time.perf_counter() - began)
    return best, rc


def cli_timings() -> dict[str, Any]:
    """``plan --help`` and ``plan catalog KIND`` (table output), best of 5 each."""
    out = {}
    for label, extra in (
        ("plan --help", ["--help"]),
        ("plan catalog accelerators", ["catalog", "accelerators"]),
        ("plan catalog models", ["catalog", "models"]),
        ("plan catalog apis", ["catalog", "apis"]),
    ):
        seconds, rc = best_of([*CLI, *extra], 5)
        out[label] = {"best_s": seconds, "rc": rc}
    return out


def run_size(
    size: str, seed: int, time_limit: float | None, workdir: Path, profile: bool, cli_runs: int, top: int
) -> dict[str, Any]:
    """Generate, time, solve directly and (optionally) profile one size; return its record."""
    from benchmarks.generate import SIZES, write_instance

    limit = SIZES[size].time_limit_s if time_limit is None else time_limit
    instance = workdir / f"{size}-seed{seed}"
    write_instance(size, seed, instance, limit)
    meta = json.loads((instance / "instance.json").read_text(encoding="utf-8"))
    model_file = instance / "model.mps"
    result_file = instance / "result.json"
    rec: dict[str, Any] = {
        "size": size,
        "seed": seed,
        "time_limit_s": limit,
        "instance": meta,
        "instance_dir": str(instance),
    }
    print(f"[{size}] solving (time limit {limit:g} s) ...", flush=True)
    rc, log, wall = _spawn(
        [
            "--worker",
            "--instance",
            str(instance),
            "--time-limit",
            str(limit),
            "--model-file",
            str(model_file),
            "--result",
            str(result_file),
        ],
        timeout=3 * limit + 1800,
    )
    rec["worker_wall_s"] = wall
    if rc != 0:
        rec["error"] = f"worker exit {rc}: {log}"
        print(rec["error"], flush=True)
        return rec
    rec.update(json.loads(result_file.read_text(encoding="utf-8")))
    print(
        f"[{size}] total {rec['total_s']:.2f} s, gap vs LP {rec['gap_vs_lp']}, "
        f"peak {rec['peak_rss_gib']:.2f} GiB",
        flush=True,
    )
    direct_file = instance / "direct.json"
    rc, log, _ = _spawn(["--direct-lp", str(model_file), "--result", str(direct_file)], timeout=3600)
    if rc == 0:
        rec["direct"] = json.loads(direct_file.read_text(encoding="utf-8"))
        rec["ratio_to_direct_lp"] = rec["total_s"] / max(rec["direct"]["run_s"], 1e-9)
        print(
            f"[{size}] direct highspy LP {rec['direct']['run_s']:.2f} s "
            f"-> ratio {rec['ratio_to_direct_lp']:.1f}",
            flush=True,
        )
    else:
        rec["direct_error"] = log
    model_file.unlink(missing_ok=True)  # large; rerun the size (or plan solve --save-model) to get it back
    if cli_runs:
        seconds, code = best_of(
            [*CLI, "solve", str(instance), "-o", str(instance / "plan-cli.json")], cli_runs
        )
        rec["cli_solve"] = {"best_s": seconds, "rc": code, "runs": cli_runs}
        print(f"[{size}] plan solve (CLI) best of {cli_runs}: {seconds:.2f} s", flush=True)
    if profile:
        prof_file = instance / "profile.json"
        rc, log, _ = _spawn(
            [
                "--profile-worker",
                "--instance",
                str(instance),
                "--time-limit",
                str(limit),
                "--result",
                str(prof_file),
                "--top",
                str(top),
            ],
            timeout=3 * limit + 1800,
        )
        rec["profile"] = json.loads(prof_file.read_text(encoding="utf-8")) if rc == 0 else {"error": log}
    return rec


def environment() -> dict[str, Any]:
    """Machine and versions."""
    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kib = 0
    with open("/proc/meminfo", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("MemTotal"):
                mem_kib = int(line.split()[1])
    versions = {"python": platform.python_version()}
    for pkg in ("pulp", "highspy", "pandas", "numpy", "pydantic"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = "not installed"
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "planner", "solvers", "catalogs"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": cpu,
        "ram_gib": mem_kib / 1024**2,
        "platform": platform.platform(),
        "versions": versions,
        "git": commit + (" + uncommitted library changes" if dirty else ""),
        "library_digest": library_digest(),
    }


def _library_version() -> dict[str, str]:
    """The git hash and source digest now (after a size's run), as :func:`environment` words them."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "planner", "solvers", "catalogs"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {
        "git": commit + (" + uncommitted library changes" if dirty else ""),
        "library_digest": library_digest(),
    }


def library_digest() -> str:
    """A short digest of the library's source as run (it changes while people work on it)."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(
        [*ROOT.glob("planner/**/*.py"), *ROOT.glob("solvers/*.py"), *ROOT.glob("catalogs/*.yaml")]
    ):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def load_results(path: Path) -> dict[str, Any]:
    """Stored results (by size), or an empty store."""
    if path.is_file():
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return data
    return {"sizes": {}, "cli": None}


def main(argv: list[str] | None = None) -> None:
    """Command line (see the module docstring)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="S,M,L", help="comma-separated sizes: S, M, L, XL (default S,M,L)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--time-limit", type=float, default=None, help="time limit of every size, s (default: 60; XL 300)"
    )
    parser.add_argument(
        "--profile", default="S,M,L,XL", help="sizes also run under cProfile (default all; '' none)"
    )
    parser.add_argument("--top", type=int, default=25, help="functions kept per profile listing")
    parser.add_argument("--cli-runs", type=int, default=3, help="timed `plan solve DIR` runs for S (0: none)")
    parser.add_argument(
        "--workdir", default=None, help="where instances go (default: a new temporary folder)"
    )
    parser.add_argument(
        "--skip-startup", action="store_true", help="do not time `plan --help` / `plan catalog` this time"
    )
    parser.add_argument("--results", default=str(RESULTS), help="JSON store of results, merged by size")
    parser.add_argument("--doc", default=str(DOC), help="markdown file to write ('' to skip)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--profile-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--direct-lp", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--instance", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--model-file", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--result", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args)
        return
    if args.profile_worker:
        profile_worker(args)
        return
    if args.direct_lp:
        direct_lp(args)
        return
    from benchmarks.generate import SIZES

    sizes = [s.strip().upper() for s in args.sizes.split(",") if s.strip()]
    for s in sizes:
        if s not in SIZES:
            parser.error(f"unknown size {s!r}; valid: {', '.join(SIZES)}")
    profiled = {s.strip().upper() for s in args.profile.split(",") if s.strip()}
    workdir = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="fleetplan-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    command = "python -m benchmarks.run " + " ".join(
        shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:])
    )
    env = environment()
    store = load_results(Path(args.results))
    if not args.skip_startup:
        print("timing plan --help / plan catalog ...", flush=True)
        store["cli"] = {"results": cli_timings(), "command": command, "date": _now(), "environment": env}
    for size in sizes:
        rec = run_size(
            size,
            args.seed,
            args.time_limit,
            workdir,
            size in profiled,
            args.cli_runs if size == "S" else 0,
            args.top,
        )
        # the library may change between sizes (others commit while a long run goes on): per size
        rec.update({"command": command, "date": _now(), "environment": {**env, **_library_version()}})
        store["sizes"][size] = rec
        Path(args.results).write_text(json.dumps(store, indent=1, default=float) + "\n", encoding="utf-8")
    if args.doc:
        from benchmarks.report import write_doc

        write_doc(store, Path(args.doc))
        print(f"wrote {args.doc}")


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


if __name__ == "__main__":
    main()
