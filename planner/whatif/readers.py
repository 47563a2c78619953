"""The readers of each what-if change key: a typed value (YAML, Python) or a flag's text, checked.

One reader per key of :data:`READERS`; :func:`planner.whatif.changes.changes_from_mapping` calls
them, and :func:`~planner.whatif.changes.changes_from_flags` turns flags into the same mapping first.
Each raises :class:`BadChangeError` with a message naming the key (and a sub-key where there is one).
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from planner.errors import InputError, Location
from planner.ids import close_matches, is_valid_id
from planner.option_checks import validate_options
from planner.option_table import BY_KEY, SOLVE_OPTIONS
from planner.settings import PRICE_TREND_TARGET
from planner.table.cells import CellError, number
from planner.trends import parse_rate

#: The key that stands for every workload in ``scale-demand`` and ``demand-trend``.
ALL = "*"
#: What ``without`` may name, and the plural spellings accepted for each.
WITHOUT_KINDS: dict[str, str] = {
    "accelerator": "accelerator",
    "accelerators": "accelerator",
    "api": "api",
    "apis": "api",
    "provider": "provider",
    "providers": "provider",
    "model": "model",
    "models": "model",
}
TOKEN_SIDES = ("input", "output")
#: Largest factor a scale change takes (demand rates and tokens have their own bounds too).
MAX_FACTOR = 1e6

Scalar = bool | int | float | str | None


class BadChangeError(ValueError):
    """A change value is wrong: the message, and a hint."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message, self.hint = message, hint


def type_name(value: Any) -> str:
    """What a value is, for messages: ``true``, ``a mapping``, ``a list``, or its repr."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return repr(value)


def _real(value: Any, what: str) -> float:
    """A finite number from a number or number text (never a bool)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise BadChangeError(f"{what}: expected a number, got {type_name(value)}")
    if isinstance(value, str):
        try:
            return number(value.strip())
        except CellError as exc:
            raise BadChangeError(f"{what}: {exc}") from None
    result = float(value)
    if not math.isfinite(result):
        raise BadChangeError(f"{what}: NaN and infinity are not allowed, got {value!r}")
    return result


def _factor(value: Any, what: str, *, positive: bool) -> float:
    result = _real(value, what)
    low_ok = result > 0 if positive else result >= 0
    if not low_ok or result > MAX_FACTOR:
        low = "above 0" if positive else "at least 0"
        raise BadChangeError(f"{what}: a factor must be {low} and at most {MAX_FACTOR:g}, got {value!r}")
    return result


def _rate(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise BadChangeError(f"{what}: expected a yearly rate such as -0.9/yr, got {type_name(value)}")
    try:
        rate = parse_rate(str(value)) if isinstance(value, str) else float(value)
    except ValueError as exc:
        raise BadChangeError(f"{what}: {exc}") from None
    if not math.isfinite(rate) or rate <= -1.0:
        raise BadChangeError(f"{what}: a yearly rate must be a number above -1 (-100 %/yr), got {value!r}")
    return rate


def _workload_key(key: Any, what: str) -> str:
    if not isinstance(key, str) or not (key.strip() == ALL or is_valid_id(key.strip())):
        raise BadChangeError(f"{what}: '{key}' is not a workload id (or {ALL} for every workload)")
    return key.strip()


def _per_workload(value: Any, what: str, read: Callable[[Any, str], float]) -> dict[str, float]:
    """``F`` (every workload) or ``{WORKLOAD or *: F}``."""
    if isinstance(value, Mapping):
        if not value:
            raise BadChangeError(f"{what}: the mapping is empty")
        return {_workload_key(k, what): read(v, f"{what} '{k}'") for k, v in value.items()}
    return {ALL: read(value, what)}


def _scale_demand(value: Any) -> dict[str, float]:
    return _per_workload(value, "scale-demand", lambda v, w: _factor(v, w, positive=False))


def _demand_trend(value: Any) -> dict[str, float]:
    return _per_workload(value, "demand-trend", _rate)


def _token_key(key: Any) -> str:
    text = key.strip() if isinstance(key, str) else ""
    workload, _, side = text.rpartition(".")
    if side not in TOKEN_SIDES or (workload and not is_valid_id(workload)):
        raise BadChangeError(
            f"scale-tokens: '{key}' is not input, output, WORKLOAD.input or WORKLOAD.output",
            "for example: output=3 or code-assist.output=0.35",
        )
    return text


def _scale_tokens(value: Any) -> dict[str, float]:
    if not isinstance(value, Mapping) or not value:
        raise BadChangeError(
            f"scale-tokens: expected a mapping of [WORKLOAD.]input|output to factors, got {type_name(value)}",
            "for example: {output: 3}",
        )
    return {_token_key(k): _factor(v, f"scale-tokens '{k}'", positive=True) for k, v in value.items()}


def _set(value: Any) -> dict[str, Scalar]:
    if not isinstance(value, Mapping) or not value:
        raise BadChangeError(
            f"set: expected a mapping of catalog field paths to values, got {type_name(value)}",
            "for example: {accelerators.h100-sxm.prices.aws.on_demand.usd_per_chip_hour: 2.0}",
        )
    out: dict[str, Scalar] = {}
    for path, item in value.items():
        if not isinstance(path, str) or path.count(".") < 2:
            raise BadChangeError(
                f"set: '{path}' is not a catalog field path (KIND.ID.FIELD)",
                "for example: apis.together-llama-3.3-70b.usd_per_1m_output_tokens",
            )
        if item is not None and not isinstance(item, bool | int | float | str):
            raise BadChangeError(
                f"set '{path}': expected one value (a number, text, true or false), got {type_name(item)}"
            )
        if isinstance(item, float) and not math.isfinite(item):
            raise BadChangeError(f"set '{path}': NaN and infinity are not allowed")
        kind = path.split(".", 1)[0]
        if kind not in ("accelerators", "models", "apis"):
            raise BadChangeError(
                f"set: unknown catalog '{kind}' in '{path}'",
                valid_hint(kind, ("accelerators", "models", "apis")),
            )
        # one spelling per value: 2 (YAML) and '2' (a flag) are both 2.0, and hash the same
        out[path.strip()] = float(item) if isinstance(item, int) and not isinstance(item, bool) else item
    return out


def _demand_file(value: Any) -> str:
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, str) or not value.strip():
        raise BadChangeError(f"demand: expected the path of a demand file, got {type_name(value)}")
    return value


def _without_entry(item: Any) -> str:
    if not isinstance(item, str) or not item.strip():
        raise BadChangeError(f"without: expected [KIND:]ID, got {type_name(item)}")
    kind, sep, entry = item.strip().rpartition(":")
    if sep and kind not in WITHOUT_KINDS:
        raise BadChangeError(
            f"without: unknown kind '{kind}' in '{item}'",
            valid_hint(kind, ("accelerator", "api", "provider", "model")),
        )
    if not is_valid_id(entry):
        raise BadChangeError(f"without: '{entry}' is not an id (ids match ^[a-z0-9][a-z0-9.-]*$)")
    return f"{WITHOUT_KINDS[kind]}:{entry}" if sep else entry


def _without(value: Any) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not items:
        raise BadChangeError(f"without: expected a list of [KIND:]ID, got {type_name(value)}")
    out = tuple(_without_entry(item) for item in items)
    twice = sorted({item for item in out if out.count(item) > 1})
    if twice:
        raise BadChangeError(f"without: '{twice[0]}' is given twice")
    return out


def _price_trend(value: Any) -> dict[str, float]:
    if not isinstance(value, Mapping) or not value:
        raise BadChangeError(
            f"price-trend: expected a mapping of targets to yearly rates, got {type_name(value)}",
            "for example: {apis: -0.9/yr} or {accelerators.h100-sxm: -0.2/yr}",
        )
    out = {}
    for target, rate in value.items():
        if not isinstance(target, str) or not re.match(PRICE_TREND_TARGET, target.strip()):
            raise BadChangeError(
                f"price-trend: '{target}' is not a target",
                "valid: apis, accelerators, apis.ID or accelerators.ID",
            )
        out[target.strip()] = _rate(rate, f"price-trend '{target}'")
    return out


#: Settings a ``change`` may not set: they have a change of their own.
_OWN_CHANGE = {"price-trend": "give it as the price-trend change"}
#: The forecast options a ``change`` may set: what to plan for, of a forecast base (the file is
#: read again with them). How the file is read (``workloads``, ``series-column``,
#: ``forecast-unit``) stays the base's.
FORECAST_CHANGES: tuple[str, ...] = ("provision-for", "forecast-model", "interval-width")
_SOLVE_NAMES = [
    *FORECAST_CHANGES,
    *(spec.name for spec in SOLVE_OPTIONS if spec.setting is not None and spec.name not in _OWN_CHANGE),
]
_HOW_READ = ("workloads", "series-column", "forecast-unit")


def _change(value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping) or not value:
        raise BadChangeError(
            f"change: expected a mapping of plan solve options to values, got {type_name(value)}",
            "for example: {commitment-cost: horizon}",
        )
    out: dict[str, Any] = {}
    errors: list[str] = []
    for raw, item in value.items():
        key = str(raw).strip().replace("_", "-")
        if key in _OWN_CHANGE:
            raise BadChangeError(f"change: '{raw}' is a change of its own", _OWN_CHANGE[key])
        spec = BY_KEY.get(key.replace("-", "_"))
        if key in _HOW_READ:
            raise BadChangeError(
                f"change: '{raw}' says how the forecast file is read, which both cases share",
                "give it in the options (or options.yaml); a change may pick what to plan for: "
                + ", ".join(FORECAST_CHANGES),
            )
        if spec is None or (spec.setting is None and key not in FORECAST_CHANGES):
            why = "not a solve setting" if spec is not None else "unknown option"
            raise BadChangeError(f"change: '{raw}': {why}", valid_hint(key, _SOLVE_NAMES))
        try:
            checked = validate_options({spec.key: item}, lambda _name: Location(), none_is_default=False)
        except InputError as exc:
            errors.append(f"change '{raw}': {exc.message}")
            continue
        out[spec.name] = checked[spec.key]
    if errors:
        raise BadChangeError("; ".join(errors))
    return out


def valid_hint(value: str, valid: Sequence[str]) -> str:
    """``did you mean ...?`` with close matches, else the valid values."""
    matches = close_matches(value, valid)
    if matches:
        return "did you mean " + " or ".join(repr(m) for m in matches) + "?"
    return "valid: " + ", ".join(valid)


READERS: dict[str, Callable[[Any], Any]] = {
    "set": _set,
    "scale-demand": _scale_demand,
    "scale-tokens": _scale_tokens,
    "demand": _demand_file,
    "without": _without,
    "price-trend": _price_trend,
    "demand-trend": _demand_trend,
    "change": _change,
}
