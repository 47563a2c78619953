"""``plan sweep``: the click command (registered in planner.cli); the work is planner.sweeps."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from planner.cli_common import catalog_option, click_option, emit_json, flag_values, handle_errors
from planner.errors import EXIT_OK, EXIT_UNMET
from planner.option_table import SOLVE_OPTIONS

#: ``plan solve``'s flags but those a sweep sets itself (-o is its folder; --format is below).
SWEEP_FLAGS = [
    click_option(spec)
    for spec in SOLVE_OPTIONS
    if spec.name not in ("catalog", "format", "output", "save-model")
]
EXIT_INTERRUPTED = 130
#: Width of the printed summary when stdout is not a terminal (a file, a pipe).
TABLE_WIDTH = 160
F = TypeVar("F", bound=Callable[..., Any])


def sweep_flags(func: F) -> F:
    """Every option of ``plan solve`` a sweep takes, applied to all its scenarios."""
    for flag in reversed(SWEEP_FLAGS):
        func = flag(func)
    return func


@click.command("sweep")
@click.argument("scenarios", type=click.Path())
@click.option(
    "-o",
    "--output",
    "out_dir",
    required=True,
    type=click.Path(),
    help="Folder for the summary, plans, charts.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Local worker processes (default: the cores; 1: in this process). Solver threads: 1 each.",
)
@click.option(
    "--ray-address", default=None, metavar="ADDRESS", help="Run on a Ray cluster: HOST:PORT or auto."
)
@click.option("--no-charts", is_flag=True, help="Write no PNG charts.")
@click.option(
    "--no-bracket",
    is_flag=True,
    help="Solve every point of a price axis, none settled by its neighbours' bounds (docs/sweeps.md).",
)
@click.option(
    "--bracket-gap",
    type=click.FloatRange(min=0.0, max=1.0, max_open=True),
    default=0.0,
    show_default=True,
    help="Gap a point settled by its neighbours may have beyond each of theirs (0.005: half a point).",
)
@catalog_option
@sweep_flags
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="json: the summary.",
)
@handle_errors
def sweep_cmd(
    scenarios: str,
    out_dir: str,
    workers: int | None,
    ray_address: str | None,
    no_charts: bool,
    no_bracket: bool,
    bracket_gap: float,
    catalog_dirs: tuple[str, ...],
    fmt: str,
    **flags: Any,
) -> None:
    """Solve every scenario of SCENARIOS (a YAML scenario file) into the folder -o DIR.

    Writes DIR/summary.csv (one row per scenario point, the base first), DIR/plans/*.json and PNG
    charts, and prints the summary. Every plan solve option applies to all scenarios, over the
    file's options:. A rerun with the same -o reuses the finished scenarios whose inputs are
    unchanged. Exit codes: 0 ok; 1 a scenario failed or left demand unmet; 2 bad input (nothing
    written); 130 Ctrl-C (finished scenarios kept).
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from planner.sweeps.run import sweep

    errors = Console(stderr=True)
    columns = (
        TextColumn("sweep"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[state]}"),
        TimeElapsedColumn(),
    )
    try:
        with Progress(*columns, console=errors, disable=not errors.is_terminal, transient=True) as bar:
            task = bar.add_task("sweep", total=None, state="")

            def progress(done: int, running: int, failed: int, total: int) -> None:
                bar.update(task, total=total, completed=done, state=f"running {running}, failed {failed}")

            result = sweep(
                scenarios,
                out_dir,
                catalog_dirs=catalog_dirs,
                workers=workers,
                ray_address=ray_address,
                progress=progress,
                charts=not no_charts,
                bracket=not no_bracket,
                bracket_gap=bracket_gap,
                **flag_values(flags),
            )
    except KeyboardInterrupt:
        click.echo("error: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    if fmt == "json":
        emit_json(result.to_json())
    else:
        result.print_table(Console(soft_wrap=False, width=None if sys.stdout.isatty() else TABLE_WIDTH))
        click.echo(
            f"{len(result.solved)} solved, {len(result.reused)} reused; summary: {out_dir}/summary.csv",
            err=True,
        )
    sys.exit(EXIT_OK if result.ok else EXIT_UNMET)
