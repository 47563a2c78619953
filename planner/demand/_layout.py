"""Forecast column layouts: Prophet's ``predict()`` output, Nixtla's frames, and the column planned for.

Prophet (``Prophet.predict``) writes ``ds``, ``trend``, ``yhat_lower``, ``yhat_upper``,
``trend_lower``, ``trend_upper``, every component ``X`` with ``X_lower`` and ``X_upper``
(``additive_terms``, ``weekly``, ``yearly``, holidays, extra regressors...), ``cap`` and ``floor``
under logistic growth, and ``yhat``. It names no series: the series id is the column
``--series-column`` names, or the only column that is not Prophet's.

Nixtla (statsforecast, mlforecast, neuralforecast, TimeGPT) writes ``unique_id``, ``ds`` and one
column per model (``AutoETS``), with ``<model>-lo-<level>`` / ``<model>-hi-<level>`` for
prediction intervals (``level=[80, 95]``), ``<model>-q-<q>`` for quantiles (TimeGPT's
``quantiles=[0.1, 0.9]`` gives ``TimeGPT-q-10``, ``TimeGPT-q-90``) and ``<model>-median``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from planner.demand._options import ForecastOptions
from planner.errors import InputError, Location
from planner.ids import close_matches

#: Columns of Prophet's output that are not components with bounds.
PROPHET_FIXED: tuple[str, ...] = (
    "ds",
    "trend",
    "cap",
    "floor",
    "yhat",
    "yhat_lower",
    "yhat_upper",
    "trend_lower",
    "trend_upper",
)
#: Prophet's own component names (also without bounds, when ``uncertainty_samples=0``).
PROPHET_COMPONENTS: tuple[str, ...] = (
    "additive_terms",
    "multiplicative_terms",
    "weekly",
    "yearly",
    "daily",
    "holidays",
    "extra_regressors_additive",
    "extra_regressors_multiplicative",
)
#: The Prophet columns one may plan for.
PROPHET_VALUES: tuple[str, ...] = ("yhat", "yhat_lower", "yhat_upper")
NIXTLA_ID = "unique_id"
#: Columns Nixtla writes in fitted and cross-validation frames, which are not forecasts.
NIXTLA_NOT_FORECASTS: dict[str, str] = {
    "y": "it holds the observed values: this looks like a fitted or cross-validation frame",
    "cutoff": "it comes from cross_validation(): plan from forecast() output",
}
ACCEPTED = (
    "Prophet's predict() output (ds, yhat, yhat_lower, yhat_upper, its components, and one column "
    "naming the series) or a Nixtla frame (unique_id, ds, one column per model, "
    "<model>-lo-<level>, <model>-hi-<level>, <model>-q-<q>, <model>-median)"
)

_BOUND = re.compile(r"^(?P<model>.+)-(?P<side>lo|hi)-(?P<level>\d+(?:\.\d+)?)$")
_QUANTILE = re.compile(r"^(?P<model>.+)-q-(?P<q>\d+(?:\.\d+)?)$")
_MEDIAN = re.compile(r"^(?P<model>.+)-median$")
_PNN = re.compile(r"^[pP](\d+(?:\.\d+)?)$")
_SAME = 1e-9


@dataclass(frozen=True)
class Selection:
    """What a forecast file is and which of its columns are read (names as the file spells them).

    ``quantile`` is the chosen column's quantile in percent when the naming (or
    ``--interval-width``) gives it, else None.
    """

    kind: Literal["prophet", "nixtla"]
    series: str
    value: str
    quantile: float | None
    model: str | None = None


@dataclass(frozen=True)
class _Candidate:
    column: str
    model: str | None
    quantile: float | None


class _Header:
    """A header row: its names as spelled, and where errors about it point."""

    def __init__(self, names: Sequence[str], file: str, row: int) -> None:
        self.names = list(names)
        self.lowered = [name.lower() for name in names]
        self.file, self.row = file, row

    def find(self, name: str) -> str | None:
        """The column spelled ``name`` exactly, else the only one equal in any case."""
        if name in self.names:
            return name
        same = [spelled for spelled in self.names if spelled.lower() == name.lower()]
        return same[0] if len(same) == 1 else None

    def error(self, message: str, column: str | None = None, hint: str | None = None) -> InputError:
        """An error at the header row, listing the columns found and those accepted."""
        found = ", ".join(self.names[:16]) + (", ..." if len(self.names) > 16 else "")
        listing = f"columns found: {found}; accepted: {ACCEPTED}"
        return InputError(
            message,
            Location(file=self.file, row=self.row, column=column),
            f"{hint}\n  {listing}" if hint else listing,
        )


def select_columns(names: Sequence[str], options: ForecastOptions, file: str, row: int) -> Selection:
    """Recognise the layout of a forecast header and pick the series and value columns.

    Raises:
        InputError: neither layout, a missing or unknown column, or a ``--provision-for`` the file
            does not have (the message lists the columns found and those accepted).
    """
    header = _Header(names, file, row)
    if header.find("ds") is None:
        raise header.error("missing column 'ds' (the forecast's dates)", "ds")
    if header.find("yhat") is not None:
        return _prophet(header, options)
    if header.find(options.series_column or NIXTLA_ID) is not None:
        return _nixtla(header, options)
    if options.series_column:
        raise header.error(f"no column '{options.series_column}' (--series-column)", options.series_column)
    raise header.error("neither a Prophet forecast (no 'yhat') nor a Nixtla frame (no 'unique_id')")


def percent_label(quantile: float) -> str:
    """``p90``, ``p97.5``."""
    return f"p{quantile:g}"


def _requested_quantile(text: str) -> float | None:
    """The quantile ``pNN`` asks for, in percent; None when the text is a column name."""
    match = _PNN.match(text)
    return float(match.group(1)) if match else None


def _check_quantile(header: _Header, wanted: float) -> None:
    if not 0 < wanted < 100:
        raise InputError(
            f"--provision-for p{wanted:g}: a quantile lies strictly between p0 and p100",
            Location(file=header.file, column="--provision-for"),
        )


# --- Prophet --------------------------------------------------------------------------------------


def _prophet(header: _Header, options: ForecastOptions) -> Selection:
    if options.forecast_model is not None:
        raise InputError(
            "a Prophet forecast holds one model: --forecast-model picks one of a Nixtla frame's models",
            Location(file=header.file, column="--forecast-model"),
        )
    prophet = _prophet_columns(header)
    others = [name for name in header.names if name.lower() not in prophet]
    if options.series_column is not None:
        series = header.find(options.series_column)
        if series is None:
            raise header.error(
                f"no column '{options.series_column}' (--series-column)", options.series_column
            )
        if series.lower() in prophet:
            raise header.error(f"'{series}' is a column of Prophet's output, not a series id", series)
        others = [name for name in others if name != series]
        if others:
            raise header.error(f"unknown column '{others[0]}'", others[0])
    elif len(others) == 1:
        series, others = others[0], []
    elif not others:
        raise header.error(
            "no column names the series: Prophet's output has none",
            hint="add one with the workload id (forecast['workload'] = 'chat') and give it, or "
            "give --series-column",
        )
    else:
        shown = ", ".join(f"'{name}'" for name in others[:6])
        raise header.error(
            f"several columns are not Prophet's ({shown}): which one names the series?",
            others[0],
            hint="give --series-column",
        )
    value, quantile = _prophet_value(header, options, prophet)
    return Selection("prophet", series, value, quantile)


def _prophet_columns(header: _Header) -> set[str]:
    """Lower-case names of the columns that are Prophet's: fixed ones and components with bounds."""
    known = set(PROPHET_FIXED) | set(PROPHET_COMPONENTS)
    present = set(header.lowered)
    for name in header.lowered:
        if f"{name}_lower" in present and f"{name}_upper" in present:
            known |= {name, f"{name}_lower", f"{name}_upper"}
    return known & present


def _prophet_quantiles(width: float | None) -> dict[str, float | None]:
    if width is None:
        return {"yhat": 50.0, "yhat_lower": None, "yhat_upper": None}
    return {"yhat": 50.0, "yhat_lower": 50.0 * (1 - width), "yhat_upper": 50.0 * (1 + width)}


def _prophet_value(header: _Header, options: ForecastOptions, prophet: set[str]) -> tuple[str, float | None]:
    quantiles = _prophet_quantiles(options.interval_width)
    present = [name for name in PROPHET_VALUES if header.find(name) is not None]
    wanted = _requested_quantile(options.provision_for)
    if wanted is None:
        column = header.find(options.provision_for)
        if column is not None and column.lower() in present:
            return column, quantiles[column.lower()]
        what = "a component of Prophet's output, not a forecast" if column else "not a column of the file"
        valid = ", ".join(present)
        raise header.error(
            f"--provision-for '{options.provision_for}' is {what}",
            column,
            hint=f"plan for one of {valid}, or a quantile such as p50",
        )
    _check_quantile(header, wanted)
    if abs(wanted - 50) < _SAME:
        return str(header.find("yhat")), 50.0
    if options.interval_width is None:
        raise InputError(
            f"--provision-for p{wanted:g} of a Prophet forecast needs --interval-width: the file does "
            "not record which quantiles yhat_lower and yhat_upper are",
            Location(file=header.file, column="--interval-width"),
            "give the interval_width the model was fitted with (Prophet's default is 0.8, which makes "
            "yhat_lower p10 and yhat_upper p90), or name the column: --provision-for yhat_upper",
        )
    for name in present:
        quantile = quantiles[name]
        if quantile is not None and abs(quantile - wanted) < _SAME:
            return str(header.find(name)), quantile
    known = sorted((q, name) for name in present if (q := quantiles[name]) is not None)
    raise InputError(
        f"--provision-for p{wanted:g} is not in this forecast (--interval-width {options.interval_width:g})",
        Location(file=header.file, column="--provision-for"),
        "it has " + ", ".join(f"{percent_label(q)} ({name})" for q, name in known),
    )


# --- Nixtla ---------------------------------------------------------------------------------------


def _nixtla(header: _Header, options: ForecastOptions) -> Selection:
    if options.interval_width is not None:
        raise InputError(
            "--interval-width is for Prophet forecasts: a Nixtla frame names its levels (-lo-80, -q-90)",
            Location(file=header.file, column="--interval-width"),
        )
    series = str(header.find(options.series_column or NIXTLA_ID))
    candidates = _nixtla_columns(header, series)
    models = list(dict.fromkeys(c.model for c in candidates))
    if not candidates:
        raise header.error("no forecast column: a Nixtla frame has one column per model after unique_id, ds")
    wanted = _requested_quantile(options.provision_for)
    if wanted is None:
        chosen = _named(header, candidates, options)
        return Selection("nixtla", series, chosen.column, chosen.quantile, chosen.model)
    _check_quantile(header, wanted)
    model = _model(header, models, options.forecast_model)
    mine = [c for c in candidates if c.model == model]
    for candidate in mine:
        if candidate.quantile is not None and abs(candidate.quantile - wanted) < _SAME:
            return Selection("nixtla", series, candidate.column, candidate.quantile, model)
    known = sorted((c.quantile, c.column) for c in mine if c.quantile is not None)
    has = ", ".join(f"{percent_label(q)} ({name})" for q, name in known) or "no quantile"
    raise InputError(
        f"--provision-for p{wanted:g} is not in this forecast for model '{model}'",
        Location(file=header.file, column="--provision-for"),
        f"it has {has}; or name a column: --provision-for {mine[0].column}",
    )


def _nixtla_columns(header: _Header, series: str) -> list[_Candidate]:
    """Every forecast column with its model and quantile (the point column is p50 without a median)."""
    found: list[_Candidate] = []
    for name in header.names:
        if name == series or name.lower() in ("ds", NIXTLA_ID):
            continue
        if name.lower() in NIXTLA_NOT_FORECASTS:
            raise header.error(
                f"column '{name}' is not a forecast: {NIXTLA_NOT_FORECASTS[name.lower()]}", name
            )
        found.append(_candidate(header, name))
    medians = {c.model for c in found if c.quantile is not None and abs(c.quantile - 50) < _SAME}
    return [
        _Candidate(c.column, c.model, 50.0) if c.quantile is None and c.model not in medians else c
        for c in found
    ]


def _candidate(header: _Header, name: str) -> _Candidate:
    bound, quantile, median = _BOUND.match(name), _QUANTILE.match(name), _MEDIAN.match(name)
    if bound:
        level = float(bound.group("level"))
        if not 0 < level < 100:
            raise header.error(f"column '{name}': a prediction-interval level lies between 0 and 100", name)
        sign = 1 if bound.group("side") == "hi" else -1
        return _Candidate(name, bound.group("model"), 50.0 + sign * level / 2)
    if quantile:
        q = float(quantile.group("q"))
        if not 0 < q < 100:
            raise header.error(f"column '{name}': a quantile lies between 0 and 100", name)
        return _Candidate(name, quantile.group("model"), q)
    if median:
        return _Candidate(name, median.group("model"), 50.0)
    return _Candidate(name, name, None)


def _model(header: _Header, models: list[str | None], given: str | None) -> str | None:
    """The model to plan for: ``--forecast-model`` (checked), or the file's only one."""
    names = [m for m in models if m is not None]
    if given is None:
        if len(names) > 1:
            raise InputError(
                f"the forecast holds several models ({', '.join(names)}): give --forecast-model",
                Location(file=header.file, column="--forecast-model"),
            )
        return names[0] if names else None
    if given in names:
        return given
    same = [m for m in names if m.lower() == given.lower()]
    if len(same) == 1:
        return same[0]
    matches = close_matches(given, names)
    hint = ("did you mean " + " or ".join(map(repr, matches)) + "?") if matches else None
    raise header.error(
        f"--forecast-model '{given}' is not a model of the forecast ({', '.join(names)})", hint=hint
    )


def _named(header: _Header, candidates: list[_Candidate], options: ForecastOptions) -> _Candidate:
    """The column ``--provision-for`` names as written (and its model must be ``--forecast-model``)."""
    column = header.find(options.provision_for)
    chosen = next((c for c in candidates if c.column == column), None)
    if chosen is None:
        matches = close_matches(options.provision_for, [c.column for c in candidates])
        hint = ("did you mean " + " or ".join(map(repr, matches)) + "? " if matches else "") + (
            "or give a quantile such as p90"
        )
        raise header.error(f"--provision-for '{options.provision_for}' is not a forecast column", hint=hint)
    if options.forecast_model is not None:
        model = _model(header, list(dict.fromkeys(c.model for c in candidates)), options.forecast_model)
        if chosen.model != model:
            raise InputError(
                f"--provision-for '{chosen.column}' is a column of model '{chosen.model}', not of "
                f"--forecast-model '{model}'",
                Location(file=header.file, column="--provision-for"),
            )
    return chosen
