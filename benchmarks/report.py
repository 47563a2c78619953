"""Render stored benchmark results (``benchmarks/results.json``) as ``docs/benchmarks.md``.

``python -m benchmarks.report`` re-renders the document without running anything.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results.json"
DOC = ROOT / "docs" / "benchmarks.md"
KEPT_SECTIONS = ("## Sweeps", "## Budgets", "## Analysis", "## Ideas tried")
ORDER = ("S", "M", "L", "XL")
#: Outside-the-solver budget as a multiple of the LP relaxation's HiGHS time, by size.
OUTSIDE_BUDGET = {"M": 1.5, "L": 1.0, "XL": 1.0}


def _s(x: float | None, digits: int = 2) -> str:
    return "n/a" if x is None else f"{x:.{digits}f}"


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.3f} %"


def outside_solver_s(r: dict[str, Any]) -> float:
    """Load, options, build, every hand-off to and read-back from HiGHS, extraction."""
    p = r["probe"]
    parts = (r["load_s"], r["options_s"], r["build_s"], p["handoff_s"], p["readback_s"], r["extract_s"])
    return float(sum(parts))


def plan_solve_s(r: dict[str, Any]) -> float:
    """What ``plan solve`` costs: process imports plus load -> written plan."""
    return float(r.get("import_s", 0.0)) + float(r["total_s"])


def _bound_over_lp(r: dict[str, Any]) -> float | None:
    """How far the plan's bound (``solver.bound_usd``) is above the LP relaxation bound."""
    lp = r.get("lp_bound_usd")
    return None if not lp else (r["bound_usd"] - lp) / lp


def _stopped(r: dict[str, Any]) -> str:
    """``solver.stopped_by`` (records from before it existed: not recorded)."""
    return str(r.get("stopped_by") or "not recorded")


def _gaps(r: dict[str, Any]) -> str:
    return (
        f"gap {_pct(r['gap_reported'])} vs {_bound_name(r)}, {_pct(r['gap_vs_lp'])} vs LP bound; "
        f"status {r['status']}, stopped by {_stopped(r)}"
    )


def _bound_name(r: dict[str, Any]) -> str:
    """What ``bound_usd`` was: the valid bound since ``stopped_by`` exists, before that the pruned model's."""
    return "valid bound" if r.get("stopped_by") else "the plan's bound (pruned model)"


def current_digest(store: dict[str, Any]) -> str | None:
    """The library digest of the newest stored run (by date)."""
    dated = [(r.get("date", ""), r.get("library_digest")) for r in store.get("sizes", {}).values()]
    dated = [d for d in dated if d[1]]
    return max(dated)[1] if dated else None


def stale_note(r: dict[str, Any], current: str | None = None) -> str:
    """'' for a record of the exact solver (it records ``stopped_by``); else what it is from.

    A record without ``stopped_by`` comes from the library before exact reductions: its bound was
    the pruned model's, not a valid bound of the problem as posed.
    """
    if r.get("stopped_by") or "total_s" not in r:
        return ""
    env = r.get("environment") or {}
    return (
        f"previous library version (git {env.get('git', '?')}, digest `{r.get('library_digest', '?')}`, "
        f"{r.get('date', '?')}; inexact pruning, bound of the pruned model)"
        + (f": {r['note']}" if r.get("note") else "")
        + "; not re-measured"
    )


def targets(store: dict[str, Any]) -> list[tuple[str, str, bool | None]]:
    """(target, measured, met) for every target of the issue that has a measurement."""
    out: list[tuple[str, str, bool | None]] = []
    cli = (store.get("cli") or {}).get("results", {})
    for label, res in cli.items():
        out.append((f"`{label}` < 0.5 s (best of 5)", f"{res['best_s']:.3f} s", res["best_s"] < 0.5))
    sizes = store.get("sizes", {})
    r = sizes.get("S")
    if r and "total_s" in r:
        cli_s = (r.get("cli_solve") or {}).get("best_s")
        whole = cli_s if cli_s is not None else plan_solve_s(r)
        what = "`plan solve` command line" if cli_s is not None else "imports + run"
        out.append(("S: whole `plan solve` run < 3 s", f"{whole:.2f} s ({what})", whole < 3.0))
        out.append(
            (
                "S: proven optimal",
                f"status {r['status']}; {_gaps(r)}",
                r["status"] == "optimal",
            )
        )
    r = sizes.get("M")
    if r and "total_s" in r:
        out.append(("M: run < 30 s", f"{plan_solve_s(r):.2f} s", plan_solve_s(r) < 30.0))
        out.append(("M: gap < 1 % (vs the LP bound)", _gaps(r), r["gap_vs_lp"] < 0.01))
    r = sizes.get("L")
    if r and "total_s" in r:
        out.append(
            (
                f"L: within 3 % of the LP bound in < 60 s (time limit {r['time_limit_s']:g} s)",
                f"{_gaps(r)}; {plan_solve_s(r):.2f} s",
                r["gap_vs_lp"] <= 0.03 and plan_solve_s(r) < 60.0,
            )
        )
        out.append(("L: peak memory < 4 GiB", f"{r['peak_rss_gib']:.2f} GiB", r["peak_rss_gib"] < 4.0))
    r = sizes.get("XL")
    if r and "total_s" in r:
        out.append(
            (
                f"XL: within 5 % of the LP bound (time limit {r['time_limit_s']:g} s)",
                f"{_gaps(r)}; {plan_solve_s(r):.2f} s",
                r["gap_vs_lp"] <= 0.05,
            )
        )
        out.append(("XL: peak memory < 8 GiB", f"{r['peak_rss_gib']:.2f} GiB", r["peak_rss_gib"] < 8.0))
    for size, budget in OUTSIDE_BUDGET.items():
        r = sizes.get(size)
        if r and "total_s" in r:
            lp = r["probe"]["lp_highs_s"]
            outside = outside_solver_s(r)
            ratio = outside / lp if lp > 0 else float("inf")
            out.append(
                (
                    f"{size}: outside the solver < {budget:g} x LP solve",
                    f"{outside:.2f} s = {ratio:.2f} x {lp:.2f} s",
                    ratio < budget,
                )
            )
    return out


def size_table(r: dict[str, Any]) -> list[str]:
    """The results table of one size."""
    p = r["probe"]
    total = r["total_s"]
    per = p.get("per_stage", {})

    def row(name: str, sec: float | None, note: str = "") -> str:
        share = "" if sec is None or total <= 0 else f"{100 * sec / total:.1f} %"
        return f"| {name} | {_s(sec)} | {share} | {note} |"

    def calls(stage: str) -> str:
        s = per.get(stage)
        return "" if not s else f"{s['calls']} solver call(s), HiGHS {s['highs_s']:.2f} s"

    lines = [
        "| stage | seconds | share of run | notes |",
        "|---|---:|---:|---|",
        row("load and check (`load_problem`)", r["load_s"]),
        row("options / performance model (`build_options`)", r["options_s"]),
        row("model build (`build_model`)", r["build_s"]),
        row("LP relaxation (engine `lp_s`)", r["lp_s"]),
        row(
            "&nbsp;&nbsp;hand-off to HiGHS (LP)",
            p["lp_handoff_s"],
            "the live LP instance: arrays to HiGHS, sifting's working set and its columns",
        ),
        row("&nbsp;&nbsp;LP solve (HiGHS run)", p["lp_highs_s"]),
        row(
            "&nbsp;&nbsp;read-back + duals (LP)",
            r["lp_s"] - p["lp_handoff_s"] - p["lp_highs_s"],
            "solution arrays split per block",
        ),
        row("rounding (engine `rounding_s`)", r["rounding_s"], calls("rounding")),
        row("MILP (engine `milp_s`)", r["milp_s"], calls("milp") or "no MILP solved"),
        row("fixed LP for duals (engine `duals_s`)", r["duals_s"], calls("duals")),
        row("extraction (`extract_plan`)", r["extract_s"]),
        row("writing the plan (`write_plan`, JSON)", r["write_s"]),
        row("**whole run** (load -> written plan)", total),
        row("process imports (not in the run)", r.get("import_s")),
        "",
        "| measure | value |",
        "|---|---|",
        f"| variables (integer) | {r['n_variables']:,} ({r['n_integer']:,}) |",
        f"| constraints | {r['n_constraints']:,} |",
        f"| variables by family | {', '.join(f'{k} {v:,}' for k, v in r['families'].items())} |",
        *(
            [f"| constraints by family | {', '.join(f'{k} {v:,}' for k, v in r['rows_by_family'].items())} |"]
            if r.get("rows_by_family")
            else []
        ),
        *(
            [
                "| reductions (`solver.reductions`: rule, removed) | "
                + ", ".join(
                    f"{x['rule']} {x['removed']:,}" + ("" if x.get("applied", True) else " (off)")
                    for x in r["reductions"]
                )
                + " |"
            ]
            if r.get("reductions")
            else []
        ),
        f"| status / stage / stopped by (`solver.stopped_by`) | {r['status']} / {r['stage']} / "
        f"{_stopped(r)} |",
        f"| objective | ${r['objective_usd']:,.0f} |",
        f"| LP bound | ${r['lp_bound_usd']:,.0f} |"
        if r.get("lp_bound_usd") is not None
        else "| LP bound | n/a |",
        f"| final gap vs LP bound | {_pct(r['gap_vs_lp'])} |",
        f"| plan's lower bound (`solver.bound_usd`: {_bound_name(r)}) | ${r['bound_usd']:,.0f}: "
        f"{_pct(_bound_over_lp(r))} above the LP bound |",
        f"| gap the plan reports (`solver.gap`, vs {_bound_name(r)}) | {_pct(r['gap_reported'])} |",
        f"| time limit; whole run + imports | {r['time_limit_s']:g} s; {plan_solve_s(r):.2f} s"
        f"{' (over the limit)' if plan_solve_s(r) > r['time_limit_s'] else ''} |",
        f"| unmet requests/s (summed over periods) | {r['unmet_requests']:.3g} |",
        f"| peak memory (max RSS of the run's process) | {r['peak_rss_gib']:.2f} GiB |",
        f"| solver calls (MILP) | {p['solver_calls']} ({p['mip_calls']}) |",
        f"| all hand-offs / all HiGHS runs / all read-backs | {p['handoff_s']:.2f} s / "
        f"{p['highs_s']:.2f} s / {p['readback_s']:.2f} s |",
        f"| engine Python between solver calls | {r['engine_python_s']:.2f} s |",
        f"| outside the solver (load + options + build + hand-offs + read-backs + extraction) | "
        f"{outside_solver_s(r):.2f} s = {outside_solver_s(r) / max(p['lp_highs_s'], 1e-9):.2f} x LP solve |",
    ]
    d = r.get("direct")
    if d:
        lines += [
            f"| direct highspy on the saved MPS: read / LP relaxation solve | {d['read_s']:.2f} s / "
            f"{d['run_s']:.2f} s ({d['status']}, {d['iterations']:,} simplex iterations, objective "
            f"${d['objective']:,.0f}) |",
            "| **ratio of the whole run to the direct highspy LP solve** | "
            f"**{r['ratio_to_direct_lp']:.1f}** |",
        ]
    if r.get("cli_solve"):
        c = r["cli_solve"]
        lines.append(
            f"| `plan solve DIR -o plan.json` command line, best of {c['runs']} | {c['best_s']:.2f} s "
            f"(exit {c['rc']}) |"
        )
    verdict = "yes, no problems" if r.get("verify_ok") else r.get("verify_problems")
    lines.append(
        f"| plan re-checked by `verify_plan` | {verdict} ({_s(r.get('verify_s'))} s, not in the run) |"
    )
    return lines


def summary_table(sizes: dict[str, Any], current: str | None = None) -> list[str]:
    """One line per size."""
    head = (
        "| size | workloads x periods | vars | constraints | load | options | build | hand-off (all) | "
        "LP solve | rounding | MILP | duals | extraction | write | whole run | status / stopped by | "
        "gap vs bound | gap vs LP | peak RSS | direct LP | ratio |"
    )
    lines = [head, "|---|---|" + "---:|" * 13 + "---|" + "---:|" * 5]
    for size in ORDER:
        r = sizes.get(size)
        if not r:
            continue
        if "total_s" not in r:
            lines.append(f"| {size} | failed: see below |" + " |" * 19)
            continue
        inst, p = r["instance"], r["probe"]
        d = r.get("direct") or {}
        label = f"{size} (previous library)" if stale_note(r, current) else size
        lines.append(
            f"| {label} | {inst['workloads']} x {inst['periods']} | {r['n_variables']:,} | "
            f"{r['n_constraints']:,} | "
            f"{_s(r['load_s'])} | {_s(r['options_s'])} | {_s(r['build_s'])} | {_s(p['handoff_s'])} | "
            f"{_s(p['lp_highs_s'])} | {_s(r['rounding_s'])} | {_s(r['milp_s'])} | {_s(r['duals_s'])} | "
            f"{_s(r['extract_s'])} | {_s(r['write_s'])} | {_s(r['total_s'])} | "
            f"{r['status']} / {_stopped(r)} | {_pct(r['gap_reported'])} | {_pct(r['gap_vs_lp'])} | "
            f"{r['peak_rss_gib']:.2f} GiB | {_s(d.get('run_s'))} | {_s(r.get('ratio_to_direct_lp'), 1)} |"
        )
    return lines


def _kept(doc: Path) -> dict[str, str]:
    """The hand-written sections of an existing document, by heading."""
    if not doc.is_file():
        return {}
    text = doc.read_text(encoding="utf-8")
    out = {}
    for heading in KEPT_SECTIONS:
        start = text.find("\n" + heading + "\n")
        if start < 0:
            continue
        start += 1
        nxt = text.find("\n## ", start + len(heading))
        out[heading] = text[start : nxt if nxt >= 0 else len(text)].rstrip() + "\n"
    return out


def render(store: dict[str, Any], kept: dict[str, str]) -> str:
    """The whole document."""
    sizes = store.get("sizes", {})
    current = current_digest(store)
    envs = [
        r.get("environment") for r in sizes.values() if r.get("environment") and not stale_note(r, current)
    ]
    env = envs[0] if envs else (store.get("cli") or {}).get("environment", {})
    v = env.get("versions", {})
    out = [
        "# Benchmarks",
        "",
        "Generated by `python -m benchmarks.run` from measured output only (raw figures in "
        "`benchmarks/results.json`; `python -m benchmarks.report` re-renders this file). The sections "
        '"Analysis" and "Ideas tried" are hand-written and kept when the file is regenerated.',
        "",
        "## Machine and versions",
        "",
        f"* CPU: {env.get('cpu', '?')}, {env.get('nproc', '?')} cores available (`nproc`), "
        f"RAM {env.get('ram_gib', 0):.1f} GiB",
        f"* {env.get('platform', '?')}",
        f"* python {v.get('python')}, pulp {v.get('pulp')}, highspy {v.get('highspy')}, "
        f"pandas {v.get('pandas')}, numpy {v.get('numpy')}, pydantic {v.get('pydantic')}",
        f"* library at git {env.get('git', '?')} (source digest `{env.get('library_digest', '?')}`: "
        "sha256 of planner/, solvers/, catalogs/ as run)",
        *(
            [
                "* **the sizes ran on different library sources** (digest taken after each run): "
                + ", ".join(f"{k} `{sizes[k].get('library_digest', '?')}`" for k in ORDER if k in sizes)
            ]
            if len({r.get("library_digest") for r in sizes.values()}) > 1
            else []
        ),
        *([f"* note: {store['note']}"] if store.get("note") else []),
        "",
        "## Commands",
        "",
        "```sh",
        "# everything below (S, M, L; then XL on its own, 300 s limit):",
        "python -m benchmarks.run --sizes S,M,L --seed 1",
        "python -m benchmarks.run --sizes XL --seed 1",
        "# one instance, rerun with the command line:",
        "python -m benchmarks.generate --size M --seed 1 -o /tmp/bench-M",
        "plan solve /tmp/bench-M --save-model /tmp/bench-M/model.mps  # options.yaml: no-baselines",
        "```",
        "",
        "Exact commands of the stored runs:",
        "",
    ]
    cmds: dict[str, list[str]] = {}
    for size in ORDER:
        if size in sizes:
            cmds.setdefault(sizes[size].get("command", "?"), []).append(
                f"{size} ({sizes[size].get('date', '?')})"
            )
    for cmd, which in cmds.items():
        out.append(f"* `{cmd}`: {', '.join(which)}")
    if store.get("cli"):
        out.append(f"* CLI start-up timings: `{store['cli']['command']}` ({store['cli']['date']})")
    out += [
        "",
        "How it is measured: each size runs in a fresh subprocess through the library's stage functions "
        "(`load_problem`, `solve_problem` with `SolveSettings(baselines=False, time_limit_s=...)`, "
        "`write_plan`), "
        "with the solver calls timed by wrappers installed in that subprocess only (hand-off = "
        "fixings into bounds, sifting's working set, each call's `period_model` slice, HiGHS options, "
        "`passModel`, `addCols` and `changeColsBounds` on the live instance; LP solve = HiGHS's `run()` "
        "of the relaxation and sifting's pricing; read-back = the rest of the call: solution arrays "
        "split per block; the solver arrays are built from the blocks in the model build). The whole "
        "run is load -> written plan, as `plan solve -o plan.json` does after its imports (import time is "
        "listed apart). Peak memory is the process's `ru_maxrss` after the run. The direct highspy figure "
        "reads the model written by `write_model` (what `--save-model` writes) in another fresh process and "
        'runs HiGHS with `solve_relaxation=True`. "Gap vs LP bound" = (plan objective - LP relaxation '
        'objective) / plan objective; "gap vs bound" = `solver.gap` = (plan objective - '
        "`solver.bound_usd`) / plan objective, where `solver.bound_usd` is the best valid lower bound of "
        "the problem as posed "
        '(records with `stopped_by` "not recorded" predate it: their bound was the pruned model\'s).',
        "",
        "## Targets",
        "",
        "| target | measured | |",
        "|---|---|---|",
    ]
    for name, measured, met in targets(store):
        size = name.split(":", 1)[0]
        old = stale_note(sizes[size], current) if size in sizes and ":" in name else ""
        if old and "**[" not in measured:
            measured += f" **[{old}]**"
        out.append(f"| {name} | {measured} | {'met' if met else '**missed**'} |")
    out += ["", "## Summary (seconds)", "", *summary_table(sizes, current), ""]
    for size in ORDER:
        r = sizes.get(size)
        if not r:
            continue
        inst = r["instance"]
        out += [
            f"## Size {size}: {inst['workloads']} workloads x {inst['periods']} periods "
            f"({inst['hours_per_period']:g} h), seed {r['seed']}, time limit {r['time_limit_s']:g} s",
            "",
            f"Instance: {inst['rows']:,} demand rows; {inst['pinned_model']} pinned models, "
            f"{inst['quality_floor']} quality floors, {inst['api_only']} API-only, "
            f"{inst['self_host_only']} self-host-only; shapes "
            + ", ".join(f"{k} {n}" for k, n in inst["archetypes"].items())
            + ".",
            "",
        ]
        old = stale_note(r, current)
        if old:
            out += [f"**From a {old}.**", ""]
        if "total_s" not in r:
            out += ["The run failed:", "", "```", r.get("error", "?"), "```", ""]
            continue
        out += [*size_table(r), ""]
        prof = r.get("profile")
        digest = r.get("library_digest")
        if digest:
            out += [f"Library source digest of this run: `{digest}`.", ""]
        if prof and digest and prof.get("library_digest") not in (None, digest):
            out += [
                "**The library changed between the timed run and the profiled run** (digest "
                f"`{prof['library_digest']}`): the profile below is of other code.",
                "",
            ]
        if prof and "cumulative" in prof:
            out += [
                f"Profile (a separate run under cProfile, {prof['total_s']:.1f} s with the profiler's "
                "overhead), top functions by cumulative time:",
                "",
                "```",
                prof["cumulative"],
                "```",
                "",
                "by own time:",
                "",
                "```",
                prof["tottime"],
                "```",
                "",
            ]
        elif prof:
            out += ["Profile run failed:", "", "```", str(prof.get("error")), "```", ""]
    for heading in ("## Sweeps", "## Budgets"):  # written by python -m benchmarks.sweep / .budget
        if heading in kept:
            out += [kept[heading].rstrip(), ""]
    out += [kept.get("## Analysis", "## Analysis\n\n(none yet)\n").rstrip(), ""]
    out += [kept.get("## Ideas tried", "## Ideas tried\n\n(none yet)\n").rstrip(), ""]
    return "\n".join(out)


def write_doc(store: dict[str, Any], doc: Path = DOC) -> None:
    """Render ``store`` into ``doc``, keeping its hand-written sections."""
    doc.write_text(render(store, _kept(doc)), encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    """``python -m benchmarks.report [--results FILE] [--doc FILE]``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.report", description=__doc__.splitlines()[0])
    parser.add_argument("--results", default=str(RESULTS))
    parser.add_argument("--doc", default=str(DOC))
    args = parser.parse_args(argv)
    write_doc(json.loads(Path(args.results).read_text(encoding="utf-8")), Path(args.doc))
    print(f"wrote {args.doc}")


if __name__ == "__main__":
    main()
