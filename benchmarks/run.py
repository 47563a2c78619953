"""Time every stage of a planning run on generated instances and write ``docs/benchmarks.md``.

``python -m benchmarks.run [--sizes S,M,L] [--seed 1] [--time-limit 60]``

For each size the runner:

1. generates the instance folder (:mod:`benchmarks.generate`; not timed);
2. runs the pipeline in a **fresh subprocess** through the library's own stage functions, exactly
   what ``plan solve DIR -o plan.json`` does: :func:`planner.pipeline.load_problem` (load and
   check), then :func:`planner.pipeline.solve_problem` (options and performance model, model
   build, the engine's LP / rounding / MILP / duals stages, extraction), then
   :func:`planner.outputs.write_plan`. Every solver call is instrumented in that subprocess only
   (the hand-off to HiGHS, HiGHS's own run, the read-back into labelled arrays), the plan is re-checked with
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

This module is the parent (options, spawning, merging, rendering); the workers are
:mod:`benchmarks.worker`, timing solver calls with :class:`benchmarks.probe.Probe`, and the machine
and versions recorded with each size come from :mod:`benchmarks.environment`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.environment import ROOT, environment, library_version
from benchmarks.worker import direct_lp, profile_worker, worker

RESULTS = Path(__file__).resolve().parent / "results.json"
DOC = ROOT / "docs" / "benchmarks.md"
CLI = [sys.executable, "-c", "from planner.cli import main; main()"]


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
        rec.update({"command": command, "date": _now(), "environment": {**env, **library_version()}})
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
