"""The sweep's charts, as PNG files (matplotlib, no display needed).

* ``cost-<scenario>.png``: total cost against each swept parameter of a scenario with axes (one
  line per value of its other axes), its base-case cost as a dashed line;
* ``split.png``: each point's cost split into self-hosting (accelerators and commitments), API and
  unmet-demand penalty;
* ``fleet.png``: each point's peak chips per accelerator.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from planner.outputs import atomic_write
from planner.sweeps.scenarios import Point, shown

#: Height of a bar chart per point, inches (and at least MIN_HEIGHT).
INCH_PER_POINT = 0.32
MIN_HEIGHT = 3.0
#: Longest label of a point on a chart.
MAX_LABEL = 48


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def slug(name: str) -> str:
    """A file-name-safe form of a scenario or column name."""
    return re.sub(r"[^a-z0-9.=-]+", "-", name.lower()).strip("-") or "x"


def _save(figure: Any, path: Path) -> Path:
    plt = _pyplot()
    atomic_write(path, lambda tmp: figure.savefig(tmp, format="png", dpi=110, metadata={"Software": None}))
    plt.close(figure)
    return path


def write_charts(
    out_dir: str | os.PathLike[str], points: Sequence[Point], rows: Sequence[Mapping[str, Any]]
) -> list[Path]:
    """Write every chart into ``out_dir`` (which must exist); the files written."""
    folder = Path(out_dir)
    by_name = {row["scenario"]: row for row in rows}
    written = []
    base_cost = by_name.get("base", {}).get("objective_usd")
    scenarios: dict[str, list[Point]] = {}
    for point in points:
        if point.axes:
            scenarios.setdefault(point.scenario, []).append(point)
    for scenario, members in scenarios.items():
        written.append(
            _cost_chart(folder / f"cost-{slug(scenario)}.png", scenario, members, by_name, base_cost)
        )
    labels = {point.name: label(point) for point in points}
    solved = [row for row in rows if row["objective_usd"] is not None]
    if solved:
        names = [labels.get(str(row["scenario"]), str(row["scenario"])) for row in solved]
        written.append(_split_chart(folder / "split.png", names, solved))
        written.append(_fleet_chart(folder / "fleet.png", names, solved))
    return written


def label(point: Point) -> str:
    """A point's short name on a chart: each axis by its last key (``h100[usd_per_chip_hour=2]``)."""
    if not point.axis_values:
        return point.name
    values = ",".join(f"{axis.rsplit('.', 1)[-1]}={shown(v)}" for axis, v in point.axis_values.items())
    text = f"{point.scenario}[{values}]"
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 3] + "..."


def _cost_chart(
    path: Path,
    scenario: str,
    points: Sequence[Point],
    rows: Mapping[str, Mapping[str, Any]],
    base_cost: float | None,
) -> Path:
    plt = _pyplot()
    axes = points[0].axes
    figure, plots = plt.subplots(
        1, len(axes), figsize=(5.5 * len(axes), 4), squeeze=False, layout="constrained"
    )
    for plot, axis in zip(plots[0], axes, strict=True):
        others = [a for a in axes if a != axis]
        lines: dict[tuple[Any, ...], list[tuple[Any, float]]] = {}
        for point in points:
            cost = rows[point.name]["objective_usd"]
            if cost is not None:
                key = tuple(point.axis_values[a] for a in others)
                lines.setdefault(key, []).append((point.axis_values[axis], cost / 1e3))
        for key, xy in lines.items():
            if not any(isinstance(x, str) for x, _ in xy):  # text values (p50, p90) keep the file's order
                xy.sort()
            label = (
                ", ".join(f"{a.split(':')[-1]}={shown(v)}" for a, v in zip(others, key, strict=True))
                or scenario
            )
            plot.plot([x for x, _ in xy], [y for _, y in xy], marker="o", label=label)
        if base_cost is not None:
            plot.axhline(base_cost / 1e3, color="grey", linestyle="--", linewidth=1, label="base")
        plot.set_xlabel(axis, fontsize=8)
        plot.set_ylabel("total cost, thousand USD")
        plot.grid(alpha=0.3)
        plot.legend(fontsize=7)
    figure.suptitle(f"{scenario}: cost against each swept parameter", fontsize=10)
    return _save(figure, path)


def _height(count: int) -> float:
    return max(MIN_HEIGHT, INCH_PER_POINT * count + 1.5)


def _bars(plot: Any, names: Sequence[str]) -> range:
    """Horizontal bars, the first point at the top."""
    y = range(len(names))
    plot.set_yticks(list(y), names, fontsize=7)
    plot.invert_yaxis()
    return y


def _legend(plot: Any) -> None:
    """The legend below the chart."""
    plot.figure.legend(fontsize=7, loc="outside lower center", ncol=4)


def _split_chart(path: Path, names: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> Path:
    plt = _pyplot()
    self_host = [(row["accelerators_usd"] + row["committed_beyond_horizon_usd"]) / 1e3 for row in rows]
    api = [row["api_usd"] / 1e3 for row in rows]
    unmet = [row["unmet_penalty_usd"] / 1e3 for row in rows]
    figure, plot = plt.subplots(figsize=(8, _height(len(rows))), layout="constrained")
    y = _bars(plot, names)
    plot.barh(y, self_host, label="self-hosted (accelerators, commitments)", color="#4c72b0")
    plot.barh(y, api, left=self_host, label="API", color="#dd8452")
    if any(unmet):
        left = [s + a for s, a in zip(self_host, api, strict=True)]
        plot.barh(y, unmet, left=left, label="unmet-demand penalty", color="#c44e52")
    plot.set_xlabel("cost over the horizon, thousand USD")
    plot.set_title("Self-hosted / API split by scenario")
    _legend(plot)
    plot.grid(axis="x", alpha=0.3)
    return _save(figure, path)


def _fleet_chart(path: Path, names: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> Path:
    plt = _pyplot()
    accelerators = [key for key in rows[0] if key.startswith("peak_chips_")]
    figure, plot = plt.subplots(figsize=(8, _height(len(rows))), layout="constrained")
    y = _bars(plot, names)
    left = [0.0] * len(rows)
    for acc in accelerators:
        chips = [float(row[acc] or 0) for row in rows]
        plot.barh(y, chips, left=left, label=acc.removeprefix("peak_chips_"))
        left = [b + c for b, c in zip(left, chips, strict=True)]
    plot.set_xlabel("peak chips in one period (each accelerator's own peak)")
    plot.set_title("Fleet by accelerator")
    if accelerators:
        _legend(plot)
    plot.grid(axis="x", alpha=0.3)
    return _save(figure, path)
