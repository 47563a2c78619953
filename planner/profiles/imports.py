"""``plan profiles import``: benchmark result files to a ``--profiles`` CSV.

Pipeline: read each file (:mod:`planner.profiles.importers`, tool detected from the content or
forced) into runs; map each run's model and hardware to catalog ids
(:mod:`planner.profiles.mapping`); take the parallelism and replica count from the file, else from
``--tp``/``--pp``/``--replicas`` (a file and an option that disagree are an error); divide the
measured rate by the replicas (a profile is per replica); pick the points (below); write the CSV
atomically after reading it back with the profiles reader, so the file is valid or not written.

Each point records the run's latency statistic (``--latency-stat``: mean, median, p90 or p99) as
``ttft_ms``/``tpot_ms``: the strictest targets the measurement met. Runs with the same
configuration and requested shape form a sweep (several concurrencies or rates). With targets
(``--ttft-ms``, ``--tpot-ms``), a sweep gives its one highest-throughput run that meets them;
without, every run that no other run of the sweep beats on throughput and both latencies (the
Pareto front): each is the highest throughput for targets equal to its own latencies.
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from planner.catalog.load import load_catalog
from planner.catalog.schema import Catalog
from planner.errors import InputError, Location
from planner.outputs import check_writable, write_text
from planner.profiles.columns import FRAME_COLUMNS
from planner.profiles.importers import LATENCY_STATS, TOOLS, Run, read_runs
from planner.profiles.mapping import (
    Choice,
    match_accelerator,
    match_model,
    model_hint,
    parse_choice,
    precision_for,
)
from planner.profiles.reader import parse_profiles
from planner.table import cells


@dataclass(frozen=True)
class Point:
    """One row of the profiles file, and the run it came from."""

    model: str
    accelerator: str
    tensor_parallel: int
    pipeline_parallel: int
    precision: str
    input_tokens: float
    output_tokens: float
    requests_per_s: float
    ttft_ms: float
    tpot_ms: float
    source: str
    tool: str
    run: str
    sweep: str

    @property
    def config(self) -> tuple[str, str, int, int, str]:
        """(model, accelerator, tensor_parallel, pipeline_parallel, precision)."""
        return (self.model, self.accelerator, self.tensor_parallel, self.pipeline_parallel, self.precision)


@dataclass(frozen=True)
class ImportResult:
    """What an import produced.

    Attributes:
        points: The rows written, in file order.
        runs: Runs read from all files.
        notes: What the reader noticed (stand-in fields, skipped sweeps), one line each.
        csv_text: The profiles CSV.
        output: The file written (``None``: not written).
    """

    points: tuple[Point, ...]
    runs: int
    notes: tuple[str, ...]
    csv_text: str
    output: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (``plan profiles import --format json``)."""
        rows = [
            {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in asdict(p).items()}
            for p in self.points
        ]
        return {"output": self.output, "runs_read": self.runs, "points": rows, "notes": list(self.notes)}


@dataclass(frozen=True)
class _Layout:
    tensor_parallel: int
    pipeline_parallel: int
    replicas: int


def import_profiles(
    files: Sequence[str | os.PathLike[str]],
    output: str | os.PathLike[str] | None = None,
    *,
    tool: str | None = None,
    model: Sequence[str] = (),
    accelerator: Sequence[str] = (),
    tensor_parallel: int | None = None,
    pipeline_parallel: int | None = None,
    replicas: int | None = None,
    precision: str | None = None,
    ttft_ms: float | None = None,
    tpot_ms: float | None = None,
    latency_stat: str = "mean",
    catalog_dirs: Sequence[str | os.PathLike[str]] = (),
) -> ImportResult:
    """Turn benchmark result files into a measured-profiles CSV (written to ``output`` if given).

    ``model`` and ``accelerator`` take catalog ids: ``NAME=ID`` for the runs whose file names
    ``NAME``, or ``ID`` for the runs whose file names nothing the catalog matches
    (:mod:`planner.profiles.mapping`); ``tensor_parallel``, ``pipeline_parallel`` and ``replicas``
    apply where a file does not say. The rules are in the module docstring.

    Raises:
        InputError: A bad file or option, a model or accelerator that maps to no catalog id, or no
            point meeting the targets; nothing is written then.
    """
    if not files:
        raise InputError("no benchmark file given", Location(column="FILE"))
    if latency_stat not in LATENCY_STATS:
        raise InputError(
            f"unknown latency statistic {latency_stat!r}",
            Location(column="--latency-stat"),
            f"valid: {', '.join(LATENCY_STATS)}",
        )
    if tool is not None and tool not in TOOLS:
        raise InputError(f"unknown tool {tool!r}", Location(column="--tool"), f"valid: {', '.join(TOOLS)}")
    for value, option in ((ttft_ms, "--ttft-ms"), (tpot_ms, "--tpot-ms")):
        if value is not None and not (math.isfinite(value) and 0 < value <= cells.MAX_LATENCY_MS):
            raise InputError(
                f"a latency target is a positive number of ms, got {value}", Location(column=option)
            )
    if output is not None:
        check_writable(output, "the profiles file")
        if any(os.path.realpath(output) == os.path.realpath(f) for f in files):
            raise InputError("would overwrite an input file", Location(file=os.fspath(output)))
    catalog = load_catalog(catalog_dirs)
    models = parse_choice(model, "--model", catalog.models, "models")
    accelerators = parse_choice(accelerator, "--accelerator", catalog.accelerators, "accelerators")
    layout = _Layout(tensor_parallel or 0, pipeline_parallel or 0, replicas or 0)
    measured: list[Point] = []
    notes: list[str] = []
    count = 0
    for file in files:
        importer, runs = read_runs(file, tool)
        count += len(runs)
        for run in runs:
            notes.extend(f"{os.fspath(file)}: {n}" for n in run.notes)
            measured.append(
                _point(
                    run,
                    importer.tool,
                    catalog,
                    models,
                    accelerators,
                    layout,
                    precision,
                    latency_stat,
                    (ttft_ms, tpot_ms),
                )
            )
    points = _select(measured, ttft_ms, tpot_ms, notes)
    text = profiles_csv(points)
    name = os.fspath(output) if output is not None else "imported profiles"
    parse_profiles(text.encode("utf-8"), name, catalog)  # the file is valid, or nothing is written
    if output is not None:
        write_text(output, text)
    return ImportResult(
        tuple(points),
        count,
        tuple(dict.fromkeys(notes)),
        text,
        os.fspath(output) if output is not None else None,
    )


def _point(
    run: Run,
    tool: str,
    catalog: Catalog,
    models: Choice,
    accelerators: Choice,
    options: _Layout,
    precision: str | None,
    stat: str,
    targets: tuple[float | None, float | None],
) -> Point:
    where = Location(file=run.source)
    chosen = models.by(run.model_names)
    found = match_model(run.model_names, catalog) if chosen is None else (catalog.models[chosen], None)
    if found is None and models.default is not None:
        found = (catalog.models[models.default], None)
    if found is None:
        said = (
            f"model {run.model_names[0]!r} is not in the catalog"
            if run.model_names
            else "the file names no model"
        )
        raise InputError(said, where, model_hint(run.model_names, catalog))
    spec, implied = found
    acc_id, chips = _accelerator(run, catalog, accelerators, where)
    layout = _layout(run, options, chips, where)
    ttft = _latency(run.ttft_ms, "TTFT", stat, targets[0], where)
    tpot = _latency(run.tpot_ms, "TPOT", stat, targets[1], where)
    return Point(
        model=spec.id,
        accelerator=acc_id,
        tensor_parallel=layout.tensor_parallel,
        pipeline_parallel=layout.pipeline_parallel,
        precision=precision_for(spec, implied, precision, where),
        input_tokens=run.input_tokens,
        output_tokens=run.output_tokens,
        requests_per_s=run.requests_per_s / layout.replicas,
        ttft_ms=ttft,
        tpot_ms=tpot,
        source=run.source,
        tool=tool,
        run=run.what,
        sweep=repr(run.sweep),
    )


def _accelerator(run: Run, catalog: Catalog, choice: Choice, where: Location) -> tuple[str, int | None]:
    label = run.hardware
    found, chips, candidates = match_accelerator(label, catalog) if label else (None, None, [])
    chosen = choice.by([label] if label else []) or found or choice.default
    if chosen is not None:
        return chosen, chips
    if not label:
        raise InputError(
            "the file does not say which accelerator ran it",
            where,
            f"pass --accelerator ID (one of: {', '.join(sorted(catalog.accelerators))})",
        )
    if candidates:
        raise InputError(
            f"hardware {label!r} could be {' or '.join(candidates)}",
            where,
            f"pass --accelerator '{label}={candidates[0]}'",
        )
    raise InputError(
        f"hardware {label!r} is not a catalog accelerator",
        where,
        f"pass --accelerator '{label}=ID' with a catalog id, or add it to a --catalog folder",
    )


def _layout(run: Run, options: _Layout, chips: int | None, where: Location) -> _Layout:
    values = []
    for field, from_file, option in (
        ("tensor_parallel", run.tensor_parallel, options.tensor_parallel),
        ("pipeline_parallel", run.pipeline_parallel, options.pipeline_parallel),
        ("replicas", run.replicas, options.replicas),
    ):
        flag = {"tensor_parallel": "--tp", "pipeline_parallel": "--pp", "replicas": "--replicas"}[field]
        if from_file and option and from_file != option:
            raise InputError(
                f"the file says {field} {from_file}, {flag} says {option}", where, f"drop {flag}"
            )
        values.append(from_file or option or None)
    tp, pp, replicas = values
    pp = pp or 1
    if chips is not None:
        if tp is None:
            tp = chips // (pp * (replicas or 1)) or 1
        replicas = replicas or max(1, chips // (tp * pp))
        if tp * pp * replicas != chips:
            raise InputError(
                f"the file's {chips} chips are not {replicas} replicas of tp {tp} x pp {pp}",
                where,
                "pass --tp, --pp and --replicas that multiply to the chip count",
            )
    for value, flag in ((tp, "--tp"), (pp, "--pp")):
        if value is not None and value > cells.MAX_PARALLEL:
            raise InputError(f"{flag} is at most {cells.MAX_PARALLEL}, got {value}", where)
    return _Layout(tp or 1, pp, replicas or 1)


def _latency(
    found: dict[str, float] | Any, metric: str, stat: str, target: float | None, where: Location
) -> float:
    if not found:
        if target is not None:
            raise InputError(
                f"the file has no {metric}, so the {metric} target cannot be checked",
                where,
                f"drop --{metric.lower()}-ms for this file",
            )
        return math.nan
    if stat not in found:
        raise InputError(
            f"the file has no {stat} {metric}",
            where,
            f"it has {', '.join(s for s in LATENCY_STATS if s in found)}: pass --latency-stat "
            f"{next(s for s in LATENCY_STATS if s in found)}",
        )
    return float(found[stat])


def _select(points: list[Point], ttft: float | None, tpot: float | None, notes: list[str]) -> list[Point]:
    """The points of each sweep to keep (module docstring), in the order they were read."""
    sweeps: dict[tuple[Any, ...], list[Point]] = {}
    for point in points:
        sweeps.setdefault((point.config, point.sweep), []).append(point)
    keep: set[int] = set()
    for group in sweeps.values():
        if ttft is not None or tpot is not None:
            meeting = [p for p in group if _meets(p.ttft_ms, ttft) and _meets(p.tpot_ms, tpot)]
            if meeting:
                keep.add(id(max(meeting, key=lambda p: p.requests_per_s)))
            else:
                notes.append(f"{group[0].source}: no run of its sweep {group[0].sweep} meets the targets")
        else:
            keep.update(id(p) for p in group if not any(_beats(q, p) for q in group if q is not p))
    chosen = [p for p in points if id(p) in keep]
    if not chosen:
        raise InputError(
            "no run meets the latency targets",
            Location(column="--ttft-ms" if ttft is not None else "--tpot-ms"),
            "loosen --ttft-ms/--tpot-ms, or choose another --latency-stat",
        )
    return chosen


def _meets(measured: float, target: float | None) -> bool:
    return target is None or (not math.isnan(measured) and measured <= target)


def _beats(q: Point, p: Point) -> bool:
    """``q`` is at least as fast and at least as quick on both latencies, and better on one."""
    pairs = [(p.requests_per_s, q.requests_per_s)]
    pairs += [
        (-a, -b)
        for a, b in ((p.ttft_ms, q.ttft_ms), (p.tpot_ms, q.tpot_ms))
        if not (math.isnan(a) or math.isnan(b))
    ]
    return all(b >= a for a, b in pairs) and any(b > a for a, b in pairs)


def profiles_csv(points: Sequence[Point]) -> str:
    """The profiles CSV of ``points``: exact decimal floats (``repr``), blank for no latency."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(FRAME_COLUMNS)
    for p in points:
        writer.writerow([_cell(getattr(p, column)) for column in FRAME_COLUMNS])
    return buffer.getvalue()


def _cell(value: object) -> str:
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    return str(value)
