"""``--fleet fleet.csv``: the chips you already have, which enter the plan at no cost.

Format: a table file (:mod:`planner.table`) with the header ``accelerator,provider,tier,chips,until``.

==============  ========  ==================================================================
column          required  meaning
==============  ========  ==================================================================
``accelerator`` yes       a catalog accelerator id among the planned ones
``provider``    yes       who it was bought from (an id; need not be a catalog offer)
``tier``        yes       how it was bought: on_demand, spot, committed_1y or committed_3y
``chips``       yes       whole chips, 0 or more
``until``       no        the last period (a demand period label, inclusive) the chips are
                          yours; blank: the whole horizon
==============  ========  ==================================================================

Owned chips are paid for: they cost nothing in the plan, count towards the chips the replicas of
their accelerator may use in each period up to ``until`` (the chip balance's right-hand side),
and count in the spot share's total as chips that cannot be taken away. ``--max-chips`` still
limits the chips in use, owned ones included. The plan lists them per period (``owned``) and what
to add, keep or release against the previous period (``fleet_changes``; the first period compares
with the fleet as given).
"""

from __future__ import annotations

import hashlib
import os
import typing
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from planner.catalog.schema import Catalog, Tier
from planner.ids import unknown_id_hint
from planner.plan import AcceleratorLine, FleetChange, OwnedLine, PeriodPlan
from planner.table import REQUIRED, Column, ErrorLog, TableSpec, cells, parse_rows, read_bytes, read_table

TIERS: tuple[str, ...] = typing.get_args(Tier)
COLUMNS: dict[str, Column] = {
    "accelerator": Column(cells.identifier, REQUIRED),
    "provider": Column(cells.identifier, REQUIRED),
    "tier": Column(cells.label, REQUIRED),
    "chips": Column(cells.whole, REQUIRED),
    "until": Column(cells.label, None),
}
FLEET_SPEC = TableSpec("fleet file", COLUMNS, ("accelerator", "provider", "tier", "chips"))


@dataclass(frozen=True)
class FleetLine:
    """Chips already paid for: ``chips`` of ``accelerator`` from ``provider`` at ``tier``, until ``until``."""

    accelerator: str
    provider: str
    tier: str
    chips: int
    until: str | None
    row: int

    @property
    def key(self) -> tuple[str, str, str]:
        """(accelerator, provider, tier)."""
        return self.accelerator, self.provider, self.tier

    def owned_in(self, period: int, periods: Sequence[str]) -> bool:
        """Whether the chips are yours in the period at position ``period``."""
        return self.until is None or period <= list(periods).index(self.until)


@dataclass(frozen=True)
class Fleet:
    """The fleet you have (empty without ``--fleet``)."""

    lines: tuple[FleetLine, ...] = ()
    path: str | None = None
    sha256: str | None = None

    @property
    def accelerators(self) -> frozenset[str]:
        """Accelerators with owned chips in some period."""
        return frozenset(line.accelerator for line in self.lines if line.chips > 0)

    def owned(self, period: int, periods: Sequence[str]) -> dict[tuple[str, str, str], int]:
        """Owned chips per (accelerator, provider, tier) in the period at position ``period``."""
        out: dict[tuple[str, str, str], int] = {}
        for line in self.lines:
            if line.chips > 0 and line.owned_in(period, periods):
                out[line.key] = out.get(line.key, 0) + line.chips
        return out

    def as_given(self) -> dict[tuple[str, str, str], int]:
        """Chips per (accelerator, provider, tier) as the file gives them (before the first period)."""
        out: dict[tuple[str, str, str], int] = {}
        for line in self.lines:
            out[line.key] = out.get(line.key, 0) + line.chips
        return {k: v for k, v in out.items() if v > 0}

    def chips_by_period(self, periods: Sequence[str], accelerators: Sequence[str]) -> np.ndarray:
        """``O[p, a]``: owned chips of accelerator ``accelerators[a]`` in period ``p``."""
        out = np.zeros((len(periods), len(accelerators)))
        pos = {a: i for i, a in enumerate(accelerators)}
        for p in range(len(periods)):
            for (acc, _provider, _tier), chips in self.owned(p, periods).items():
                if acc in pos:
                    out[p, pos[acc]] += chips
        return out


def load_fleet(
    path: str | os.PathLike[str], catalog: Catalog, periods: Sequence[str], accelerators: Sequence[str]
) -> Fleet:
    """Read and check a fleet file against the catalog, the demand's periods and the planned accelerators.

    Raises:
        InputError: one error, or InputErrors: every error of the file together.
    """
    file = os.fspath(path)
    data = read_bytes(file, FLEET_SPEC.what)
    log = ErrorLog(file, FLEET_SPEC.names)
    rows = parse_rows(read_table(data, FLEET_SPEC, log), FLEET_SPEC, log)
    lines = []
    for row in rows:
        if not row.ok:
            continue
        v = row.values
        _check_row(row.number, v, catalog, periods, accelerators, log)
        line = FleetLine(
            str(v["accelerator"]), str(v["provider"]), str(v["tier"]), int(v["chips"]), v["until"], row.number
        )
        lines.append(line)
    log.raise_if_any()
    return Fleet(tuple(lines), file, hashlib.sha256(data).hexdigest())


def _check_row(
    number: int,
    v: dict[str, object],
    catalog: Catalog,
    periods: Sequence[str],
    accelerators: Sequence[str],
    log: ErrorLog,
) -> None:
    acc = str(v["accelerator"])
    if acc not in catalog.accelerators:
        hint = unknown_id_hint(acc, catalog.accelerators, "accelerators")
        log.add(f"unknown accelerator '{acc}'", number, "accelerator", hint)
    elif acc not in accelerators:
        log.add(
            f"accelerator '{acc}' is not among the planned accelerators",
            number,
            "accelerator",
            "add it to --accelerators (and give it a price in a --catalog folder if it has none)",
        )
    if v["tier"] not in TIERS:
        log.add(f"unknown tier '{v['tier']}'", number, "tier", "valid: " + ", ".join(TIERS))
    until = v["until"]
    if until is not None and until not in periods:
        hint = unknown_id_hint(str(until), periods, "periods") or ("periods: " + ", ".join(periods[:12]))
        log.add(f"'{until}' is not a period of the demand", number, "until", hint)


def no_fleet() -> Fleet:
    """The empty fleet (no ``--fleet``)."""
    return Fleet()


def owned_lines(fleet: Fleet, period: int, periods: Sequence[str]) -> tuple[OwnedLine, ...]:
    """The plan's ``owned`` lines of the period at position ``period``, sorted by key."""
    owned = fleet.owned(period, periods)
    return tuple(
        OwnedLine(accelerator=a, provider=pr, tier=t, chips=n) for (a, pr, t), n in sorted(owned.items())
    )


def fleet_of(period: PeriodPlan) -> dict[tuple[str, str, str], int]:
    """The fleet a plan period holds: its owned chips and the chips its accelerator lines buy."""
    return _chips_by_key([*period.owned, *period.accelerators])


def _chips_by_key(lines: Sequence[AcceleratorLine | OwnedLine]) -> dict[tuple[str, str, str], int]:
    """Chips per (accelerator, provider, tier) over plan lines, in first-seen order."""
    out: dict[tuple[str, str, str], int] = {}
    for line in lines:
        key = (line.accelerator, line.provider, line.tier)
        out[key] = out.get(key, 0) + int(line.chips)
    return out


def fleet_changes(
    before: dict[tuple[str, str, str], int], now: dict[tuple[str, str, str], int]
) -> tuple[FleetChange, ...]:
    """Chips added, kept and released per (accelerator, provider, tier), sorted by key."""
    return tuple(
        FleetChange(
            accelerator=a,
            provider=pr,
            tier=t,
            added_chips=max(0, now.get((a, pr, t), 0) - before.get((a, pr, t), 0)),
            kept_chips=min(now.get((a, pr, t), 0), before.get((a, pr, t), 0)),
            released_chips=max(0, before.get((a, pr, t), 0) - now.get((a, pr, t), 0)),
        )
        for a, pr, t in sorted(set(before) | set(now))
    )


def with_fleet_changes(periods: tuple[PeriodPlan, ...], fleet: Fleet) -> tuple[PeriodPlan, ...]:
    """The periods with their ``fleet_changes`` (the first against the fleet as given)."""
    out, before = [], fleet.as_given()
    for period in periods:
        now = fleet_of(period)
        out.append(period.model_copy(update={"fleet_changes": fleet_changes(before, now)}))
        before = now
    return tuple(out)


def placement_pool(
    accelerators: Sequence[AcceleratorLine], owned: Sequence[OwnedLine]
) -> tuple[AcceleratorLine, ...]:
    """The chips replicas can be placed on: bought and owned, one line per (accelerator, provider, tier)."""
    usd: dict[tuple[str, str, str], float] = {}
    for line in accelerators:
        key = (line.accelerator, line.provider, line.tier)
        usd[key] = usd.get(key, 0.0) + line.usd
    return tuple(
        AcceleratorLine(accelerator=a, provider=pr, tier=t, chips=n, usd=usd.get((a, pr, t), 0.0))
        for (a, pr, t), n in _chips_by_key([*accelerators, *owned]).items()
    )
