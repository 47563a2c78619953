"""``plan report``: one plan (or two side by side) as a self-contained HTML page, for people.

The page is rendered from a Jinja2 template (``planner/templates/report.html.j2``); its charts are
inline SVG drawn by the template's macros from the geometry computed here (no script, no CDN, no
network needed to view it). The same plan always gives the same bytes.
"""

from __future__ import annotations

import dataclasses
import os
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from planner.outputs import write_text
from planner.plan import Plan

#: Colour-blind-safe palette (Okabe-Ito), then darker variants.
PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
    "#7f3c8d",
    "#11a579",
    "#3969ac",
    "#f2b701",
)
WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 700, 300, 70, 40, 16


@dataclass(frozen=True)
class Rect:
    """One bar segment: position, size, colour and its tooltip."""

    x: float
    y: float
    w: float
    h: float
    color: str
    title: str


@dataclass(frozen=True)
class Tick:
    """An axis tick: its position and label."""

    pos: float
    label: str


@dataclass(frozen=True)
class Chart:
    """An SVG chart's geometry (drawn by the template)."""

    id: str
    title: str
    unit: str
    width: int
    height: int
    rects: tuple[Rect, ...]
    y_ticks: tuple[Tick, ...]
    x_labels: tuple[Tick, ...]
    legend: tuple[tuple[str, str], ...]
    horizontal: bool = False
    empty: bool = False
    notes: tuple[str, ...] = field(default=())


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = float(10 ** (len(str(int(value))) - 1))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _fmt(value: float, unit: str) -> str:
    if unit == "USD":
        return f"${value:,.0f}" if abs(value) >= 100 else f"${value:,.2f}"
    if unit == "%":
        return f"{value:.0f}%"
    return f"{value:,.0f}" if abs(value) >= 10 or value == int(value) else f"{value:,.2f}"


def stacked_bars(
    chart_id: str, title: str, unit: str, categories: Sequence[str], series: dict[str, list[float]]
) -> Chart:
    """Vertical stacked bars: one bar per category, one colour per series."""
    totals = [sum(values[i] for values in series.values()) for i in range(len(categories))]
    top = _nice_max(max(totals, default=0.0))
    plot_w, plot_h = WIDTH - LEFT - 10, HEIGHT - BOTTOM - TOP
    slot = plot_w / max(len(categories), 1)
    bar = slot * 0.7
    colors = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(series)}
    rects: list[Rect] = []
    for i, cat in enumerate(categories):
        y: float = TOP + plot_h
        for name, values in series.items():
            h = values[i] / top * plot_h
            if h <= 0:
                continue
            y -= h
            x = LEFT + i * slot + (slot - bar) / 2
            rects.append(
                Rect(
                    round(x, 2),
                    round(y, 2),
                    round(bar, 2),
                    round(h, 2),
                    colors[name],
                    f"{cat} {name}: {_fmt(values[i], unit)}",
                )
            )
    y_ticks = tuple(Tick(round(TOP + plot_h - k / 4 * plot_h, 2), _fmt(top * k / 4, unit)) for k in range(5))
    every = max(1, len(categories) // 12)
    x_labels = tuple(
        Tick(round(LEFT + i * slot + slot / 2, 2), cat) for i, cat in enumerate(categories) if i % every == 0
    )
    return Chart(
        id=chart_id,
        title=title,
        unit=unit,
        width=WIDTH,
        height=HEIGHT,
        rects=tuple(rects),
        y_ticks=y_ticks,
        x_labels=x_labels,
        legend=tuple(colors.items()),
        empty=not rects,
    )


def horizontal_bars(chart_id: str, title: str, unit: str, items: Sequence[tuple[str, float]]) -> Chart:
    """Horizontal bars, one per labelled value."""
    label_w, row = 280, 24
    height = TOP + row * max(len(items), 1) + BOTTOM
    plot_w = WIDTH - label_w - 80
    top = _nice_max(max((v for _, v in items), default=0.0))
    rects = tuple(
        Rect(
            label_w,
            round(TOP + i * row + 4, 2),
            round(v / top * plot_w, 2),
            row - 8,
            PALETTE[0],
            f"{label}: {_fmt(v, unit)}",
        )
        for i, (label, v) in enumerate(items)
        if v > 0
    )
    labels = tuple(Tick(round(TOP + i * row + row / 2, 2), label) for i, (label, _) in enumerate(items))
    ticks = tuple(Tick(round(label_w + k / 4 * plot_w, 2), _fmt(top * k / 4, unit)) for k in range(5))
    return Chart(
        id=chart_id,
        title=title,
        unit=unit,
        width=WIDTH,
        height=height,
        rects=rects,
        y_ticks=ticks,
        x_labels=labels,
        legend=(),
        horizontal=True,
        empty=not items,
    )


def cost_chart(plan: Plan) -> Chart:
    """Cost per period by accelerator and by API."""
    series: dict[str, list[float]] = defaultdict(lambda: [0.0] * len(plan.periods))
    for i, p in enumerate(plan.periods):
        for a in p.accelerators:
            series[a.accelerator][i] += a.usd
        for r in p.routing:
            if r.kind == "api":
                series[f"API {r.target}"][i] += r.usd
    ordered = dict(sorted(series.items(), key=lambda kv: (kv[0].startswith("API "), kv[0])))
    return stacked_bars(
        "cost", "Cost per period by accelerator and API", "USD", [p.period for p in plan.periods], ordered
    )


def fleet_chart(plan: Plan) -> Chart:
    """Chips per period by accelerator and tier."""
    series: dict[str, list[float]] = defaultdict(lambda: [0.0] * len(plan.periods))
    for i, p in enumerate(plan.periods):
        for a in p.accelerators:
            series[f"{a.accelerator} {a.tier}"][i] += a.chips
    return stacked_bars(
        "fleet",
        "Fleet: chips by accelerator and tier",
        "chips",
        [p.period for p in plan.periods],
        dict(sorted(series.items())),
    )


def split_chart(plan: Plan) -> Chart:
    """Requests/s per period: self-hosted, API, unmet."""
    series = {
        "self-hosted": [sum(w.self_hosted_requests_per_s for w in p.workloads) for p in plan.periods],
        "API": [sum(w.api_requests_per_s for w in p.workloads) for p in plan.periods],
        "unmet": [sum(w.unmet_requests_per_s for w in p.workloads) for p in plan.periods],
    }
    return stacked_bars(
        "split", "Self-hosted / API split (requests/s)", "req/s", [p.period for p in plan.periods], series
    )


def utilization_chart(plan: Plan) -> Chart:
    """Mean utilisation per deployment, weighted by replicas and hours."""
    weight: dict[str, float] = defaultdict(float)
    busy: dict[str, float] = defaultdict(float)
    for p in plan.periods:
        for d in p.deployments:
            weight[d.id] += d.replicas * p.hours
            busy[d.id] += d.utilization * d.replicas * p.hours
    items = [(dep, 100 * busy[dep] / weight[dep]) for dep in sorted(weight) if weight[dep] > 0]
    return horizontal_bars("utilization", "Mean utilisation per deployment", "%", items)


def shadow_chart(plan: Plan) -> Chart:
    """Long-run marginal cost of one more request/s per workload, in the last period."""
    last = plan.periods[-1] if plan.periods else None
    items = [
        (w.workload, w.marginal_usd_per_request_per_s)
        for w in (last.workloads if last else ())
        if w.marginal_usd_per_request_per_s is not None
    ]
    label = last.period if last else ""
    return horizontal_bars(
        "shadow",
        f"Shadow price per workload ({label}, USD per req/s over the period)",
        "USD",
        [(n, float(v)) for n, v in items],
    )


def baseline_chart(plan: Plan) -> Chart:
    """The plan's objective beside each baseline fleet that can serve the demand."""
    items = [("this plan", plan.objective_usd)] + [
        (b.name, b.usd) for b in plan.baselines if b.usd is not None
    ]
    return horizontal_bars(
        "baselines", "Plan vs baselines (total USD)", "USD", [(n, float(v)) for n, v in items]
    )


def charts(plan: Plan) -> list[Chart]:
    """Every chart of the page, in order."""
    return [
        cost_chart(plan),
        fleet_chart(plan),
        utilization_chart(plan),
        split_chart(plan),
        shadow_chart(plan),
        baseline_chart(plan),
    ]


def _environment() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("planner", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"], default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["usd"] = lambda x: "-" if x is None else _fmt(float(x), "USD")
    env.filters["num"] = lambda x, digits=2: "-" if x is None else f"{float(x):,.{digits}f}"
    return env


def render_report(plan: Plan) -> str:
    """The report page as HTML text."""
    return str(_environment().get_template("report.html.j2").render(plan=plan, charts=charts(plan)))


def render_comparison(first: Plan, second: Plan, labels: tuple[str, str] = ("A", "B")) -> str:
    """The page of two plans side by side: their differences, then each one's charts by the other's."""
    from planner.whatif.compare import compare

    comparison = compare(first, second)
    pairs = [
        (
            dataclasses.replace(a, id=f"a-{a.id}", title=f"{labels[0]}: {a.title}"),
            dataclasses.replace(b, id=f"b-{b.id}", title=f"{labels[1]}: {b.title}"),
        )
        for a, b in zip(charts(first), charts(second), strict=True)
    ]
    return str(
        _environment()
        .get_template("compare.html.j2")
        .render(
            a=first,
            b=second,
            labels=labels,
            diff=comparison,
            difference=comparison.difference(),
            periods=comparison.periods,
            peak_a=comparison.base.peak_chips,
            peak_b=comparison.changed.peak_chips,
            chart_pairs=pairs,
            cost_names=[
                ("accelerators", "accelerators"),
                ("committed_beyond_horizon", "committed beyond horizon"),
                ("api", "API"),
                ("unmet_penalty", "unmet penalty"),
            ],
            split_names=[
                ("requests", "requests"),
                ("self_hosted_requests", "self-hosted"),
                ("api_requests", "API"),
                ("unmet_requests", "unmet"),
            ],
            share_names=[
                ("api_request_share", "API share of requests"),
                ("api_cost_share", "API share of cost"),
            ],
        )
    )


def write_report(
    plan: Plan,
    path: str | os.PathLike[str],
    other: Plan | None = None,
    labels: tuple[str, str] = ("A", "B"),
) -> None:
    """Write the report page atomically: one plan, or two side by side when ``other`` is given."""
    write_text(path, render_report(plan) if other is None else render_comparison(plan, other, labels))
