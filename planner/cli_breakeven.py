"""``plan breakeven``: self-hosting at full load against the cheapest API, per request shape."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from planner.catalog.schema import TIERS
from planner.cli_common import catalog_option, emit_json, format_option, handle_errors

if TYPE_CHECKING:
    from planner.break_even import BreakEven


def _usd(value: float | None, digits: int = 4) -> str:
    return "-" if value is None else f"${value:,.{digits}f}"


def _number(value: float | None, fmt: str = ",.0f") -> str:
    return "-" if value is None else format(value, fmt)


def breakeven_table(rows: list[BreakEven], title: str) -> None:
    """Print the break-even rows as a table (rounded for people; JSON keeps every digit)."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, title_justify="left", header_style="bold")
    columns = ["shape", "layout", "req/s", "self $/1k", "api", "api $/1k", "req/day", "util"]
    for name in columns:
        table.add_column(name, justify="left" if name in ("shape", "layout", "api") else "right")
    notes = []
    for row in rows:
        layout = " ".join(row.deployment.split(":")[2:]) if row.deployment else "-"
        table.add_row(
            f"{row.input_tokens:g}:{row.output_tokens:g}",
            layout,
            _number(row.replica_requests_per_s, ",.2f"),
            _usd(row.self_hosted_usd_per_1k_requests),
            row.api or "-",
            _usd(row.api_usd_per_1k_requests),
            _number(row.breakeven_requests_per_day),
            _number(row.breakeven_utilization, ".1%"),
        )
        if row.reason:
            notes.append(f"{row.input_tokens:g}:{row.output_tokens:g}: {row.reason}")
    console = Console(soft_wrap=False)
    console.print(table)
    console.print("req/day: break-even requests/day of one replica; util: that share of its capacity")
    for note in notes:
        console.print(f"note: {note}", highlight=False)


@click.command("breakeven")
@click.option("--model", required=True, help="Catalog model id.")
@click.option("--accelerator", required=True, help="Catalog accelerator id.")
@click.option(
    "--profiles", type=click.Path(), default=None, help="Measured profiles CSV (its shapes by default)."
)
@click.option("--apis", default=None, help="Only these API offerings (comma-separated ids).")
@click.option("--shape", "shapes", multiple=True, metavar="IN:OUT", help="Tokens per request (repeatable).")
@click.option(
    "--tier", type=click.Choice(TIERS), default="on_demand", show_default=True, help="Pricing tier."
)
@click.option(
    "--ttft-ms", type=click.FloatRange(min=0, min_open=True), default=None, help="TTFT target [2000]."
)
@click.option(
    "--tpot-ms", type=click.FloatRange(min=0, min_open=True), default=None, help="TPOT target [100]."
)
@catalog_option
@format_option
@handle_errors
def breakeven_cmd(apis: str | None, catalog_dirs: tuple[str, ...], fmt: str, **options: Any) -> None:
    """Cost per 1k requests self-hosted at full load vs the cheapest API, and the break-even volume.

    One row per request shape: each --shape, or each shape the --profiles file measures for the
    model on the accelerator. Break-even: the requests/day at which one replica of the cheapest
    layout, on the cheapest --tier offer, costs what the API charges; breakeven_utilization is that
    volume as a share of what the replica sustains (above 1: the API is cheaper even at full load).
    """
    from planner.break_even import breakeven

    api_ids = None if apis is None else [item.strip() for item in apis.split(",") if item.strip()]
    rows = breakeven(catalog_dirs=catalog_dirs, apis=api_ids, **options)
    if fmt == "json":
        emit_json([row.to_dict() for row in rows])
    else:
        breakeven_table(rows, f"{options['model']} on {options['accelerator']} ({options['tier']}) vs APIs")
