"""Apply a :class:`~planner.whatif.changes.ChangeSet` to a loaded problem: a new catalog, demand, settings.

Order: ``set`` on the catalog, then the demand's source (another file, ``demand``, or the base
forecast read with another selection, ``change: {provision-for: p90}``; :mod:`planner.whatif.demand`),
then the demand scales and trends, then ``without``, ``price-trend`` and ``change`` on the
settings. The result is checked as a loaded problem is (:func:`planner.pipeline.check_settings`,
the demand's catalog check).

``without`` works through what a run may use, not by deleting entries (profiles, demand rows and
plans keep naming them): an accelerator leaves ``--accelerators``; an API leaves ``--apis``; a
provider's price offers leave the catalog and its APIs leave ``--apis``; a model stops being
self-hostable (``open_weights: false``) and the APIs serving it leave ``--apis``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from planner.catalog.load import check_catalog
from planner.catalog.schema import Accelerator, Catalog
from planner.demand import Demand, check_demand
from planner.errors import InputError
from planner.ids import unknown_id_hint
from planner.option_table import BY_KEY
from planner.options import allowed_accelerators, allowed_apis
from planner.pipeline import Problem, check_settings
from planner.settings import PriceTrend, SolveSettings
from planner.table.cells import MAX_REQUESTS_PER_S, MAX_TOKENS
from planner.trends import period_days, period_factors
from planner.whatif.catalog_path import KIND_MODELS, PathError, changed_entry, resolve
from planner.whatif.changes import ChangeSet, Where
from planner.whatif.demand import changed_source
from planner.whatif.readers import ALL, FORECAST_CHANGES


def apply_to_problem(
    problem: Problem, changes: ChangeSet, base_dir: str | os.PathLike[str] | None, where: Where
) -> Problem:
    """See :func:`planner.whatif.changes.apply_changes`."""
    if changes.is_empty:
        return problem
    catalog = _set_fields(problem.catalog, changes.set, where)
    demand = changed_source(problem.demand, changes, catalog, base_dir, where)
    demand = _scaled_demand(demand, changes, where)
    catalog, settings = _without(catalog, problem.settings, changes.without, where)
    settings = _price_trends(settings, changes.price_trend, catalog, demand.periods, where)
    settings = _changed_settings(settings, changes.change)
    check_catalog(catalog)
    check_settings(settings, catalog)
    if demand is not problem.demand or catalog is not problem.catalog:
        check_demand(demand.frame, catalog, demand.path)
    return dataclasses.replace(problem, catalog=catalog, demand=demand, settings=settings)


# --- the catalog ------------------------------------------------------------------------------


def _set_fields(catalog: Catalog, values: Mapping[str, Any], where: Where) -> Catalog:
    if not values:
        return catalog
    parts: dict[str, dict[str, Any]] = {kind: dict(getattr(catalog, kind)) for kind in KIND_MODELS}
    for path, value in values.items():
        current = catalog.model_copy(update=parts)
        try:
            resolved = resolve(path, current)
            parts[resolved.kind][resolved.entry] = changed_entry(
                parts[resolved.kind][resolved.entry], resolved.steps, value
            )
        except PathError as exc:
            raise InputError(f"'{path}': {exc.message}", where("set"), exc.hint) from None
    return Catalog(**parts)


def _without(
    catalog: Catalog, settings: SolveSettings, entries: tuple[str, ...], where: Where
) -> tuple[Catalog, SolveSettings]:
    if not entries:
        return catalog, settings
    accelerators = list(allowed_accelerators(catalog, settings))
    apis = list(allowed_apis(catalog, settings))
    before = (tuple(accelerators), tuple(apis))
    for entry in entries:
        kind, entry_id = _without_kind(entry, catalog, where)
        if kind == "accelerator":
            accelerators = [a for a in accelerators if a != entry_id]
        elif kind == "api":
            apis = [a for a in apis if a != entry_id]
        elif kind == "provider":
            catalog = _without_provider(catalog, entry_id)
            apis = [a for a in apis if catalog.apis[a].provider != entry_id]
            accelerators = [a for a in accelerators if catalog.accelerators[a].is_priced]
        else:
            model = catalog.models[entry_id].model_copy(update={"open_weights": False})
            catalog = catalog.model_copy(update={"models": {**catalog.models, entry_id: model}})
            apis = [a for a in apis if catalog.apis[a].model != entry_id]
    update: dict[str, Any] = {}
    if tuple(accelerators) != before[0]:
        update["accelerators"] = tuple(accelerators)
    if tuple(apis) != before[1]:
        update["apis"] = tuple(apis)
    return catalog, settings.model_copy(update=update)


def _providers(catalog: Catalog) -> set[str]:
    offers = {p.provider for acc in catalog.accelerators.values() for p in acc.prices}
    return offers | {api.provider for api in catalog.apis.values() if api.provider}


def _without_kind(entry: str, catalog: Catalog, where: Where) -> tuple[str, str]:
    """``(kind, id)`` of a ``without`` entry, the kind found in the catalog when not given."""
    kinds: dict[str, set[str]] = {
        "accelerator": set(catalog.accelerators),
        "api": set(catalog.apis),
        "provider": _providers(catalog),
        "model": set(catalog.models),
    }
    kind, _, entry_id = entry.rpartition(":")
    if kind:
        if entry_id not in kinds[kind]:
            hint = unknown_id_hint(entry_id, kinds[kind], f"{kind} ids")
            raise InputError(f"unknown {kind} '{entry_id}'", where("without"), hint)
        return kind, entry_id
    found = [k for k, ids in kinds.items() if entry_id in ids]
    if len(found) > 1:
        spelled = " or ".join(f"'{k}:{entry_id}'" for k in found)
        raise InputError(
            f"'{entry_id}' is an id of several kinds ({', '.join(found)})",
            where("without"),
            f"write {spelled}",
        )
    if not found:
        every = set().union(*kinds.values())
        hint = unknown_id_hint(entry_id, every, "accelerators, APIs, providers and models")
        raise InputError(f"unknown id '{entry_id}'", where("without"), hint)
    return found[0], entry_id


def _without_provider(catalog: Catalog, provider: str) -> Catalog:
    accelerators: dict[str, Accelerator] = {}
    for acc_id, acc in catalog.accelerators.items():
        kept = tuple(p for p in acc.prices if p.provider != provider)
        accelerators[acc_id] = (
            acc if len(kept) == len(acc.prices) else acc.model_copy(update={"prices": kept})
        )
    return catalog.model_copy(update={"accelerators": accelerators})


# --- the settings -----------------------------------------------------------------------------


def _price_trends(
    settings: SolveSettings,
    trends: Mapping[str, float],
    catalog: Catalog,
    periods: tuple[str, ...],
    where: Where,
) -> SolveSettings:
    if not trends:
        return settings
    try:
        period_days(periods, "--price-trend")
    except InputError as exc:
        raise InputError(exc.message, where("price-trend"), exc.hint) from None
    kept = [t for t in settings.price_trends if t.target not in trends]
    added = [PriceTrend(target=target, rate_per_year=rate) for target, rate in trends.items()]
    for trend in added:
        valid: Mapping[str, object] = catalog.apis if trend.kind == "apis" else catalog.accelerators
        if trend.entry is not None and trend.entry not in valid:
            hint = unknown_id_hint(trend.entry, valid, f"{trend.kind} ids")
            raise InputError(f"unknown id '{trend.entry}' in '{trend.target}'", where("price-trend"), hint)
    return settings.model_copy(update={"price_trends": (*kept, *added)})


def _changed_settings(settings: SolveSettings, change: Mapping[str, Any]) -> SolveSettings:
    if not set(change) - set(FORECAST_CHANGES):
        return settings
    data = settings.model_dump()
    for name, value in change.items():
        if name in FORECAST_CHANGES:  # read with the demand (changed_source)
            continue
        spec = BY_KEY[name.replace("-", "_")]
        assert spec.setting is not None
        data[spec.setting] = (not value) if spec.invert else value
    return SolveSettings.model_validate(data)


# --- the demand -------------------------------------------------------------------------------


def _scaled_demand(demand: Demand, changes: ChangeSet, where: Where) -> Demand:
    if not (changes.scale_demand or changes.scale_tokens or changes.demand_trend):
        return demand
    frame = demand.frame.copy()
    workloads = set(demand.workloads)
    rate = np.ones(len(frame))
    for workload, factor in changes.scale_demand.items():
        rate *= np.where(_rows(frame, workload, workloads, "scale-demand", where), factor, 1.0)
    for workload, yearly in changes.demand_trend.items():
        rows = _rows(frame, workload, workloads, "demand-trend", where)
        try:
            factors = np.array(period_factors(demand.periods, yearly, "--demand-trend"))
        except InputError as exc:
            raise InputError(exc.message, where("demand-trend"), exc.hint) from None
        rate *= np.where(rows, factors[frame["period_index"].to_numpy()], 1.0)
    frame["requests_per_s"] = frame["requests_per_s"].to_numpy() * rate
    _check_bound(
        frame, "requests_per_s", MAX_REQUESTS_PER_S, ("scale-demand", "demand-trend"), changes, where
    )
    for key, factor in changes.scale_tokens.items():
        workload, _, side = key.rpartition(".")
        rows = _rows(frame, workload or ALL, workloads, "scale-tokens", where)
        column = f"{side}_tokens"
        frame[column] = np.where(rows, np.maximum(frame[column].to_numpy() * factor, 1.0), frame[column])
    if changes.scale_tokens:
        for column in ("input_tokens", "output_tokens"):
            _check_bound(frame, column, MAX_TOKENS, ("scale-tokens",), changes, where)
    return dataclasses.replace(demand, sha256=frame_sha256(frame), frame=frame)


def _rows(frame: pd.DataFrame, workload: str, workloads: set[str], key: str, where: Where) -> np.ndarray:
    if workload == ALL:
        return np.ones(len(frame), dtype=bool)
    if workload not in workloads:
        raise InputError(
            f"unknown workload '{workload}'", where(key), unknown_id_hint(workload, workloads, "workloads")
        )
    return np.asarray(frame["workload"].to_numpy() == workload)


def _check_bound(
    frame: pd.DataFrame, column: str, bound: float, keys: tuple[str, ...], changes: ChangeSet, where: Where
) -> None:
    values = frame[column].to_numpy()
    if len(values) and float(values.max()) > bound:
        worst = int(values.argmax())
        key = next(k for k in keys if getattr(changes, k.replace("-", "_")))
        raise InputError(
            f"the change makes {column} {values[worst]:.6g} in period '{frame['period'].iloc[worst]}', "
            f"workload '{frame['workload'].iloc[worst]}', above the limit of {bound:g}",
            where(key),
        )


def frame_sha256(frame: pd.DataFrame) -> str:
    """A fingerprint of a demand frame's content (a changed demand has no file bytes of its own)."""
    text = frame.drop(columns=["source_row"]).to_csv(index=False, float_format="%.17g")
    return hashlib.sha256(text.encode()).hexdigest()
