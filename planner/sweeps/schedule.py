"""The order a sweep solves its points in, and what each job carries (start plan, LP basis, bracket).

The base row and the ends of every price axis (:mod:`planner.sweeps.bracket`) are handed out
first, the ends from no start; every other point waits for the base row and starts from its plan,
except the interior points of price axes, which are held: a run of them is looked at as soon as
both points around it and the base row have finished, and is settled or has one point searched
(:func:`~planner.sweeps.bracket.next_round`). Every point but the base row and the ends starts its
LP relaxation from the base row's basis (:mod:`planner.lpbasis`), the same one on every worker.
Which jobs exist and what each carries depend only on finished plans (and the base row's basis),
never on the order they finished in, so every executor (serial, local processes, Ray) gets the
same jobs; the order only changes how busy the workers are.
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
    """The jobs left to solve, handed out as they become ready (see the module docstring)."""

    folder: Path
    index: Mapping[str, Any]
    base: str
    todo: list[Job]
    twins: dict[str, list[str]]
    axes: list[Axis]
    held: dict[str, Job] = field(default_factory=dict)
    _base_start: dict[str, Any] | None = None
    _handed: set[str] = field(default_factory=set)
    _waiting: list[Job] = field(default_factory=list)
    _began: bool = False

    def __post_init__(self) -> None:
        interior = {name for axis in self.axes for name in axis.interior}
        for job in self.todo:  # a point with a twin (the same inputs elsewhere) is solved as usual
            if job.name in interior and job.name != self.base and self.twins[job.key] == [job.name]:
                self.held[job.name] = job

    def pull(self, run: Finished) -> list[Job]:
        """The jobs that became ready since the last call (every job exactly once, in all)."""
        jobs = self._first() if not self._began else []
        self._began = True
        jobs += self._ready(run)
        done = set(run.plans) | set(run.errors)
        if not jobs and self.held and not self._handed - done:  # nothing else can free them: never stall
            self._waiting += self.held.values()
            self.held.clear()
        if self._waiting and self.base in done:
            jobs += [self._from_base(job, run) for job in self._waiting]
            self._waiting = []
        self._handed.update(job.name for job in jobs)
        return jobs

    def _first(self) -> list[Job]:
        """The base row's job and the axes' ends (from no start); the rest waits for the base row."""
        ends = {name for axis in self.axes for name in axis.ends}
        first = [j for j in self.todo if j.name == self.base or (j.name in ends and j.name not in self.held)]
        self._waiting = [j for j in self.todo if j not in first and j.name not in self.held]
        return first

    def _from_base(self, job: Job, run: Finished) -> Job:
        if self.base not in run.plans:
            return job
        if self._base_start is None:  # dumped once: every point gets the same start
            self._base_start = run.plans[self.base].model_dump(mode="json")
        return replace(job, start=self._base_start, lp_start=run.base_basis)

    def _ready(self, run: Finished) -> list[Job]:
        """The held points whose neighbours have finished (points an earlier run finished are taken)."""
        jobs: list[Job] = []
        while True:
            done = set(run.plans) | set(run.errors)
            if self.base not in done:  # every point but the ends starts from the base row's LP basis
                break
            assignments = next_round(self.axes, set(self.held), run.plans, done)
            taken = False
            for assignment in assignments:
                if assignment.bracket is None:  # a neighbour failed: solved as any point, from the base
                    self._waiting.append(self.held.pop(assignment.name))
                    continue
                job = self._job(self.held.pop(assignment.name), assignment, run)
                run.keys[job.name] = job.key
                self.twins[job.key] = [job.name]
                if take_finished(self.folder, job, run, self.index):
                    taken = True
                else:
                    jobs.append(job)
            if not taken:  # a taken plan may free the next run at once
                break
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
            lp_start=run.base_basis,
            start_source=f"the plan of sweep point{'s' if ' and ' in source else ''} {source}",
        )
