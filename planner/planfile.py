"""The one plan loader: every command that reads a plan (verify; export, report and diff to come).

It reads the JSON and YAML plans ``plan solve`` writes (``-o plan.json``, ``-o plan.yaml``); the
single-file CSV plan is a flat export of the lines for spreadsheets and is refused, saying why.

Version policy (also in :mod:`planner.plan` and the README): ``schema_version`` is
``"MAJOR.MINOR"``. An additive change (a new field, a new allowed value) bumps the minor version; a
breaking one (a field removed, renamed or given a new meaning) bumps the major. A reader accepts
plans of its own major version at or below its own minor version, and upgrades the older ones as
they are read (the fields added since are derived from the rest of the plan, see ``_UPGRADES``).
Anything else (a newer minor, another major, a version that is not ``"MAJOR.MINOR"``) is refused.

Every error is an :class:`~planner.errors.InputError` (exit code 2) that names the file and, for
a field, its JSON path (``periods[2].routing[0].requests_per_s``).
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from planner.errors import InputError, InputErrors, Location
from planner.formulation.index import HOURS_PER_TERM
from planner.plan import SCHEMA_VERSION, Plan

#: The major and minor version this reader writes; it reads ``MAJOR.0`` to ``MAJOR.MINOR``.
CURRENT = tuple(int(part) for part in SCHEMA_VERSION.split("."))
#: Errors listed from one file before the rest are summarised.
MAX_REPORTED = 20
#: Integers beyond this are not counts any plan can hold (and overflow a float).
MAX_INT = 2**53

_VERSION = re.compile(r"^(\d{1,6})\.(\d{1,6})$")
_CSV_HEADER = "period,kind,id,"


def json_path(loc: tuple[int | str, ...] | list[int | str]) -> str:
    """``("periods", 2, "routing", 0, "usd")`` as ``periods[2].routing[0].usd``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def read_plan(path: str | os.PathLike[str]) -> Plan:
    """Read a JSON or YAML plan file, check its version and schema, upgrade an older minor version."""
    name = os.fspath(path)
    text = _read_text(Path(name), name)
    return plan_from_data(_parse(text, name), name)


def plan_from_data(data: object, name: str) -> Plan:
    """Validate parsed plan data (a mapping) read from ``name``."""
    if not isinstance(data, dict):
        raise _error(name, f"expected a plan (a mapping of fields), got {_kind(data)}")
    _check_numbers(data, (), name)
    major, minor = _version(data, name)
    data = dict(data)
    for version, upgrade in _UPGRADES:
        if (major, minor) < version:
            data = upgrade(data)
    data["schema_version"] = SCHEMA_VERSION
    try:
        return Plan.model_validate(data)
    except ValidationError as exc:
        raise _schema_errors(exc, name) from None


def _error(name: str, message: str, hint: str | None = None) -> InputError:
    return InputError(message, Location(file=name), hint)


def _kind(value: object) -> str:
    if value is None:
        return "nothing (an empty document)"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    return f"a {type(value).__name__}"


def _read_text(path: Path, name: str) -> str:
    if path.suffix.lower() == ".csv":
        raise _csv_refused(name)
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise _error(name, "is a folder, not a plan file") from None
    except FileNotFoundError:
        raise _error(name, "no such plan file") from None
    except OSError as exc:
        raise _error(name, f"cannot read the plan: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _error(name, f"not a plan: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    if not text.strip():
        raise _error(name, "the plan file is empty")
    if text.lstrip().startswith(_CSV_HEADER):
        raise _csv_refused(name)
    return text


def _csv_refused(name: str) -> InputError:
    return _error(
        name,
        "a CSV plan cannot be read back: it is a flat export of the plan's lines for spreadsheets, "
        "without the demand, settings and totals a plan holds",
        "write the plan as JSON or YAML (plan solve ... -o plan.json) and give that file",
    )


def _parse(text: str, name: str) -> Any:
    """JSON when the text is a JSON object, else YAML (which also reads ``-o plan.yaml``)."""
    if text.lstrip().startswith("{") or Path(name).suffix.lower() == ".json":
        try:
            return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
                Location(file=name),
            ) from None
        except (ValueError, RecursionError) as exc:
            raise _error(name, f"not a plan: {_short(exc)}") from None
    return _parse_yaml(text, name)


def _parse_yaml(text: str, name: str) -> Any:
    import yaml

    try:
        return yaml.load(text, Loader=_PlanLoader)  # a SafeLoader without aliases
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        raise _error(name, f"not valid JSON or YAML: {getattr(exc, 'problem', None) or exc}{where}") from None
    except (ValueError, TypeError, RecursionError) as exc:
        raise _error(name, f"not a plan: {_short(exc)}") from None


def _short(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return str(exc)[:200]


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"the field '{key}' is given twice")
        out[key] = value
    return out


def _no_constant(token: str) -> float:
    raise ValueError(f"{token} is not a number a plan may hold")


def _yaml_loader() -> type[Any]:
    import yaml

    class PlanLoader(yaml.SafeLoader):
        """Safe YAML without aliases (a plan never needs them; they can blow up in size)."""

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                raise yaml.composer.ComposerError(
                    None,
                    None,
                    "YAML aliases are not allowed in a plan",
                    self.peek_event().start_mark,  # type: ignore[no-untyped-call]
                )
            return super().compose_node(parent, index)

        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            seen: set[object] = set()
            for key_node, _value in node.value:
                key = self.construct_object(key_node, deep=deep)
                try:
                    twice = key in seen
                    seen.add(key)
                except TypeError:
                    continue  # an unhashable key: the base class reports it
                if twice:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"the field '{key}' is given twice", key_node.start_mark
                    )
            return super().construct_mapping(node, deep)

    return PlanLoader


_PlanLoader = _yaml_loader()


def _check_numbers(value: object, loc: tuple[int | str, ...], name: str) -> None:
    """No NaN, infinity or integer too large for a float anywhere (iterative: no recursion limit)."""
    stack: list[tuple[object, tuple[int | str, ...]]] = [(value, loc)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, dict):
            stack.extend((v, (*where, str(k))) for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((v, (*where, i)) for i, v in enumerate(item))
        elif isinstance(item, bool):
            continue
        elif isinstance(item, int) and abs(item) > MAX_INT:
            raise _error(name, f"{json_path(where)}: the number {str(item)[:20]}... is too large")
        elif isinstance(item, float) and not math.isfinite(item):
            raise _error(name, f"{json_path(where)}: {item} is not a number a plan may hold")


def _version(data: dict[str, Any], name: str) -> tuple[int, int]:
    supported = f"this fleetplan reads plan schema {CURRENT[0]}.0 to {SCHEMA_VERSION}"
    if "schema_version" not in data:
        raise _error(name, "not a fleetplan plan: it has no schema_version", supported)
    raw = data["schema_version"]
    if not isinstance(raw, str):
        raise _error(
            name,
            f'schema_version must be a string such as "{SCHEMA_VERSION}", got {_kind(raw)} ({raw!r:.40})',
            f"quote it in YAML: schema_version: '{SCHEMA_VERSION}'",
        )
    match = _VERSION.match(raw)
    if match is None:
        raise _error(name, f"schema_version '{raw:.40}' is not MAJOR.MINOR", supported)
    major, minor = int(match.group(1)), int(match.group(2))
    if major != CURRENT[0]:
        newer = "a newer" if major > CURRENT[0] else "an older"
        raise _error(
            name,
            f"unsupported schema_version '{raw}': {supported} (major version {CURRENT[0]}); "
            f"it was written by {newer} fleetplan",
        )
    if minor > CURRENT[1]:
        raise _error(
            name,
            f"unsupported schema_version '{raw}': {supported}; it was written by a newer fleetplan",
            "upgrade fleetplan to read it",
        )
    return major, minor


def _schema_errors(exc: ValidationError, name: str) -> InputError:
    errors = []
    for err in exc.errors()[:MAX_REPORTED]:
        place = json_path(tuple(err["loc"]))
        errors.append(_error(name, f"{place}: {_message(err)}"))
    extra = len(exc.errors()) - MAX_REPORTED
    if extra > 0:
        errors.append(_error(name, f"and {extra} more schema error(s)"))
    return InputErrors(errors)


def _message(err: Any) -> str:
    kind = err.get("type", "")
    if kind == "missing":
        return "missing field"
    if kind == "extra_forbidden":
        return "unknown field (not in the plan schema)"
    got = err.get("input")
    shown = f" (got {_kind(got)}: {str(got)[:40]!r})" if not isinstance(got, dict | list) else ""
    return f"{err.get('msg', 'invalid')}{shown}"


# --- upgrades of older minor versions ------------------------------------------------------------


def _upgrade_to_1_1(data: dict[str, Any]) -> dict[str, Any]:
    """1.0 -> 1.1: ``solver.stopped_by`` and ``diagnostics.unmet[].reason_code(s)``.

    1.0 did not record why the search stopped: ``optimal`` reads as ``proven``, ``feasible`` as
    ``gap``. The reason codes are read from the 1.0 reason sentences, which map one to one.
    """
    out = dict(data)
    solver = out.get("solver")
    if isinstance(solver, dict) and "stopped_by" not in solver:
        out["solver"] = {**solver, "stopped_by": "proven" if out.get("status") == "optimal" else "gap"}
    diagnostics = out.get("diagnostics")
    if isinstance(diagnostics, dict) and isinstance(diagnostics.get("unmet"), list):
        unmet = [_reason_codes(line) for line in diagnostics["unmet"]]
        out["diagnostics"] = {**diagnostics, "unmet": unmet}
    return out


_REASON_WORDS = (
    ("--max-chips", "max_chips"),
    ("--budget-usd", "budget"),
    ("max_api_share", "max_api_share"),
    ("limit of API", "api_rate_limit"),
)


def _reason_codes(line: object) -> object:
    if not isinstance(line, dict) or "reason_code" in line or not isinstance(line.get("reason"), str):
        return line
    text: str = line["reason"]
    if text.startswith("api_only is set"):
        codes = ["api_only"]
    elif text.startswith("self_host_only is set"):
        codes = ["self_host_only"]
    elif text.startswith("blocked by"):
        codes = list(dict.fromkeys(code for word, code in _REASON_WORDS if word in text)) or ["latency"]
    elif text.startswith("serving it would cost more"):
        codes = ["penalty_cheaper"]
    else:
        codes = ["latency"]
    return {**line, "reason_code": codes[0], "reason_codes": codes}


def _upgrade_to_1_2(data: dict[str, Any]) -> dict[str, Any]:
    """1.1 -> 1.2: commitments gain ``usd_within_horizon`` and ``usd_obligation``.

    In 1.1 ``usd`` was the charge and ``usd_beyond_horizon`` its part after the horizon. The
    chips' hourly cost is ``(usd - usd_beyond_horizon) / horizon hours``; the obligation is that
    times the whole terms the horizon needs.
    """
    out = dict(data)
    commitments, periods = out.get("commitments"), out.get("periods")
    if not isinstance(commitments, list) or not isinstance(periods, list):
        return out
    hours = [p.get("hours") for p in periods if isinstance(p, dict)]
    numbers = [float(h) for h in hours if isinstance(h, int | float) and not isinstance(h, bool)]
    if len(numbers) != len(periods) or not numbers:
        return out
    horizon = sum(numbers)
    out["commitments"] = [_commitment_1_2(c, horizon) for c in commitments]
    return out


def _commitment_1_2(line: object, horizon: float) -> object:
    if not isinstance(line, dict) or "usd_within_horizon" in line:
        return line
    usd, beyond, tier = line.get("usd"), line.get("usd_beyond_horizon"), line.get("tier")
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (usd, beyond))
    if not numbers or tier not in HOURS_PER_TERM or horizon <= 0:
        return line
    within = float(usd) - float(beyond)  # type: ignore[arg-type]
    term = HOURS_PER_TERM[str(tier)]
    terms = max(1, math.ceil(horizon / term - 1e-9))
    obligation = within / horizon * terms * term
    return {
        **line,
        "usd_within_horizon": round(within, 6),
        "usd_beyond_horizon": round(obligation - within, 6),
        "usd_obligation": round(obligation, 6),
    }


def _upgrade_to_1_3(data: dict[str, Any]) -> dict[str, Any]:
    """1.3 added ``deployments[].precision_source``: derived from 1.2's ``precision_kind``."""
    out = dict(data)
    periods = data.get("periods")
    if not isinstance(periods, list):
        return out
    out["periods"] = [_period_1_3(p) for p in periods]
    return out


def _period_1_3(period: object) -> object:
    if not isinstance(period, dict) or not isinstance(period.get("deployments"), list):
        return period
    sources = {"checkpoint": "checkpoint", "quantized": "on_the_fly"}
    lines = [
        {**d, "precision_source": sources[d["precision_kind"]]}
        if isinstance(d, dict) and "precision_source" not in d and d.get("precision_kind") in sources
        else d
        for d in period["deployments"]
    ]
    return {**period, "deployments": lines}


#: (version, upgrade): applied in order to every plan older than ``version``.
_UPGRADES: tuple[tuple[tuple[int, int], Callable[[dict[str, Any]], dict[str, Any]]], ...] = (
    ((1, 1), _upgrade_to_1_1),
    ((1, 2), _upgrade_to_1_2),
    ((1, 3), _upgrade_to_1_3),
)
