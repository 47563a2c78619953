"""What-if changes: one vocabulary for the command line, scenario files and the Python API.

A :class:`ChangeSet` holds every change of one case. It is read from a mapping keyed by the flags'
long names (:func:`changes_from_mapping`, what a scenario file writes) or from the repeatable flags
of ``plan whatif`` (:func:`changes_from_flags`); both go through one parser. :func:`apply_changes`
turns a loaded :class:`~planner.pipeline.Problem` into the changed one.

========================  ====================================  ===================================
key (flag)                mapping value                         meaning
========================  ====================================  ===================================
``set``                   ``{PATH: VALUE}``                     a scalar catalog field, by path
``scale-demand``          ``F`` or ``{WORKLOAD or *: F}``       request rates times F
``scale-tokens``          ``{[WORKLOAD.]input|output: F}``      tokens per request times F
``demand``                ``PATH``                              another demand file, same workloads
``without``               ``[[KIND:]ID, ...]``                  an accelerator, API, provider, model
``price-trend``           ``{TARGET: RATE}``                    prices change by RATE per year
``demand-trend``          ``RATE`` or ``{WORKLOAD or *: RATE}``   request rates change by RATE per year
``change``                ``{OPTION: VALUE}``                   a ``plan solve`` option, this case
========================  ====================================  ===================================

On the command line: ``--set PATH=VALUE``, ``--scale-demand [WORKLOAD=]F``, ``--scale-tokens
[WORKLOAD.]input|output=F``, ``--demand FILE``, ``--without [KIND:]ID``, ``--price-trend
TARGET=RATE``, ``--demand-trend [WORKLOAD=]RATE``, ``--change OPTION=VALUE``, each repeatable but
``--demand``. A rate is ``-0.9/yr``, ``+3/yr`` or a plain number (above -1). Factors given for
every workload (``*``) and for one workload multiply.

On a base read from a forecast, ``change`` may also pick what to plan for (``provision-for``,
``forecast-model``, ``interval-width``: the forecast is read again with them) and ``demand`` may
name another forecast over the same series (:mod:`planner.whatif.demand`).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from planner.errors import InputError, InputErrors, Location
from planner.table.cells import CellError, number
from planner.whatif.readers import ALL, READERS, BadChangeError, Scalar, type_name, valid_hint

if TYPE_CHECKING:
    from planner.pipeline import Problem

#: Where a change key is, for messages: ``Location(column="--set")`` on the command line, the
#: scenario file and key in a sweep.
Where = Callable[[str], Location]
#: The change keys, as the flags' long names, in the order they are applied.
KEYS: tuple[str, ...] = (
    "demand",
    "scale-demand",
    "scale-tokens",
    "demand-trend",
    "set",
    "without",
    "price-trend",
    "change",
)


def flag_where(key: str) -> Location:
    """Where a change given on the command line is: ``option --set``."""
    return Location(column=f"--{key}")


class ChangeSet(BaseModel):
    """Every change of one what-if case (see the module's table); empty: the base case.

    Attributes:
        set: catalog field path -> new value.
        scale_demand: workload id (or ``*``) -> factor on its request rates.
        scale_tokens: ``input``/``output`` (every workload) or ``WORKLOAD.input``/``.output`` -> factor.
        demand: another demand file (relative to the scenario file, or the working folder).
        without: ``[KIND:]ID`` entries made unavailable.
        price_trend: price-trend target (``apis``, ``accelerators``, ``apis.ID``, ``accelerators.ID``)
            -> yearly rate.
        demand_trend: workload id (or ``*``) -> yearly rate of its request rates.
        change: ``plan solve`` option by long name -> its value, in the changed case only (the
            forecast selection, ``provision-for`` ..., re-reads a forecast base's demand).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    set: dict[str, Scalar] = Field(default_factory=dict)
    scale_demand: dict[str, float] = Field(default_factory=dict)
    scale_tokens: dict[str, float] = Field(default_factory=dict)
    demand: str | None = None
    without: tuple[str, ...] = ()
    price_trend: dict[str, float] = Field(default_factory=dict)
    demand_trend: dict[str, float] = Field(default_factory=dict)
    change: dict[str, Any] = Field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        """True when nothing changes (the base case)."""
        return not self.describe()

    def describe(self) -> dict[str, Any]:
        """The changes as a JSON-able mapping keyed by the flags' long names, keys sorted.

        It is what a scenario file writes: ``changes_from_mapping(c.describe(), where) == c``.
        """
        out: dict[str, Any] = {}
        for key in KEYS:
            value = getattr(self, key.replace("-", "_"))
            if value in (None, (), {}):
                continue
            if isinstance(value, dict):
                value = {k: value[k] for k in sorted(value)}
            out[key] = list(value) if isinstance(value, tuple) else value
        return out

    def columns(self) -> dict[str, Scalar]:
        """One flat column per change (for a sweep's summary.csv).

        ``set.PATH``, ``scale-demand`` (every workload), ``scale-demand.WORKLOAD``,
        ``scale-tokens.output``, ``without`` (comma-joined), ``price-trend.apis``, ``demand-trend``,
        ``demand``, ``change.OPTION``.
        """
        out: dict[str, Scalar] = {}
        for key, value in self.describe().items():
            if isinstance(value, dict):
                for sub, item in value.items():
                    out[key if sub == ALL else f"{key}.{sub}"] = _scalar(item)
            elif isinstance(value, list):
                out[key] = ",".join(value)
            else:
                out[key] = value
        return out

    def sha256(self, base_dir: str | os.PathLike[str] | None = None) -> str:
        """A content hash of the changes, with the bytes of a ``demand`` file when there is one."""
        data: dict[str, Any] = {"changes": self.describe()}
        if self.demand is not None:
            path = resolve_path(self.demand, base_dir)
            try:
                data["demand_sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
            except OSError:
                data["demand_sha256"] = None
        return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def _scalar(value: Any) -> Scalar:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return json.dumps(value, sort_keys=True)


def resolve_path(path: str, base_dir: str | os.PathLike[str] | None) -> Path:
    """``path``, relative to ``base_dir`` when it is relative and a base is given."""
    given = Path(path)
    return given if given.is_absolute() or base_dir is None else Path(base_dir) / given


def changes_from_mapping(mapping: Mapping[str, Any], where: Where = flag_where) -> ChangeSet:
    """The changes of a mapping keyed by the flags' long names (``set``, ``scale-demand``, ...).

    Args:
        mapping: key -> value as a scenario file writes it (see the module's table).
        where: the location of a key, for messages.

    Raises:
        InputErrors: every bad key and value together, each naming its key.
    """
    if not isinstance(mapping, Mapping):
        raise InputError(f"expected a mapping of changes, got {type_name(mapping)}", where(""))
    values: dict[str, Any] = {}
    errors: list[InputError] = []
    for raw, value in mapping.items():
        key = str(raw).strip().replace("_", "-")
        if key not in READERS:
            errors.append(InputError("unknown change", where(str(raw)), valid_hint(key, KEYS)))
            continue
        if key in values:
            errors.append(InputError(f"change '{key}' is given twice", where(str(raw))))
            continue
        try:
            values[key] = READERS[key](value)
        except BadChangeError as exc:
            errors.append(InputError(exc.message, where(key), exc.hint))
    if errors:
        raise InputErrors(errors)
    return ChangeSet(**{key.replace("-", "_"): value for key, value in values.items()})


def _pairs(items: Iterable[str], key: str, where: Where, example: str) -> list[tuple[str, str]]:
    out = []
    for item in items:
        left, sep, right = item.partition("=")
        if not sep or not left.strip():
            raise InputError(
                f"expected {example.split(' ')[0]}, got {item!r}", where(key), f"for example: {example}"
            )
        out.append((left.strip(), right.strip()))
    return out


def _keyed(pairs: list[tuple[str, str]], key: str, where: Where) -> dict[str, str]:
    out: dict[str, str] = {}
    for left, right in pairs:
        if left in out:
            raise InputError(f"'{left}' is given twice", where(key))
        out[left] = right
    return out


def _optional_key(items: Iterable[str], key: str, where: Where) -> dict[str, str] | None:
    """``[WORKLOAD=]VALUE`` items as ``{WORKLOAD or *: VALUE}`` (None when none is given)."""
    pairs = []
    for item in items:
        left, sep, right = item.partition("=")
        pairs.append((left.strip(), right.strip()) if sep else (ALL, item.strip()))
    return _keyed(pairs, key, where) if pairs else None


def _typed_text(text: str) -> Scalar:
    """A ``--set`` value as typed: a number (the table grammar), true/false, null, else the text.

    So that ``--set ...=2`` and a scenario's ``2`` are the same change (and hash the same).
    """
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "null":
        return None
    try:
        return number(text.strip())
    except CellError:
        return text


def changes_from_flags(
    *,
    set: Sequence[str] = (),
    scale_demand: Sequence[str] = (),
    scale_tokens: Sequence[str] = (),
    demand: str | None = None,
    without: Sequence[str] = (),
    price_trend: Sequence[str] = (),
    demand_trend: Sequence[str] = (),
    change: Sequence[str] = (),
    where: Where = flag_where,
) -> ChangeSet:
    """The changes of ``plan whatif``'s repeatable flags (texts as typed), read by the one parser.

    ``set=["accelerators.h100-sxm.prices.aws.on_demand.usd_per_chip_hour=2"]``,
    ``scale_demand=["3"]`` or ``["rag-search=2"]``, ``scale_tokens=["output=3"]``,
    ``without=["mi300x"]``, ``price_trend=["apis=-0.9/yr"]``, ``demand_trend=["+3/yr"]``,
    ``change=["commitment-cost=horizon"]``.

    Raises:
        InputErrors: a malformed flag or value, naming the flag.
    """
    mapping: dict[str, Any] = {}
    if set:
        values = _keyed(_pairs(set, "set", where, "KIND.ID.FIELD=VALUE"), "set", where)
        mapping["set"] = {k: _typed_text(v) for k, v in values.items()}
    if scale_demand:
        mapping["scale-demand"] = _optional_key(scale_demand, "scale-demand", where)
    if scale_tokens:
        example = "[WORKLOAD.]output=F (output=3)"
        mapping["scale-tokens"] = _keyed(
            _pairs(scale_tokens, "scale-tokens", where, example), "scale-tokens", where
        )
    if demand is not None:
        mapping["demand"] = demand
    if without:
        mapping["without"] = list(without)
    if price_trend:
        example = "TARGET=RATE (apis=-0.9/yr)"
        mapping["price-trend"] = _keyed(
            _pairs(price_trend, "price-trend", where, example), "price-trend", where
        )
    if demand_trend:
        mapping["demand-trend"] = _optional_key(demand_trend, "demand-trend", where)
    if change:
        example = "OPTION=VALUE (commitment-cost=horizon)"
        mapping["change"] = _keyed(_pairs(change, "change", where, example), "change", where)
    return changes_from_mapping(mapping, where)


def apply_changes(
    problem: Problem,
    changes: ChangeSet,
    base_dir: str | os.PathLike[str] | None = None,
    where: Where = flag_where,
) -> Problem:
    """The problem with ``changes`` applied: a new catalog, demand and settings (the input is unchanged).

    Args:
        problem: the loaded base problem.
        changes: the changes of the case.
        base_dir: what a relative ``demand`` path is relative to (default: the working folder).
        where: the location of a change key, for messages.

    Raises:
        InputError: a change that does not fit the problem (an unknown id or field path, with the
            valid keys at the level where it went wrong; a bare ``without`` id of several kinds; a
            value the catalog refuses; periods without dates under a trend), naming the change.
    """
    from planner.whatif.apply import apply_to_problem

    return apply_to_problem(problem, changes, base_dir, where)


__all__ = [
    "ALL",
    "KEYS",
    "ChangeSet",
    "Scalar",
    "Where",
    "apply_changes",
    "changes_from_flags",
    "changes_from_mapping",
    "flag_where",
    "resolve_path",
]
