"""Checking a set of ``plan solve`` option values, and the SolveSettings they make.

:func:`validate_options` checks ``options.yaml`` (:mod:`planner.optionsfile`) and
``planner.solve(**options)``, with one message per mistake and close matches for unknown names;
:func:`settings_from` gives the SolveSettings of validated values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pydantic import ValidationError

from planner.errors import InputError, InputErrors, Location
from planner.ids import close_matches
from planner.option_table import BY_KEY, BY_SETTING, NOT_OPTIONS, SOLVE_OPTIONS
from planner.option_values import OptionError, coerce
from planner.settings import SolveSettings

Where = Callable[[str], Location]


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
