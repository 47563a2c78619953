"""Yearly trends played out over the periods of a forecast: prices and demand that change by date.

A trend of rate ``r`` per year scales a figure in a period by ``(1 + r) ** (days / 365.25)``, where
``days`` counts from the first period's start to this period's start. ``-0.9/yr`` is 0.1x after a
year; ``+3/yr`` is 4x. Period labels are read as ISO dates (``YYYY-MM-DD``) or months (``YYYY-MM``,
the first of the month); a trend over a forecast whose labels are not dates is an error naming the
first label that is not one.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from planner.errors import InputError, Location
from planner.settings import PriceTrend

if TYPE_CHECKING:  # numpy is imported where factors are computed: `plan --help` stays fast
    import numpy as np

DAYS_PER_YEAR = 365.25
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_RATE = re.compile(r"^\s*([+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)\s*(?:/\s*yr)?\s*$")


def period_start(label: str) -> dt.date | None:
    """The date a period label names (``YYYY-MM-DD``, or ``YYYY-MM`` for the first of the month)."""
    month = _MONTH.match(label)
    try:
        if month:
            return dt.date(int(month.group(1)), int(month.group(2)), 1)
        return dt.date.fromisoformat(label) if len(label) == 10 else None
    except ValueError:
        return None


def period_days(periods: Sequence[str], what: str = "the trend") -> tuple[float, ...]:
    """Days from the first period's start to each period's start (0 for the first).

    Raises:
        InputError: a label is not a date, or dates go backwards.
    """
    starts: list[dt.date] = []
    for label in periods:
        start = period_start(label)
        if start is None:
            raise InputError(
                f"{what} needs dated periods, but period '{label}' is not a date",
                Location(column="period"),
                "label periods YYYY-MM-DD or YYYY-MM (the first of the month)",
            )
        if starts and start < starts[-1]:
            raise InputError(
                f"{what} needs periods in date order, but '{label}' comes after a later date",
                Location(column="period"),
            )
        starts.append(start)
    first = starts[0] if starts else None
    return tuple(float((s - first).days) for s in starts) if first else ()


def trend_factor(rate_per_year: float, days: float) -> float:
    """``(1 + rate_per_year) ** (days / 365.25)``: the factor ``days`` into a yearly trend."""
    return float((1.0 + rate_per_year) ** (days / DAYS_PER_YEAR))


def period_factors(
    periods: Sequence[str], rate_per_year: float, what: str = "the trend"
) -> tuple[float, ...]:
    """The trend's factor in each period, 1 in the first."""
    return tuple(trend_factor(rate_per_year, d) for d in period_days(periods, what))


def parse_rate(text: str) -> float:
    """A yearly rate as written on the command line: ``-0.9/yr``, ``+3/yr``, ``0.2`` (above -1).

    Raises:
        ValueError: not a number, or not above -1 (a price or demand cannot fall by 100 % or more).
    """
    match = _RATE.match(str(text))
    if not match:
        raise ValueError(f"'{text}' is not a yearly rate (write it as -0.9/yr or +3/yr)")
    rate = float(match.group(1))
    if rate <= -1.0:
        raise ValueError(f"a yearly rate must be above -1 (-100 %/yr), got {text}")
    return rate


def price_factors(
    trends: Sequence[PriceTrend], periods: Sequence[str], kind: str, ids: Sequence[str]
) -> np.ndarray:
    """``F[p, i]``: the factor on the price of entry ``ids[i]`` (of ``kind``) in period ``p``.

    Several trends on one price multiply (``apis=-0.5/yr`` and ``apis.x=-0.2/yr`` give x both).
    Committed offers are priced at signing, the horizon's start: trends do not change them.
    """
    import numpy as np

    out = np.ones((len(periods), len(ids)))
    for trend in trends:
        if trend.kind != kind:
            continue
        factors = np.array(period_factors(periods, trend.rate_per_year, f"--price-trend {trend.target}"))
        cols = [i for i, entry in enumerate(ids) if trend.entry in (None, entry)]
        out[:, cols] *= factors[:, None]
    return out
