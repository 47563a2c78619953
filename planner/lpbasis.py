"""An LP basis by column and row name: one run's relaxation basis as another run's starting point.

A sweep's points are the base problem with some prices, demand levels or limits changed; their LP
relaxations share most columns and rows with the base's (the reductions may keep other options at
another price). Starting a point's relaxation from the base
row's optimal basis, matched by name, saves most of the simplex pivots (docs/benchmarks.md,
"Sweeps"). HiGHS takes the basis as "alien" (:meth:`solvers.live.LiveLP.solve`): columns it does
not name start at their lower bound, rows it does not name basic, and HiGHS repairs a basis that
does not fit. The LP's optimum does not depend on where the simplex starts; which optimal vertex
it ends at may (the primal one rounding starts from, the duals a plan reports as marginal costs),
so a point's basis is always the same one (the base row's), whatever ran before on the worker,
and ``plan whatif`` does not use it (its changed case is solved as ``plan solve`` solves it).

Only the entries off the default are kept (columns not at their lower bound, rows not basic),
which at benchmark size M is about a fifth of the names.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from planner.formulation.blocks import PlanningModel
from planner.outputs import atomic_write
from solvers.live import BASIC, LOWER

#: Keys of the arrays in a saved basis file (``numpy.savez_compressed``, no pickled objects).
_KEYS = ("col_names", "col_status", "row_names", "row_status")


@dataclass(frozen=True, eq=False)
class LpBasis:
    """HiGHS basis status codes (``solvers.live``: LOWER, BASIC, UPPER, ZERO) of the named entries.

    Attributes:
        col_names, col_status: the columns not at their lower bound, and their status.
        row_names, row_status: the rows whose slack is not basic, and their status.
    """

    col_names: np.ndarray
    col_status: np.ndarray
    row_names: np.ndarray
    row_status: np.ndarray

    @classmethod
    def of(cls, model: PlanningModel, cols: np.ndarray, rows: np.ndarray) -> LpBasis:
        """The basis ``(cols, rows)`` of ``model``'s arrays, by name."""
        keep_cols = np.flatnonzero(cols != LOWER)
        keep_rows = np.flatnonzero(rows != BASIC)
        return cls(
            np.asarray(model.column_names, dtype=str)[keep_cols],
            np.asarray(cols, dtype=np.int8)[keep_cols],
            np.asarray(model.row_names, dtype=str)[keep_rows],
            np.asarray(rows, dtype=np.int8)[keep_rows],
        )

    def on(self, model: PlanningModel) -> tuple[np.ndarray, np.ndarray]:
        """Status codes per column and row of ``model`` (names this basis lacks: the defaults)."""
        return (
            _placed(model.column_names, self.col_names, self.col_status, LOWER),
            _placed(model.row_names, self.row_names, self.row_status, BASIC),
        )

    def save(self, path: str | os.PathLike[str], tag: str) -> None:
        """Write the basis to ``path`` atomically (a compressed ``.npz`` of plain arrays).

        ``tag``: what the basis belongs to (a sweep point's content hash); :meth:`load` checks it.
        """
        buffer = io.BytesIO()
        np.savez_compressed(buffer, tag=np.array(tag), **{key: getattr(self, key) for key in _KEYS})

        def write(tmp: Path) -> None:
            tmp.write_bytes(buffer.getvalue())

        atomic_write(path, write)

    @classmethod
    def load(cls, path: str | os.PathLike[str], tag: str) -> LpBasis | None:
        """The basis :meth:`save` wrote with this ``tag``.

        None when the file is missing, belongs to another tag, or holds no basis.
        """
        try:
            with np.load(path, allow_pickle=False) as data:
                if str(data["tag"]) != tag:
                    return None
                arrays = [np.asarray(data[key]) for key in _KEYS]
        except (OSError, ValueError, KeyError):
            return None
        names_ok = all(a.dtype.kind == "U" for a in arrays[0::2])
        codes_ok = all(a.dtype == np.int8 and bool(np.all((a >= 0) & (a <= 4))) for a in arrays[1::2])
        sizes_ok = len(arrays[0]) == len(arrays[1]) and len(arrays[2]) == len(arrays[3])
        if not (names_ok and codes_ok and sizes_ok):
            return None
        return cls(*arrays)


def _placed(names: tuple[str, ...], known: np.ndarray, codes: np.ndarray, default: int) -> np.ndarray:
    out = np.full(len(names), default, dtype=np.int8)
    if len(known) == 0 or len(names) == 0:
        return out
    at = pd.Index(names).get_indexer(pd.Index(known))
    found = at >= 0
    out[at[found]] = codes[found]
    return out
