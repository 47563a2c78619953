"""The Python API: everything the CLI does, as functions (re-exported by ``import planner``)."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from planner.catalog.load import load_catalog
from planner.errors import InputError, InputErrors, Location
from planner.ids import unknown_id_hint
from planner.perf import Estimate
from planner.pipeline import Solved, load_problem, resolve_demand_path, solve_problem
from planner.plan import Plan
from planner.settings import SolveSettings

#: CLI / options.yaml names that differ from SolveSettings fields.
_RENAMES = {"time_limit": "time_limit_s"}
_NOT_SETTINGS = {"profiles", "output", "save_model", "catalog", "no_baselines", "no_reductions"}


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
    catalog_dirs: Sequence[str | os.PathLike[str]] = (),
) -> Estimate:
    """Estimate one replica of ``model`` on ``accelerator`` (ids checked, with close matches)."""
    from planner.perf import estimate as perf_estimate

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
    spec = catalog.models[model]
    if precision is not None and precision not in spec.precisions:
        raise InputError(
            f"model '{model}' is not served in '{precision}'",
            Location(column="--precision"),
            f"valid: {', '.join(spec.precisions)}",
        )
    return perf_estimate(
        spec,
        catalog.accelerators[accelerator],
        tensor_parallel=tensor_parallel,
        pipeline_parallel=pipeline_parallel,
        precision=precision,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        ttft_ms=ttft_ms,
        tpot_ms=tpot_ms,
        batch=batch,
    )


def make_settings(values: Mapping[str, Any]) -> SolveSettings:
    """SolveSettings from option names (CLI long names or options.yaml keys); None means default."""
    data = {_RENAMES.get(k, k): v for k, v in values.items() if v is not None and k not in _NOT_SETTINGS}
    if values.get("no_baselines"):
        data["baselines"] = False
    if values.get("no_reductions"):
        data["reductions"] = False
    for key in ("accelerators", "apis"):
        if isinstance(data.get(key), str):
            data[key] = tuple(x.strip() for x in data[key].split(",") if x.strip())
        elif isinstance(data.get(key), list):
            data[key] = tuple(data[key])
    try:
        return SolveSettings(**data)
    except ValidationError as exc:
        errors = [
            InputError(e["msg"], Location(column="--" + ".".join(map(str, e["loc"])).replace("_", "-")))
            for e in exc.errors()
        ]
        raise InputErrors(errors) from None


def solve(
    demand: str | os.PathLike[str],
    *,
    catalog_dirs: Sequence[str | os.PathLike[str]] = (),
    profiles: str | os.PathLike[str] | None = None,
    save_model: str | os.PathLike[str] | None = None,
    **options: Any,
) -> Solved:
    """Plan the cheapest fleet for a demand file or folder; ``options`` are ``plan solve``'s options."""
    return _solve(
        demand, catalog_dirs, {**options, "profiles": profiles, "save_model": save_model}, time.monotonic()
    )


def solve_from_cli(
    demand: str, catalog_dirs: Sequence[str], flags: Mapping[str, Any], started: float
) -> Solved:
    """``plan solve``: flags on the command line win over a folder's options.yaml."""
    return _solve(demand, catalog_dirs, flags, started)


def _solve(
    demand: str | os.PathLike[str],
    catalog_dirs: Sequence[str | os.PathLike[str]],
    flags: Mapping[str, Any],
    started: float,
) -> Solved:
    demand_file, folder = resolve_demand_path(demand)
    merged: dict[str, Any] = dict(folder)
    merged.update({k: v for k, v in flags.items() if v is not None and v != {}})
    if "max_chips" in folder and "max_chips" not in {k for k, v in flags.items() if v}:
        merged["max_chips"] = folder["max_chips"]
    dirs = _catalog_dirs(folder, catalog_dirs)
    settings = make_settings(merged)
    problem = load_problem(demand_file, dirs, merged.get("profiles"), settings)
    return solve_problem(problem, save_model=merged.get("save_model"), started=started)


def _catalog_dirs(folder: Mapping[str, Any], catalog_dirs: Sequence[str | os.PathLike[str]]) -> list[Any]:
    """A folder's own catalog/ first, then the ones given on the command line (later wins)."""
    return [*list(folder.get("catalog", [])), *catalog_dirs]


def verify_plan_file(
    plan_file: str, demand: str, catalog_dirs: Sequence[str], profiles: str | None
) -> list[str]:
    """Problems found re-checking a plan file against its demand and the catalogs (empty: verified)."""
    from planner.verify import read_plan, verify_plan

    plan = read_plan(plan_file)
    demand_file, folder = resolve_demand_path(demand)
    dirs = _catalog_dirs(folder, catalog_dirs)
    settings = make_settings(dict(plan.inputs.settings))  # the plan is checked under its own settings
    problem = load_problem(demand_file, dirs, profiles or folder.get("profiles"), settings)  # type: ignore[arg-type]
    return verify_plan(plan, problem)


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
    from planner.verify import read_plan

    loaded = plan if isinstance(plan, Plan) else read_plan(plan)
    check_options(namespace=namespace, image=image, hf_token_secret=hf_token_secret or None)
    options = ExportOptions(
        period=period, namespace=namespace, image=image, hf_token_secret=hf_token_secret or None
    )
    return export_plan(loaded, to, out_dir, catalog_dirs=catalog_dirs, options=options)


def report(plan: Plan | str | os.PathLike[str], output: str | os.PathLike[str]) -> Path:
    """Write a plan (or a plan JSON file) as one self-contained HTML page; the path written."""
    from planner.html_report import write_report
    from planner.outputs import plan_format
    from planner.verify import read_plan

    loaded = plan if isinstance(plan, Plan) else read_plan(plan)
    if Path(output).suffix.lower() not in (".html", ".htm"):
        raise InputError("the report is an HTML file (.html)", Location(file=str(output)))
    plan_format(Path(output).with_suffix(".json"))  # the folder must exist
    write_report(loaded, output)
    return Path(output)
