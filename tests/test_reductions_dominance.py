"""Weak dominance of configs (``planner.reductions.weak_dominance``) against its definition, pair by pair."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.reductions import ConfigTable, dominated, weak_dominance

TOL = 1e-12  # planner.reductions._TOL


@st.composite
def tables(draw: st.DrawFn) -> ConfigTable:
    n, n_shapes = draw(st.integers(1, 9)), draw(st.integers(1, 4))
    rate = np.array(
        draw(
            st.lists(
                st.sampled_from([0.0, 1.0, 2.0, 2.0 * (1 - 1e-12), 3.5]),
                min_size=n * n_shapes,
                max_size=n * n_shapes,
            )
        )
    ).reshape(n, n_shapes)
    chips = np.array(draw(st.lists(st.sampled_from([1.0, 2.0, 4.0]), min_size=n, max_size=n)))
    acc = np.array(draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)))
    # flags and prices belong to an accelerator (as planner.reductions.config_table builds them)
    flags = [np.array(draw(st.lists(st.booleans(), min_size=3, max_size=3)))[acc] for _ in range(2)]
    on_demand = np.array(draw(st.lists(st.sampled_from([1.0, 2.0, 4.0, np.inf]), min_size=3, max_size=3)))
    cheapest = np.minimum(
        on_demand, np.array(draw(st.lists(st.sampled_from([0.5, 1.0, 3.0]), min_size=3, max_size=3)))
    )
    prices = [chips * on_demand[acc], chips * cheapest[acc]]
    return ConfigTable(rate, chips, acc, flags[0], flags[1], prices[0], prices[1])


def _brute(t: ConfigTable, cross: bool) -> np.ndarray:
    n, n_shapes = t.rate.shape
    out = np.zeros((n, n), dtype=bool)
    for i in range(n):
        for j in range(n):
            covers = all(
                t.rate[j, s] >= t.rate[i, s] * (1 - TOL) or t.rate[i, s] <= 0 for s in range(n_shapes)
            )
            same = t.accelerator[j] == t.accelerator[i] and t.chips[j] <= t.chips[i]
            other = (
                cross
                and t.accelerator[j] != t.accelerator[i]
                and t.can_be_replaced[i]
                and t.can_replace[j]
                and t.replica_on_demand_usd[j] <= t.replica_min_usd[i] * (1 + TOL)
            )
            out[i, j] = covers and (same or other)
    return out


@settings(max_examples=300, deadline=None)
@given(t=tables())
def test_weak_dominance_is_its_definition(t: ConfigTable) -> None:
    same, both = weak_dominance(t)
    assert np.array_equal(same, _brute(t, cross=False))
    assert np.array_equal(both, _brute(t, cross=True))


@settings(max_examples=200, deadline=None)
@given(t=tables())
def test_every_dropped_config_has_a_kept_dominator(t: ConfigTable) -> None:
    _same, both = weak_dominance(t)
    drop = dominated(both)
    kept = np.flatnonzero(~drop)
    for i in np.flatnonzero(drop):
        assert any(both[i, j] for j in kept if j != i)
