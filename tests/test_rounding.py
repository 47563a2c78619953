"""Stage 2's whole chips (``planner.rounding.integer_supply``) against the loop it replaced."""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.rounding import integer_supply

_EPS = 1e-6


def _reference(
    ix: Any, replicas: np.ndarray, relaxed: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """The per-group loop of the first implementation, kept as the oracle."""
    commit = np.floor(np.nan_to_num(relaxed["commit"]) + _EPS)
    supply = np.zeros(len(ix.supply))
    rep = ix.replica.assign(used=replicas * ix.replica["chips"].to_numpy(float))
    need = {k: float(v) for k, v in rep.groupby(["p", "a"])["used"].sum().items()}
    cm = ix.commit.assign(chips=commit * ix.commit["multiplier"].to_numpy(float))
    committed = {int(k): float(v) for k, v in cm.groupby("a")["chips"].sum().items()}
    spot_lp = np.floor(np.nan_to_num(relaxed["supply"]) + _EPS) * (ix.supply["tier"] == "spot").to_numpy()
    for (p, a), rows in ix.supply.groupby(["p", "a"], sort=False).groups.items():
        owned = float(ix.owned[int(p), int(a)]) if ix.owned is not None else 0.0
        left = need.get((int(p), int(a)), 0.0) - committed.get(int(a), 0.0) - owned
        offers = ix.supply.loc[rows]
        out = np.zeros(len(offers))
        if left > _EPS:
            mult = offers["multiplier"].to_numpy(float)
            is_spot = (offers["tier"] == "spot").to_numpy()
            out[is_spot] = np.minimum(spot_lp[rows][is_spot], np.floor(left / mult[is_spot]))
            left -= float((out * mult).sum())
            on_demand = np.flatnonzero(~is_spot)
            if left > _EPS and len(on_demand):
                best = on_demand[np.argmin(offers["usd_per_chip_hour"].to_numpy(float)[on_demand])]
                out[best] = math.ceil(left / mult[best] - _EPS)
            elif left > _EPS:
                first = np.flatnonzero(is_spot)[0]
                out[first] += math.ceil(left / mult[first] - _EPS)
        supply[rows] = out
    return supply, commit


@st.composite
def cases(draw: st.DrawFn) -> tuple[Any, np.ndarray, dict[str, np.ndarray]]:
    n_p, n_a = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    offers = []
    for p in range(n_p):
        for a in range(n_a):
            for f in range(draw(st.integers(0, 3))):
                tier = draw(st.sampled_from(["on_demand", "spot"]))
                offers.append(
                    (p, a, f, tier, draw(st.sampled_from([1.0, 8.0])), draw(st.sampled_from([1.0, 2.0, 2.5])))
                )
    supply = pd.DataFrame(offers, columns=["p", "a", "f", "tier", "multiplier", "usd_per_chip_hour"])
    reps = [(p, o, a, draw(st.sampled_from([1, 2, 8]))) for p in range(n_p) for o, a in enumerate(range(n_a))]
    replica = pd.DataFrame(reps, columns=["p", "o", "a", "chips"])
    commit = pd.DataFrame(
        [(a, 9, draw(st.sampled_from([1.0, 8.0]))) for a in range(n_a) if draw(st.booleans())],
        columns=["a", "f", "multiplier"],
    )
    owned = np.array(
        draw(st.lists(st.integers(0, 6), min_size=n_p * n_a, max_size=n_p * n_a)), float
    ).reshape(n_p, n_a)
    ix = SimpleNamespace(
        supply=supply,
        replica=replica,
        commit=commit,
        accelerators=tuple(f"a{i}" for i in range(n_a)),
        periods=tuple(f"p{i}" for i in range(n_p)),
        owned=owned if draw(st.booleans()) else None,
    )
    replicas = np.array(
        draw(st.lists(st.integers(0, 5), min_size=len(replica), max_size=len(replica))), float
    )
    relaxed = {
        "supply": np.array(
            draw(st.lists(st.floats(0, 20), min_size=len(supply), max_size=len(supply))), float
        ),
        "commit": np.array(
            draw(st.lists(st.floats(0, 6), min_size=len(commit), max_size=len(commit))), float
        ),
    }
    return ix, replicas, relaxed


@settings(max_examples=300, deadline=None)
@given(case=cases())
def test_vectorised_whole_chips_equal_the_loop(case: tuple[Any, np.ndarray, dict[str, np.ndarray]]) -> None:
    ix, replicas, relaxed = case
    model: Any = SimpleNamespace(index=ix)
    supply, commit = integer_supply(model, replicas, relaxed)
    expected_supply, expected_commit = _reference(ix, replicas, relaxed)
    assert np.array_equal(commit, expected_commit)
    assert np.array_equal(supply, expected_supply)
