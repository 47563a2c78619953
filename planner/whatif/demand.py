"""The changed case's demand source: another file (``demand``) or another forecast selection.

A base read from a forecast (``--workloads``) records how it was read (:attr:`Demand.forecast
<planner.demand.Demand.forecast>`). A change may then pick what to plan for
(``change: {provision-for: p90}``, ``forecast-model``, ``interval-width``): the base's file is read
again with the changed selection, so one sweep compares the P90 fleet with the P50 one. How the
file is read (``workloads``, ``series-column``, ``forecast-unit``) stays the base's.

``demand: OTHER`` is read as the base was: a forecast (by its header, :func:`forecast_tool`) with
the base's workloads file and selection (as changed), a demand.csv as a demand.csv. A forecast
needs a workloads file, so a forecast over a demand.csv base is an error saying so, and so is a
forecast selection over a demand.csv. Either way the other demand must have the base's workloads.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from typing import Any

from planner.catalog.schema import Catalog
from planner.demand import Demand, load_demand
from planner.demand._options import ForecastOptions, forecast_tool
from planner.demand.forecast import load_forecast
from planner.errors import InputError, InputErrors, Location
from planner.whatif.changes import ChangeSet, Where, resolve_path
from planner.whatif.readers import FORECAST_CHANGES

#: The ForecastOptions field each forecast change sets.
_FIELDS = {name: name.replace("-", "_") for name in FORECAST_CHANGES}


def forecast_changes(changes: ChangeSet) -> dict[str, Any]:
    """The ``change`` entries that pick what to plan for in a forecast, by long name."""
    return {name: value for name, value in changes.change.items() if name in FORECAST_CHANGES}


def changed_source(
    demand: Demand,
    changes: ChangeSet,
    catalog: Catalog,
    base_dir: str | os.PathLike[str] | None,
    where: Where,
) -> Demand:
    """The demand the changed case starts from (before scales and trends); ``demand`` when unchanged.

    Raises:
        InputError: a forecast change over a demand.csv base, a forecast over a demand.csv base,
            another file's errors, or another set of workloads; naming the change.
    """
    selection = forecast_changes(changes)
    if changes.demand is None and not selection:
        return demand
    if changes.demand is None:
        if demand.forecast is None:
            raise _not_a_forecast(selection, "the base demand", demand.path, where, _READ_AS_FORECAST)
        return _read_forecast(demand.path, demand.forecast, selection, catalog, where("change"))
    path = resolve_path(changes.demand, base_dir)
    tool = forecast_tool(path)
    if tool is None:
        if selection:
            raise _not_a_forecast(selection, "the changed demand", changes.demand, where, _GIVE_A_FORECAST)
        other = load_demand(path, catalog)
    elif demand.forecast is None:
        raise InputError(
            f"'{changes.demand}' is a {tool} forecast, but the base demand ({demand.path}) is a "
            "demand.csv: the changed demand is read as the base is, and a forecast needs the "
            "series' attributes (a workloads file)",
            where("demand"),
            "give a demand.csv over the same workloads, or read the base as a forecast with "
            "--workloads (workloads: in options.yaml or the sweep's options:)",
        )
    else:
        at = where("change") if selection else where("demand")
        other = _read_forecast(path, demand.forecast, selection, catalog, at)
    _same_workloads(demand, other, changes.demand, where)
    return other


_READ_AS_FORECAST = (
    "read the base as a forecast: FORECAST.csv with --workloads workloads.csv "
    "(workloads: in options.yaml or the sweep's options:)"
)
_GIVE_A_FORECAST = "give a forecast over the same series as the changed demand, or drop the change"


def _not_a_forecast(
    selection: Mapping[str, Any], what: str, path: str, where: Where, hint: str
) -> InputError:
    names = ", ".join(f"'{name}'" for name in selection)
    return InputError(
        f"{names} pick{'s' if len(selection) == 1 else ''} what to plan for in a forecast, "
        f"but {what} ({path}) is a demand.csv, not a forecast",
        where("change"),
        hint,
    )


def _read_forecast(
    path: str | os.PathLike[str],
    base: ForecastOptions,
    selection: Mapping[str, Any],
    catalog: Catalog,
    at: Location,
) -> Demand:
    """The forecast read with the base's options, the selection changed; errors placed at ``at``.

    An error about the selection (``option --provision-for``: the column is not there) is the
    change's: it names the file and is located at the change key.
    """
    options = dataclasses.replace(base, **{_FIELDS[name]: value for name, value in selection.items()})
    try:
        return load_forecast(path, options, catalog)
    except InputError as exc:
        raise _at_change(exc, at) from None


def _at_change(exc: InputError, at: Location) -> InputError:
    errors = exc.errors if isinstance(exc, InputErrors) else [exc]
    moved = []
    for error in errors:
        column = (error.location.column or "").removeprefix("--")
        if column in FORECAST_CHANGES:
            file = f"{error.location.file}: " if error.location.file else ""
            moved.append(InputError(f"{file}{error.message}", at, error.hint))
        else:
            moved.append(error)
    return InputErrors(moved) if len(moved) > 1 else moved[0]


def _same_workloads(demand: Demand, other: Demand, path: str, where: Where) -> None:
    mine, theirs = set(demand.workloads), set(other.workloads)
    if mine == theirs:
        return
    missing, extra = sorted(mine - theirs), sorted(theirs - mine)
    parts = ([f"lacks {', '.join(missing)}"] if missing else []) + (
        [f"adds {', '.join(extra)}"] if extra else []
    )
    raise InputError(
        f"'{path}' is not a forecast of the same workloads: it {' and '.join(parts)}",
        where("demand"),
        f"the base's workloads: {', '.join(sorted(mine))}",
    )
