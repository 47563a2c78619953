"""What the verifier reports (a problem names its place in the plan) and the tolerances it allows."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Check = Literal[
    "period",
    "demand",
    "route",
    "deployment",
    "capacity",
    "chips",
    "spot_share",
    "max_chips",
    "min_replicas",
    "api_share",
    "api_rate_limit",
    "commitment",
    "fleet",
    "price",
    "budget",
    "total",
    "summary",
    "settings",
    "diagnostics",
    "forecast",
]

#: Rates (requests/s) agree within this much plus RATE_REL of their size: the plan prints rates to
#: 6 decimals and the solver's round-off leaves up to ~1e-5 req/s on options with no replica.
RATE_TOL = 1e-4
RATE_REL = 1e-6
#: Money agrees to the cent (plus float round-off on very large sums).
USD_TOL = 0.01
USD_REL = 1e-9
#: Fractions printed to 4 (utilisation) or 6 (shares, gaps) decimals.
FRACTION_TOL = 1e-4


class Record(BaseModel):
    """Base of the verifier's records."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Finding(Record):
    """One broken promise of a plan: where it is (a JSON path), which check, what is wrong."""

    place: str
    check: Check
    message: str

    def __str__(self) -> str:
        return f"{self.place}: {self.message} [{self.check}]"


class VerifyReport(Record):
    """Everything ``plan verify`` found: ``ok`` when there is no problem (warnings do not count)."""

    ok: bool
    problems: tuple[Finding, ...]
    warnings: tuple[str, ...]


class Findings:
    """Collects findings in the order the checks run."""

    def __init__(self) -> None:
        self.items: list[Finding] = []

    def add(self, place: str, check: Check, message: str) -> None:
        """Record one problem."""
        self.items.append(Finding(place=place, check=check, message=message))


def rate_close(a: float, b: float) -> bool:
    """Two rates agree (see RATE_TOL)."""
    return abs(a - b) <= RATE_TOL + RATE_REL * max(abs(a), abs(b))


def usd_close(a: float, b: float) -> bool:
    """Two amounts of money agree to the cent."""
    return abs(a - b) <= USD_TOL + USD_REL * max(abs(a), abs(b))


def usd(x: float) -> str:
    """Money as ``$1,234.56``."""
    return f"${x:,.2f}"
