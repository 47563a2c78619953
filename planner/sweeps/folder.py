"""A sweep's output folder: plan files, the ``sweep.json`` index, the base row's LP basis, and reuse.

``sweep.json`` records the content hash and plan file of every finished point; a rerun into the
same folder takes each point whose hash has a plan there (:func:`reuse`) and solves the rest.
Every file is written atomically as its point finishes, so Ctrl-C keeps what was done.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from planner.errors import InputError, Location
from planner.lpbasis import LpBasis
from planner.outputs import write_text
from planner.plan import Plan
from planner.sweeps.runner import Job, Outcome
from planner.sweeps.scenarios import ScenarioFile

INDEX = "sweep.json"
PLANS = "plans"
#: The base row's LP relaxation basis, every later point's LP start (:mod:`planner.lpbasis`),
#: tagged with the base row's content hash: a rerun that takes the base row's plan takes it too.
BASIS = "base-basis.npz"
#: ``progress(done, running, failed, total)``, called as points start and finish.
Progress = Callable[[int, int, int, int], None]


def check_out_folder(out_dir: Path) -> None:
    """Check the output folder before the first write: new, empty, or an earlier sweep's."""
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError("is a file: -o takes a folder for the sweep", Location(file=str(out_dir)))
    if not out_dir.exists():
        if not out_dir.parent.is_dir():
            raise InputError(
                f"the folder {str(out_dir.parent)!r} does not exist", Location(file=str(out_dir))
            )
        return
    if any(out_dir.iterdir()) and not (out_dir / INDEX).is_file():
        raise InputError(
            f"the folder holds files but no {INDEX}: give a new or empty folder, or an earlier sweep's",
            Location(file=str(out_dir)),
        )


def read_index(out_dir: Path) -> dict[str, Any]:
    """The finished points an earlier run recorded (empty when there is no readable index)."""
    try:
        data = json.loads((out_dir / INDEX).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    points = data.get("points") if isinstance(data, dict) else None
    return points if isinstance(points, dict) else {}


def reusable(out_dir: Path, job: Job, index: Mapping[str, Any]) -> tuple[Plan, str] | None:
    """An earlier run's finished plan (and its file) of a point with this content hash, if any.

    The point's own entry comes first; any other point with the same inputs will do.
    """
    entries = [index.get(job.name), *index.values()]
    for entry in entries:
        if (
            not isinstance(entry, dict)
            or entry.get("hash") != job.key
            or not isinstance(entry.get("plan"), str)
        ):
            continue
        try:
            plan = Plan.model_validate_json((out_dir / entry["plan"]).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        return plan, entry["plan"]
    return None


def plan_file_names(names: Sequence[str]) -> dict[str, str]:
    """Each point's plan file under ``plans/`` (its name made file-safe; distinct)."""
    from planner.sweeps.charts import slug

    out: dict[str, str] = {}
    used: set[str] = set()
    for name in names:
        stem = slug(name.replace("[", "--").replace(",", "--").replace(":", "-"))
        candidate, n = stem, 1
        while candidate in used:
            n += 1
            candidate = f"{stem}-{n}"
        used.add(candidate)
        out[name] = f"{PLANS}/{candidate}.json"
    return out


@dataclass
class Finished:
    """What a sweep run has finished so far, written to its folder as points arrive."""

    folder: Path
    spec: ScenarioFile
    files: dict[str, str]
    keys: dict[str, str]
    report: Progress
    total: int
    plans: dict[str, Plan] = field(default_factory=dict)
    #: The base row's LP basis (:mod:`planner.lpbasis`), once its job returned it or a rerun
    #: read it from the folder; every later point starts its relaxation from it.
    base_basis: LpBasis | None = None
    errors: dict[str, str] = field(default_factory=dict)
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    solved: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    running: int = 0
    failed: int = 0

    def tell(self) -> None:
        """Report the counts so far."""
        self.report(len(self.plans) + len(self.errors), self.running, self.failed, self.total)

    def started(self, name: str) -> None:
        """A point was handed to a worker."""
        del name
        self.running += 1
        self.tell()

    def record(self, outcome: Outcome) -> None:
        """Keep one finished point: its plan file at once (so Ctrl-C keeps it), or its error."""
        file = self.files[outcome.name]
        if outcome.plan is None:
            self.errors[outcome.name] = outcome.error or "failed"
            (self.folder / file).unlink(missing_ok=True)
            return
        plan = Plan.model_validate(outcome.plan)
        write_text(self.folder / file, json.dumps(outcome.plan, indent=2) + "\n")
        self.plans[outcome.name] = plan
        self.entries[outcome.name] = {"hash": self.keys[outcome.name], "plan": file}

    def finished(self, solved: Outcome, names: Sequence[str]) -> None:
        """Keep one outcome for each point with its inputs; write its plan and the index."""
        self.running = max(0, self.running - 1)
        if solved.basis is not None and solved.plan is not None:  # before the plans: on disk with them
            solved.basis.save(self.folder / BASIS, self.keys[solved.name])
            self.base_basis = solved.basis
        for name in names:
            outcome = replace(solved, name=name)
            self.record(outcome)
            self.failed += outcome.plan is None
            self.solved.append(name)
            self.seconds[name] = round(outcome.seconds, 3)
        write_index(self.folder, self.spec, self.entries)
        self.tell()


def take_finished(folder: Path, job: Job, run: Finished, index: Mapping[str, Any]) -> bool:
    """Take an earlier run's plan of a point with this job's content hash, if the folder has one."""
    found = reusable(folder, job, index)
    if found is None:
        return False
    if found[1] != run.files[job.name]:  # another point's plan: this point gets its own copy
        text = json.dumps(found[0].model_dump(mode="json"), indent=2) + "\n"
        write_text(folder / run.files[job.name], text)
    run.plans[job.name] = found[0]
    run.entries[job.name] = {"hash": job.key, "plan": run.files[job.name]}
    if job.keep_basis:
        run.base_basis = LpBasis.load(folder / BASIS, job.key)
    return True


def reuse(
    folder: Path, jobs: list[Job], run: Finished, index: Mapping[str, Any]
) -> tuple[list[Job], dict[str, list[str]]]:
    """Take every finished plan an earlier run left; the jobs left to solve, and their twins."""
    todo: list[Job] = []
    twins: dict[str, list[str]] = {}  # points whose inputs are the same (scale-demand 1 and base) solve once
    for job in jobs:
        if take_finished(folder, job, run, index):
            continue
        if job.key in twins:
            twins[job.key].append(job.name)
        else:
            twins[job.key] = [job.name]
            todo.append(job)
    return todo, twins


def drop_stale_plans(folder: Path, kept: set[str]) -> None:
    """Remove plan files of points no longer in the sweep (the folder is the sweep's own)."""
    for path in (folder / PLANS).glob("*.json"):
        if f"{PLANS}/{path.name}" not in kept:
            path.unlink(missing_ok=True)


def write_index(folder: Path, spec: ScenarioFile, entries: Mapping[str, Any]) -> None:
    """Write ``sweep.json``: the fleetplan version, the scenario file, each finished point's entry."""
    from planner import __version__

    data = {"fleetplan_version": __version__, "scenario_file": str(spec.path), "points": dict(entries)}
    write_text(folder / INDEX, json.dumps(data, indent=2, sort_keys=True) + "\n")
