"""Errors raised for bad user input, and the documented exit codes.

Exit codes (also in the README):

* 0: a plan was found and every demand is met (or the command simply succeeded);
* 1: unmet demand, no plan found in time, or a failed verification;
* 2: bad input or usage (a wrong id, a malformed file, a bad flag).
"""

from __future__ import annotations

from dataclasses import dataclass

EXIT_OK = 0
EXIT_UNMET = 1
EXIT_INPUT = 2


@dataclass(frozen=True)
class Location:
    """Where in the user's input a problem sits; every part is optional.

    ``key`` names an option: a key of ``options.yaml`` (``key 'threads'``), or, with
    ``key_kind="option"``, a keyword of the Python API (``option 'threads'``).
    """

    file: str | None = None
    row: int | None = None
    column: str | None = None
    entry: str | None = None
    key: str | None = None
    key_kind: str = "key"

    def describe(self) -> str:
        """Render as ``file, row N, column 'c'`` with the parts that are known."""
        parts: list[str] = []
        if self.file:
            parts.append(self.file)
        if self.entry:
            parts.append(f"entry '{self.entry}'")
        if self.key is not None:
            parts.append(f"{self.key_kind} {self.key!r}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column and self.column.startswith("--"):
            parts.append(f"option {self.column}")
        elif self.column:
            parts.append(f"column '{self.column}'")
        return ", ".join(parts)


class PlannerError(Exception):
    """Base class of every error fleetplan raises on purpose."""

    exit_code = EXIT_INPUT


class InputError(PlannerError):
    """A user's input is wrong: the message says where, what, and what would be valid."""

    exit_code = EXIT_INPUT

    def __init__(self, message: str, location: Location | None = None, hint: str | None = None) -> None:
        self.message = message
        self.location = location or Location()
        self.hint = hint
        super().__init__(self.render())

    def render(self) -> str:
        """One human-readable line (two when there is a hint)."""
        where = self.location.describe()
        text = f"{where}: {self.message}" if where else self.message
        return f"{text}\n  {self.hint}" if self.hint else text


class InputErrors(InputError):  # noqa: N818 (a list of InputError)
    """Several input errors found in one pass, reported together."""

    def __init__(self, errors: list[InputError]) -> None:
        self.errors = errors
        first = errors[0]
        super().__init__(first.message, first.location, first.hint)

    def render(self) -> str:
        """All errors, one per line."""
        return "\n".join(e.render() for e in getattr(self, "errors", [])) or super().render()


class SolveError(PlannerError):
    """The solver could not produce any plan (not even the LP relaxation)."""

    exit_code = EXIT_UNMET
