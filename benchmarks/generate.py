"""Seeded generator of realistic planning instances from the shipped catalogs.

``python -m benchmarks.generate --size M --seed 1 -o DIR`` writes an instance folder:

* ``demand.csv``: one row per (period, workload) in the format of :mod:`planner.demand`;
* ``options.yaml``: the ``plan solve`` options the benchmark uses (no baselines, the size's
  time limit), so that ``plan solve DIR`` reruns the benchmarked case;
* ``instance.json``: how the instance was made (size, seed, counts, the command).

Sizes: **S** 5 workloads x 12 monthly periods (730 h), **M** 50 x 52 weekly periods (168 h),
**L** 200 x 52 weekly, **XL** 500 x 52 weekly.

What is in an instance:

* every accelerator and every price tier of the catalog stays available (no ``--accelerators``
  or ``--apis`` restriction; the catalog's unpriced accelerators are not planned by the library,
  and no price is invented for them here);
* request shapes from short classification calls and chat (500 in / 200 out) to RAG (4,000 / 300),
  summarisation (8,000 / 500), code (2,000 / 600), agents (6,000 / 800), offline batch jobs and
  long context (32,000 / 1,000), each with latency targets that suit it;
* about half the workloads pin a catalog model (one whose context holds the request), the others
  give a quality floor taken from the actual ``quality`` values of the catalog's models (LMArena
  scores, see ``docs/catalogs.md``), so every floor is reachable;
* rates from 0.05 to a few hundred requests/s, growing (or shrinking) over the horizon with a
  seasonal swing and a little noise; some workloads launch part-way through;
* some workloads API-only (only models some API serves), some self-host-only, some with an API
  share cap, a target utilisation of their own or an availability floor (``min_replicas``).

The generator uses only :class:`random.Random` (stable across Python versions for a given seed)
and the catalog, so a (size, seed) pair always gives the same files for the same catalog.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from planner.catalog.load import load_catalog
from planner.catalog.schema import Catalog
from planner.demand import DEMAND_COLUMNS

GENERATOR_VERSION = 1


@dataclass(frozen=True)
class Size:
    """An instance size: workloads x periods of a given length."""

    name: str
    workloads: int
    periods: int
    granularity: str  # "month" or "week"
    time_limit_s: float


SIZES: dict[str, Size] = {
    "S": Size("S", 5, 12, "month", 60.0),
    "M": Size("M", 50, 52, "week", 60.0),
    "L": Size("L", 200, 52, "week", 60.0),
    "XL": Size("XL", 500, 52, "week", 300.0),
}
HOURS = {"month": 730.0, "week": 168.0}


@dataclass(frozen=True)
class Archetype:
    """A kind of traffic: mean request shape, latency targets and a plausible rate range."""

    name: str
    input_tokens: int
    output_tokens: int
    ttft_ms: float
    tpot_ms: float
    min_rate: float
    max_rate: float
    weight: float


#: Request shapes from short chat to long context (tokens are means per request).
ARCHETYPES: tuple[Archetype, ...] = (
    Archetype("classify", 300, 20, 500.0, 50.0, 1.0, 300.0, 0.08),
    Archetype("chat", 500, 200, 1000.0, 50.0, 0.5, 300.0, 0.26),
    Archetype("rag", 4000, 300, 2000.0, 80.0, 0.2, 120.0, 0.18),
    Archetype("summarize", 8000, 500, 4000.0, 100.0, 0.1, 40.0, 0.10),
    Archetype("code", 2000, 600, 1500.0, 40.0, 0.2, 80.0, 0.14),
    Archetype("agent", 6000, 800, 3000.0, 60.0, 0.1, 30.0, 0.10),
    Archetype("batch", 3000, 800, 60000.0, 1000.0, 0.5, 100.0, 0.08),
    Archetype("longctx", 32000, 1000, 15000.0, 100.0, 0.05, 5.0, 0.06),
)


@dataclass(frozen=True)
class Workload:
    """One generated workload (constant shape over the horizon)."""

    id: str
    archetype: Archetype
    input_tokens: int
    output_tokens: int
    model: str | None
    min_quality: float | None
    base_rate: float
    growth: float  # rate multiple from the first to the last period
    launch: int  # first period with traffic
    self_host_only: bool
    api_only: bool
    max_api_share: float | None
    target_utilization: float | None
    min_replicas: int


def period_labels(size: Size, year: int = 2027) -> list[str]:
    """``2027-01`` .. for months, ``2027-W01`` .. for weeks."""
    if size.granularity == "month":
        return [f"{year}-{m:02d}" for m in range(1, size.periods + 1)]
    return [f"{year}-W{w:02d}" for w in range(1, size.periods + 1)]


class _Picker:
    """Catalog facts the generator draws from."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.scored = sorted(
            (m for m in catalog.models.values() if m.quality is not None and m.open_weights),
            key=lambda m: m.id,
        )
        #: distinct quality values of open-weight models: every floor drawn from these is reachable
        #: by that model self-hosted and by the APIs at or above it.
        self.floors = sorted({float(m.quality) for m in self.scored if m.quality is not None})
        self.api_models = {a.model: a for a in catalog.apis.values() if a.model is not None}

    def context(self, model_id: str) -> int:
        limit = self.catalog.models[model_id].max_context_tokens
        return limit if limit is not None else 10**9

    def api_context(self, model_id: str) -> int:
        limits = [a.max_context_tokens or 10**9 for a in self.catalog.apis.values() if a.model == model_id]
        return max(limits, default=0)

    def pinned(self, rng: random.Random, tokens: int, *, api_only: bool) -> str:
        """A model whose context holds ``tokens`` (and that an API serves, when API-only).

        Smaller, popular models are drawn more often than the largest ones, as in real fleets.
        """
        models = [m for m in sorted(self.catalog.models) if self.context(m) >= tokens]
        if api_only:
            models = [m for m in models if self.api_context(m) >= tokens]
        weights = [1.0 / math.sqrt(max(1.0, self.catalog.models[m].active_params_b or 1.0)) for m in models]
        return rng.choices(models, weights=weights)[0]

    def floor(self, rng: random.Random, tokens: int, *, self_host_only: bool) -> float:
        """A quality floor from the catalog's own scores that a model holding ``tokens`` reaches."""
        fitting = [
            float(m.quality)
            for m in self.scored
            if m.quality is not None and (m.max_context_tokens or 10**9) >= tokens
        ]
        top = max(fitting) if self_host_only else max(self.floors)
        choices = [q for q in self.floors if q <= top]
        if self_host_only:  # leave several models above the floor
            choices = choices[: max(1, len(choices) - 4)]
        return rng.choice(choices)


def _jitter(rng: random.Random, value: int, spread: float = 0.15) -> int:
    """``value`` +- ``spread``, rounded to 10 tokens (at least 10)."""
    return max(10, round(value * rng.uniform(1 - spread, 1 + spread) / 10.0) * 10)


def _log_uniform(rng: random.Random, lo: float, hi: float) -> float:
    return math.exp(rng.uniform(math.log(lo), math.log(hi)))


def make_workload(rng: random.Random, number: int, pick: _Picker, n_periods: int) -> Workload:
    """Draw one workload."""
    arch = rng.choices(ARCHETYPES, weights=[a.weight for a in ARCHETYPES])[0]
    spread = 0.05 if arch.name == "longctx" else 0.15
    inp, out = _jitter(rng, arch.input_tokens, spread), _jitter(rng, arch.output_tokens, spread)
    tokens = inp + out
    u = rng.random()
    api_only = u < 0.12
    self_host_only = (not api_only) and u < 0.27 and arch.name != "longctx"
    if rng.random() < 0.5:
        model, floor = pick.pinned(rng, tokens, api_only=api_only), None
    else:
        model, floor = None, pick.floor(rng, tokens, self_host_only=self_host_only)
    plain = not (api_only or self_host_only)
    max_api_share = round(rng.uniform(0.3, 0.7), 2) if plain and rng.random() < 0.12 else None
    target_util = rng.choice([0.6, 0.7]) if not api_only and rng.random() < 0.10 else None
    min_replicas = rng.choice([1, 2]) if not api_only and rng.random() < 0.08 else 0
    launch = (
        rng.randrange(n_periods // 4, (3 * n_periods) // 4) if n_periods > 4 and rng.random() < 0.10 else 0
    )
    return Workload(
        id=f"{arch.name}-{number:03d}",
        archetype=arch,
        input_tokens=inp,
        output_tokens=out,
        model=model,
        min_quality=floor,
        base_rate=_log_uniform(rng, arch.min_rate, arch.max_rate),
        growth=rng.choice([0.7, 1.0, 1.2, 1.5, 2.0, 2.0, 3.0, 5.0]),
        launch=launch,
        self_host_only=self_host_only,
        api_only=api_only,
        max_api_share=max_api_share,
        target_utilization=target_util,
        min_replicas=min_replicas,
    )


def _rate(rng: random.Random, w: Workload, t: int, n_periods: int, per_year: int) -> float:
    """Requests/s of ``w`` in period ``t``: growth, a yearly swing, noise; 0 before launch."""
    if t < w.launch:
        return 0.0
    trend = w.growth ** (t / max(1, n_periods - 1))
    season = 1.0 + 0.08 * math.sin(2 * math.pi * t / per_year)
    noise = rng.uniform(0.97, 1.03)
    rate = w.base_rate * trend * season * noise
    return float(f"{rate:.4g}")


def _fmt(value: float | int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


COLUMNS = list(DEMAND_COLUMNS)  # the demand file's own column order


def generate_rows(
    size: Size, seed: int, catalog: Catalog | None = None
) -> tuple[list[Workload], list[list[str]]]:
    """The workloads and demand rows (strings, in :data:`COLUMNS` order) of one instance."""
    catalog = catalog or load_catalog()
    rng = random.Random(f"fleetplan-bench-{size.name}-{seed}")
    pick = _Picker(catalog)
    workloads = [make_workload(rng, i + 1, pick, size.periods) for i in range(size.workloads)]
    labels = period_labels(size)
    hours = HOURS[size.granularity]
    per_year = 12 if size.granularity == "month" else 52
    rows = []
    for t, label in enumerate(labels):
        for w in workloads:
            a = w.archetype
            rows.append(
                [
                    label,
                    w.id,
                    _fmt(_rate(rng, w, t, size.periods, per_year)),
                    str(w.input_tokens),
                    str(w.output_tokens),
                    w.model or "",
                    _fmt(w.min_quality),
                    _fmt(hours),
                    _fmt(a.ttft_ms),
                    _fmt(a.tpot_ms),
                    "true" if w.self_host_only else "",
                    "true" if w.api_only else "",
                    _fmt(w.max_api_share),
                    _fmt(w.target_utilization),
                    str(w.min_replicas) if w.min_replicas else "",
                ]
            )
    return workloads, rows


def write_instance(size_name: str, seed: int, out: str | Path, time_limit_s: float | None = None) -> Path:
    """Write ``demand.csv``, ``options.yaml`` and ``instance.json`` into ``out``; return the folder."""
    size = SIZES[size_name.upper()]
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    workloads, rows = generate_rows(size, seed)
    with (folder / "demand.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    limit = size.time_limit_s if time_limit_s is None else time_limit_s
    (folder / "options.yaml").write_text(
        "# written by benchmarks.generate: the options the benchmark runs with\n"
        f"no-baselines: true\ntime-limit: {_fmt(float(limit))}\n",
        encoding="utf-8",
    )
    kinds: dict[str, int] = {}
    for w in workloads:
        kinds[w.archetype.name] = kinds.get(w.archetype.name, 0) + 1
    meta = {
        "generator_version": GENERATOR_VERSION,
        "size": size.name,
        "seed": seed,
        "workloads": size.workloads,
        "periods": size.periods,
        "hours_per_period": HOURS[size.granularity],
        "rows": len(rows),
        "archetypes": dict(sorted(kinds.items())),
        "pinned_model": sum(w.model is not None for w in workloads),
        "quality_floor": sum(w.min_quality is not None for w in workloads),
        "api_only": sum(w.api_only for w in workloads),
        "self_host_only": sum(w.self_host_only for w in workloads),
        "command": f"python -m benchmarks.generate --size {size.name} --seed {seed} -o {folder}",
    }
    (folder / "instance.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return folder


def planning_model(problem: Any) -> Any:
    """The planning model of a loaded problem (``planner.pipeline.Problem``), as ``plan solve`` builds it."""
    from planner.formulation.build import build_model
    from planner.options import allowed_apis, build_options

    s = problem.settings
    options = build_options(problem.catalog, problem.demand, problem.profiles, s)
    return build_model(
        options, problem.demand, problem.catalog, s, allowed_apis(problem.catalog, s), problem.fleet
    )


def load_instance(size_name: str, seed: int, workdir: str | Path) -> Any:
    """The instance (:func:`write_instance`, under ``workdir``), loaded as ``plan solve`` loads it."""
    import planner.api as api

    folder = write_instance(size_name, seed, Path(workdir) / f"inst-{size_name}")
    return api.prepare_solve(folder).load_problem()


def main(argv: list[str] | None = None) -> None:
    """Command line: ``python -m benchmarks.generate --size M --seed 1 -o DIR``."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.generate", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--size", required=True, type=str.upper, choices=sorted(SIZES))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("-o", "--output", required=True, help="instance folder to write")
    parser.add_argument(
        "--time-limit",
        type=float,
        default=None,
        help="time-limit written to options.yaml (default: 60, XL 300)",
    )
    args = parser.parse_args(argv)
    folder = write_instance(args.size, args.seed, args.output, args.time_limit)
    print(folder)


if __name__ == "__main__":
    main()
