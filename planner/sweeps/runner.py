"""Where a sweep's points are solved: in this process, in local worker processes, or on Ray.

Every executor takes the same jobs (a name and a loaded problem whose budget is in seconds) and
yields :class:`Outcome` records as they finish (in any order); the plans they carry are plain
data. Solver threads are 1 per worker unless ``--threads`` says otherwise, and every point runs
with a work limit, so where it runs never changes what it finds.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from planner.errors import InputError, Location
from planner.lpbasis import LpBasis
from planner.pipeline import BASE_START, Bracket, Problem
from planner.sweeps.worker import PointResult, quiet_worker, solve_point

#: ``running(name)`` is called when a job is handed to a worker.
Running = Callable[[str], None]

#: ``pull()`` gives the jobs that became ready; it is called first and after each outcome is taken.
Pull = Callable[[], Sequence["Job"]]


@dataclass(frozen=True)
class Job:
    """One point to solve: its name, its problem (changes applied), its content hash, its start.

    ``start``: the plan (JSON data) the point's search starts from: the base row's, for every
    other point (None for the base row, a price axis's ends, or when the base row has no plan),
    or inside a price axis its neighbours' (``start_source`` names them) with the ``bracket``
    they prove (:mod:`planner.sweeps.bracket`). ``lp_start``: the base row's LP basis, which
    every point that waits for the base row starts its relaxation from; ``keep_basis``: the
    base row's job returns its basis (:mod:`planner.lpbasis`).
    """

    name: str
    problem: Problem
    key: str
    start: dict[str, Any] | None = None
    bracket: Bracket | None = None
    start_source: str = BASE_START
    lp_start: LpBasis | None = None
    keep_basis: bool = False

    @property
    def arguments(self) -> tuple[Any, ...]:
        """What :func:`~planner.sweeps.worker.solve_point` takes for this job."""
        return (self.problem, self.start, self.bracket, self.start_source, self.lp_start, self.keep_basis)


@dataclass(frozen=True)
class Outcome:
    """What a worker returned for one job."""

    name: str
    plan: dict[str, Any] | None
    error: str | None
    seconds: float
    basis: LpBasis | None = None


def default_workers() -> int:
    """The default ``--workers``: the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def run_serial(pull: Pull, running: Running) -> Iterator[Outcome]:
    """Solve the jobs one after another in this process, until ``pull`` has none left."""
    queue = list(pull())
    while queue:
        job = queue.pop(0)
        running(job.name)
        yield Outcome(job.name, *solve_point(*job.arguments))
        queue += pull()


class LocalPool:
    """Local worker processes (spawned: no state shared with this one), kept across a sweep's phases.

    Every process is started at once (:meth:`start`), so each imports fleetplan while the base
    row solves, not after it. On Ctrl-C (or any error) :meth:`stop` ends the workers at once.
    """

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.pool = ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context("spawn"), initializer=quiet_worker
        )

    def start(self) -> None:
        """Start every worker process now (a pool starts one per waiting task otherwise)."""
        for _ in range(self.workers):
            self.pool.submit(time.sleep, WARM_UP_S)

    def run(self, pull: Pull, running: Running) -> Iterator[Outcome]:
        """Solve the jobs ``pull`` gives, at most ``workers`` at a time; outcomes as they finish."""
        pending: dict[Future[PointResult], str] = {}
        queue = list(pull())
        while queue or pending:
            while queue and len(pending) < self.workers:
                job = queue.pop(0)
                pending[self.pool.submit(solve_point, *job.arguments)] = job.name
                running(job.name)
            done, _ = wait(list(pending), return_when=FIRST_COMPLETED)
            for future in done:
                name = pending.pop(future)
                try:
                    yield Outcome(name, *future.result())
                except Exception as exc:  # a worker process died (killed, out of memory)
                    yield Outcome(name, None, f"the worker failed: {type(exc).__name__}: {exc}", 0.0)
            queue += pull()

    def close(self) -> None:
        """Wait for the workers to finish and end them."""
        self.pool.shutdown(wait=True)

    def stop(self) -> None:
        """Stop every worker process now (they ignore Ctrl-C) and drop what is queued."""
        processes = list(getattr(self.pool, "_processes", {}).values())
        self.pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join(timeout=5)


#: Seconds each warm-up task holds its worker, so that the pool starts one process per worker.
WARM_UP_S = 0.05


def ray_module() -> Any:
    """The ``ray`` package, or an InputError saying how to install it."""
    try:
        import ray
    except ImportError:
        raise InputError(
            "--ray-address needs Ray, which is not installed",
            Location(column="--ray-address"),
            "install the extra: pip install 'fleetplan[ray]'",
        ) from None
    return ray


@dataclass
class RayCluster:
    """A connection to a Ray cluster; closes only what it opened."""

    address: str
    opened: bool = False

    def connect(self) -> None:
        """Connect (``auto``: the cluster this machine belongs to).

        Raises:
            InputError: Ray is not installed, or no cluster answers at the address.
        """
        ray = ray_module()
        if ray.is_initialized():
            return
        try:
            ray.init(address=self.address, log_to_driver=False, logging_level="ERROR")
        except (ConnectionError, ValueError, RuntimeError) as exc:
            raise InputError(
                f"cannot connect to a Ray cluster at {self.address}: {exc}",
                Location(column="--ray-address"),
                "start one with 'ray start --head', or give its address (HOST:PORT or auto)",
            ) from None
        self.opened = True

    def close(self) -> None:
        """Disconnect when this run connected (the cluster keeps running)."""
        if self.opened:
            ray_module().shutdown()
            self.opened = False

    def run(self, pull: Pull, running: Running) -> Iterator[Outcome]:
        """Solve the jobs ``pull`` gives as Ray tasks of one CPU each; Ctrl-C cancels those not finished."""
        ray = ray_module()
        task = ray.remote(num_cpus=1, max_retries=0)(solve_point)
        refs: dict[Any, str] = {}

        def submit() -> None:
            for job in pull():
                refs[task.remote(*job.arguments)] = job.name
                running(job.name)

        submit()
        try:
            while refs:
                done, _ = ray.wait(list(refs), num_returns=1)
                for ref in done:
                    name = refs.pop(ref)
                    try:
                        yield Outcome(name, *ray.get(ref))
                    except Exception as exc:  # the task or its node failed
                        yield Outcome(name, None, f"the Ray task failed: {type(exc).__name__}: {exc}", 0.0)
                submit()
        except BaseException:
            for ref in refs:
                ray.cancel(ref, force=True)
            raise
