"""Readable terminal output (rich tables) for people; JSON output lives in the CLI."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from planner.catalog.schema import Catalog
    from planner.perf import Estimate
    from planner.plan import Plan
    from planner.profiles.check import CheckReport
    from planner.profiles.imports import ImportResult

console = Console(soft_wrap=False)


def _usd(x: float | None) -> str:
    if x is None:
        return "-"
    return f"${x:,.0f}" if abs(x) >= 100 else f"${x:,.2f}"


def _num(x: float | None, digits: int = 2) -> str:
    return "-" if x is None else f"{x:,.{digits}f}"


_LEFT = (
    "id",
    "name",
    "workload",
    "period",
    "accelerator",
    "model",
    "provider",
    "tier",
    "tiers",
    "note",
    "reason",
    "target",
    "quantity",
)
_NO_WRAP = ("id", "workload", "accelerator")


def _table(title: str, columns: list[str]) -> Table:
    table = Table(title=title, title_justify="left", header_style="bold")
    for col in columns:
        table.add_column(col, justify="left" if col in _LEFT else "right", no_wrap=col in _NO_WRAP)
    return table


_TIER_SHORT = {"on_demand": "od", "spot": "spot", "committed_1y": "1y", "committed_3y": "3y"}


def catalog_table(kind: str, catalog: Catalog) -> None:
    """Print one catalog as a table."""
    builders = {"accelerators": _accelerators, "models": _models, "apis": _apis}
    console.print(builders[kind](catalog))


def _accelerators(catalog: Catalog) -> Table:
    table = _table(
        "Accelerators (per chip; $/chip-hour: lowest offer)",
        ["id", "GiB", "TB/s", "BF16 TF", "FP8 TF", "node", "$/chip-h", "tiers"],
    )
    for a in catalog.accelerators.values():
        prices = [p.usd_per_chip_hour for p in a.prices]
        tiers = [t for t in _TIER_SHORT if any(p.tier == t for p in a.prices)]
        table.add_row(
            a.id,
            _num(a.memory_gib, 0),
            _num(a.memory_bandwidth_tb_per_s),
            _num(a.bf16_tflops, 0),
            _num(a.fp8_tflops, 0),
            str(a.chips_per_node),
            f"{min(prices):.2f}" if prices else "unpriced",
            ",".join(_TIER_SHORT[t] for t in tiers),
        )
    return table


def _models(catalog: Catalog) -> Table:
    table = _table(
        "Models (quality: LMArena text Elo)",
        ["id", "params B", "active B", "KV KiB/tok", "context", "precisions", "quality"],
    )
    for m in catalog.models.values():
        kv = m.kv_bytes_per_token_bf16
        table.add_row(
            m.id,
            _num(m.total_params_b, 1),
            _num(m.active_params_b, 1),
            _num(kv / 1024 if kv else None, 1),
            str(m.max_context_tokens or "-"),
            ",".join(m.precisions),
            _num(m.quality, 0),
        )
    return table


def _apis(catalog: Catalog) -> Table:
    table = _table("API offerings (USD per 1M tokens)", ["id", "model", "in", "out", "quality"])
    for a in catalog.apis.values():
        table.add_row(
            a.id,
            a.model or "-",
            f"{a.usd_per_1m_input_tokens:g}",
            f"{a.usd_per_1m_output_tokens:g}",
            _num(catalog.api_quality(a), 0) if catalog.api_quality(a) is not None else "unscored",
        )
    return table


def estimate_table(est: Estimate) -> None:
    """Print one performance estimate."""
    table = _table(
        f"{est.model} on {est.accelerator} (tp{est.tensor_parallel} pp{est.pipeline_parallel}, "
        f"{est.precision})",
        ["quantity", "value"],
    )
    data: dict[str, Any] = est.to_dict()
    for key, value in data.items():
        if key in ("model", "accelerator", "tensor_parallel", "pipeline_parallel", "precision"):
            continue
        table.add_row(
            key, "-" if value is None else (f"{value:,.3f}" if isinstance(value, float) else str(value))
        )
    console.print(table)


def solve_report(plan: Plan) -> None:
    """Print the summary of a plan (and, for a forecast, what it was provisioned for)."""
    console.print(_summary(plan))
    for line in (forecast_line(plan), start_line(plan)):
        if line:
            console.print(escape(line), soft_wrap=True)
    for renderable in (
        _periods(plan),
        _fleet(plan),
        _fleet_changes(plan),
        _deployments(plan),
        _workloads(plan),
        _baselines(plan),
    ):
        if renderable.row_count:
            console.print(renderable)
    _diagnostics(plan)


def forecast_line(plan: Plan) -> str | None:
    """``Provisioned for AutoETS-hi-80 (p90) of model AutoETS: ...`` for a plan solved from a forecast."""
    record = plan.inputs.forecast
    if record is None:
        return None
    model = f" of model {record.model}" if record.model else ""
    return (
        f"Provisioned for {record.label}{model} (--provision-for {record.provision_for}; "
        f"{'Prophet' if record.tool == 'prophet' else 'Nixtla'} forecast, workloads {record.workloads_file})"
    )


def start_line(plan: Plan) -> str | None:
    """``Started from plan.json: ...`` for a plan whose search started from another (``--start``)."""
    start = plan.solver.start
    if start is None:
        return None
    if not start.carried:
        return f"Started from {start.source}: not used ({start.note})"
    if start.kept:
        return f"Started from {start.source}: cheaper than the rounded plan, the MILPs improved on it"
    return f"Started from {start.source}: carried, but the rounded plan was as cheap or cheaper"


def provisioned_for(plan: Plan) -> str:
    """What a plan was provisioned for: ``AutoETS-hi-80 (p90)``, or ``demand.csv`` rates."""
    record = plan.inputs.forecast
    return "the demand.csv rates" if record is None else record.label


def _summary(plan: Plan) -> Table:
    c, s = plan.cost_usd, plan.solver
    unmet = plan.diagnostics.unmet_share
    head = f"Plan: {plan.status}" + (f", {unmet:.2%} of requests UNMET" if plan.diagnostics.unmet else "")
    table = _table(
        f"{head} ({s.stage}, gap {s.gap:.2%} vs bound {_usd(s.bound_usd)}, {s.stopped_by}, "
        f"{s.seconds:.1f} s)",
        ["total", "accelerators", "committed beyond horizon", "API", "unmet penalty"],
    )
    table.add_row(
        _usd(plan.objective_usd),
        _usd(c.accelerators),
        _usd(c.committed_beyond_horizon),
        _usd(c.api),
        _usd(c.unmet_penalty),
    )
    return table


def _periods(plan: Plan) -> Table:
    table = _table(
        "Cost per period",
        ["period", "hours", "accelerators", "API", "self-hosted req/s", "API req/s", "unmet req/s"],
    )
    for p in plan.periods:
        api = sum(r.usd for r in p.routing if r.kind == "api")
        table.add_row(
            p.period,
            f"{p.hours:g}",
            _usd(p.usd - api),
            _usd(api),
            _num(sum(w.self_hosted_requests_per_s for w in p.workloads)),
            _num(sum(w.api_requests_per_s for w in p.workloads)),
            _num(sum(w.unmet_requests_per_s for w in p.workloads)),
        )
    return table


def _fleet(plan: Plan) -> Table:
    chips: dict[tuple[str, str, str], list[str]] = defaultdict(lambda: ["-"] * len(plan.periods))
    for i, p in enumerate(plan.periods):
        for a in p.accelerators:
            chips[(a.accelerator, a.provider, a.tier)][i] = str(a.chips)
    table = _table(
        "Chips per accelerator and tier (per period)", ["accelerator", "provider", "tier", "chips"]
    )
    for (acc, provider, tier), counts in sorted(chips.items()):
        table.add_row(acc, provider, tier, " ".join(counts))
    return table


def _fleet_changes(plan: Plan) -> Table:
    """With ``--fleet``: owned chips, and chips to add (+), keep and release (-) per period."""
    table = _table(
        "Fleet you have, and what to add (+) / release (-) each period",
        ["accelerator", "provider", "tier", "owned", "changes"],
    )
    if not any(p.owned or p.fleet_changes for p in plan.periods):
        return table
    owned: dict[tuple[str, str, str], list[str]] = defaultdict(lambda: ["-"] * len(plan.periods))
    moves: dict[tuple[str, str, str], list[str]] = defaultdict(lambda: ["."] * len(plan.periods))
    for i, p in enumerate(plan.periods):
        for o in p.owned:
            owned[(o.accelerator, o.provider, o.tier)][i] = str(o.chips)
        for c in p.fleet_changes:
            moves[(c.accelerator, c.provider, c.tier)][i] = _step(c.added_chips, c.released_chips)
    for key in sorted(set(owned) | set(moves)):
        table.add_row(*key, " ".join(owned[key]), " ".join(moves[key]))
    return table


def _step(added: int, released: int) -> str:
    return f"+{added}" if added else (f"-{released}" if released else ".")


def _deployments(plan: Plan) -> Table:
    table = _table(
        "Replicas per deployment (per period) and mean utilisation", ["id", "replicas", "utilization"]
    )
    seen: dict[str, list[tuple[int, float] | None]] = defaultdict(lambda: [None] * len(plan.periods))
    for i, p in enumerate(plan.periods):
        for d in p.deployments:
            seen[d.id][i] = (d.replicas, d.utilization)
    for dep_id, rows in seen.items():
        used = [r for r in rows if r is not None]
        counts = " ".join("-" if r is None else str(r[0]) for r in rows)
        table.add_row(dep_id, counts, f"{sum(u for _, u in used) / len(used):.0%}")
    return table


def _workloads(plan: Plan) -> Table:
    table = _table(
        "Workloads (last period)",
        [
            "workload",
            "demand req/s",
            "self-hosted",
            "API",
            "unmet",
            "marginal $/(req/s)",
            "TTFT ms",
            "TPOT ms",
        ],
    )
    if plan.periods:
        for w in plan.periods[-1].workloads:
            table.add_row(
                w.workload,
                _num(w.demand_requests_per_s),
                _num(w.self_hosted_requests_per_s),
                _num(w.api_requests_per_s),
                _num(w.unmet_requests_per_s),
                _usd(w.marginal_usd_per_request_per_s),
                _num(w.ttft_ms, 0),
                _num(w.tpot_ms, 0),
            )
    return table


def _baselines(plan: Plan) -> Table:
    table = _table("Baselines", ["name", "cost", "this plan saves", "note"])
    for b in plan.baselines:
        table.add_row(
            b.name, _usd(b.usd), "-" if b.saving_fraction is None else f"{b.saving_fraction:.1%}", b.note
        )
    return table


def _diagnostics(plan: Plan) -> None:
    for line in plan.diagnostics.unmet:
        console.print(
            f"[bold red]UNMET[/] {line.period}/{line.workload}: "
            f"{line.requests_per_s:.4g} req/s {escape('[' + ', '.join(line.reason_codes) + ']')}: "
            f"{escape(line.reason)}"
        )
    for r in plan.diagnostics.relaxations:
        c = r.change
        console.print(
            f"[bold green]way out[/] {c.kind} {c.target}: {c.from_} -> {c.to} serves "
            f"{', '.join(r.workloads)} ({r.requests_per_s:.4g} req/s): {_usd(r.objective_usd)}, "
            f"saves {_usd(r.saving_usd)}"
        )
    for warning in plan.diagnostics.warnings:
        console.print(f"[yellow]warning[/] {warning}")


def _ms(x: float | None) -> str:
    return "-" if x is None or x != x else f"{x:,.1f}"


def imported_table(result: ImportResult) -> None:
    """Print the points a ``plan profiles import`` wrote, and its notes."""
    where = f" to {escape(result.output)}" if result.output else ""
    table = _table(
        f"{len(result.points)} profile points from {result.runs} runs{where}",
        ["model", "accelerator", "tp", "in", "out", "req/s", "TTFT ms", "TPOT ms", "note"],
    )
    for p in result.points:
        table.add_row(
            p.model, p.accelerator, str(p.tensor_parallel), _num(p.input_tokens, 0), _num(p.output_tokens, 0),
            _num(p.requests_per_s, 3), _ms(p.ttft_ms), _ms(p.tpot_ms), escape(f"{p.tool}: {p.run}"),
        )  # fmt: skip
    console.print(table)
    for note in result.notes:
        console.print(f"note: {escape(note)}")


def check_table(report: CheckReport) -> None:
    """Print each profile row beside the model's estimate; flagged rows first say why."""
    table = _table(
        f"{escape(report.path)}: {report.flagged} of {len(report.rows)} rows "
        f"more than {report.factor:g}x off",
        ["row", "model", "accelerator", "tp", "in", "out", "measured", "estimated", "ratio", "note"],
    )
    for r in report.rows:
        ratio = "-" if r.ratio is None else f"{r.ratio:.2f}"
        note = r.status if not r.reason else f"{r.status}: {r.reason}"
        table.add_row(
            str(r.row), r.model, r.accelerator, str(r.tensor_parallel), _num(r.input_tokens, 0),
            _num(r.output_tokens, 0), _num(r.measured_requests_per_s, 3), _num(r.estimated_requests_per_s, 3),
            ratio, escape(note),
        )  # fmt: skip
    console.print(table)
