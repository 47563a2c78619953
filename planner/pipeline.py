"""The planning pipeline, one direction: load -> check -> options -> build -> solve -> extract.

``solve_problem`` runs it all; every stage is also callable on its own.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from planner.catalog.load import load_catalog
from planner.catalog.schema import Catalog
from planner.demand import Demand, load_demand
from planner.demand.forecast import ForecastOptions, forecast_hint, load_forecast
from planner.engine import EngineResult, KnownBound, run_engine
from planner.errors import InputError, InputErrors, Location, SolveError
from planner.extract import Context, extract_plan
from planner.fleet import Fleet, load_fleet
from planner.formulation.blocks import PlanningModel
from planner.formulation.build import build_model
from planner.formulation.index import offer_counts
from planner.ids import unknown_id_hint
from planner.lpbasis import LpBasis
from planner.options import Options, allowed_accelerators, allowed_apis, build_options, restrict_options
from planner.optionsfile import read_options_yaml, resolve_demand_path  # noqa: F401 (re-exported)
from planner.outputs import write_model
from planner.plan import Baseline, BracketInfo, ForecastInputs, Inputs, Plan, Reduction, StartInfo
from planner.profiles import ProfileTable, empty_profiles, load_profiles
from planner.reductions import offer_reduction
from planner.relax import cheapest_ways_out
from planner.settings import SolveSettings
from planner.trends import period_days
from planner.warmstart import StartValues, start_values

#: Share of ``--time-limit`` kept for the baselines when they are on.
BASELINE_TIME_SHARE = 0.15
#: Share kept for the cheapest-way-out re-solves when the LP relaxation leaves demand unmet.
RELAXATION_TIME_SHARE = 0.15
#: Builds a run's options (``planner.options.build_options``; a sweep passes a cached one).
#: ``(catalog, demand, profiles, settings, owned=...)`` -> Options (``build_options`` or a cache's).
OptionsBuilder = Callable[..., Options]
SKIPPED = "skipped: the --time-limit was reached (use a longer limit, or --no-baselines)"


@dataclass(frozen=True)
class Problem:
    """The loaded, checked inputs of one planning run."""

    catalog: Catalog
    demand: Demand
    profiles: ProfileTable
    settings: SolveSettings
    catalog_dirs: tuple[str, ...] = ()
    fleet: Fleet = field(default_factory=Fleet)


@dataclass
class Solved:
    """A plan with the model and engine result behind it."""

    plan: Plan
    model: PlanningModel
    result: EngineResult
    options: Options
    timings: dict[str, float] = field(default_factory=dict)


def load_problem(
    demand_path: str | os.PathLike[str],
    catalog_dirs: Sequence[str | os.PathLike[str]] = (),
    profiles_path: str | os.PathLike[str] | None = None,
    settings: SolveSettings | None = None,
    forecast: ForecastOptions | None = None,
    fleet_path: str | os.PathLike[str] | None = None,
) -> Problem:
    """Load and check the catalogs, the demand and the profiles; check the settings' ids.

    With ``forecast`` (``--workloads`` and the options that go with it), ``demand_path`` is a
    forecast as forecasting tools write it (:mod:`planner.demand.forecast`), read as a Demand.
    """
    catalog = load_catalog(catalog_dirs)
    settings = settings or SolveSettings()
    check_settings(settings, catalog)
    if forecast is not None:
        demand = load_forecast(demand_path, forecast, catalog)
    else:
        try:
            demand = load_demand(demand_path, catalog)
        except InputError as exc:
            raise forecast_hint(exc, demand_path) from None
    for trend in settings.price_trends:  # a trend needs dated periods: say so before any solving
        period_days(demand.periods, f"--price-trend {trend.target}")
    profiles = load_profiles(profiles_path, catalog) if profiles_path else empty_profiles()
    fleet = (
        load_fleet(fleet_path, catalog, demand.periods, allowed_accelerators(catalog, settings))
        if fleet_path
        else Fleet()
    )
    return Problem(catalog, demand, profiles, settings, tuple(str(d) for d in catalog_dirs), fleet)


def check_settings(settings: SolveSettings, catalog: Catalog) -> None:
    """Every accelerator and API a setting names must exist (with close matches when not)."""
    errors = []
    checks: list[tuple[str, str, Mapping[str, object], str]] = [
        ("--accelerators", a, catalog.accelerators, "accelerators") for a in settings.accelerators or ()
    ]
    checks += [("--apis", a, catalog.apis, "API offerings") for a in settings.apis or ()]
    checks += [("--max-chips", a, catalog.accelerators, "accelerators") for a in settings.max_chips]
    kinds: dict[str, tuple[Mapping[str, object], str]] = {
        "apis": (catalog.apis, "API offerings"),
        "accelerators": (catalog.accelerators, "accelerators"),
    }
    checks += [
        ("--price-trend", t.entry, *kinds[t.kind]) for t in settings.price_trends if t.entry is not None
    ]
    for option, value, valid, what in checks:
        if value not in valid:
            errors.append(
                InputError(
                    f"unknown id '{value}'", Location(column=option), unknown_id_hint(value, valid, what)
                )
            )
    for acc_id in settings.accelerators or ():
        if acc_id in catalog.accelerators and not catalog.accelerators[acc_id].is_priced:
            errors.append(
                InputError(
                    f"accelerator '{acc_id}' has no price: give one in a --catalog folder "
                    f"(on_demand_usd_per_chip_hour)",
                    Location(column="--accelerators"),
                )
            )
    if errors:
        raise InputErrors(errors)


def catalog_sha256(catalog: Catalog) -> str:
    """A fingerprint of the catalogs as used (after overlays)."""
    text = json.dumps(catalog.model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _inputs(problem: Problem) -> Inputs:
    return Inputs(
        demand_file=problem.demand.path,
        demand_sha256=problem.demand.sha256,
        catalog_sha256=catalog_sha256(problem.catalog),
        profiles_sha256=problem.profiles.sha256 or None,
        settings=problem.settings.model_dump(mode="json", exclude={"time_limit_s", "threads"}),
        fleet_sha256=problem.fleet.sha256,
        forecast=forecast_inputs(problem.demand),
    )


def forecast_inputs(demand: Demand) -> ForecastInputs | None:
    """The plan's record of how a forecast was read (the options and what the loader resolved)."""
    options, selection = demand.forecast, demand.selection
    if options is None or selection is None or demand.workloads_sha256 is None:
        return None
    return ForecastInputs(
        workloads_file=options.workloads,
        workloads_sha256=demand.workloads_sha256,
        provision_for=options.provision_for,
        forecast_model=options.forecast_model,
        interval_width=options.interval_width,
        series_column=options.series_column,
        forecast_unit=options.unit,
        tool=selection.kind,
        column=selection.value,
        quantile_percent=selection.quantile,
        model=selection.model,
        id_column=selection.series,
    )


def _stage(timings: dict[str, float], name: str, began: float) -> float:
    now = time.monotonic()
    timings[name] = now - began
    return now


def solve_problem(
    problem: Problem,
    *,
    save_model: str | os.PathLike[str] | None = None,
    started: float | None = None,
    relaxations: bool = True,
    options_builder: OptionsBuilder = build_options,
    start: Start | None = None,
    bracket: Bracket | None = None,
    lp_start: LpBasis | None = None,
    keep_basis: bool = False,
) -> Solved:
    """Build and solve the planning model; return the plan (never raises for unmet demand).

    ``start``: an earlier plan to start the search from (``planner.warmstart``); the plan's
    ``solver.start`` says whether it was carried and kept. ``bracket``: the bound a sweep point
    has from its neighbours on a price axis (``planner.sweeps.bracket``), in ``solver.bracket``.
    ``lp_start``: a basis (by name) the LP relaxation starts from, and ``keep_basis``: keep the
    relaxation's in ``Solved.result.lp_basis`` (``planner.lpbasis``; a sweep's base row's basis is
    every later point's start).

    The time rule: of ``--time-limit`` (counted from ``started``), the baselines keep the last
    15 % when they are on, and the cheapest-way-out re-solves the 15 % before that when the LP
    relaxation leaves demand unmet; the engine has the rest. Time a stage leaves unused passes on
    to the next (engine, re-solves, baselines, in that order).
    """
    started = time.monotonic() if started is None else started
    limit = problem.settings.time_limit_s
    baseline_share = BASELINE_TIME_SHARE if problem.settings.baselines else 0.0
    relax_share = RELAXATION_TIME_SHARE if relaxations else 0.0
    deadline = started + limit * (1 - baseline_share)
    timings: dict[str, float] = {}
    t = time.monotonic()
    options = options_builder(
        problem.catalog, problem.demand, problem.profiles, problem.settings, owned=problem.fleet.accelerators
    )
    t = _stage(timings, "options_s", t)
    model = build_model(
        options,
        problem.demand,
        problem.catalog,
        problem.settings,
        allowed_apis(problem.catalog, problem.settings),
        problem.fleet,
    )
    t = _stage(timings, "build_s", t)
    if save_model is not None:
        write_model(model.arrays, model.column_names, model.row_names, save_model)
        t = _stage(timings, "save_model_s", t)
    # a bracketed sweep point's start carries period by period (reductions at its price may drop
    # options a neighbour used in some periods: those come from the rounded plan)
    carried = (
        start_values(model, options, start.plan, partial=bracket is not None) if start is not None else None
    )
    result = run_engine(
        model,
        problem.settings,
        deadline,
        decompose=True,
        reserve_if_unmet_s=relax_share * limit,
        start=carried.values if carried is not None else None,
        start_missing=carried.missing if carried is not None else frozenset(),
        known_bound=(
            KnownBound(bracket.bound_usd, bracket.accept_gap, bracket.period_bounds)
            if bracket is not None
            else None
        ),
        lp_start=lp_start,
        keep_basis=keep_basis,
    )
    result.reductions = reductions_of(problem, options)
    timings.update(result.timings)
    t = time.monotonic()
    baselines = (
        compute_baselines(problem, options, result.objective_usd, started + limit)
        if problem.settings.baselines
        else ()
    )
    t = _stage(timings, "baselines_s", t)
    ctx = Context(model, result, options, problem.demand, problem.catalog, problem.settings, problem.fleet)
    plan = extract_plan(ctx, baselines, _inputs(problem), time.monotonic() - started, timings)
    if start is not None and carried is not None:
        plan = _with_start(plan, start, carried, result)
    if bracket is not None:
        plan = _with_bracket(plan, bracket, result)
    t = _stage(timings, "extract_s", t)
    if relaxations and plan.diagnostics.unmet:
        plan = _with_relaxations(problem, options, plan, deadline)
        _stage(timings, "relaxations_s", t)
    return Solved(plan, model, result, options, timings)


#: ``Start.source`` of a what-if's changed case and a sweep's points: they start from the base's plan.
BASE_START = "the base plan"


@dataclass(frozen=True)
class Start:
    """A plan to start a run's search from, and where it came from (a file, the base plan)."""

    plan: Plan
    source: str


@dataclass(frozen=True)
class Bracket:
    """A proven bound a sweep point has from its neighbours on a price axis, and the gap accepted.

    See :mod:`planner.sweeps.bracket` for why ``bound_usd`` is valid; within ``accept_gap`` of it
    the engine runs no MILP.
    """

    points: tuple[str, ...]
    values: tuple[float, ...]
    bound_usd: float
    accept_gap: float
    period_bounds: tuple[float, ...] | None = None


def _with_bracket(plan: Plan, bracket: Bracket, result: EngineResult) -> Plan:
    info = BracketInfo(
        points=bracket.points,
        values=bracket.values,
        bound_usd=bracket.bound_usd,
        accept_gap=bracket.accept_gap,
        period_bounds=bracket.period_bounds,
        accepted=bool(result.bracketed),
    )
    return plan.model_copy(update={"solver": plan.solver.model_copy(update={"bracket": info})})


def _with_start(plan: Plan, start: Start, carried: StartValues, result: EngineResult) -> Plan:
    info = StartInfo(
        source=start.source,
        carried=carried.values is not None,
        kept=bool(result.start_kept),
        note=carried.reason,
    )
    return plan.model_copy(update={"solver": plan.solver.model_copy(update={"start": info})})


def _with_relaxations(problem: Problem, options: Options, plan: Plan, deadline: float) -> Plan:
    """The plan with its cheapest ways out (``planner.relax``), re-solved before ``deadline``."""

    def resolve(demand: Demand, settings: SolveSettings, seconds: float) -> Plan:
        sub = dataclasses.replace(
            problem,
            demand=demand,
            settings=settings.model_copy(update={"baselines": False, "time_limit_s": seconds}),
        )
        return solve_problem(sub, relaxations=False).plan

    found = cheapest_ways_out(
        plan.diagnostics.unmet,
        problem.demand,
        problem.settings,
        options,
        plan.objective_usd,
        deadline,
        resolve,
    )
    diagnostics = plan.diagnostics.model_copy(update={"relaxations": found})
    return plan.model_copy(update={"diagnostics": diagnostics})


def reductions_of(problem: Problem, options: Options) -> tuple[Reduction, ...]:
    """The records of every reduction considered for this run (options, APIs, price offers)."""
    before, after = offer_counts(problem.catalog, options.accelerators, problem.settings)
    return (*options.reductions, offer_reduction(problem.settings.reductions, before, after))


def _baseline_cost(
    problem: Problem, options: Options, accelerators: tuple[str, ...] | None, apis: tuple[str, ...] | None
) -> tuple[float | None, str]:
    """Cost of serving the demand with only some accelerators / APIs (LP + rounding stages only)."""
    settings = problem.settings.model_copy(
        update={"budget_usd": None}
    )  # a budget would only force unmet demand
    owned = problem.fleet.accelerators
    sub = restrict_options(options, accelerators, apis, problem.catalog, settings, owned)
    api_ids = allowed_apis(problem.catalog, settings) if apis is None else apis
    model = build_model(sub, problem.demand, problem.catalog, settings, api_ids, problem.fleet)
    try:
        result = run_engine(model, settings, deadline=time.monotonic())
    except SolveError as exc:
        return None, f"no plan: {exc}"
    unmet = np.nan_to_num(result.values["unmet"])
    if unmet.sum() > 1e-6:
        blocked = sorted({model.index.workloads[w] for w in model.index.cover["w"].to_numpy()[unmet > 1e-6]})
        return None, f"cannot serve {', '.join(blocked[:4])}{' ...' if len(blocked) > 4 else ''}"
    return result.objective_usd, "LP relaxation + rounding"


def _single_accelerator(problem: Problem, options: Options, deadline: float) -> tuple[float | None, str]:
    best: tuple[float | None, str] = (None, "no single accelerator (with the APIs) serves every workload")
    for acc in sorted(set(options.deployments["accelerator"])):
        if time.monotonic() > deadline:
            return None, SKIPPED if best[0] is None else best[
                1
            ] + " (not every accelerator tried: time limit)"
        usd, _note = _baseline_cost(problem, options, (acc,), None)
        if usd is not None and (best[0] is None or usd < best[0]):
            best = (usd, f"one accelerator type, {acc}, plus the APIs (LP relaxation + rounding)")
    return best


def compute_baselines(
    problem: Problem, options: Options, plan_usd: float, deadline: float
) -> tuple[Baseline, ...]:
    """Baselines, LP relaxation + rounding stages only, each run while time is left before ``deadline``.

    * cheapest-single-accelerator: self-hosted on one accelerator type (the cheapest such fleet),
      with the same APIs as the plan;
    * all-api: every request to an API; all-self-hosted: no API at all.
    """

    def timed(accelerators: tuple[str, ...] | None, apis: tuple[str, ...] | None) -> tuple[float | None, str]:
        if time.monotonic() > deadline:
            return None, SKIPPED
        return _baseline_cost(problem, options, accelerators, apis)

    all_api, all_self = timed((), None), timed(None, ())
    rows = [
        ("cheapest-single-accelerator", *_single_accelerator(problem, options, deadline)),
        ("all-api", *all_api),
        ("all-self-hosted", *all_self),
    ]
    out = []
    for name, usd, note in rows:
        saving = None if usd is None or usd <= 0 else round((usd - plan_usd) / usd, 6)
        out.append(
            Baseline(name=name, usd=None if usd is None else round(usd, 6), saving_fraction=saving, note=note)
        )
    return tuple(out)
