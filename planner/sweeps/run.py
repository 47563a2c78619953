"""``plan sweep`` as a library function: read, check, solve what is missing, summarise.

Everything that can be wrong with the input (the scenario file, the options, every change of
every point) is checked before the output folder is touched: a bad input writes nothing. Then
each point is solved (serially, in local processes, or on Ray), its plan written as soon as it
arrives, and ``sweep.json`` records the content hash of every finished point, so that a rerun
into the same folder reuses what is unchanged (the inputs after the point's changes, the
settings and the fleetplan version) and solves only the rest.

The work-limit rule: a point stops on a work limit, never on the clock alone, so that serial,
parallel and Ray runs agree whatever the load. ``--work-limit`` applies as given; without it a
sweep uses ``max(1, floor(time-limit / SECONDS_PER_WORK_UNIT))`` (one unit, 1 branch-and-bound
node and 10,000 simplex iterations per MILP, per 4 s of the time limit), which this machine's
HiGHS runs well within its time, so the time limit stays a backstop only; a point it stops records
``stopped_by: time_limit`` in its row.

The base row is solved first; every other point's search then starts from the base row's plan
(:mod:`planner.warmstart`: the base's choices, routed by the point's LP, beside the point's own
rounded plan; never a bound). Every executor hands each point the same start, so the rule keeps
serial, parallel and Ray runs identical; a point's content hash includes the base row's.
The interior points of a scenario that is one axis over one accelerator price are held for rounds
after that, in which each is solved or settled by its neighbours' proven bounds
(:mod:`planner.sweeps.bracket`, :mod:`planner.sweeps.schedule`).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from planner.errors import InputError, InputErrors, Location, PlannerError
from planner.option_checks import api_where, validate_options
from planner.optionsfile import _relative
from planner.outputs import write_text
from planner.pipeline import Problem, catalog_sha256
from planner.sweeps.bracket import price_axes
from planner.sweeps.folder import (
    PLANS,
    Finished,
    Progress,
    check_out_folder,
    drop_stale_plans,
    plan_file_names,
    read_index,
    reuse,
    write_index,
)
from planner.sweeps.runner import Job, LocalPool, RayCluster, default_workers, run_serial
from planner.sweeps.scenarios import Point, ScenarioFile, read_scenarios
from planner.sweeps.schedule import Schedule
from planner.sweeps.summary import Row, print_table, records, summary_csv

#: Seconds of time limit per unit of derived work limit (see the module docstring).
SECONDS_PER_WORK_UNIT = 4.0
#: Options a sweep does not take from the file or the API (it writes its own files).
NOT_FOR_SWEEP = {
    "output": "a sweep writes each scenario's plan into its -o DIR",
    "save_model": "a sweep does not write models",
    "format": "give --format on the command line",
    "start": "a sweep's points start from its base row's plan (docs/sweeps.md)",
}
EXIT_INTERRUPTED = 130


class SweepInterrupted(PlannerError):  # noqa: N818 (the user's Ctrl-C, not a fault)
    """Ctrl-C: the finished points are kept (rerun with the same -o to go on)."""

    exit_code = EXIT_INTERRUPTED


@dataclass
class SweepResult:
    """A finished sweep: the summary, and which points were solved now or reused."""

    out_dir: Path
    header: list[str]
    rows: list[dict[str, Any]]
    solved: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Every point solved with every demand met."""
        return all(r["status"] != "failed" and not r["unmet_penalty_usd"] for r in self.rows)

    def to_json(self) -> dict[str, Any]:
        """The document ``--format json`` prints."""
        return {
            "out_dir": str(self.out_dir),
            "columns": self.header,
            "rows": self.rows,
            "solved": self.solved,
            "reused": self.reused,
            "files": [str(p) for p in self.files],
            "seconds": self.seconds,
        }

    def print_table(self, console: Any) -> None:
        """The summary table for people."""
        print_table(self.header, self.rows, console)


def derived_work_limit(time_limit_s: float) -> int:
    """The work limit of a point run without ``--work-limit`` (see the module docstring)."""
    return max(1, math.floor(time_limit_s / SECONDS_PER_WORK_UNIT))


def sweep_settings(problem: Problem) -> Problem:
    """The problem with 1 solver thread (unless given) and a work limit (given, or derived)."""
    settings = problem.settings
    update: dict[str, Any] = {}
    if settings.threads is None:
        update["threads"] = 1
    if settings.work_limit is None:
        update["work_limit"] = derived_work_limit(settings.time_limit_s)
    return replace(problem, settings=settings.model_copy(update=update)) if update else problem


def content_hash(problem: Problem) -> str:
    """A fingerprint of everything a point's plan depends on (and the fleetplan version)."""
    from planner import __version__

    demand = problem.demand
    parts = {
        "fleetplan": __version__,
        "catalog": catalog_sha256(problem.catalog),
        "demand": hashlib.sha256(demand.frame.to_csv(index=False).encode()).hexdigest(),
        "periods": list(demand.periods),
        "hours": demand.hours,
        # what a forecast was read for (``change: {provision-for: p90}``) and what reading it
        # warned of: both reach the plan even where two selections give the same rates
        "forecast": demand.forecast.selection() if demand.forecast else None,
        "warnings": list(demand.warnings),
        "profiles": [
            problem.profiles.sha256,
            hashlib.sha256(problem.profiles.frame.to_csv().encode()).hexdigest(),
        ],
        "settings": problem.settings.model_dump(mode="json"),
        "fleet": problem.fleet.sha256,  # --fleet: the chips already paid for
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def file_options(spec: ScenarioFile) -> dict[str, Any]:
    """The file's ``options:``, checked as options.yaml's are, paths relative to the file."""
    where: Callable[[str], Location] = lambda key: Location(file=str(spec.path), key=f"options.{key}")  # noqa: E731
    values = validate_options(spec.options, where, none_is_default=False, setting_names=False)
    _refuse(values, where)
    return {key: _relative(spec.path.parent, key, value) for key, value in values.items()}


def _refuse(values: Mapping[str, Any], where: Callable[[str], Location]) -> None:
    errors = [
        InputError("not an option of plan sweep", where(key.replace("_", "-")), reason)
        for key, reason in NOT_FOR_SWEEP.items()
        if values.get(key) is not None
    ]
    if errors:
        raise InputErrors(errors)


def prepare(
    scenario_file: str | os.PathLike[str],
    catalog_dirs: Sequence[str | os.PathLike[str]] = (),
    options: Mapping[str, Any] | None = None,
) -> tuple[ScenarioFile, list[Job], dict[str, Point]]:
    """Read and check everything; the jobs of every point with its changes applied (nothing written).

    Raises:
        InputError: a bad scenario file, option or change (every point's changes are applied here).
    """
    from planner.api import prepare_solve
    from planner.sweeps.apply import apply_point

    spec = read_scenarios(scenario_file)
    given = validate_options({k: v for k, v in (options or {}).items() if k != "format"}, api_where)
    _refuse(given, api_where)
    run = prepare_solve(spec.base, catalog_dirs, {**file_options(spec), **given})
    base = run.load_problem()
    jobs: list[Job] = []
    errors: list[InputError] = []
    points: dict[str, Point] = {}
    for point in spec.points:
        try:
            changed, columns = apply_point(base, point, spec.path)
        except InputError as exc:
            errors += exc.errors if isinstance(exc, InputErrors) else [exc]
            continue
        problem = sweep_settings(changed)
        # the base row (the first point) keeps its LP basis: every later point's LP start
        jobs.append(Job(point.name, problem, content_hash(problem), keep_basis=not jobs))
        points[point.name] = replace(point, columns=columns)
    if errors:
        raise InputErrors(errors)
    return spec, start_keys(jobs), points


def sweep(
    scenario_file: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    catalog_dirs: Sequence[str | os.PathLike[str]] = (),
    workers: int | None = None,
    ray_address: str | None = None,
    progress: Progress | None = None,
    charts: bool = True,
    bracket: bool = True,
    bracket_gap: float = 0.0,
    **options: Any,
) -> SweepResult:
    """Solve every point of a scenario file into ``out_dir`` (see the module docstring).

    ``options`` are ``plan solve``'s options by Python name (``time_limit=30``), applied to every
    scenario over the file's ``options:``. ``workers`` local processes (default: the cores; 1
    solves in this process); ``ray_address`` (``HOST:PORT`` or ``auto``) runs on a Ray cluster.
    ``bracket``: settle interior points of accelerator-price axes by their neighbours' proven
    bounds where those reach either neighbour's gap (:mod:`planner.sweeps.bracket`); False solves
    every point. ``bracket_gap``: the gap a settled point may have beyond either neighbour's (0: none).

    Raises:
        InputError: bad input (nothing is written).
        SweepInterrupted: Ctrl-C (the finished points are kept).
    """
    if workers is not None and workers < 1:
        raise InputError(f"must be 1 or more, got {workers}", Location(column="--workers"))
    if not 0.0 <= bracket_gap < 1.0:
        raise InputError(
            f"must be at least 0 and below 1, got {bracket_gap}", Location(column="--bracket-gap")
        )
    spec, jobs, points = prepare(scenario_file, catalog_dirs, options)
    folder = Path(out_dir)
    check_out_folder(folder)
    cluster = RayCluster(ray_address) if ray_address else None
    if cluster:
        cluster.connect()
    try:
        gap = bracket_gap if bracket else None
        return _run(spec, jobs, points, folder, workers, cluster, progress or _silent, charts, gap)
    except KeyboardInterrupt:
        raise SweepInterrupted(
            f"interrupted: the finished scenarios are kept in {folder}; run the sweep again with the "
            "same -o to solve the rest"
        ) from None
    finally:
        if cluster:
            cluster.close()


def _silent(done: int, running: int, failed: int, total: int) -> None:
    del done, running, failed, total


@dataclass
class _Executor:
    """Runs the schedule's jobs on Ray, in local processes or in this process, as they become ready."""

    cluster: RayCluster | None
    pool: LocalPool | None
    twins: Mapping[str, list[str]]

    def run(self, schedule: Schedule, run: Finished) -> None:
        def pull() -> list[Job]:
            return schedule.pull(run)

        if self.cluster:
            stream = self.cluster.run(pull, run.started)
        else:
            stream = self.pool.run(pull, run.started) if self.pool else run_serial(pull, run.started)
        for solved in stream:
            run.finished(solved, self.twins[run.keys[solved.name]])


def _solve(schedule: Schedule, run: Finished, workers: int | None, cluster: RayCluster | None) -> None:
    """Every job of the schedule, each handed out as soon as it is ready (planner.sweeps.schedule)."""
    count = max(1, min(workers if workers is not None else default_workers(), len(schedule.todo)))
    pool = LocalPool(count) if cluster is None and count > 1 else None
    executor = _Executor(cluster, pool, schedule.twins)
    try:
        if pool:
            pool.start()  # every worker imports fleetplan while the first jobs are handed out
        executor.run(schedule, run)
    except BaseException:
        if pool:
            pool.stop()
        raise
    if pool:
        pool.close()


def _run(
    spec: ScenarioFile,
    jobs: list[Job],
    points: Mapping[str, Point],
    folder: Path,
    workers: int | None,
    cluster: RayCluster | None,
    progress: Progress,
    charts: bool,
    bracket_gap: float | None,
) -> SweepResult:
    folder.mkdir(exist_ok=True)
    (folder / PLANS).mkdir(exist_ok=True)
    files = plan_file_names([job.name for job in jobs])
    run = Finished(folder, spec, files, {job.name: job.key for job in jobs}, progress, len(jobs))
    index = read_index(folder)
    todo, twins = reuse(folder, jobs, run, index)
    result = SweepResult(folder, [], [], reused=[j.name for j in jobs if j.name in run.plans])
    run.tell()
    settings = {job.name: job.problem.settings for job in jobs}
    catalog = jobs[0].problem.catalog
    axes = (
        price_axes(list(points.values()), catalog, settings, bracket_gap) if bracket_gap is not None else []
    )
    _solve(Schedule(folder, index, jobs[0].name, todo, twins, axes), run, workers, cluster)
    write_index(folder, spec, run.entries)
    result.solved, result.seconds = run.solved, run.seconds
    drop_stale_plans(folder, {entry["plan"] for entry in run.entries.values()})
    rows = [
        Row(job.name, points[job.name].columns, run.plans.get(job.name), run.errors.get(job.name))
        for job in jobs
    ]
    result.header, result.rows = records(rows, _change_columns(points.values()))
    write_text(folder / "summary.csv", summary_csv(result.header, result.rows))
    result.files = [folder / "summary.csv", *(folder / files[j.name] for j in jobs if j.name in run.plans)]
    if charts:
        from planner.sweeps.charts import write_charts

        result.files += write_charts(folder, list(points.values()), result.rows)
    return result


def start_keys(jobs: Sequence[Job]) -> list[Job]:
    """The jobs with every point's key chained to the base row's (the first job's).

    A point's search starts from the base row's plan, so its plan depends on the base's inputs
    too; a point with the base's own inputs keeps its key (it is the base's twin).
    """
    if not jobs:
        return []
    first = jobs[0].key

    def chained(job: Job) -> Job:
        if job.key == first:
            return job
        return replace(job, key=hashlib.sha256(f"{job.key}:{first}".encode()).hexdigest())

    return [jobs[0], *(chained(job) for job in jobs[1:])]


def _change_columns(points: Iterable[Point]) -> list[str]:
    """Every change column, in order of first appearance."""
    seen: dict[str, None] = {}
    for point in points:
        seen.update(dict.fromkeys(point.columns))
    return list(seen)
