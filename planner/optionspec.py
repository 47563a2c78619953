"""One definition of ``plan solve``'s options, for the command line, ``options.yaml`` and the API.

Every option is one :class:`OptionSpec` in :data:`SOLVE_OPTIONS`: its long name, its kind, its
help and the :class:`~planner.settings.SolveSettings` field it sets. A setting's type, bounds,
choices and default are read from that field (they are written once, there); options that are not
settings (files, the output format) carry their own. From this table come

* the click flags of ``plan solve`` (:func:`click_option`, used by ``planner.cli.solve_flags``),
* the validation of ``options.yaml`` (:mod:`planner.optionsfile`) and of ``planner.solve(**options)``
  (:func:`validate_options`), with one message per mistake and close matches for unknown names,
* :func:`settings_from`, the SolveSettings of validated option values.

Values are strict: a number is a number (or text in the table number grammar, as YAML reads
``1e6`` as text), never ``true``; a flag is ``true``/``false``; ids are a list or one
comma-separated text; a path is text. NaN and infinity are refused everywhere.
"""

from __future__ import annotations

import math
import os
import re
import typing
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import annotated_types
from pydantic import ValidationError

from planner.errors import InputError, InputErrors, Location
from planner.ids import close_matches
from planner.settings import PRICE_TREND_TARGET, PriceTrend, SolveSettings
from planner.table.cells import CellError, boolean, number
from planner.trends import parse_rate

Kind = Literal["number", "integer", "choice", "flag", "ids", "chips", "trends", "path", "paths", "text"]
Where = Callable[[str], Location]


class OptionError(ValueError):
    """A value is not valid for its option: the message says what was expected, the hint how to fix it."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message, self.hint = message, hint


@dataclass(frozen=True)
class Bounds:
    """A closed or open interval a number must lie in (None: unbounded on that side)."""

    low: float | None = None
    low_open: bool = False
    high: float | None = None
    high_open: bool = False

    def describe(self) -> str:
        """``above 0 and at most 1``, ``at least 1``."""
        parts = []
        if self.low is not None:
            parts.append(f"{'above' if self.low_open else 'at least'} {self.low:g}")
        if self.high is not None:
            parts.append(f"{'below' if self.high_open else 'at most'} {self.high:g}")
        return " and ".join(parts)

    def holds(self, value: float) -> bool:
        """True when ``value`` lies in the interval."""
        low_ok = self.low is None or (value > self.low if self.low_open else value >= self.low)
        high_ok = self.high is None or (value < self.high if self.high_open else value <= self.high)
        return low_ok and high_ok


@dataclass(frozen=True)
class OptionSpec:
    """One option of ``plan solve``.

    Attributes:
        name: the long name (``time-limit``); ``options.yaml`` keys are this name.
        kind: how values are read (see :func:`coerce`).
        help: the ``--help`` line.
        setting: the SolveSettings field it sets; None for an option that is not a setting.
        invert: a ``no-*`` flag: true sets the setting to False.
        short: a one-letter flag (``-o``).
        choices, bounds, default: for options that are not settings (settings read theirs).
        metavar: what the value looks like in ``--help``.
        multiple: the flag may be repeated on the command line.
    """

    name: str
    kind: Kind
    help: str
    setting: str | None = None
    invert: bool = False
    short: str | None = None
    choices: tuple[str, ...] = ()
    bounds: Bounds = Bounds()
    default: Any = None
    metavar: str | None = None
    multiple: bool = False

    @property
    def key(self) -> str:
        """The Python name: ``time_limit`` (keyword of ``planner.solve``, click parameter)."""
        return self.name.replace("-", "_")

    def value_choices(self) -> tuple[str, ...]:
        """Valid values of a ``choice`` option (a setting's come from its ``Literal`` type)."""
        if self.setting is None:
            return self.choices
        return tuple(str(a) for a in typing.get_args(_field(self.setting).annotation))

    def value_bounds(self) -> Bounds:
        """The interval of a number option (a setting's come from its field's constraints)."""
        if self.setting is None:
            return self.bounds
        low = high = None
        low_open = high_open = False
        for item in _field(self.setting).metadata:
            if isinstance(item, annotated_types.Gt | annotated_types.Ge):
                low_open = isinstance(item, annotated_types.Gt)
                low = float(item.gt if isinstance(item, annotated_types.Gt) else item.ge)  # type: ignore[arg-type]
            elif isinstance(item, annotated_types.Lt | annotated_types.Le):
                high_open = isinstance(item, annotated_types.Lt)
                high = float(item.lt if isinstance(item, annotated_types.Lt) else item.le)  # type: ignore[arg-type]
        return Bounds(low, low_open, high, high_open)

    def default_value(self) -> Any:
        """The value taken when the option is not given."""
        if self.setting is None:
            return self.default
        field = _field(self.setting)
        value = field.get_default(call_default_factory=True)
        return (not value) if self.invert else value


def _field(name: str) -> Any:
    return SolveSettings.model_fields[name]


#: Every option of ``plan solve``, in ``--help`` order.
SOLVE_OPTIONS: tuple[OptionSpec, ...] = (
    OptionSpec(
        "catalog",
        "paths",
        "A catalog folder to add or override entries (repeatable; later wins).",
        metavar="DIR",
        multiple=True,
    ),
    OptionSpec("profiles", "path", "Measured profiles CSV.", metavar="FILE"),
    OptionSpec(
        "fleet",
        "path",
        "Chips you already have, at no cost (CSV: accelerator,provider,tier,chips,until).",
        metavar="FILE",
    ),
    OptionSpec("output", "path", "Write the plan (.json, .yaml, .csv).", short="-o", metavar="FILE"),
    OptionSpec(
        "workloads",
        "path",
        "DEMAND is a forecast (Prophet or Nixtla CSV); this CSV gives each series' attributes.",
        metavar="FILE",
    ),
    OptionSpec(
        "series-column", "text", "Forecast column naming the series (default: found).", metavar="NAME"
    ),
    OptionSpec(
        "provision-for",
        "text",
        "Forecast column to plan for (yhat_upper, AutoETS-hi-95) or pNN (p90).",
        metavar="COLUMN|pNN",
        default="p50",
    ),
    OptionSpec("forecast-model", "text", "The forecast's model to plan for, of several.", metavar="NAME"),
    OptionSpec(
        "interval-width",
        "number",
        "Prophet's interval_width (the file does not record it): 0.8 makes yhat_upper p90.",
        bounds=Bounds(0, True, 1, True),
    ),
    OptionSpec(
        "forecast-unit",
        "choice",
        "Unit of the forecast's values.",
        choices=("requests_per_s", "requests_per_hour", "requests_per_day"),
        default="requests_per_s",
    ),
    OptionSpec(
        "accelerators", "ids", "Only these accelerators (comma-separated ids).", "accelerators", metavar="IDS"
    ),
    OptionSpec(
        "apis", "ids", "Only these API offerings (comma-separated ids; '' for none).", "apis", metavar="IDS"
    ),
    OptionSpec(
        "target-utilization",
        "number",
        "Planned load as a share of what a replica sustains.",
        "target_utilization",
    ),
    OptionSpec(
        "max-spot-share", "number", "Largest share of an accelerator's chips on spot.", "max_spot_share"
    ),
    OptionSpec(
        "commitment-cost",
        "choice",
        "term: charge commitments for their whole term; horizon: within the plan.",
        "commitment_cost",
    ),
    OptionSpec(
        "max-chips",
        "chips",
        "ACC=N: chips of ACC per period (repeatable).",
        "max_chips",
        metavar="ACC=N",
        multiple=True,
    ),
    OptionSpec(
        "price-trend",
        "trends",
        "TARGET=RATE/yr: prices of apis, accelerators or one KIND.ID change by RATE a year (repeatable).",
        "price_trends",
        metavar="TARGET=RATE",
        multiple=True,
    ),
    OptionSpec("budget-usd", "number", "Limit on the total cost over the horizon, USD.", "budget_usd"),
    OptionSpec("whole-nodes", "flag", "Buy node-sold offers by whole nodes.", "whole_nodes"),
    OptionSpec(
        "unmet-penalty-usd-per-request",
        "number",
        "USD charged per request left unmet.",
        "unmet_penalty_usd_per_request",
    ),
    OptionSpec("solver", "choice", "The MILP solver.", "solver"),
    OptionSpec("time-limit", "number", "Wall-clock budget of the whole run, s.", "time_limit_s"),
    OptionSpec("mip-gap", "number", "Relative gap at which a plan counts as optimal.", "mip_gap"),
    OptionSpec("threads", "integer", "Solver threads (default: the solver's choice).", "threads"),
    OptionSpec("save-model", "path", "Write the MILP as built (.lp or .mps).", metavar="FILE"),
    OptionSpec("no-baselines", "flag", "Skip the baseline fleets.", "baselines", invert=True),
    OptionSpec(
        "no-reductions", "flag", "Solve the unreduced model (no pruning at all).", "reductions", invert=True
    ),
    OptionSpec(
        "work-limit",
        "integer",
        "Per MILP: N nodes and 10,000 N simplex iterations; reruns then agree whatever the load.",
        "work_limit",
    ),
    OptionSpec(
        "sensitivity",
        "flag",
        "Report each used (or nearly used) price's range over which the fleet stays the same, by re-solves.",
    ),
    OptionSpec(
        "format",
        "choice",
        "table for people; json: one JSON document on stdout.",
        choices=("table", "json"),
        default="table",
    ),
)

#: Options by their Python name (``time_limit``).
BY_KEY: dict[str, OptionSpec] = {spec.key: spec for spec in SOLVE_OPTIONS}
#: Options by the SolveSettings field they set (``time_limit_s``, ``baselines``).
BY_SETTING: dict[str, OptionSpec] = {spec.setting: spec for spec in SOLVE_OPTIONS if spec.setting}
#: Names that look like options but are not options of ``plan solve``, with the reason.
NOT_OPTIONS: dict[str, str] = {
    "debug": "'debug' is an option of 'plan' itself: give --debug on the command line",
    "help": "'help' is not an option: run 'plan solve --help'",
    "version": "'version' is not an option: run 'plan --version'",
    "o": "give the long name: 'output'",
    "demand": "the demand is the DEMAND argument (a folder's demand.csv), not an option",
}


def coerce(spec: OptionSpec, value: Any) -> Any:
    """A valid value of ``spec`` from a typed value (YAML, Python) or text (the command line).

    Raises:
        OptionError: the value has the wrong type or lies outside the option's bounds.
    """
    readers: dict[Kind, Callable[[OptionSpec, Any], Any]] = {
        "number": _number,
        "integer": _integer,
        "choice": _choice,
        "flag": _flag,
        "ids": _ids,
        "chips": _chips,
        "trends": _trends,
        "path": _path,
        "paths": _paths,
        "text": _text,
    }
    return readers[spec.kind](spec, value)


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple | set):
        return "a list"
    return repr(value) if isinstance(value, int | float) else type(value).__name__


def _real(value: Any, what: str) -> float:
    """A finite number from a number or number text (never a bool)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        tip = (
            " (a flag, not a number: YAML reads yes/no/on/off as true/false)"
            if isinstance(value, bool)
            else ""
        )
        raise OptionError(f"expected {what}, got {_type_name(value)}{tip}")
    if isinstance(value, str):
        try:
            return number(value.strip())
        except CellError as exc:
            raise OptionError(str(exc)) from None
    if isinstance(value, int):
        if abs(value) > 1e300:
            raise OptionError(f"the number {str(value)[:12]}... is too large")
        return float(value)
    if not math.isfinite(value):
        raise OptionError(f"NaN and infinity are not allowed, got {value!r}")
    return value


def _in_bounds(spec: OptionSpec, value: float, shown: Any) -> None:
    bounds = spec.value_bounds()
    if not bounds.holds(value):
        tip = f" (write {value / 100:g} for {value:g}%)" if bounds.high == 1 and 1 < value <= 100 else ""
        raise OptionError(f"must be {bounds.describe()}, got {shown}{tip}")


def _number(spec: OptionSpec, value: Any) -> float:
    result = _real(value, "a number")
    _in_bounds(spec, result, _shown(value))
    return result


def _integer(spec: OptionSpec, value: Any) -> int:
    result = _real(value, "a whole number")
    if result != int(result):
        raise OptionError(f"expected a whole number, got {_shown(value)}")
    _in_bounds(spec, result, _shown(value))
    return int(result)


def _shown(value: Any) -> str:
    return value.strip() if isinstance(value, str) else _type_name(value)


def _choice(spec: OptionSpec, value: Any) -> str:
    valid = spec.value_choices()
    if isinstance(value, str) and value.strip() in valid:
        return value.strip()
    matches = close_matches(value, valid) if isinstance(value, str) else []
    hint = ("did you mean " + " or ".join(map(repr, matches)) + "?") if matches else None
    raise OptionError(f"expected one of {', '.join(valid)}, got {_type_name(value)}", hint)


def _flag(spec: OptionSpec, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return boolean(value.strip())
        except CellError:
            pass
    raise OptionError(f"expected true or false, got {_type_name(value)}")


def _text_items(value: Any, what: str) -> list[str]:
    """Items of a list of texts, or of one comma-separated text."""
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    if isinstance(value, list | tuple):
        bad = [item for item in value if not isinstance(item, str) or not item.strip()]
        if bad:
            raise OptionError(f"expected a list of {what}, but one item is {_type_name(bad[0])}")
        return [item.strip() for item in value]
    raise OptionError(f"expected a list of {what} (or one comma-separated text), got {_type_name(value)}")


def _ids(spec: OptionSpec, value: Any) -> tuple[str, ...]:
    items = _text_items(value, "ids")
    repeated = sorted({item for item in items if items.count(item) > 1})
    if repeated:
        raise OptionError(f"the id '{repeated[0]}' is given twice")
    return tuple(items)


def _chips(spec: OptionSpec, value: Any) -> dict[str, int]:
    """``{ACC: N}``, a list of ``ACC=N`` texts, or one such text (``a=4,b=8``)."""
    if isinstance(value, Mapping):
        pairs = list(value.items())
    else:
        pairs = [_chip_pair(item) for item in _text_items(value, "ACC=N limits")]
    out: dict[str, int] = {}
    for acc, count in pairs:
        if not isinstance(acc, str) or not acc.strip():
            raise OptionError(f"an accelerator id is text, got {_type_name(acc)}")
        if isinstance(count, bool) or not isinstance(count, int | str) or not _whole_text(count):
            raise OptionError(
                f"the chips of '{acc}' must be a whole number of 0 or more, got {_type_name(count)}"
            )
        if acc.strip() in out:
            raise OptionError(f"'{acc.strip()}' is given twice")
        out[acc.strip()] = int(count)
    return out


def _trends(spec: OptionSpec, value: Any) -> tuple[PriceTrend, ...]:
    """``{TARGET: RATE}``, a list of ``TARGET=RATE`` texts, or one such text (``apis=-0.9/yr``)."""
    if isinstance(value, list | tuple) and value and all(isinstance(t, PriceTrend) for t in value):
        pairs = [(t.target, t.rate_per_year) for t in value]  # already read (the command line's)
    elif isinstance(value, list | tuple) and value and all(isinstance(t, Mapping) for t in value):
        pairs = [_recorded_trend(t) for t in value]  # as a plan records them
    elif isinstance(value, Mapping):
        pairs = [(str(k).strip(), v) for k, v in value.items()]
    else:
        pairs = [_trend_pair(item) for item in _text_items(value, "TARGET=RATE trends")]
    out: list[PriceTrend] = []
    for target, rate in pairs:
        if not re.match(PRICE_TREND_TARGET, target):
            raise OptionError(
                f"'{target}' is not a price-trend target", "write apis, accelerators or KIND.ID"
            )
        if any(t.target == target for t in out):
            raise OptionError(f"'{target}' is given twice")
        try:
            out.append(PriceTrend(target=target, rate_per_year=_rate(rate)))
        except ValueError as exc:
            raise OptionError(str(exc).splitlines()[0], "for example: apis=-0.9/yr") from None
    return tuple(out)


def _rate(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"a yearly rate is a number or text like -0.9/yr, got {_type_name(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("a yearly rate must be a finite number")
    return parse_rate(str(value))


def _recorded_trend(item: Mapping[str, Any]) -> tuple[str, Any]:
    if set(item) != {"target", "rate_per_year"}:
        raise OptionError(f"a recorded trend has the keys target and rate_per_year, got {sorted(item)}")
    return str(item["target"]).strip(), item["rate_per_year"]


def _trend_pair(item: str) -> tuple[str, str]:
    target, sep, rate = item.partition("=")
    if not sep or not target.strip():
        raise OptionError(f"expected TARGET=RATE, got {item!r}", "for example: apis=-0.9/yr")
    return target.strip(), rate.strip()


def _whole_text(count: int | str) -> bool:
    return count >= 0 if isinstance(count, int) else count.strip().isdigit() and count.strip().isascii()


def _chip_pair(item: str) -> tuple[str, str]:
    acc, sep, count = item.partition("=")
    if not sep or not acc.strip():
        raise OptionError(f"expected ACC=N, got {item!r}", "for example: h100-sxm=64")
    return acc.strip(), count.strip()


def _path(spec: OptionSpec, value: Any) -> str:
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, str) or not value.strip():
        raise OptionError(f"expected a file path (text), got {_type_name(value)}")
    if "\x00" in value:
        raise OptionError("a path cannot contain a NUL character")
    return value


def _text(spec: OptionSpec, value: Any) -> str:
    """A non-blank, printable text (a column or model name, kept as written apart from spaces)."""
    if not isinstance(value, str) or not value.strip():
        raise OptionError(f"expected a name (text), got {_type_name(value)}")
    if any(unicodedata.category(char) == "Cc" for char in value):
        raise OptionError("a name cannot contain control characters")
    return value.strip()


def _paths(spec: OptionSpec, value: Any) -> tuple[str, ...]:
    if isinstance(value, str | os.PathLike):
        return (_path(spec, value),)
    if isinstance(value, list | tuple):
        return tuple(_path(spec, item) for item in value)
    raise OptionError(f"expected a folder path or a list of them, got {_type_name(value)}")


def unknown_option(name: str, where: Location) -> InputError:
    """The error for a name that is no option of ``plan solve``, with the reason or close matches."""
    lowered = name.strip().lower().lstrip("-")
    if lowered.replace("_", "-") in NOT_OPTIONS:
        return InputError("not an option of plan solve", where, NOT_OPTIONS[lowered.replace("_", "-")])
    names = [spec.name for spec in SOLVE_OPTIONS]
    matches = close_matches(lowered.replace("_", "-"), names)
    hint = (
        ("did you mean " + " or ".join(map(repr, matches)) + "?") if matches else "valid: " + ", ".join(names)
    )
    return InputError("unknown option", where, hint)


def validate_options(
    values: Mapping[str, Any], where: Where, *, none_is_default: bool = True, setting_names: bool = True
) -> dict[str, Any]:
    """Check option values by their Python names (``time_limit``; ``time-limit`` is the same).

    Args:
        values: the options; also SolveSettings field names (``time_limit_s``, ``baselines``).
        where: the location of a name, for messages.
        none_is_default: None means "not given" (the API); otherwise None is an error (YAML).
        setting_names: SolveSettings field names are accepted too (the API, a plan's recorded
            settings); options.yaml takes only the options' names.

    Returns:
        Valid values by Python name; options given as None are left out.

    Raises:
        InputErrors: every bad name and value, together.
    """
    out: dict[str, Any] = {}
    errors: list[InputError] = []
    for raw, value in values.items():
        key, value = _canonical(raw, value, setting_names)
        if key is None:
            errors.append(unknown_option(str(raw), where(str(raw))))
            continue
        spec = BY_KEY[key]
        if key in out:
            errors.append(InputError(f"option '{spec.name}' is given twice", where(str(raw))))
        elif value is None and none_is_default:
            continue
        elif value is None:
            hint = "give a value, or remove the key (the option then takes its default)"
            errors.append(InputError("no value", where(str(raw)), hint))
        else:
            try:
                out[key] = coerce(spec, value)
            except OptionError as exc:
                errors.append(InputError(exc.message, where(str(raw)), exc.hint))
    if errors:
        raise InputErrors(errors)
    return out


def _canonical(raw: Any, value: Any, setting_names: bool) -> tuple[str | None, Any]:
    """The Python name of an option key and its value (a SolveSettings field name is translated)."""
    if not isinstance(raw, str):
        return None, value
    key = raw.strip().replace("-", "_")
    if key in BY_KEY:
        return key, value
    spec = BY_SETTING.get(key) if setting_names else None
    if spec is None:
        return None, value
    if spec.invert and isinstance(value, bool):
        value = not value
    return spec.key, value


def settings_from(values: Mapping[str, Any]) -> SolveSettings:
    """The SolveSettings of validated option values (:func:`validate_options`); absent: default."""
    data: dict[str, Any] = {}
    for key, value in values.items():
        spec = BY_KEY[key]
        if spec.setting is None or value is None:
            continue
        data[spec.setting] = (not value) if spec.invert else value
    try:
        return SolveSettings(**data)
    except ValidationError as exc:  # a setting's own validator (types and bounds are checked before)
        raise InputError(f"invalid settings: {exc.errors()[0]['msg']}") from None


def api_where(name: str) -> Location:
    """Where a keyword of ``planner.solve`` is: ``option 'threads'``."""
    return Location(key=name, key_kind="option")
