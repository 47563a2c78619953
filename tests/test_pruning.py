"""Exact pruning of API offers: dominated APIs get no variables, and the optimum does not change."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planner.options import prune_dominated_apis
from tests.conftest import CaseFactory, accelerator, api, api_usd_per_request

HOURS = 10.0


def _routes(rows: list[tuple[int, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["shape", "api", "usd_per_request"])


def _kept(routes: pd.DataFrame, limited: list[bool]) -> set[tuple[int, str]]:
    out = prune_dominated_apis(routes, np.array(limited, dtype=bool))
    return set(zip(out["shape"], out["api"], strict=True))


def test_only_the_cheapest_unlimited_api_is_kept_per_shape() -> None:
    routes = _routes([(0, "a", 3.0), (0, "b", 1.0), (0, "c", 2.0), (1, "a", 1.0), (1, "b", 5.0)])
    assert _kept(routes, [False] * 5) == {(0, "b"), (1, "a")}


def test_ties_go_to_the_first_api_id() -> None:
    routes = _routes([(0, "z", 1.0), (0, "m", 1.0), (0, "a", 2.0)])
    assert _kept(routes, [False] * 3) == {(0, "m")}


def test_rate_limited_apis_are_kept_only_when_cheaper_than_the_best_unlimited() -> None:
    routes = _routes([(0, "free", 2.0), (0, "cheap-limited", 1.0), (0, "dear-limited", 3.0)])
    assert _kept(routes, [False, True, True]) == {(0, "free"), (0, "cheap-limited")}


def test_a_shape_served_only_by_rate_limited_apis_keeps_them_all() -> None:
    routes = _routes([(0, "x", 2.0), (0, "y", 1.0), (1, "z", 4.0)])
    assert _kept(routes, [True, True, False]) == {(0, "x"), (0, "y"), (1, "z")}


def test_no_routes_stay_no_routes() -> None:
    assert prune_dominated_apis(_routes([]), np.array([], dtype=bool)).empty


def test_limited_cheap_api_is_filled_then_the_cheapest_unlimited_takes_the_rest(
    make_case: CaseFactory,
) -> None:
    """3 req/s: 1 on the rate-limited cheap API, 2 on the cheaper of two unlimited ones."""
    limited = {**api("tapi-limited", 0.1, 0.1), "rate_limit_requests_per_s": 1.0}
    case = make_case(
        accelerators=[accelerator("tgpu-a", 1000.0)],
        rates={"tgpu-a": 10.0},
        apis=[limited, api("tapi-mid", 1.0, 1.0), api("tapi-dear", 5.0, 5.0)],
        demand=[("p1", "chat", 3.0, HOURS)],
    )
    solved = case.solve()
    seconds = 3600 * HOURS
    expected = seconds * (1.0 * api_usd_per_request(0.1, 0.1) + 2.0 * api_usd_per_request(1.0, 1.0))
    assert solved.plan.status == "optimal"
    assert solved.plan.objective_usd == pytest.approx(expected, rel=1e-6)
    sent = {r.target: r.requests_per_s for r in solved.plan.periods[0].routing if r.requests_per_s > 1e-9}
    assert sent == {"tapi-limited": pytest.approx(1.0), "tapi-mid": pytest.approx(2.0)}
