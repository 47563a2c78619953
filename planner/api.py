"""The Python API: everything the CLI does, as functions (re-exported by ``import planner``)."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from planner.catalog.load import load_catalog
from planner.demand.forecast import ForecastOptions, forecast_options
from planner.errors import InputError, InputErrors, Location
from planner.ids import unknown_id_hint
from planner.option_checks import api_where, settings_from, validate_options
from planner.optionsfile import resolve_demand_path
from planner.outputs import check_output_paths, write_plan
from planner.perf import Estimate
from planner.pipeline import Problem, Solved, Start, load_problem, solve_problem
from planner.plan import Plan
from planner.settings import SolveSettings

if TYPE_CHECKING:
    from planner.verify import VerifyReport
    from planner.whatif.changes import ChangeSet
    from planner.whatif.compare import Comparison
    from planner.whatif.run import WhatIf


def estimate(
    model: str,
    accelerator: str,
    *,
    tensor_parallel: int = 1,
    pipeline_parallel: int = 1,
    precision: str | None = None,
    input_tokens: int = 1000,
    output_tokens: int = 200,
    ttft_ms: float | None = None,
    tpot_ms: float | None = None,
    batch: int | None = None,
    engine: str | None = None,
    catalog_dirs: Sequence[str | os.PathLike[str]] = (),
) -> Estimate:
    """Estimate one replica of ``model`` on ``accelerator`` (ids checked, with close matches).

    ``engine`` picks the serving engine's efficiency profile (default: the accelerator's
    ``default_engine``, vLLM); ``precision`` may be one the model lists or one the engine
    produces on the fly on that accelerator (``fp8`` on FP8 GPUs, ``int8`` on TPU and Neuron).
    """
    from planner.perf import estimate as perf_estimate
    from planner.perf.precisions import served_precisions
    from planner.perf.profiles import engines_for, unknown_engine

    catalog = load_catalog(catalog_dirs)
    if model not in catalog.models:
        raise InputError(
            f"unknown model '{model}'",
            Location(column="--model"),
            unknown_id_hint(model, catalog.models, "models"),
        )
    if accelerator not in catalog.accelerators:
        raise InputError(
            f"unknown accelerator '{accelerator}'",
            Location(column="--accelerator"),
            unknown_id_hint(accelerator, catalog.accelerators, "accelerators"),
        )
    spec, acc = catalog.models[model], catalog.accelerators[accelerator]
    served = served_precisions(spec, acc)
    if precision is not None and precision not in served:
        raise InputError(
            f"model '{model}' is not served in '{precision}' on '{accelerator}'",
            Location(column="--precision"),
            f"valid: {', '.join(served)}",
        )
    if engine is not None and unknown_engine(acc, engine):
        raise InputError(
            f"no performance profile for engine '{engine}' on '{accelerator}'",
            Location(column="--engine"),
            f"valid engines for {accelerator}: {', '.join(engines_for(acc))}",
        )
    return perf_estimate(
        spec,
        acc,
        tensor_parallel=tensor_parallel,
        pipeline_parallel=pipeline_parallel,
        precision=precision,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        ttft_ms=ttft_ms,
        tpot_ms=tpot_ms,
        batch=batch,
        engine=engine,
    )


def make_settings(values: Mapping[str, Any]) -> SolveSettings:
    """SolveSettings from option values by name; None means default.

    Names are the Python names of ``plan solve``'s options (``time_limit``, ``no_baselines``; the
    long names ``time-limit`` too) or SolveSettings fields (``time_limit_s``, ``baselines``, as a
    plan's ``inputs.settings`` records them). Options that are not settings (``profiles``,
    ``output``, ``save_model``, ``catalog``, ``format``) are ignored here.

    Raises:
        InputErrors: an unknown name (with close matches) or a bad value, naming the option.
    """
    return settings_from(validate_options(values, api_where))


@dataclass(frozen=True)
class SolveRun:
    """A ``plan solve`` run, prepared: the demand file and every option, merged and checked.

    ``options`` holds the options by Python name: the folder's (options.yaml, profiles.csv,
    catalog/) overridden by those given; ``catalog`` is the full list of catalog folders.
    """

    demand_file: Path
    options: dict[str, Any]
    settings: SolveSettings
    origins: dict[str, Location]

    @property
    def forecast(self) -> ForecastOptions | None:
        """How the demand is read when it is a forecast (``--workloads``); None for a demand.csv."""
        return forecast_options(self.options)

    def load_problem(self) -> Problem:
        """Load and check every input (catalogs, demand or forecast, profiles) as ``plan solve`` does."""
        try:
            return load_problem(
                self.demand_file,
                self.options.get("catalog", ()),
                self.options.get("profiles"),
                self.settings,
                forecast=self.forecast,
                fleet_path=self.options.get("fleet"),
            )
        except InputError as exc:
            raise _relocated(exc, self.origins) from None

    def start(self) -> Start | None:
        """The ``start`` option's plan, read and checked (None when not given)."""
        path = self.options.get("start")
        if not path:
            return None
        from planner.planfile import read_plan

        return Start(read_plan(path), str(path))

    def solve(self, started: float | None = None) -> Solved:
        """Load and solve; write the plan to ``output`` when one is given.

        With the ``sensitivity`` option the plan carries its price ranges
        (:mod:`planner.whatif.sensitivity`).
        """
        started = time.monotonic() if started is None else started
        problem = self.load_problem()
        solved = solve_problem(
            problem, save_model=self.options.get("save_model"), started=started, start=self.start()
        )
        if self.options.get("sensitivity"):
            from planner.whatif.sensitivity import with_sensitivity

            solved = with_sensitivity(problem, solved)
        if self.options.get("output"):
            write_plan(solved.plan, self.options["output"])
        return solved


def prepare_solve(
    demand: str | os.PathLike[str],
    catalog_dirs: Sequence[str | os.PathLike[str]] = (),
    options: Mapping[str, Any] | None = None,
) -> SolveRun:
    """Read the folder's options, merge the given ones over them, check them and the output paths.

    Args:
        demand: a demand.csv or a folder holding one.
        catalog_dirs: catalog folders applied after the folder's own (later wins).
        options: ``plan solve``'s options by Python name; None means not given.

    Raises:
        InputError: a bad option (naming options.yaml and the key when it came from there), or an
            output path that cannot be written (before any solve).
    """
    demand_file, folder = resolve_demand_path(demand)
    given = validate_options(dict(options or {}), api_where)
    options_file = Path(demand) / "options.yaml"
    origins = {key: Location(file=str(options_file), key=key.replace("_", "-")) for key in folder}
    merged: dict[str, Any] = {**folder, **given}
    merged["catalog"] = [*folder.get("catalog", ()), *catalog_dirs, *given.get("catalog", ())]  # type: ignore[misc]
    for key in given:
        origins.pop(key, None)
    settings = _settings(merged, origins)
    try:
        forecast_options(merged)
    except InputError as exc:
        raise _relocated(exc, origins) from None
    inputs = [
        demand_file,
        merged.get("profiles"),
        merged.get("workloads"),
        merged.get("fleet"),
        merged.get("start"),
        options_file if folder else None,
    ]
    check_output_paths(merged.get("output"), merged.get("save_model"), [p for p in inputs if p])
    return SolveRun(demand_file, merged, settings, origins)


def _settings(merged: Mapping[str, Any], origins: Mapping[str, Location]) -> SolveSettings:
    try:
        return settings_from(merged)
    except InputError as exc:
        raise _relocated(exc, origins) from None


def _relocated(exc: InputError, origins: Mapping[str, Location]) -> InputError:
    """``exc`` with each ``option --x`` location replaced by options.yaml's key when it came from there."""
    errors = exc.errors if isinstance(exc, InputErrors) else [exc]
    moved = []
    for error in errors:
        column = error.location.column or ""
        origin = origins.get(column.removeprefix("--").replace("-", "_")) if column.startswith("--") else None
        moved.append(InputError(error.message, origin, error.hint) if origin else error)
    if moved == errors:
        return exc
    return InputErrors(moved) if len(moved) > 1 else moved[0]


def solve(
    demand: str | os.PathLike[str],
    *,
    catalog_dirs: Sequence[str | os.PathLike[str]] = (),
    profiles: str | os.PathLike[str] | None = None,
    save_model: str | os.PathLike[str] | None = None,
    **options: Any,
) -> Solved:
    """Plan the cheapest fleet for a demand file or folder.

    ``options`` are ``plan solve``'s options by Python name (``time_limit=30``, ``apis=[]``,
    ``no_baselines=True``; SolveSettings field names such as ``baselines=False`` work too), checked
    like the command line's; a folder's options.yaml supplies the rest. ``output="plan.json"``
    writes the plan, as ``-o`` does.
    """
    started = time.monotonic()
    run = prepare_solve(demand, catalog_dirs, {**options, "profiles": profiles, "save_model": save_model})
    return run.solve(started)


def solve_from_cli(
    demand: str, catalog_dirs: Sequence[str], flags: Mapping[str, Any], started: float
) -> Solved:
    """``plan solve``: flags on the command line win over a folder's options.yaml."""
    return prepare_solve(demand, catalog_dirs, flags).solve(started)


def verify_plan_file(
    plan_file: str | os.PathLike[str],
    demand: str | os.PathLike[str],
    catalog_dirs: Sequence[str | os.PathLike[str]] = (),
    flags: Mapping[str, Any] | None = None,
) -> VerifyReport:
    """Re-check a plan file against its demand and the catalogs (``plan verify``).

    The settings come from ``flags`` (``plan solve``'s options) over the demand folder's
    ``options.yaml``, never from the plan: where they differ from the plan's recorded settings, the
    report warns. A plan solved from a forecast is verified against the forecast read as it records
    (``inputs.forecast``: workloads file, ``--provision-for`` ...) for every forecast option not
    given. The plan is read first: an unreadable plan raises InputError before any input loads.
    """
    from planner.planfile import read_plan
    from planner.verify import verify
    from planner.verify.inputs import recorded_forecast_options

    plan = read_plan(plan_file)
    demand_file, folder = resolve_demand_path(demand)
    given = {**folder, **validate_options(dict(flags or {}), api_where)}
    recorded = recorded_forecast_options(plan, demand_file, given)
    run = prepare_solve(demand, catalog_dirs, {**(flags or {}), **recorded})
    return verify(plan, run.load_problem())


def export(
    plan: Plan | str | os.PathLike[str],
    to: str,
    out_dir: str | os.PathLike[str],
    *,
    period: str = "peak",
    catalog_dirs: Sequence[str | os.PathLike[str]] = (),
    namespace: str | None = None,
    image: str | None = None,
    hf_token_secret: str | None = "hf-token",
) -> list[Path]:
    """Export a plan (or a plan JSON file) as format ``to`` into ``out_dir``; the files written.

    Formats: ``planner.exports.FORMATS``. Raises ``ExportError`` (an InputError, exit 2) with nothing
    written when the format cannot express the plan.
    """
    from planner.exports.base import ExportOptions, check_options
    from planner.exports.run import export_plan
    from planner.planfile import read_plan

    loaded = plan if isinstance(plan, Plan) else read_plan(plan)
    check_options(namespace=namespace, image=image, hf_token_secret=hf_token_secret or None)
    options = ExportOptions(
        period=period, namespace=namespace, image=image, hf_token_secret=hf_token_secret or None
    )
    return export_plan(loaded, to, out_dir, catalog_dirs=catalog_dirs, options=options)


def report(
    plan: Plan | str | os.PathLike[str],
    output: str | os.PathLike[str],
    other: Plan | str | os.PathLike[str] | None = None,
) -> Path:
    """Write a plan (or a plan JSON file) as one self-contained HTML page; the path written.

    With ``other``, the page shows the two plans side by side with their differences (``other``
    minus ``plan``), labelled by their file names.
    """
    from planner.html_report import write_report
    from planner.outputs import plan_format
    from planner.planfile import read_plan

    loaded = plan if isinstance(plan, Plan) else read_plan(plan)
    second = None if other is None else other if isinstance(other, Plan) else read_plan(other)
    if Path(output).suffix.lower() not in (".html", ".htm"):
        raise InputError("the report is an HTML file (.html)", Location(file=str(output)))
    plan_format(Path(output).with_suffix(".json"))  # the folder must exist
    labels = (_label(plan, "A"), _label(other, "B"))
    write_report(loaded, output, second, labels)
    return Path(output)


def _label(plan: Plan | str | os.PathLike[str] | None, default: str) -> str:
    return default if plan is None or isinstance(plan, Plan) else Path(plan).name


def whatif(
    demand: str | os.PathLike[str],
    changes: ChangeSet | Mapping[str, Any] | None = None,
    *,
    catalog_dirs: Sequence[str | os.PathLike[str]] = (),
    profiles: str | os.PathLike[str] | None = None,
    base_dir: str | os.PathLike[str] | None = None,
    **options: Any,
) -> WhatIf:
    """Solve the base case and the changed case of a demand file or folder, and compare them.

    Args:
        demand: a demand.csv or a folder holding one.
        changes: a :class:`~planner.whatif.ChangeSet`, or a mapping keyed by the flags' long names
            as a scenario writes it (``{"set": {"accelerators.h100-sxm.prices.aws.on_demand.
            usd_per_chip_hour": 2.0}, "scale-demand": 3}``).
        catalog_dirs: catalog folders applied after the folder's own.
        profiles: a measured-profiles CSV (default: the folder's).
        base_dir: what a relative ``demand`` change is relative to (default: the working folder).
        options: ``plan solve``'s options by Python name, for both cases (``sensitivity=True``
            adds each plan's price ranges; ``output="whatif.json"`` writes the JSON document).

    Returns:
        The two solved cases; ``.comparison`` compares them, ``.to_json()`` is what
        ``plan whatif --format json`` prints.

    Raises:
        InputError: a bad option or change (before either case is solved).
    """
    from planner.whatif.run import run_whatif

    return run_whatif(
        demand,
        changes,
        catalog_dirs=catalog_dirs,
        options={**options, "profiles": profiles},
        base_dir=base_dir,
    )


def diff(first: Plan | str | os.PathLike[str], second: Plan | str | os.PathLike[str]) -> Comparison:
    """Compare two plans or plan files (``plan diff A B``): ``.difference()`` is B minus A."""
    from planner.whatif.run import diff_plans

    return diff_plans(first, second)
