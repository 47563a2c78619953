"""How a table file is described: its columns, each with a cell parser and a blank-cell value."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


class _Required:
    """Marker default of a column that may not be left blank."""

    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()


@dataclass(frozen=True)
class Column:
    """How one column's cells are read: a parser for filled cells, a value for blank ones.

    ``default`` is :data:`REQUIRED` for a cell that may not be blank.
    """

    parse: Callable[[str], Any]
    default: Any


@dataclass(frozen=True)
class TableSpec:
    """A table file's format.

    Attributes:
        what: what the file is, in messages ("demand file").
        columns: every known column, in the order messages list them.
        required: columns the header must name.
        one_of: the header must name at least one of these (empty: no such rule).
    """

    what: str
    columns: Mapping[str, Column]
    required: tuple[str, ...]
    one_of: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        """The known column names, in order."""
        return tuple(self.columns)
