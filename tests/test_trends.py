"""Price trends (``--price-trend``): factors by date, the option's grammar, and plans priced per period.

The cases are small enough to price by hand: one replica (1 chip at $2/chip-hour) serves 1 req/s,
so 0.8 req/s at the default 80 % utilisation costs $2 x 730 h = $1,460 a month self-hosted.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from conftest import IN_TOKENS, OUT_TOKENS, CaseFactory, accelerator, api

from planner.errors import InputError, InputErrors
from planner.optionspec import api_where, validate_options
from planner.settings import PriceTrend
from planner.trends import parse_rate, period_days, period_factors, period_start, price_factors

MONTH = 730.0
SELF_HOST_USD = 2.0 * MONTH
#: 2027-01-01 to 2028-01-01 is 365 days: a trend of r/yr gives (1 + r) ** (365 / 365.25) there.
YEAR_DAYS = 365.0


def usd_per_1m(per_request: float) -> float:
    """The per-1M-token price (input = output) that makes one test request cost ``per_request``."""
    return per_request * 1e6 / (IN_TOKENS + OUT_TOKENS)


def per_request_for(month_usd: float, rate: float = 0.8) -> float:
    return month_usd / (rate * 3600 * MONTH)


def test_factors_by_hand() -> None:
    assert period_start("2027-03") == period_start("2027-03-01")
    assert period_start("2027-02-30") is None
    assert period_start("q1") is None
    assert period_days(["2027-01", "2027-02", "2028-01-01"]) == (0.0, 31.0, 365.0)
    factors = period_factors(["2027-01", "2028-01"], -0.9)
    assert factors[0] == 1.0
    assert factors[1] == pytest.approx(0.1 ** (YEAR_DAYS / 365.25), rel=1e-12)
    assert period_factors(["2027-01-01", "2027-01-01"], 3.0) == (1.0, 1.0)


def test_several_trends_on_one_price_multiply() -> None:
    trends = (PriceTrend(target="apis", rate_per_year=-0.5), PriceTrend(target="apis.b", rate_per_year=1.0))
    f = price_factors(trends, ["2027-01", "2028-01"], "apis", ("a", "b"))
    year = YEAR_DAYS / 365.25
    assert f[1, 0] == pytest.approx(0.5**year)
    assert f[1, 1] == pytest.approx((0.5 * 2.0) ** year)
    assert price_factors(trends, ["2027-01", "2028-01"], "accelerators", ("x",)).tolist() == [[1.0], [1.0]]


def test_undated_period_is_an_error_naming_it() -> None:
    with pytest.raises(InputError, match="period 'peak' is not a date"):
        period_days(["2027-01", "peak"])
    with pytest.raises(InputError, match="date order"):
        period_days(["2027-02", "2027-01"])


@pytest.mark.parametrize(
    ("text", "rate"), [("-0.9/yr", -0.9), ("+3/yr", 3.0), ("0.25", 0.25), (" -0.5 / yr ", -0.5)]
)
def test_rates(text: str, rate: float) -> None:
    assert parse_rate(text) == rate


@pytest.mark.parametrize("text", ["-1/yr", "-2", "fast", "3/month", ""])
def test_bad_rates(text: str) -> None:
    with pytest.raises(ValueError):
        parse_rate(text)


def test_option_grammar() -> None:
    where = api_where
    from_yaml = validate_options({"price-trend": {"apis": "-0.9/yr", "accelerators.h100-sxm": -0.2}}, where)
    from_text = validate_options({"price_trend": "apis=-0.9/yr,accelerators.h100-sxm=-0.2"}, where)
    assert from_yaml == from_text
    assert from_yaml["price_trend"] == (
        PriceTrend(target="apis", rate_per_year=-0.9),
        PriceTrend(target="accelerators.h100-sxm", rate_per_year=-0.2),
    )
    for bad in ({"models.x": 0.1}, {"apis": "-1/yr"}, {"apis": True}, "apis=-0.1,apis=0.2", "apis"):
        with pytest.raises(InputErrors):
            validate_options({"price-trend": bad}, where)


def _two_years(make_case: CaseFactory, api_month_usd: float, **defaults: object) -> object:
    price = usd_per_1m(per_request_for(api_month_usd))
    return make_case(
        accelerators=[accelerator("acc", 2.0)],
        rates={"acc": 1.0},
        apis=[api("api-a", price, price)],
        demand=[("2027-01", "w", 0.8, MONTH), ("2028-01", "w", 0.8, MONTH)],
        **defaults,
    )


def test_api_prices_falling_move_the_second_year_to_the_api(make_case: CaseFactory) -> None:
    case = _two_years(make_case, 2 * SELF_HOST_USD)
    trends = {"apis": "-0.9/yr"}
    plan = case.solve(price_trend=trends).plan  # type: ignore[attr-defined]
    factor = 0.1 ** (YEAR_DAYS / 365.25)
    assert plan.status == "optimal"
    assert plan.objective_usd == pytest.approx(SELF_HOST_USD + 2 * SELF_HOST_USD * factor, rel=1e-9)
    first, second = plan.periods
    assert [a.chips for a in first.accelerators] == [1]
    assert not second.accelerators
    assert case.verify(plan, price_trend=trends) == []  # type: ignore[attr-defined]
    assert case.verify(plan)  # type: ignore[attr-defined]  # without the trend the API lines re-price dearer
    unchanged = case.solve().plan  # type: ignore[attr-defined]
    assert unchanged.objective_usd == pytest.approx(2 * SELF_HOST_USD, rel=1e-9)


def test_accelerator_price_rising_moves_the_second_year_to_the_api(make_case: CaseFactory) -> None:
    case = _two_years(make_case, 1.5 * SELF_HOST_USD)
    trends = {"accelerators.acc": "+1/yr"}
    plan = case.solve(price_trend=trends).plan  # type: ignore[attr-defined]
    assert plan.status == "optimal"
    assert plan.objective_usd == pytest.approx(SELF_HOST_USD + 1.5 * SELF_HOST_USD, rel=1e-9)
    assert not plan.periods[1].accelerators
    assert case.verify(plan, price_trend=trends) == []  # type: ignore[attr-defined]


def test_an_api_with_a_trend_of_its_own_is_not_pruned(make_case: CaseFactory) -> None:
    """api-b costs twice api-a at first (dominated), a tenth as much a year later."""
    cheap, dear = per_request_for(SELF_HOST_USD * 3), per_request_for(SELF_HOST_USD * 6)
    prices = {"api-a": usd_per_1m(cheap), "api-b": usd_per_1m(dear)}
    case = make_case(
        accelerators=[accelerator("acc", 2.0)],
        rates={"acc": 1.0},
        apis=[api(name, usd, usd) for name, usd in prices.items()],
        demand=[("2027-01", "w", 0.8, MONTH), ("2028-01", "w", 0.8, MONTH)],
    )
    trends = {"apis.api-b": "-0.9/yr"}
    plan = case.solve(price_trend=trends).plan
    factor = 0.1 ** (YEAR_DAYS / 365.25)
    assert plan.objective_usd == pytest.approx(SELF_HOST_USD + 6 * SELF_HOST_USD * factor, rel=1e-9)
    assert {r.target for r in plan.periods[1].routing} == {"api-b"}
    assert plan.status == "optimal"
    assert case.verify(plan, price_trend=trends) == []


def test_cli_undated_periods_exit_2(make_case: CaseFactory, run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    case = make_case(
        accelerators=[accelerator("acc", 2.0)], rates={"acc": 1.0}, demand=[("peak", "w", 0.8, MONTH)]
    )
    out = tmp_path / "plan.json"
    proc = run_cli(
        "solve",
        case.demand,
        "--catalog",
        case.catalog,
        "--profiles",
        case.profiles,
        "--price-trend",
        "apis=-0.9/yr",
        "-o",
        out,
        "--format",
        "json",
    )
    assert proc.returncode == 2, proc.stderr
    assert "period 'peak' is not a date" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""
    assert not out.exists()


def test_cli_trend_is_recorded_in_the_plan(make_case: CaseFactory, run_cli) -> None:  # type: ignore[no-untyped-def]
    case = _two_years(make_case, 2 * SELF_HOST_USD)
    proc = run_cli(
        "solve",
        case.demand,
        "--catalog",
        case.catalog,
        "--profiles",
        case.profiles,  # type: ignore[attr-defined]
        "--price-trend",
        "apis=-0.9/yr",
        "--no-baselines",
        "--format",
        "json",
    )
    assert proc.returncode == 0, proc.stderr
    plan = json.loads(proc.stdout)
    assert plan["inputs"]["settings"]["price_trends"] == [{"target": "apis", "rate_per_year": -0.9}]
    assert math.isclose(
        plan["objective_usd"], SELF_HOST_USD * (1 + 2 * 0.1 ** (YEAR_DAYS / 365.25)), rel_tol=1e-9
    )


def test_an_accelerator_with_a_trend_of_its_own_is_not_pruned(make_case: CaseFactory) -> None:
    """acc-b costs 1.5x acc-a per chip at first (dominated), 0.15x a year later."""
    case = make_case(
        accelerators=[accelerator("acc-a", 2.0), accelerator("acc-b", 3.0)],
        rates={"acc-a": 1.0, "acc-b": 1.0},
        demand=[("2027-01", "w", 0.8, MONTH), ("2028-01", "w", 0.8, MONTH)],
    )
    trends = {"accelerators.acc-b": "-0.9/yr"}
    plan = case.solve(price_trend=trends).plan
    factor = 0.1 ** (YEAR_DAYS / 365.25)
    assert plan.objective_usd == pytest.approx(SELF_HOST_USD + 1.5 * SELF_HOST_USD * factor, rel=1e-9)
    assert [a.accelerator for a in plan.periods[1].accelerators] == ["acc-b"]
    assert case.verify(plan, price_trend=trends) == []
    cross = next(r for r in plan.solver.reductions if r.rule == "cross-accelerator-dominance")
    assert "acc-b (a --price-trend of its own)" in cross.reason
