"""The options that read a forecast (``--workloads`` and the ones that go with it)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from planner.errors import InputError, Location

#: Seconds per unit of ``--forecast-unit``.
SECONDS_PER_UNIT: dict[str, float] = {
    "requests_per_s": 1.0,
    "requests_per_hour": 3600.0,
    "requests_per_day": 86400.0,
}
#: The options that only mean something with ``--workloads``.
FORECAST_KEYS: tuple[str, ...] = (
    "series_column",
    "provision_for",
    "forecast_model",
    "interval_width",
    "forecast_unit",
)


@dataclass(frozen=True)
class ForecastOptions:
    """How a forecast file is read (the ``plan solve`` options of the same names).

    Attributes:
        workloads: the CSV of each series' static attributes.
        series_column: the column naming the series (default: Prophet's only non-Prophet column,
            Nixtla's ``unique_id``).
        provision_for: a column as written, or ``pNN`` (a quantile in percent).
        forecast_model: the Nixtla model to plan for, of several.
        interval_width: Prophet's ``interval_width``, which the file does not record.
        unit: ``requests_per_s``, ``requests_per_hour`` or ``requests_per_day``.
    """

    workloads: str
    series_column: str | None = None
    provision_for: str = "p50"
    forecast_model: str | None = None
    interval_width: float | None = None
    unit: str = "requests_per_s"

    def selection(self) -> dict[str, Any]:
        """The options that select what is read (the workloads file enters by its bytes)."""
        return {
            "series_column": self.series_column,
            "provision_for": self.provision_for,
            "forecast_model": self.forecast_model,
            "interval_width": self.interval_width,
            "unit": self.unit,
        }


def forecast_options(options: Mapping[str, Any]) -> ForecastOptions | None:
    """The forecast options among ``plan solve``'s (by Python name); None without ``workloads``.

    Raises:
        InputError: a forecast option is given without ``--workloads``.
    """
    given = [key for key in FORECAST_KEYS if options.get(key) is not None]
    if options.get("workloads") is None:
        if given:
            flag = "--" + given[0].replace("_", "-")
            raise InputError(
                f"{flag} reads a forecast: give --workloads too (the series' attributes)",
                Location(column=flag),
            )
        return None
    return ForecastOptions(
        workloads=str(options["workloads"]),
        series_column=options.get("series_column"),
        provision_for=options.get("provision_for") or "p50",
        forecast_model=options.get("forecast_model"),
        interval_width=options.get("interval_width"),
        unit=options.get("forecast_unit") or "requests_per_s",
    )


def forecast_tool(path: str | os.PathLike[str]) -> str | None:
    """The tool that wrote a forecast file, by its header: ``Prophet``, ``Nixtla``, or None.

    A header with ``ds`` and ``yhat`` is Prophet's, with ``ds`` and ``unique_id`` Nixtla's; anything
    else (a demand.csv, or a file that cannot be read: its reader says why) is None.
    """
    try:
        with open(path, "rb") as handle:
            first = handle.readline(4096).decode("utf-8-sig", errors="replace")
    except OSError:
        return None
    names = {name.strip().strip('"').lower() for name in first.split(",")}
    if "ds" not in names or not names & {"yhat", "unique_id"}:
        return None
    return "Prophet" if "yhat" in names else "Nixtla"


def forecast_hint(error: InputError, path: str | os.PathLike[str]) -> InputError:
    """The demand reader's ``error``, or a clearer one for a forecast given without --workloads."""
    tool = forecast_tool(path)
    if tool is None:
        return error
    return InputError(
        f"this is a {tool} forecast, not a demand.csv: give --workloads too (the series' attributes)",
        Location(file=os.fspath(path), row=1),
        "plan solve FORECAST.csv --workloads workloads.csv [--provision-for p90]",
    )
