"""How a value of one ``plan solve`` option is read: :func:`coerce` and its reader per kind.

Values are strict: a number is a number (or text in the table number grammar, as YAML reads
``1e6`` as text), never ``true``; a flag is ``true``/``false``; ids are a list or one
comma-separated text; a path is text. NaN and infinity are refused everywhere.
"""

from __future__ import annotations

import math
import os
import re
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any

from planner.ids import close_matches
from planner.option_table import Kind, OptionSpec
from planner.settings import PRICE_TREND_TARGET, PriceTrend
from planner.table.cells import CellError, boolean, number
from planner.trends import parse_rate


class OptionError(ValueError):
    """A value is not valid for its option: the message says what was expected, the hint how to fix it."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message, self.hint = message, hint


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
