"""The ``plan`` command line: parses options and calls the library, nothing more.

Exit codes: 0 ok; 1 unmet demand, no plan found in time, or a failed verification; 2 bad input or
usage. Results go to stdout (with ``--format json``: one JSON document and nothing else);
messages and errors go to stderr. Heavy libraries are imported inside commands.
"""

from __future__ import annotations

import functools
import json
import sys
import time
from collections.abc import Callable
from typing import Any, TypeVar

import click

from planner.errors import EXIT_INPUT, EXIT_OK, EXIT_UNMET, PlannerError

F = TypeVar("F", bound=Callable[..., Any])
FORMATS = click.Choice(["table", "json"])


def _fail(message: str, code: int) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def handle_errors(func: F) -> F:
    """Turn fleetplan errors into one clear message and an exit code; ``--debug`` shows tracebacks."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        debug = bool(click.get_current_context().find_root().params.get("debug"))
        try:
            return func(*args, **kwargs)
        except PlannerError as exc:
            if debug:
                raise
            _fail(str(exc), exc.exit_code)
        except click.ClickException:
            raise
        except KeyboardInterrupt:
            _fail("interrupted", EXIT_UNMET)
        except Exception as exc:
            if debug:
                raise
            _fail(f"internal error: {type(exc).__name__}: {exc} (run with --debug for details)", EXIT_UNMET)
        return None

    return wrapper  # type: ignore[return-value]


def catalog_option(func: F) -> F:
    """``--catalog DIR`` (repeatable), shared by every command."""
    return click.option(
        "--catalog",
        "catalog_dirs",
        multiple=True,
        type=click.Path(),
        help="A catalog folder to add or override entries (repeatable; later wins).",
    )(func)


def format_option(func: F) -> F:
    """``--format table|json``, shared by every command that prints results."""
    return click.option(
        "--format",
        "fmt",
        type=FORMATS,
        default="table",
        show_default=True,
        help="table for people; json: one JSON document on stdout.",
    )(func)


def emit_json(data: object) -> None:
    """Print one JSON document on stdout."""
    click.echo(json.dumps(data, indent=2))


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


def _max_chips(values: tuple[str, ...]) -> dict[str, int]:
    out = {}
    for item in values:
        acc, _, count = item.partition("=")
        if not count.strip().isdigit():
            raise click.BadParameter(f"expected ACC=N, got '{item}'", param_hint="--max-chips")
        out[acc.strip()] = int(count)
    return out


def _ids(value: str | None) -> tuple[str, ...] | None:
    return None if value is None else tuple(v.strip() for v in value.split(",") if v.strip())


SOLVE_FLAGS: list[Callable[[F], F]] = [
    click.option("--profiles", type=click.Path(), default=None, help="Measured profiles CSV."),
    click.option(
        "-o", "--output", type=click.Path(), default=None, help="Write the plan (.json, .yaml, .csv)."
    ),
    click.option("--accelerators", default=None, help="Only these accelerators (comma-separated ids)."),
    click.option("--apis", default=None, help="Only these API offerings (comma-separated ids; '' for none)."),
    click.option("--target-utilization", type=click.FloatRange(0, 1, min_open=True), default=None),
    click.option("--max-spot-share", type=click.FloatRange(0, 1), default=None),
    click.option("--commitment-cost", type=click.Choice(["term", "horizon"]), default=None),
    click.option("--max-chips", multiple=True, help="ACC=N: chips of ACC per period (repeatable)."),
    click.option("--budget-usd", type=click.FloatRange(min=0, min_open=True), default=None),
    click.option("--whole-nodes", is_flag=True, default=None, help="Buy node-sold offers by whole nodes."),
    click.option(
        "--unmet-penalty-usd-per-request", type=click.FloatRange(min=0, min_open=True), default=None
    ),
    click.option("--solver", type=click.Choice(["highs", "cbc"]), default=None),
    click.option(
        "--time-limit",
        type=click.FloatRange(min=0, min_open=True),
        default=None,
        help="Wall-clock budget of the whole run, s [default: 60].",
    ),
    click.option("--mip-gap", type=click.FloatRange(0, 1, max_open=True), default=None),
    click.option("--threads", type=click.IntRange(min=1), default=None),
    click.option(
        "--save-model", type=click.Path(), default=None, help="Write the MILP as built (.lp or .mps)."
    ),
    click.option("--no-baselines", is_flag=True, default=None, help="Skip the baseline fleets."),
    click.option(
        "--no-reductions", is_flag=True, default=None, help="Solve the unreduced model (no pruning at all)."
    ),
    click.option(
        "--work-limit",
        type=click.IntRange(min=1),
        default=None,
        help="Work limit per solver call (simplex iterations, and nodes): reruns agree whatever the load.",
    ),
]


def solve_flags(func: F) -> F:
    """Every option of ``plan solve`` (also read from a folder's options.yaml)."""
    for flag in reversed(SOLVE_FLAGS):
        func = flag(func)
    return func


@main.command("solve")
@click.argument("demand", type=click.Path())
@catalog_option
@solve_flags
@format_option
@handle_errors
def solve_cmd(demand: str, catalog_dirs: tuple[str, ...], fmt: str, **flags: Any) -> None:
    """Plan the cheapest fleet for DEMAND (a demand.csv, or a folder holding one)."""
    from planner.api import solve_from_cli
    from planner.outputs import plan_format, plan_json, write_plan
    from planner.terminal import solve_report

    started = time.monotonic()
    if flags.get("output"):
        plan_format(flags["output"])  # a bad output path fails now, not after the solve
    flags["max_chips"] = _max_chips(flags.get("max_chips") or ())
    flags["accelerators"], flags["apis"] = _ids(flags.get("accelerators")), _ids(flags.get("apis"))
    solved = solve_from_cli(demand, catalog_dirs, flags, started)
    if flags.get("output"):
        write_plan(solved.plan, flags["output"])
    if fmt == "json":
        click.echo(plan_json(solved.plan), nl=False)
    else:
        solve_report(solved.plan)
    sys.exit(EXIT_UNMET if solved.plan.unmet_requests > 1e-6 else EXIT_OK)


@main.command("verify")
@click.argument("plan_file", type=click.Path())
@click.argument("demand", type=click.Path())
@catalog_option
@click.option("--profiles", type=click.Path(), default=None)
@format_option
@handle_errors
def verify_cmd(
    plan_file: str, demand: str, catalog_dirs: tuple[str, ...], profiles: str | None, fmt: str
) -> None:
    """Re-check a plan against its demand and the catalogs, without a solver."""
    from planner.api import verify_plan_file

    problems = verify_plan_file(plan_file, demand, catalog_dirs, profiles)
    if fmt == "json":
        emit_json({"ok": not problems, "problems": problems})
    else:
        for p in problems:
            click.echo(f"FAIL {p}")
        click.echo("plan verified" if not problems else f"{len(problems)} problem(s)", err=bool(problems))
    sys.exit(EXIT_UNMET if problems else EXIT_OK)


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
@click.option(
    "-o", "--output", required=True, type=click.Path(dir_okay=False), help="The HTML file to write."
)
@handle_errors
def report_cmd(plan_file: str, output: str) -> None:
    """Write PLAN_FILE as one self-contained HTML page (charts inline, no network needed)."""
    from planner.api import report

    report(plan_file, output)
    click.echo(output)


__all__ = ["EXIT_INPUT", "main"]
