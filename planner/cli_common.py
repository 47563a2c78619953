"""What every ``plan`` command shares: error handling, the common options, JSON output, the solve flags.

:mod:`planner.cli` and the sub-command modules (``planner.cli_*``) import these from here, so that
no sub-command module imports :mod:`planner.cli`, which registers them.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from planner.errors import EXIT_UNMET, PlannerError
from planner.option_table import BY_KEY, SOLVE_OPTIONS, OptionSpec
from planner.option_values import OptionError, coerce

F = TypeVar("F", bound=Callable[..., Any])
if TYPE_CHECKING:  # click.ParamType is generic from click 8.2 on, a plain class before
    _ParamType = click.ParamType[Any, Any]
else:
    _ParamType = click.ParamType
FORMATS = click.Choice(["table", "json"])


def _fail(message: str, code: int) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def handle_errors(func: F) -> F:
    """Turn fleetplan errors into one clear message and an exit code; ``--debug`` shows tracebacks."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        debug = bool(click.get_current_context().find_root().params.get("debug"))
        try:
            return func(*args, **kwargs)
        except PlannerError as exc:
            if debug:
                raise
            _fail(str(exc), exc.exit_code)
        except click.ClickException:
            raise
        except KeyboardInterrupt:
            _fail("interrupted", EXIT_UNMET)
        except Exception as exc:
            if debug:
                raise
            _fail(f"internal error: {type(exc).__name__}: {exc} (run with --debug for details)", EXIT_UNMET)
        return None

    return wrapper  # type: ignore[return-value]


def catalog_option(func: F) -> F:
    """``--catalog DIR`` (repeatable), shared by every command."""
    return click.option(
        "--catalog",
        "catalog_dirs",
        multiple=True,
        type=click.Path(),
        help=BY_KEY["catalog"].help,
    )(func)


def format_option(func: F) -> F:
    """``--format table|json``, shared by every command that prints results."""
    return click.option(
        "--format",
        "fmt",
        type=FORMATS,
        default="table",
        show_default=True,
        help="table for people; json: one JSON document on stdout.",
    )(func)


def emit_json(data: object) -> None:
    """Print one JSON document on stdout."""
    click.echo(json.dumps(data, indent=2))


class _OptionType(_ParamType):
    """A click type reading a flag's text with the option's rules (:func:`planner.option_values.coerce`)."""

    def __init__(self, spec: OptionSpec) -> None:
        self.spec = spec
        self.name = spec.metavar or spec.kind

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return coerce(self.spec, value)
        except OptionError as exc:
            self.fail(exc.message + (f" ({exc.hint})" if exc.hint else ""), param, ctx)


def _default_text(spec: OptionSpec) -> str:
    value = spec.default_value()
    if value is None or isinstance(value, bool) or value in ((), {}):
        return ""
    return f" [default: {value:g}]" if isinstance(value, float) else f" [default: {value}]"


def click_option(spec: OptionSpec) -> Callable[[F], F]:
    """The click option of one ``plan solve`` option; it is None (not given) unless on the command line."""
    names = [f"--{spec.name}", *([spec.short] if spec.short else [])]
    help_text = spec.help + _default_text(spec)
    if spec.kind == "flag":
        return click.option(*names, spec.key, is_flag=True, default=None, help=help_text)
    kind: _ParamType = click.Choice(spec.value_choices()) if spec.kind == "choice" else _OptionType(spec)
    return click.option(
        *names,
        spec.key,
        type=kind,
        default=None,
        multiple=spec.multiple,
        metavar=spec.metavar,
        help=help_text,
    )


#: The flags ``solve_flags`` adds (``--catalog`` and ``--format`` come from ``catalog_option`` and
#: the command's own format option).
SOLVE_FLAGS: list[Callable[[F], F]] = [
    click_option(spec) for spec in SOLVE_OPTIONS if spec.name not in ("catalog", "format")
]


def solve_flags(func: F) -> F:
    """Every option of ``plan solve`` (also read from a folder's options.yaml)."""
    for flag in reversed(SOLVE_FLAGS):
        func = flag(func)
    return func


def flag_values(flags: dict[str, Any]) -> dict[str, Any]:
    """Option values from click's: repeated flags joined, a repeatable flag not given is None."""
    out = dict(flags)
    for key, value in flags.items():
        spec = BY_KEY.get(key)
        if spec is None or not spec.multiple:
            continue
        if not value:
            out[key] = None
        elif spec.kind == "chips":
            out[key] = _joined_chips(value)
        elif spec.kind == "trends":
            out[key] = _joined_trends(value)
        else:
            out[key] = tuple(item for part in value for item in part)
    return out


def _joined_chips(parts: tuple[dict[str, int], ...]) -> dict[str, int]:
    joined: dict[str, int] = {}
    for part in parts:
        for acc, chips in part.items():
            if acc in joined:
                raise click.BadParameter(f"'{acc}' is given twice", param_hint="--max-chips")
            joined[acc] = chips
    return joined


def _joined_trends(parts: tuple[tuple[Any, ...], ...]) -> tuple[Any, ...]:
    joined = [trend for part in parts for trend in part]
    targets = [trend.target for trend in joined]
    for target in targets:
        if targets.count(target) > 1:
            raise click.BadParameter(f"'{target}' is given twice", param_hint="--price-trend")
    return tuple(joined)
