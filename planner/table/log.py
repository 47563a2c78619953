"""Collect the input errors of one table file and raise them together."""

from __future__ import annotations

from collections.abc import Sequence

from planner.errors import InputError, InputErrors, Location

#: At most this many errors are shown; a last line counts the rest.
MAX_REPORTED_ERRORS = 20


class ErrorLog:
    """The input errors found so far in one file, raised together by :meth:`raise_if_any`.

    Args:
        file: the file named in every message.
        columns: the file's known columns; errors of one row are ordered by them.
    """

    def __init__(self, file: str, columns: Sequence[str] = ()) -> None:
        self.file = file
        self.columns = tuple(columns)
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
        ordered = sorted(self.errors, key=self._position)
        shown = ordered[:MAX_REPORTED_ERRORS]
        hidden = len(ordered) - len(shown)
        if hidden:
            shown.append(self.fail(f"... and {hidden} more errors not shown"))
        if len(shown) == 1:
            raise shown[0]
        raise InputErrors(shown)

    def _position(self, error: InputError) -> tuple[int, int]:
        """Sort key: row, then the column's place among the known columns (file-wide errors first)."""
        column = error.location.column
        place = self.columns.index(column) if column in self.columns else len(self.columns)
        return error.location.row or 0, place
