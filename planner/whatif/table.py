"""Terminal output of a comparison (``plan whatif``, ``plan diff``) and of sensitivity ranges (rich)."""

from __future__ import annotations

from rich.table import Table

from planner.plan import Plan, Sensitivity
from planner.terminal import _num, _usd, console, provisioned_for
from planner.whatif.compare import COST_PARTS, Comparison, compare

_COST_NAMES = {
    "accelerators": "accelerators",
    "committed_beyond_horizon": "committed beyond horizon",
    "api": "API",
    "unmet_penalty": "unmet penalty",
}


_LEFT = frozenset(
    {"quantity", "accelerator", "provider", "tier", "id", "change", "workload", "target", "routing change"}
)


def _table(title: str, columns: list[str]) -> Table:
    """A table whose long cells fold rather than being cut (ids, paths, routing notes)."""
    table = Table(title=title, title_justify="left", header_style="bold")
    for col in columns:
        table.add_column(col, justify="left" if col in _LEFT else "right", overflow="fold")
    return table


def _signed_usd(x: float) -> str:
    text = _usd(abs(x))
    return "0" if abs(x) < 0.005 else ("+" if x > 0 else "-") + text


def _signed(x: float, digits: int = 0) -> str:
    return "0" if abs(x) < 0.5 * 10**-digits else f"{x:+,.{digits}f}"


def _status(plan: Plan) -> str:
    unmet = f", {plan.diagnostics.unmet_share:.2%} UNMET" if plan.diagnostics.unmet else ""
    proven = plan.solver.stopped_by == "proven"
    stop = "proven" if proven else f"{plan.solver.stopped_by}, gap {plan.solver.gap:.2%}"
    return f"{plan.status} ({stop}){unmet}"


def _totals(c: Comparison, labels: tuple[str, str], base: Plan, changed: Plan) -> Table:
    table = _table("Total cost and its parts", ["quantity", labels[0], labels[1], "difference"])
    table.add_row("status", _status(base), _status(changed), "")
    table.add_row(
        "total",
        _usd(c.base.objective_usd),
        _usd(c.changed.objective_usd),
        _signed_usd(c.changed.objective_usd - c.base.objective_usd),
    )
    for part in COST_PARTS:
        before, after = c.base.cost_usd[part], c.changed.cost_usd[part]
        table.add_row(_COST_NAMES[part], _usd(before), _usd(after), _signed_usd(after - before))
    return table


def _split(c: Comparison, labels: tuple[str, str]) -> Table:
    table = _table("Self-hosted / API split (requests over the horizon)", ["quantity", *labels, "difference"])
    for key, name in (
        ("requests", "requests"),
        ("self_hosted_requests", "self-hosted"),
        ("api_requests", "API"),
        ("unmet_requests", "unmet"),
    ):
        before, after = c.base.split[key], c.changed.split[key]
        table.add_row(name, _num(before, 0), _num(after, 0), _signed(after - before))
    for key, name in (
        ("api_request_share", "API share of requests"),
        ("api_cost_share", "API share of cost"),
    ):
        before, after = c.base.split[key], c.changed.split[key]
        table.add_row(name, f"{before:.1%}", f"{after:.1%}", f"{(after - before) * 100:+.1f} pt")
    return table


def _chips(c: Comparison, labels: tuple[str, str]) -> Table:
    table = _table(
        "Chips per accelerator, provider and tier (peak over the periods; chip-hours)",
        [
            "accelerator",
            "provider",
            "tier",
            f"{labels[0]} peak",
            f"{labels[1]} peak",
            "difference",
            "chip-h diff",
        ],
    )
    before, after = c.base.peak_chips, c.changed.peak_chips
    for key in c.chip_keys():
        hours = c.changed.chip_hours.get(key, 0.0) - c.base.chip_hours.get(key, 0.0)
        b, a = before.get(key, 0), after.get(key, 0)
        table.add_row(*key, str(b), str(a), _signed(a - b), _signed(hours))
    return table


def _fleet_moves(c: Comparison, labels: tuple[str, str]) -> Table:
    """With ``--fleet``: chips added and released over the periods, in both cases."""
    table = _table(
        "Fleet you have: chips added / released over the periods",
        ["accelerator", "provider", "tier", f"{labels[0]} +/-", f"{labels[1]} +/-"],
    )
    for key in c.fleet_keys():
        sides = [side.fleet_changes.get(key, {}) for side in (c.base, c.changed)]
        table.add_row(*key, *(f"+{s.get('added_chips', 0)} / -{s.get('released_chips', 0)}" for s in sides))
    return table


def _deployments(c: Comparison, labels: tuple[str, str]) -> Table:
    table = _table(
        "Deployments that appear, disappear or change (replicas per period)",
        ["id", "change", labels[0], labels[1]],
    )
    periods = c.periods
    for dep, change in c.deployment_changes().items():
        if change == "same":
            continue
        rows = [
            " ".join(str(side.deployments.get(dep, {}).get(p, "-")) for p in periods)
            for side in (c.base, c.changed)
        ]
        table.add_row(dep, change, *rows)
    return table


def _workloads(c: Comparison, labels: tuple[str, str]) -> Table:
    table = _table(
        "Workloads over the horizon (cost: API charges plus the share of accelerator cost)",
        ["workload", f"{labels[0]} cost", f"{labels[1]} cost", "difference", "API share", "routing change"],
    )
    for w in c.workload_ids():
        before = c.base.workloads.get(w, {})
        after = c.changed.workloads.get(w, {})
        shares = [
            f"{side.get('api_requests', 0.0) / side['requests']:.0%}" if side.get("requests") else "-"
            for side in (before, after)
        ]
        table.add_row(
            w,
            _usd(before.get("usd", 0.0)),
            _usd(after.get("usd", 0.0)),
            _signed_usd(after.get("usd", 0.0) - before.get("usd", 0.0)),
            " -> ".join(shares),
            _routing_change(c, w),
        )
    return table


def _routing_change(c: Comparison, workload: str) -> str:
    before = c.base.routes.get(workload, {})
    after = c.changed.routes.get(workload, {})
    total = max(c.base.workloads.get(workload, {}).get("requests", 0.0), 1e-12)
    parts = []
    for key in sorted({*before, *after}):
        delta = (after.get(key, 0.0) - before.get(key, 0.0)) / total
        if abs(delta) >= 0.005:
            parts.append(f"{key[1]} {delta * 100:+.0f}%")
    return "\n".join(parts) or "same"


def comparison_report(
    base: Plan,
    changed: Plan,
    labels: tuple[str, str] = ("base", "changed"),
    title: str | None = None,
) -> None:
    """Print two plans side by side with the difference of each figure."""
    c = compare(base, changed)
    if title:
        console.print(title, markup=False)
    sides = (provisioned_for(base), provisioned_for(changed))
    if (base.inputs.forecast or changed.inputs.forecast) and sides[0] != sides[1]:
        console.print(f"provisioned for: {sides[0]} -> {sides[1]}", markup=False, soft_wrap=True)
    for table in (_totals(c, labels, base, changed), _split(c, labels), _chips(c, labels)):
        console.print(table)
    for table in (_fleet_moves(c, labels), _deployments(c, labels), _workloads(c, labels)):
        if table.row_count:
            console.print(table)
    for name, plan in zip(labels, (base, changed), strict=True):
        if plan.sensitivity is not None:
            sensitivity_report(plan.sensitivity, f"Price ranges ({name}) over which its fleet stays the same")


def _end(factor: float, usd: float, sign: str) -> str:
    """A range end: the price and factor; at the end of the searched range, ``<=`` or ``>=`` it."""
    return f"{sign}{_usd(factor * usd)} ({factor:.3g}x)"


def _beyond(text: str | None, searched: bool, budget_out: bool) -> str:
    if text is not None:
        return text
    if not searched:
        return "-"
    return "not reached (re-solve budget spent)" if budget_out else "no change found"


def sensitivity_report(
    section: Sensitivity, title: str = "Price ranges over which the fleet stays the same"
) -> None:
    """Print the price ranges of a plan's sensitivity section (``<=``/``>=``: the search's end)."""
    table = _table(title, ["target", "price", "same from", "same to", "below that", "above that"])
    low_limit, high_limit = section.searched_factors
    for r in section.ranges:
        target = f"{r.accelerator}/{r.provider}/{r.tier}" if r.kind == "offer" else f"API {r.api}"
        unit = "/chip-h" if r.kind == "offer" else "/1M out"
        table.add_row(
            target + ("" if r.in_plan else " (unused)"),
            _usd(r.usd) + unit,
            _end(r.low_factor, r.usd, "<=" if r.low_factor <= low_limit else ""),
            _end(r.high_factor, r.usd, ">=" if r.high_factor >= high_limit else ""),
            _beyond(r.below, True, "lower end" in r.note),
            _beyond(r.above, r.in_plan, "upper end" in r.note),
        )
    console.print(table)
    console.print(f"[dim]{section.method}; {section.resolves} re-solves[/]")
