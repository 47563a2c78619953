"""Identifiers: the one grammar every catalog and demand id follows, and close-match hints.

Ids match ``^[a-z0-9][a-z0-9.-]*$``. They contain no ``_``, so the names PuLP builds from them
(it rewrites ``-``, ``.`` and other characters to ``_``) can never make two ids collide when
names are joined with ``__`` and ids are replaced by their integer index where needed.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

ID_PATTERN = r"^[a-z0-9][a-z0-9.-]*$"
_ID_RE = re.compile(ID_PATTERN)


def is_valid_id(value: str) -> bool:
    """True when ``value`` follows the id grammar."""
    return bool(_ID_RE.match(value))


def close_matches(value: str, valid: Iterable[str], n: int = 3) -> list[str]:
    """The valid ids closest to ``value`` (case-insensitive), best first."""
    choices = sorted(set(valid))
    lowered = {c.lower(): c for c in choices}
    found = difflib.get_close_matches(value.lower(), list(lowered), n=n, cutoff=0.5)
    prefix = [c for c in choices if c.startswith(value.lower()) and c.lower() not in found]
    return [lowered[f] for f in found] + prefix[: max(0, n - len(found))]


def unknown_id_hint(value: str, valid: Iterable[str], what: str) -> str:
    """A hint for an unknown id: a close match if there is one, else the valid ids."""
    valid_list = sorted(set(valid))
    matches = close_matches(value, valid_list)
    if matches:
        return "did you mean " + " or ".join(repr(m) for m in matches) + "?"
    shown = ", ".join(valid_list[:12]) + (", ..." if len(valid_list) > 12 else "")
    return f"valid {what}: {shown}" if valid_list else f"no {what} are defined"
