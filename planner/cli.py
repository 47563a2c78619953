"""The ``plan`` command line: parses options and calls the library, nothing more.

Exit codes: 0 ok; 1 unmet demand, no plan found in time, or a failed verification; 2 bad input or
usage. Results go to stdout (with ``--format json``: one JSON document and nothing else);
messages and errors go to stderr. Heavy libraries are imported inside commands.
"""

from __future__ import annotations

import sys
import time
from typing import Any

import click

from planner.cli_breakeven import breakeven_cmd
from planner.cli_common import (
    catalog_option,
    click_option,
    emit_json,
    flag_values,
    format_option,
    handle_errors,
    solve_flags,
)
from planner.cli_profiles import profiles_group
from planner.cli_sweep import sweep_cmd
from planner.cli_whatif import register as register_whatif
from planner.errors import EXIT_INPUT, EXIT_OK, EXIT_UNMET
from planner.option_table import BY_KEY


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.version_option(package_name="fleetplan")
def main(debug: bool) -> None:
    """fleetplan: plan inference fleets (accelerators, replicas, API split) at minimum cost.

    Exit codes: 0 ok; 1 unmet demand, no plan in time, or a failed verification; 2 bad input.
    """
    del debug


@main.command("catalog")
@click.argument("kind", type=click.Choice(["accelerators", "models", "apis"]))
@catalog_option
@format_option
@handle_errors
def catalog_cmd(kind: str, catalog_dirs: tuple[str, ...], fmt: str) -> None:
    """List catalog entries (after any --catalog overlays)."""
    from planner.catalog.load import load_catalog
    from planner.terminal import catalog_table

    catalog = load_catalog(catalog_dirs)
    entries = getattr(catalog, kind)
    if fmt == "json":
        emit_json([e.model_dump(mode="json") for e in entries.values()])
    else:
        catalog_table(kind, catalog)


@main.command("estimate")
@click.option("--model", required=True, help="Catalog model id.")
@click.option("--accelerator", required=True, help="Catalog accelerator id.")
@click.option("--tp", "tensor_parallel", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--pp", "pipeline_parallel", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--precision", default=None, help="Weight precision (default: the model's first).")
@click.option("--input-tokens", type=click.IntRange(min=1), default=1000, show_default=True)
@click.option("--output-tokens", type=click.IntRange(min=1), default=200, show_default=True)
@click.option("--ttft-ms", type=click.FloatRange(min=0, min_open=True), default=None)
@click.option("--tpot-ms", type=click.FloatRange(min=0, min_open=True), default=None)
@click.option("--batch", type=click.IntRange(min=1), default=None, help="Fix the batch instead of searching.")
@click.option(
    "--engine", default=None, help="Serving engine (default: the accelerator's default_engine, vllm)."
)
@catalog_option
@format_option
@handle_errors
def estimate_cmd(fmt: str, catalog_dirs: tuple[str, ...], **kwargs: Any) -> None:
    """Estimate what one replica sustains (performance model)."""
    from planner.api import estimate
    from planner.terminal import estimate_table

    est = estimate(catalog_dirs=catalog_dirs, **kwargs)
    if fmt == "json":
        emit_json(est.to_dict())
    else:
        estimate_table(est)


@main.command("solve")
@click.argument("demand", type=click.Path())
@catalog_option
@solve_flags
@click_option(BY_KEY["format"])
@handle_errors
def solve_cmd(demand: str, catalog_dirs: tuple[str, ...], **flags: Any) -> None:
    """Plan the cheapest fleet for DEMAND (a demand.csv, a folder holding one, or a forecast + --workloads).

    Every option may also be given in the folder's options.yaml by its long name; flags win.
    """
    from planner.api import prepare_solve
    from planner.outputs import plan_json
    from planner.terminal import solve_report

    started = time.monotonic()
    run = prepare_solve(demand, catalog_dirs, flag_values(flags))  # a bad -o fails now, not after the solve
    solved = run.solve(started)
    if (run.options.get("format") or "table") == "json":
        click.echo(plan_json(solved.plan), nl=False)
    else:
        solve_report(solved.plan)
        if solved.plan.sensitivity is not None:
            from planner.whatif.table import sensitivity_report

            sensitivity_report(solved.plan.sensitivity)
    sys.exit(EXIT_UNMET if solved.plan.unmet_requests > 1e-6 else EXIT_OK)


@main.command("verify")
@click.argument("plan_file", type=click.Path())
@click.argument("demand", type=click.Path())
@catalog_option
@solve_flags
@format_option
@handle_errors
def verify_cmd(plan_file: str, demand: str, catalog_dirs: tuple[str, ...], fmt: str, **flags: Any) -> None:
    """Re-check PLAN_FILE (.json or .yaml) against DEMAND and the catalogs, without a solver.

    Settings come from these options and the DEMAND folder's options.yaml, as for plan solve, never
    from the plan. Exit codes: 0 the plan holds; 1 it fails a check; 2 an unreadable plan or input.
    """
    from planner.api import verify_plan_file

    for name, flag in (("output", "-o/--output"), ("save_model", "--save-model")):
        if flags.get(name):
            raise click.UsageError(f"plan verify writes no file: drop {flag}")
    if flags.get("sensitivity"):
        raise click.UsageError("plan verify solves nothing: drop --sensitivity")
    report = verify_plan_file(plan_file, demand, catalog_dirs, flag_values(flags))
    if fmt == "json":
        emit_json(report.model_dump(mode="json"))
    else:
        for warning in report.warnings:
            click.echo(f"warning: {warning}", err=True)
        for problem in report.problems:
            click.echo(f"FAIL {problem.place}: {problem.message} [{problem.check}]")
        click.echo("plan verified" if report.ok else f"{len(report.problems)} problem(s)", err=not report.ok)
    sys.exit(EXIT_OK if report.ok else EXIT_UNMET)


def _export_help() -> str:
    from planner.exports import FORMATS

    lines = "\n".join(f"  {name:<12} {summary}" for name, (_, summary) in FORMATS.items())
    return (
        "Export PLAN_FILE (a plan JSON) for the systems that apply it, into the folder -o DIR.\n\n"
        "\b\nFormats (--to):\n" + lines + "\n\n"
        "Per-period files go to DIR/<period>/<provider>/; --period picks peak (the period with the most "
        "chips, the first on ties), one period, or all; terraform, procurement, csv and yaml cover every "
        "period. Files of an earlier export of the same format in DIR are replaced, others left alone. "
        "Exit 2 with nothing written when the format cannot express the plan."
    )


@main.command("export", help=_export_help())
@click.argument("plan_file", type=click.Path())
@click.option("--to", "fmt_to", required=True, help="Export format (listed above).")
@click.option(
    "-o", "--output", "out_dir", required=True, type=click.Path(file_okay=False), help="Output folder."
)
@click.option("--period", default="peak", show_default=True, help="A period label, peak or all.")
@click.option("--namespace", default=None, help="Kubernetes namespace of every resource.")
@click.option("--image", default=None, help="vLLM image instead of the catalog's per accelerator.")
@click.option(
    "--hf-token-secret",
    default="hf-token",
    show_default=True,
    help="Secret with the Hugging Face token (key 'token'; optional in the pod); '' for none.",
)
@catalog_option
@format_option
@handle_errors
def export_cmd(
    plan_file: str,
    fmt_to: str,
    out_dir: str,
    catalog_dirs: tuple[str, ...],
    fmt: str,
    **options: Any,
) -> None:
    """Export a plan (help text built from the format registry)."""
    from planner.api import export

    written = export(plan_file, fmt_to, out_dir, catalog_dirs=catalog_dirs, **options)
    if fmt == "json":
        emit_json({"format": fmt_to, "files": [str(p) for p in written]})
    else:
        for path in written:
            click.echo(str(path))


@main.command("report")
@click.argument("plan_file", type=click.Path())
@click.argument("other_plan", type=click.Path(), required=False)
@click.option(
    "-o", "--output", required=True, type=click.Path(dir_okay=False), help="The HTML file to write."
)
@handle_errors
def report_cmd(plan_file: str, other_plan: str | None, output: str) -> None:
    """Write PLAN_FILE as one self-contained HTML page (charts inline, no network needed).

    With OTHER_PLAN, the page shows both plans side by side with the differences (OTHER minus PLAN).
    """
    from planner.api import report

    report(plan_file, output, other_plan)
    click.echo(output)


main.add_command(breakeven_cmd)
main.add_command(profiles_group())
register_whatif(main)
main.add_command(sweep_cmd)

__all__ = ["EXIT_INPUT", "main"]
