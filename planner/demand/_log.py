"""Collect the input errors of one demand file and raise them together."""

from __future__ import annotations

from planner.demand._spec import DEMAND_COLUMNS
from planner.errors import InputError, InputErrors, Location

#: At most this many errors are shown; a last line counts the rest.
MAX_REPORTED_ERRORS = 20


class ErrorLog:
    """The input errors found so far in one file, raised together by :meth:`raise_if_any`."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.errors: list[InputError] = []

    def add(
        self, message: str, row: int | None = None, column: str | None = None, hint: str | None = None
    ) -> None:
        """Record one error at ``row`` and ``column`` of the file."""
        self.errors.append(InputError(message, Location(file=self.file, row=row, column=column), hint))

    def fail(self, message: str, row: int | None = None, hint: str | None = None) -> InputError:
        """An error about the whole file, to raise at once: nothing after it can be checked."""
        return InputError(message, Location(file=self.file, row=row), hint)

    def raise_if_any(self) -> None:
        """Raise the errors found, ordered by row, capped at :data:`MAX_REPORTED_ERRORS`.

        Raises:
            InputError: the only error found.
            InputErrors: all errors found, when there are several.
        """
        if not self.errors:
            return
        ordered = sorted(self.errors, key=_position)
        shown = ordered[:MAX_REPORTED_ERRORS]
        hidden = len(ordered) - len(shown)
        if hidden:
            shown.append(self.fail(f"... and {hidden} more errors not shown"))
        if len(shown) == 1:
            raise shown[0]
        raise InputErrors(shown)


def _position(error: InputError) -> tuple[int, int]:
    """Sort key: row, then the column's place in :data:`DEMAND_COLUMNS` (file-wide errors first)."""
    column = error.location.column
    place = DEMAND_COLUMNS.index(column) if column in DEMAND_COLUMNS else len(DEMAND_COLUMNS)
    return error.location.row or 0, place
