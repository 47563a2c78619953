"""The order a sweep solves its points in, and what each job carries (start plan, bracket).

The base row first; then every other point from the base row's plan, except the interior points
of price axes (:mod:`planner.sweeps.bracket`), which are held for the rounds: each round solves or
brackets some of them from the plans found so far. The schedule reads nothing but finished plans,
so every executor gets the same jobs in the same rounds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from planner.sweeps.bracket import Assignment, Axis, next_round
from planner.sweeps.folder import Finished, take_finished
from planner.sweeps.runner import Job


def bracket_key(job: Job, neighbours: tuple[str, ...], keys: Mapping[str, str]) -> str:
    """The content hash of a bracketed point: its own, and its neighbours' (their plans bound it)."""
    parts = ":".join([job.key, "bracket", *(keys[n] for n in neighbours)])
    return hashlib.sha256(parts.encode()).hexdigest()


@dataclass
class Schedule:
    """The jobs left to solve, by phase (see the module docstring)."""

    folder: Path
    index: Mapping[str, Any]
    base: str
    todo: list[Job]
    twins: dict[str, list[str]]
    axes: list[Axis]
    held: dict[str, Job] = field(default_factory=dict)
    _base_start: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        interior = {name for axis in self.axes for name in axis.interior}
        for job in self.todo:  # a point with a twin (the same inputs elsewhere) is solved as usual
            if job.name in interior and job.name != self.base and self.twins[job.key] == [job.name]:
                self.held[job.name] = job

    def first(self) -> list[Job]:
        """The base row's job (none when it was reused)."""
        return [j for j in self.todo if j.name == self.base]

    def second(self, run: Finished) -> list[Job]:
        """Every other point not held for the rounds, from the base row's plan."""
        return [self._from_base(j, run) for j in self.todo if j.name != self.base and j.name not in self.held]

    def _from_base(self, job: Job, run: Finished) -> Job:
        if self.base not in run.plans:
            return job
        if self._base_start is None:  # dumped once: every point gets the same start
            self._base_start = run.plans[self.base].model_dump(mode="json")
        return replace(job, start=self._base_start)

    def next_round(self, run: Finished) -> list[Job]:
        """The next round's jobs (points an earlier run finished are taken, not solved)."""
        assignments = next_round(self.axes, set(self.held), run.plans)
        if not assignments:  # cannot happen (every run of open points yields one); never loop
            assignments = [Assignment(name) for name in self.held]
        jobs = []
        for assignment in assignments:
            job = self._job(self.held.pop(assignment.name), assignment, run)
            run.keys[job.name] = job.key
            self.twins[job.key] = [job.name]
            if not take_finished(self.folder, job, run, self.index):
                jobs.append(job)
        run.tell()
        return jobs

    def _job(self, job: Job, assignment: Assignment, run: Finished) -> Job:
        if assignment.bracket is None or assignment.start is None:
            return self._from_base(job, run)
        source = assignment.start_from
        return replace(
            job,
            key=bracket_key(job, assignment.bracket.points, run.keys),
            start=assignment.start.model_dump(mode="json"),
            bracket=assignment.bracket,
            start_source=f"the plan of sweep point{'s' if ' and ' in source else ''} {source}",
        )
