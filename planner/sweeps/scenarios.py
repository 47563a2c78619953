"""Scenario files: named what-if cases over one base, expanded into the points a sweep solves.

A scenario file is YAML::

    base: ../chat-fleet            # a demand file or folder, relative to this file
    options: {time-limit: 30}      # plan solve options by long name, for every scenario
    scenarios:
      cheap-apis: {price-trend: {apis: -0.9/yr}}
      no-mi300x: {without: [mi300x]}
      growth: {scale-demand: 1.5}
      both: {use: [cheap-apis, growth]}
      h100-price:
        set: {accelerators.h100-sxm.prices.aws.on_demand.usd_per_chip_hour: {from: 2, to: 6, steps: 5}}

Each scenario maps change names (the long names of ``plan whatif``'s flags: ``set``,
``scale-demand``, ``scale-tokens``, ``demand``, ``without``, ``price-trend``, ``demand-trend``,
``change``) to values, as the command line gives them. ``use: [a, b]`` adds the changes of the
scenarios named (in that order, recursively); a change given twice (two sources name
``scale-demand``, or the same ``set`` path) is an error. A numeric value written
``{values: [...]}`` or ``{from: A, to: B, steps: N}`` (N values from A to B inclusive, evenly
spaced) is an axis; so is ``{values: [p50, p75, p90]}`` on the text-valued forecast selections
``change: {provision-for: ...}`` and ``change: {forecast-model: ...}`` (:data:`TEXT_AXES`; no
``from``/``to``/``steps`` there); the axes of one scenario form their product, and each point is named
``name[column=value,...]`` (``h100-price[set.accelerators.h100-sxm.prices.aws.on_demand.
usd_per_chip_hour=2]``). The sweep's first row is always ``base``, the base with no change.

Columns, as :meth:`planner.whatif.ChangeSet.columns` names them: a change with one value is one
column named as the change (``scale-demand``, ``without``); a change that maps keys to values has
one column per key, ``change.key`` (``set.accelerators.h100-sxm.prices.aws.on_demand.usd_per_chip_hour``,
``price-trend.apis``).
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from planner.errors import InputError, InputErrors, Location
from planner.ids import close_matches, is_valid_id
from planner.optionsfile import read_yaml

#: The changes a scenario may make, by the long names of the what-if flags.
CHANGE_KEYS = (
    "set",
    "scale-demand",
    "scale-tokens",
    "demand",
    "without",
    "price-trend",
    "demand-trend",
    "change",
)
#: The changes whose value may map keys (paths, workloads, targets, options) to values.
MAPPED = ("set", "scale-demand", "scale-tokens", "price-trend", "demand-trend", "change")
TOP_KEYS = ("base", "options", "scenarios")
BASE = "base"
#: Most points one sweep may expand to (a typo in ``steps`` should not start a million solves).
MAX_POINTS = 10_000
#: Most values one ``{from, to, steps}`` axis may have.
MAX_STEPS = 1_000
#: The columns whose axis takes text values (``{values: [p50, p90]}``): the forecast selections.
TEXT_AXES = ("change.provision-for", "change.forecast-model")

AxisValue = float | str


@dataclass(frozen=True)
class Point:
    """One solve of a sweep: a scenario with every axis at one value.

    Attributes:
        name: ``base``, ``growth`` or ``h100-price[set:...=2]``.
        scenario: the scenario's name in the file.
        changes: the changes by flag long name, axes replaced by their value (what
            ``planner.whatif.changes_from_mapping`` reads).
        columns: the value of every change, by summary column (see the module docstring).
        axis_values: this point's value of each axis of its scenario, by column, in file order
            (text for the forecast selections of :data:`TEXT_AXES`).
    """

    name: str
    scenario: str
    changes: dict[str, Any]
    columns: dict[str, Any] = field(default_factory=dict)
    axis_values: dict[str, AxisValue] = field(default_factory=dict)

    @property
    def axes(self) -> tuple[str, ...]:
        """The columns that are axes of this point's scenario."""
        return tuple(self.axis_values)


@dataclass(frozen=True)
class ScenarioFile:
    """A read, checked scenario file, expanded.

    Attributes:
        path: the scenario file.
        base: the base demand file or folder (resolved against the file's folder).
        options: the file's ``options:``, as written (long names), checked by the sweep with
            ``plan solve``'s rules.
        points: ``base`` first, then every scenario's points in file order.
    """

    path: Path
    base: Path
    options: dict[str, Any]
    points: tuple[Point, ...]

    @property
    def columns(self) -> tuple[str, ...]:
        """Every change column, in order of first appearance."""
        seen: dict[str, None] = {}
        for point in self.points:
            seen.update(dict.fromkeys(point.columns))
        return tuple(seen)


def read_scenarios(path: str | os.PathLike[str]) -> ScenarioFile:
    """Read, check and expand a scenario file.

    Raises:
        InputErrors: every problem found, each naming the file and the key (``scenarios.growth``).
    """
    file = Path(path)
    data = read_yaml(file)
    where = _Where(str(file))
    if not isinstance(data, dict):
        raise InputError("expected a mapping with base, options and scenarios", where("", None), _EXAMPLE)
    errors = [
        _unknown(str(key), TOP_KEYS, where("", None), "top-level key") for key in data if key not in TOP_KEYS
    ]
    base = data.get("base")
    if not isinstance(base, str) or not base.strip():
        errors.append(InputError("expected the base demand file or folder (text)", where("base"), _EXAMPLE))
    options = data.get("options") or {}
    if not isinstance(options, dict):
        errors.append(InputError("expected a mapping of plan solve options", where("options")))
    raw = data.get("scenarios") or {}
    if not isinstance(raw, dict):
        errors.append(InputError("expected a mapping of scenario names to changes", where("scenarios")))
        raw = {}
    scenarios, found = _scenarios(raw, where)
    errors += found
    points = [Point(BASE, BASE, {})]
    if not errors:
        for name in scenarios:
            try:
                points += expand(name, resolve(name, scenarios, where), where)
            except InputError as exc:
                errors += exc.errors if isinstance(exc, InputErrors) else [exc]
    if len(points) > MAX_POINTS:
        errors.append(
            InputError(
                f"the scenarios expand to {len(points)} points, more than {MAX_POINTS}", where("scenarios")
            )
        )
    if errors:
        raise InputErrors(errors)
    base_path = Path(str(base)).expanduser()
    base_path = base_path if base_path.is_absolute() else file.parent / base_path
    if not base_path.exists():
        raise InputError(
            f"the base {base_path} does not exist",
            where("base"),
            "relative paths are relative to this file's folder",
        )
    return ScenarioFile(file, base_path, dict(options), tuple(points))


_EXAMPLE = (
    "for example:\n  base: ../chat-fleet\n  options: {time-limit: 30}\n"
    "  scenarios:\n    growth: {scale-demand: 1.5}"
)


class _Where:
    """Locations in one scenario file: ``FILE, key 'scenarios.growth.set'``."""

    def __init__(self, file: str) -> None:
        self.file = file

    def __call__(self, *keys: object) -> Location:
        parts = [str(k) for k in keys if k not in ("", None)]
        return Location(file=self.file, key=".".join(parts) if parts else None)


def _unknown(name: str, valid: tuple[str, ...], where: Location, what: str) -> InputError:
    matches = close_matches(name, valid)
    hint = (
        ("did you mean " + " or ".join(map(repr, matches)) + "?") if matches else "valid: " + ", ".join(valid)
    )
    return InputError(f"unknown {what} '{name}'", where, hint)


def _scenarios(raw: dict[Any, Any], where: _Where) -> tuple[dict[str, dict[str, Any]], list[InputError]]:
    """The scenarios with change names checked (``scale_demand`` is ``scale-demand``)."""
    out: dict[str, dict[str, Any]] = {}
    errors: list[InputError] = []
    for name, body in raw.items():
        place = where("scenarios", name)
        if not isinstance(name, str) or not is_valid_id(name):
            errors.append(
                InputError("a scenario name is an id: lowercase letters, digits, '.' and '-'", place)
            )
            continue
        if name == BASE:
            errors.append(InputError("'base' is the base case's row: give the scenario another name", place))
            continue
        if body is None:
            body = {}
        if not isinstance(body, dict):
            errors.append(InputError("expected a mapping of changes (for example {scale-demand: 2})", place))
            continue
        changes: dict[str, Any] = {}
        for key, value in body.items():
            canonical = str(key).strip().replace("_", "-")
            if canonical not in (*CHANGE_KEYS, "use"):
                errors.append(
                    _unknown(str(key), (*CHANGE_KEYS, "use"), where("scenarios", name, key), "change")
                )
            elif canonical in changes:
                errors.append(InputError("the change is given twice", where("scenarios", name, key)))
            else:
                changes[canonical] = value
        out[name] = changes
    return out, errors


def resolve(name: str, scenarios: Mapping[str, Mapping[str, Any]], where: _Where) -> dict[str, Any]:
    """A scenario's own changes with those of the scenarios it ``use``s (a change given twice: error)."""
    return _resolve(name, scenarios, where, ())


def _resolve(
    name: str, scenarios: Mapping[str, Mapping[str, Any]], where: _Where, stack: tuple[str, ...]
) -> dict[str, Any]:
    body = scenarios[name]
    used = body.get("use", [])
    place = where("scenarios", name, "use")
    if isinstance(used, str):
        used = [used]
    if not isinstance(used, list) or not all(isinstance(u, str) for u in used):
        raise InputError("expected a list of scenario names", place)
    merged: dict[str, Any] = {}
    sources: dict[str, str] = {}
    parts = [(u, None) for u in used] + [(name, {k: v for k, v in body.items() if k != "use"})]
    for source, own in parts:
        if own is None:
            if source in (*stack, name):
                raise InputError(
                    f"'use' goes round in a circle: {' -> '.join((*stack, name, source))}", place
                )
            if source not in scenarios:
                hint = unknown_hint(source, scenarios)
                raise InputError(f"unknown scenario '{source}'", place, hint)
            own = _resolve(source, scenarios, where, (*stack, name))
        for key, value in own.items():
            _merge(merged, sources, key, value, source, where("scenarios", name))
    return merged


def unknown_hint(name: str, scenarios: Mapping[str, object]) -> str:
    """Close matches among the scenario names, or the names."""
    matches = close_matches(name, scenarios)
    return (
        ("did you mean " + " or ".join(map(repr, matches)) + "?")
        if matches
        else "scenarios: " + ", ".join(scenarios)
    )


def _merge(
    merged: dict[str, Any], sources: dict[str, str], key: str, value: Any, source: str, place: Location
) -> None:
    """Add one change; a change (or a key of a mapped change) that is already there is an error."""
    mapped = isinstance(value, dict) and not is_axis(value)
    if key in MAPPED and mapped and isinstance(merged.get(key, {}), dict) and not is_axis(merged.get(key)):
        target = merged.setdefault(key, {})
        for sub, item in value.items():
            column = f"{key}.{sub}"
            if column in sources:
                raise InputError(f"'{key}: {sub}' is given twice (by {sources[column]} and {source})", place)
            sources[column] = source
            target[sub] = item
        return
    if key in merged:
        raise InputError(
            f"the change '{key}' is given twice (by {sources.get(key, source)} and {source})", place
        )
    sources[key] = source
    merged[key] = value


def _axis_values(spec: dict[Any, Any], place: Location, column: str) -> list[AxisValue]:
    """The values of an axis: ``{values: [...]}`` or ``{from, to, steps}`` (inclusive, linear).

    A column of :data:`TEXT_AXES` takes ``{values: [...]}`` of text only (``p50``, ``AutoETS-hi-80``).
    """
    keys = set(spec)
    text = column in TEXT_AXES
    what = "text values (p50, p90, or columns as written)" if text else "numbers"
    if keys == {"values"}:
        values = spec["values"]
        if not isinstance(values, list) or not values:
            raise InputError(f"expected a non-empty list of {what} for 'values'", place)
        out: list[AxisValue] = [
            _axis_text(v, place, column) if text else _axis_number(v, place, "values") for v in values
        ]
        if len(set(out)) != len(out):
            raise InputError("an axis value is given twice", place)
        return out
    if text and keys <= {"from", "to", "steps"}:
        name = column.removeprefix("change.")
        raise InputError(
            f"'{name}' takes text: its axis is {{values: [...]}}, not {{from, to, steps}} (numbers only)",
            place,
            f"for example {name}: {{values: [p50, p75, p90]}}",
        )
    if keys == {"from", "to", "steps"}:
        low, high = _axis_number(spec["from"], place, "from"), _axis_number(spec["to"], place, "to")
        steps = spec["steps"]
        if isinstance(steps, bool) or not isinstance(steps, int) or not 2 <= steps <= MAX_STEPS:
            raise InputError(f"'steps' must be a whole number from 2 to {MAX_STEPS}, got {steps!r}", place)
        if low == high:
            raise InputError("'from' and 'to' are equal: give one value instead of an axis", place)
        return [_tidy(low + (high - low) * i / (steps - 1)) for i in range(steps)]
    raise InputError(
        f"an axis is {{values: [...]}} or {{from: A, to: B, steps: N}}, got {sorted(map(str, keys))}",
        place,
    )


def _axis_text(value: Any, place: Location, column: str) -> str:
    if not isinstance(value, str) or not value.strip():
        shown_value = "an empty text" if isinstance(value, str) else repr(value)
        raise InputError(
            f"the axis of '{column.removeprefix('change.')}' takes text values: 'values' has {shown_value}",
            place,
            "write each as text: {values: [p50, p90]} (quote a column name that YAML reads as a number)",
        )
    return value.strip()


def _axis_number(value: Any, place: Location, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError(f"an axis takes numbers: '{key}' has {value!r}", place)
    return float(value)


def _tidy(value: float) -> float:
    """A grid value without the float noise of its arithmetic (2.0000000000000004 is 2)."""
    return float(f"{value:.12g}")


def is_axis(value: Any) -> bool:
    """True for a mapping written as an axis (``values``, or ``from``/``to``/``steps``)."""
    return (
        isinstance(value, dict) and bool(value) and set(map(str, value)) <= {"values", "from", "to", "steps"}
    )


def _slots(changes: Mapping[str, Any]) -> list[tuple[str, str | None, Any]]:
    """(change, key or None, value) for every column of a scenario's changes."""
    slots: list[tuple[str, str | None, Any]] = []
    for key, value in changes.items():
        if key in MAPPED and isinstance(value, dict) and not is_axis(value):
            slots += [(key, str(sub), item) for sub, item in value.items()]
        else:
            slots.append((key, None, value))
    return slots


def column_name(change: str, key: str | None) -> str:
    """The summary column of one change (``scale-demand``) or one key of it (``set.PATH``).

    As ``planner.whatif.ChangeSet.columns`` names them: ``*`` (every workload) is the change itself.
    """
    if key is None or key.strip() == "*":
        return change
    key = key.strip()
    return f"{change}.{key.replace('_', '-') if change == 'change' else key}"


def expand(name: str, changes: Mapping[str, Any], where: _Where) -> list[Point]:
    """The points of one scenario: the product of its axes (one point when it has none)."""
    slots = _slots(changes)
    axes: list[tuple[int, list[AxisValue]]] = []
    for i, (change, key, value) in enumerate(slots):
        if is_axis(value):
            place = where("scenarios", name, change, key)
            axes.append((i, _axis_values(value, place, column_name(change, key))))
    points = []
    for combo in itertools.product(*(values for _, values in axes)):
        chosen = dict(zip((i for i, _ in axes), combo, strict=True))
        resolved: dict[str, Any] = {}
        columns: dict[str, Any] = {}
        for i, (change, key, value) in enumerate(slots):
            item = chosen.get(i, value)
            if key is None:
                resolved[change] = item
            else:
                resolved.setdefault(change, {})[key] = item
            columns[column_name(change, key)] = column_value(item)
        axis_values = {column_name(*slots[i][:2]): value for i, value in chosen.items()}
        label = ",".join(f"{c}={shown(v)}" for c, v in axis_values.items())
        points.append(Point(f"{name}[{label}]" if axes else name, name, resolved, columns, axis_values))
    return points


def shown(value: AxisValue) -> str:
    """An axis value in a point's name: short (``2``, ``0.35``), exact when short would round it.

    Text (``p90``) is shown as it is.
    """
    if isinstance(value, str):
        return value
    short = f"{value:g}"
    return short if float(short) == value else repr(value)


def column_value(value: Any) -> Any:
    """A change's value as one summary cell: numbers stay numbers, lists join with ';'."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    if isinstance(value, dict):
        return ";".join(f"{k}={v}" for k, v in value.items())
    return "" if value is None else str(value)
