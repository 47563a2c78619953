"""Render one export format in memory, then write its files (what ``plan export`` runs)."""

from __future__ import annotations

import importlib
import os
from collections.abc import Sequence
from pathlib import Path

from planner.exports import FORMATS
from planner.exports.base import ExportContext, ExportError, ExportFile, ExportOptions, write_files
from planner.plan import PeriodPlan, Plan


def render_files(fmt: str, ctx: ExportContext) -> list[ExportFile]:
    """Render one format's files in memory."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format '{fmt}'", hint=f"valid: {', '.join(FORMATS)}")
    module = importlib.import_module(FORMATS[fmt][0])
    files: list[ExportFile] = (
        module.render_format(ctx, fmt) if hasattr(module, "render_format") else module.render(ctx)
    )
    return files


def export_plan(
    plan: Plan,
    fmt: str,
    out_dir: str | os.PathLike[str],
    *,
    catalog_dirs: Sequence[str | os.PathLike[str]] = (),
    options: ExportOptions | None = None,
) -> list[Path]:
    """Export ``plan`` as ``fmt`` into ``out_dir``; the files written, in order."""
    from planner.catalog.load import load_catalog

    plan = with_placements(plan)
    ctx = ExportContext(plan=plan, catalog=load_catalog(catalog_dirs), options=options or ExportOptions())
    files = render_files(fmt, ctx)
    return write_files(Path(out_dir), fmt, files)


def with_placements(plan: Plan) -> Plan:
    """The plan with placements in every period (a plan written before schema 1.2 has none)."""
    from planner.fleet import placement_pool
    from planner.placement import place_period

    def placed(p: PeriodPlan) -> PeriodPlan:
        pool = placement_pool(p.accelerators, p.owned)  # owned chips (--fleet) host replicas too
        return p.model_copy(update={"placements": place_period(p.period, pool, p.deployments)[0]})

    periods = tuple(p if p.placements or not p.deployments else placed(p) for p in plan.periods)
    return plan.model_copy(update={"periods": periods})
