"""Parsers for one table cell each: the text (already trimmed, never blank) to a typed value.

One number grammar serves every table (demand, profiles) and the numbers written as text in
``options.yaml``: optional sign, digits with an optional fraction, optional exponent (``12``,
``0.5``, ``.5``, ``1e3``). No NaN, no infinity, no hex, no thousands separators. Every parser
raises :class:`CellError` with a message saying what was expected and what was found.

Documented bounds (they keep the model's numbers in a range the solvers handle exactly, and catch
unit mistakes): :data:`MAX_REQUESTS_PER_S`, :data:`MAX_HOURS`, :data:`MAX_TOKENS`,
:data:`MAX_LATENCY_MS`, :data:`MAX_MIN_REPLICAS` and :data:`MIN_REQUESTS_PER_S` (for a nonzero
rate), :data:`MIN_HOURS`, :data:`MIN_TOKENS`.
"""

from __future__ import annotations

import math
import re
import unicodedata

from planner.ids import is_valid_id
from planner.settings import MIN_TARGET_UTILIZATION

#: Largest request rate a row may ask for, requests per second.
MAX_REQUESTS_PER_S: float = 1e6
#: Smallest nonzero request rate, requests per second: about one request in 12 days. Smaller
#: rates are write 0 (none): below about 1e-12 the solvers' tolerances swallow them.
MIN_REQUESTS_PER_S: float = 1e-6
#: Shortest period, hours (3.6 seconds).
MIN_HOURS: float = 0.001
#: Longest period, hours: 100 years of 8,766 hours.
MAX_HOURS: float = 876_600.0
#: Fewest mean input or output tokens per request: a request has at least one of each.
MIN_TOKENS: float = 1.0
#: Largest mean input or output tokens per request: ten million, above any model's context.
MAX_TOKENS: float = 10_000_000.0
#: Largest latency target, milliseconds: one day.
MAX_LATENCY_MS: float = 86_400_000.0
#: Largest tensor or pipeline parallel degree of a measured profile.
MAX_PARALLEL = 1024
#: Largest ``min_replicas``: a sanity bound far above any fleet.
MAX_MIN_REPLICAS = 100_000
#: Longest id, the same bound as catalog ids.
MAX_ID_LENGTH = 64

_NUMBER_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NON_FINITE = {"nan", "inf", "infinity"}
_TRUE = {"true", "yes", "1"}
_FALSE = {"false", "no", "0"}


class CellError(ValueError):
    """A cell's text is not a valid value for its column."""


def number(text: str) -> float:
    """A finite decimal number such as ``12``, ``0.5`` or ``1e3``."""
    if text.lower().lstrip("+-") in _NON_FINITE:
        raise CellError(f"NaN and infinity are not allowed, got {text!r}")
    if not _NUMBER_RE.fullmatch(text):
        raise CellError(f"expected a number, got {text!r}")
    value = float(text)
    if not math.isfinite(value):
        raise CellError(f"the number {text!r} is too large")
    return value


def rate(text: str) -> float:
    """A request rate: 0, or from :data:`MIN_REQUESTS_PER_S` to :data:`MAX_REQUESTS_PER_S`."""
    value = number(text)
    if value < 0:
        raise CellError(f"a rate cannot be negative, got {text!r}")
    if value > MAX_REQUESTS_PER_S:
        raise CellError(
            f"{text!r} requests/s is above the bound of {MAX_REQUESTS_PER_S:,.0f} (MAX_REQUESTS_PER_S): "
            "check the units or split the workload"
        )
    if 0 < value < MIN_REQUESTS_PER_S:
        raise CellError(
            f"{text!r} requests/s is below the smallest rate, {MIN_REQUESTS_PER_S:g} (MIN_REQUESTS_PER_S): "
            "write 0 for no requests"
        )
    return value


def positive(text: str) -> float:
    """A number above 0."""
    value = number(text)
    if value <= 0:
        raise CellError(f"must be greater than 0, got {text!r}")
    return value


def _at_most(value: float, text: str, bound: float, what: str, name: str) -> float:
    """``value``, or a CellError naming the documented bound it exceeds."""
    if value > bound:
        raise CellError(f"{text!r} is above the bound of {bound:,.0f} {what} ({name}): check the units")
    return value


def _at_least(value: float, text: str, bound: float, what: str, name: str) -> float:
    """``value``, or a CellError naming the documented bound it is below."""
    if value < bound:
        raise CellError(f"{text!r} is below the smallest value, {bound:g} {what} ({name}): check the units")
    return value


def positive_rate(text: str) -> float:
    """A request rate from :data:`MIN_REQUESTS_PER_S` to :data:`MAX_REQUESTS_PER_S`."""
    value = _at_most(positive(text), text, MAX_REQUESTS_PER_S, "requests/s", "MAX_REQUESTS_PER_S")
    return _at_least(value, text, MIN_REQUESTS_PER_S, "requests/s", "MIN_REQUESTS_PER_S")


def hours(text: str) -> float:
    """A period length from :data:`MIN_HOURS` to :data:`MAX_HOURS`."""
    value = _at_most(positive(text), text, MAX_HOURS, "hours (100 years)", "MAX_HOURS")
    return _at_least(value, text, MIN_HOURS, "hours", "MIN_HOURS")


def tokens(text: str) -> float:
    """Mean tokens per request from :data:`MIN_TOKENS` to :data:`MAX_TOKENS`."""
    value = _at_most(positive(text), text, MAX_TOKENS, "tokens", "MAX_TOKENS")
    return _at_least(value, text, MIN_TOKENS, "tokens", "MIN_TOKENS")


def latency_ms(text: str) -> float:
    """A latency target above 0, at most :data:`MAX_LATENCY_MS`."""
    return _at_most(positive(text), text, MAX_LATENCY_MS, "ms (one day)", "MAX_LATENCY_MS")


def parallel(text: str) -> int:
    """A parallel degree: a whole number from 1 to :data:`MAX_PARALLEL`."""
    value = positive(text)
    if value != int(value) or value > MAX_PARALLEL:
        raise CellError(f"must be a whole number from 1 to {MAX_PARALLEL}, got {text!r}")
    return int(value)


def non_negative(text: str) -> float:
    """A number of 0 or more."""
    value = number(text)
    if value < 0:
        raise CellError(f"must be 0 or more, got {text!r}")
    return value


def share(text: str) -> float:
    """A fraction in [0, 1]."""
    value = number(text)
    if not 0 <= value <= 1:
        raise CellError(f"must be a fraction from 0 to 1, got {text!r}{_percent_tip(value)}")
    return value


def utilization(text: str) -> float:
    """A fraction from :data:`MIN_TARGET_UTILIZATION` to 1."""
    value = number(text)
    if not MIN_TARGET_UTILIZATION <= value <= 1:
        bound = f"must be a fraction from {MIN_TARGET_UTILIZATION:g} to 1"
        raise CellError(f"{bound}, got {text!r}{_percent_tip(value)}")
    return value


def _percent_tip(value: float) -> str:
    """A reminder that fractions are not percentages, when ``value`` looks like one."""
    return f" (write {value / 100:g} for {value:g}%)" if 1 < value <= 100 else ""


def whole(text: str) -> int:
    """A whole number from 0 to :data:`MAX_MIN_REPLICAS` (``3`` and ``3.0`` are both fine)."""
    value = number(text)
    if value != int(value):
        raise CellError(f"expected a whole number, got {text!r}")
    if not 0 <= value <= MAX_MIN_REPLICAS:
        raise CellError(f"must be from 0 to {MAX_MIN_REPLICAS:,}, got {text!r}")
    return int(value)


def boolean(text: str) -> bool:
    """``true``/``false``, ``yes``/``no`` or ``1``/``0``, in any case."""
    lowered = text.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise CellError(f"expected true/false, yes/no or 1/0, got {text!r}")


def identifier(text: str) -> str:
    """An id following the catalog grammar ``^[a-z0-9][a-z0-9.-]*$``."""
    if len(text) > MAX_ID_LENGTH:
        raise CellError(f"an id is at most {MAX_ID_LENGTH} characters, got {len(text)}")
    if is_valid_id(text):
        return text
    suggestion = re.sub(r"[\s_]+", "-", text.lower())
    tip = f" (try {suggestion!r})" if is_valid_id(suggestion) else ""
    raise CellError(
        f"{text!r} is not a valid id: use lowercase letters, digits, '.' and '-', "
        f"starting with a letter or digit{tip}"
    )


def label(text: str) -> str:
    """A free-text label kept verbatim; it must be printable (no control characters)."""
    for char in text:
        if unicodedata.category(char) == "Cc":
            raise CellError(f"contains a control character (U+{ord(char):04X}); a label must be printable")
    return text
