"""``plan whatif`` and ``plan diff``: the click side (parse, call :mod:`planner.whatif`, print).

Registered on the ``plan`` group by :func:`register` (one line in :mod:`planner.cli`).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from planner.cli_common import (
    catalog_option,
    click_option,
    emit_json,
    flag_values,
    format_option,
    handle_errors,
)
from planner.errors import EXIT_OK, EXIT_UNMET
from planner.option_table import BY_KEY, SOLVE_OPTIONS

F = TypeVar("F", bound=Callable[..., Any])

#: The change flags: (name, metavar, help); every one but --demand is repeatable.
CHANGE_FLAGS: tuple[tuple[str, str, str], ...] = (
    (
        "set",
        "PATH=VALUE",
        "A catalog field: accelerators.ID.prices.PROVIDER.TIER.usd_per_chip_hour=2.0, "
        "apis.ID.usd_per_1m_output_tokens=0.2, models.ID.quality=1250 (any scalar field).",
    ),
    ("scale-demand", "[WORKLOAD=]F", "Request rates times F (every workload, or one)."),
    ("scale-tokens", "[WORKLOAD.]SIDE=F", "Input or output tokens per request times F (output=3)."),
    ("without", "[KIND:]ID", "Make an accelerator, API, provider or model unavailable."),
    ("price-trend", "TARGET=RATE", "Yearly price trend: apis=-0.9/yr, accelerators.ID=-0.2/yr."),
    ("demand-trend", "[WORKLOAD=]RATE", "Yearly demand trend per period by its date: +3/yr."),
    (
        "change",
        "OPTION=VALUE",
        "A plan solve option in the changed case only: commitment-cost=horizon; on a forecast, "
        "what to plan for: provision-for=p90, forecast-model, interval-width.",
    ),
)


#: ``plan solve``'s flags on ``plan whatif``: all but ``--price-trend``, which is a change there (the
#: changed case only; a trend for both cases goes in the folder's options.yaml).
WHATIF_SOLVE_FLAGS = [
    click_option(spec) for spec in SOLVE_OPTIONS if spec.name not in ("catalog", "format", "price-trend")
]


def whatif_solve_flags(func: F) -> F:
    """Every option of ``plan solve`` but ``--price-trend`` (``--catalog`` and ``--format`` come apart)."""
    for flag in reversed(WHATIF_SOLVE_FLAGS):
        func = flag(func)
    return func


def change_flags(func: F) -> F:
    """The what-if change flags (``--set``, ``--scale-demand``, ..., ``--demand FILE``)."""
    for name, metavar, help_text in reversed(CHANGE_FLAGS):
        key = "change_" + name.replace("-", "_")
        func = click.option(f"--{name}", key, multiple=True, metavar=metavar, help=help_text)(func)
    return click.option(
        "--demand",
        "change_demand",
        type=click.Path(),
        default=None,
        metavar="FILE",
        help="Another demand file over the same workloads, read as DEMAND is (a forecast: with its "
        "--workloads and selection).",
    )(func)


def _changes(flags: dict[str, Any]) -> Any:
    from planner.whatif import changes_from_flags

    given = {key.removeprefix("change_"): flags.pop(key) for key in list(flags) if key.startswith("change_")}
    return changes_from_flags(**{k: v for k, v in given.items() if v})


@click.command("whatif")
@click.argument("demand", type=click.Path())
@change_flags
@catalog_option
@whatif_solve_flags
@click_option(BY_KEY["format"])
@handle_errors
def whatif_cmd(demand: str, catalog_dirs: tuple[str, ...], **flags: Any) -> None:
    """Solve DEMAND as it is and with the changes, and print both side by side with the differences.

    The plan solve options (flags, and the DEMAND folder's options.yaml) apply to both cases;
    --change OPTION=VALUE changes one in the changed case only, and --price-trend is a change (a
    trend for both cases goes in options.yaml). -o FILE.json writes the JSON
    document. Exit codes: 0 both cases meet all demand; 1 either leaves some unmet; 2 bad input.
    """
    from planner.whatif.run import run_whatif

    changes = _changes(flags)
    result = run_whatif(demand, changes, catalog_dirs=catalog_dirs, options=flag_values(flags))
    if (result.options.get("format") or "table") == "json":
        click.echo(json.dumps(result.to_json(), indent=2))
    else:
        from planner.whatif.table import comparison_report

        comparison_report(result.base.plan, result.changed.plan, title=_title(result.changes.columns()))
    sys.exit(EXIT_UNMET if result.unmet else EXIT_OK)


def _title(columns: dict[str, Any]) -> str:
    parts = [
        f"{key}={value:g}" if isinstance(value, float) else f"{key}={value}" for key, value in columns.items()
    ]
    return "What if " + (", ".join(parts) if parts else "nothing changes") + "?"


@click.command("diff")
@click.argument("first", type=click.Path())
@click.argument("second", type=click.Path())
@format_option
@handle_errors
def diff_cmd(first: str, second: str, fmt: str) -> None:
    """Compare two plan files: SECOND minus FIRST for every total, chip line, deployment and workload.

    Exit 0 whatever differs; 2 when a plan cannot be read.
    """
    from planner.planfile import read_plan
    from planner.whatif.compare import comparison_json

    a, b = read_plan(first), read_plan(second)
    if fmt == "json":
        emit_json(comparison_json(a, b))
    else:
        from planner.whatif.table import comparison_report

        comparison_report(a, b, labels=("A", "B"), title=f"A: {first}\nB: {second} (differences: B - A)")


def register(group: click.Group) -> None:
    """Add ``whatif`` and ``diff`` to the ``plan`` command group."""
    group.add_command(whatif_cmd)
    group.add_command(diff_cmd)
