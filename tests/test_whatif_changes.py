"""The what-if change vocabulary: parsing (flags and mappings, one parser), applying, bad changes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.errors import InputError, Location
from planner.pipeline import Problem
from planner.whatif import ALL, ChangeSet, apply_changes, changes_from_flags, changes_from_mapping
from tests.conftest import CaseFactory, accelerator, api, write_csv

DEMAND_DATED = (
    ("2027-01", "chat", 12.0, 100.0),
    ("2028-01", "chat", 12.0, 100.0),
    ("2027-01", "rag", 4.0, 100.0),
    ("2028-01", "rag", 4.0, 100.0),
)


@pytest.fixture
def problem(make_case: CaseFactory) -> Problem:
    case = make_case(
        accelerators=[accelerator("tgpu-a", 2.0, committed_1y=1.2), accelerator("tgpu-b", 1.0)],
        rates={"tgpu-a": 10.0, "tgpu-b": 4.0},
        apis=[api("tapi", 1.0, 2.0), api("tapi.fast", 3.0, 6.0)],
        demand=DEMAND_DATED,
    )
    loaded: Problem = case.problem()
    return loaded


# --- parsing ----------------------------------------------------------------------------------


def test_flags_and_mapping_give_the_same_changes() -> None:
    flags = changes_from_flags(
        set=["accelerators.tgpu-a.prices.tp.on_demand.usd_per_chip_hour=2.5"],
        scale_demand=["3", "rag=2"],
        scale_tokens=["output=3", "chat.input=0.5"],
        without=["tgpu-b", "api:tapi"],
        price_trend=["apis=-0.9/yr"],
        demand_trend=["+3/yr"],
        change=["commitment-cost=horizon"],
    )
    mapping = changes_from_mapping(
        {
            "set": {"accelerators.tgpu-a.prices.tp.on_demand.usd_per_chip_hour": 2.5},
            "scale-demand": {"*": 3, "rag": 2},
            "scale-tokens": {"output": 3, "chat.input": 0.5},
            "without": ["tgpu-b", "api:tapi"],
            "price-trend": {"apis": "-0.9/yr"},
            "demand-trend": "+3/yr",
            "change": {"commitment-cost": "horizon"},
        },
        lambda key: Location(file="s.yaml", key=key),
    )
    assert flags == mapping
    assert flags.sha256() == mapping.sha256()
    assert flags.scale_demand == {ALL: 3.0, "rag": 2.0}
    assert flags.price_trend == {"apis": pytest.approx(-0.9)}
    assert flags.demand_trend == {ALL: 3.0}
    assert mapping.columns()["scale-demand"] == 3.0
    assert mapping.columns()["scale-demand.rag"] == 2.0
    assert mapping.columns()["without"] == "tgpu-b,api:tapi"


def test_scalar_scale_demand_means_every_workload() -> None:
    assert changes_from_mapping({"scale-demand": 1.5}).scale_demand == {ALL: 1.5}
    assert changes_from_mapping({}).is_empty
    assert ChangeSet().describe() == {}


_ids = st.from_regex(r"[a-z][a-z0-9-]{0,6}(\.[a-z0-9]{1,3})?", fullmatch=True)
_factors = st.floats(min_value=0.01, max_value=100, allow_nan=False)
_rates = st.floats(min_value=-0.99, max_value=10, allow_nan=False)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    demand=st.dictionaries(st.one_of(st.just(ALL), _ids), _factors, max_size=3),
    tokens=st.dictionaries(
        st.tuples(st.one_of(st.just(""), _ids), st.sampled_from(["input", "output"])).map(
            lambda t: f"{t[0]}.{t[1]}" if t[0] else t[1]
        ),
        _factors,
        max_size=3,
    ),
    trends=st.dictionaries(st.sampled_from(["apis", "accelerators", "apis.x-1", "accelerators.h.1"]), _rates),
    without=st.lists(_ids, unique=True, max_size=3),
    value=st.one_of(_factors, st.booleans(), st.text("abc ", min_size=1, max_size=5)),
)
def test_description_reads_back_as_the_same_changes(
    demand: dict[str, float],
    tokens: dict[str, float],
    trends: dict[str, float],
    without: list[str],
    value: Any,
) -> None:
    mapping: dict[str, Any] = {"set": {"models.m.quality": value}}
    for key, item in (
        ("scale-demand", demand),
        ("scale-tokens", tokens),
        ("price-trend", trends),
        ("without", without),
    ):
        if item:
            mapping[key] = item
    changes = changes_from_mapping(mapping)
    again = changes_from_mapping(changes.describe())
    assert again == changes
    assert again.sha256() == changes.sha256()


@pytest.mark.parametrize(
    ("mapping", "key", "text"),
    [
        ({"sett": {}}, "sett", "did you mean 'set'"),
        ({"scale-demand": -1}, "scale-demand", "a factor must be at least 0"),
        ({"scale-demand": "many"}, "scale-demand", "expected a number"),
        ({"scale-demand": {"Bad_Id": 2}}, "scale-demand", "not a workload id"),
        ({"scale-tokens": {"outputs": 2}}, "scale-tokens", "not input, output"),
        ({"scale-tokens": 3}, "scale-tokens", "expected a mapping"),
        ({"scale-tokens": {"output": 0}}, "scale-tokens", "above 0"),
        ({"set": {"gpus.h100.x": 1}}, "set", "unknown catalog 'gpus'"),
        ({"set": {"apis.x": 1}}, "set", "not a catalog field path"),
        ({"set": {"apis.x.y": [1]}}, "set", "expected one value"),
        ({"without": ["gpu:h100"]}, "without", "unknown kind 'gpu'"),
        ({"without": ["H100"]}, "without", "not an id"),
        ({"without": ["a", "a"]}, "without", "given twice"),
        ({"price-trend": {"gpus": -0.1}}, "price-trend", "not a target"),
        ({"price-trend": {"apis": "-1.5/yr"}}, "price-trend", "above -1"),
        ({"price-trend": {"apis": "fast"}}, "price-trend", "not a yearly rate"),
        ({"demand-trend": True}, "demand-trend", "expected a yearly rate"),
        ({"change": {"output": "x.json"}}, "change", "not a solve setting"),
        ({"change": {"time-limt": 3}}, "change", "did you mean 'time-limit'"),
        ({"change": {"time-limit": -3}}, "change", "must be above 0"),
        ({"demand": 3}, "demand", "expected the path"),
    ],
)
def test_bad_change_names_its_key(mapping: dict[str, Any], key: str, text: str) -> None:
    with pytest.raises(InputError) as caught:
        changes_from_mapping(mapping, lambda k: Location(file="s.yaml", key=f"scenarios.x.{k}"))
    message = str(caught.value)
    assert f"key 'scenarios.x.{key}'" in message
    assert text in message
    assert len(message.splitlines()) <= 2


@pytest.mark.parametrize(
    ("flags", "text"),
    [
        ({"set": ["accelerators.tgpu-a.memory_gib"]}, "expected KIND.ID.FIELD=VALUE"),
        ({"set": ["apis.tapi.quality=1", "apis.tapi.quality=2"]}, "given twice"),
        ({"scale_tokens": ["3"]}, "expected [WORKLOAD.]output=F"),
        ({"price_trend": ["-0.9/yr"]}, "expected TARGET=RATE"),
        ({"change": ["horizon"]}, "expected OPTION=VALUE"),
    ],
)
def test_bad_flag_names_the_flag(flags: dict[str, Any], text: str) -> None:
    with pytest.raises(InputError) as caught:
        changes_from_flags(**flags)
    assert "option --" in str(caught.value)
    assert text in str(caught.value)


# --- applying ---------------------------------------------------------------------------------


def test_set_changes_one_field_and_leaves_the_input_alone(problem: Problem) -> None:
    path = "accelerators.tgpu-a.prices.tp.committed_1y.usd_per_chip_hour"
    changed = apply_changes(problem, changes_from_flags(set=[f"{path}=0.9", "apis.tapi.fast.quality=1300"]))
    offers = {p.tier: p.usd_per_chip_hour for p in changed.catalog.accelerators["tgpu-a"].prices}
    assert offers == {"on_demand": 2.0, "committed_1y": 0.9}
    before = {p.tier: p.usd_per_chip_hour for p in problem.catalog.accelerators["tgpu-a"].prices}
    assert before == {"on_demand": 2.0, "committed_1y": 1.2}
    # the longest id wins: 'tapi.fast', not 'tapi' with a field 'fast'
    assert changed.catalog.apis["tapi.fast"].quality == 1300
    assert changed.catalog.apis["tapi"].quality is None
    assert changed.demand is problem.demand


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("accelerators.tgpu-c.memory_gib=80", "unknown accelerator 'tgpu-c'\n  did you mean 'tgpu-"),
        ("accelerators.tgpu-a.memry_gib=80", "has no field 'memry_gib'\n  did you mean 'memory_gib'"),
        (
            "accelerators.tgpu-a.prices.tq.on_demand.usd_per_chip_hour=1",
            "no offer of provider 'tq' at 'accelerators.tgpu-a.prices'\n  did you mean 'tp'",
        ),
        ("accelerators.tgpu-a.prices.tp.spot.usd_per_chip_hour=1", "no 'spot' offer"),
        ("accelerators.tgpu-a.prices.tp.on-demand.usd_per_chip_hour=1", "did you mean 'on_demand'"),
        ("accelerators.tgpu-a.prices.tp.on_demand.usd=1", "did you mean 'usd_per_chip_hour'"),
        ("accelerators.tgpu-a.prices.tp.on_demand.usd_per_chip_hour=-1", "greater than 0"),
        ("accelerators.tgpu-a.prices.tp.on_demand.usd_per_chip_hour=nan", "refuses"),
        ("accelerators.tgpu-a.prices=1", "a list of offers"),
        ("accelerators.tgpu-a.tensor_parallel_sizes=2", "not a scalar field"),
        ("accelerators.tgpu-a.chips_per_node.x=2", "the path ends there"),
        ("accelerators.tgpu-a.id=x", "has no field 'id'"),
        ("accelerators.tgpu-a.kubernetes.image=x:1", "no 'kubernetes' block"),
        ("models.tmodel.quality=-1", "greater than or equal to 0"),
        ("apis.tapi.model=nomodel", "unknown model 'nomodel'"),
    ],
)
def test_bad_set_path_names_the_valid_keys(problem: Problem, path: str, text: str) -> None:
    with pytest.raises(InputError) as caught:
        apply_changes(problem, changes_from_flags(set=[path]))
    assert text in str(caught.value)


def test_scale_and_trend_demand(problem: Problem) -> None:
    changes = changes_from_flags(
        scale_demand=["2", "rag=1.5"], scale_tokens=["rag.output=3"], demand_trend=["chat=+3/yr"]
    )
    frame = apply_changes(problem, changes).demand.frame.set_index(["period", "workload"])
    assert frame.loc[("2027-01", "chat"), "requests_per_s"] == pytest.approx(24.0)
    assert frame.loc[("2028-01", "chat"), "requests_per_s"] == pytest.approx(24.0 * 4 ** (365 / 365.25))
    assert frame.loc[("2027-01", "rag"), "requests_per_s"] == pytest.approx(12.0)
    assert frame.loc[("2027-01", "rag"), "output_tokens"] == pytest.approx(600.0)
    assert frame.loc[("2027-01", "chat"), "output_tokens"] == pytest.approx(200.0)
    assert apply_changes(problem, changes).demand.sha256 != problem.demand.sha256


def test_other_demand_file_must_cover_the_same_workloads(problem: Problem, tmp_path: Path) -> None:
    header = ("period", "workload", "requests_per_s", "input_tokens", "output_tokens", "model", "hours")
    same = tmp_path / "p90.csv"
    write_csv(same, header, [("2027-01", w, 30, 1000, 200, "tmodel", 100) for w in ("chat", "rag")])
    changed = apply_changes(problem, changes_from_mapping({"demand": "p90.csv"}), base_dir=tmp_path)
    assert changed.demand.frame["requests_per_s"].tolist() == [30.0, 30.0]
    other = tmp_path / "other.csv"
    write_csv(other, header, [("2027-01", "chat", 30, 1000, 200, "tmodel", 100)])
    with pytest.raises(InputError, match="lacks rag"):
        apply_changes(problem, changes_from_mapping({"demand": str(other)}))


def test_without_restricts_what_the_run_may_use(problem: Problem) -> None:
    changed = apply_changes(problem, changes_from_flags(without=["tgpu-b", "tapi"]))
    assert changed.settings.accelerators == ("tgpu-a",)
    assert changed.settings.apis == ("tapi.fast",)
    by_provider = apply_changes(problem, changes_from_flags(without=["provider:tp"]))
    assert by_provider.settings.accelerators == ()
    assert not by_provider.catalog.accelerators["tgpu-a"].prices
    by_model = apply_changes(problem, changes_from_flags(without=["model:tmodel"]))
    assert by_model.settings.apis == ()
    assert not by_model.catalog.models["tmodel"].open_weights


def test_bare_id_of_several_kinds_is_an_error(problem: Problem) -> None:
    # 'tp' is a provider; make it an accelerator id too
    two = apply_changes(problem, changes_from_flags(set=["apis.tapi.provider=tgpu-a"]))
    with pytest.raises(InputError) as caught:
        apply_changes(two, changes_from_flags(without=["tgpu-a"]))
    message = str(caught.value)
    assert "several kinds (accelerator, provider)" in message
    assert "'accelerator:tgpu-a' or 'provider:tgpu-a'" in message
    with pytest.raises(InputError, match="unknown id 'tgpu-x'\n  did you mean 'tgpu-"):
        apply_changes(problem, changes_from_flags(without=["tgpu-x"]))
    with pytest.raises(InputError, match="unknown api 'tgpu-a'"):
        apply_changes(problem, changes_from_flags(without=["api:tgpu-a"]))


def test_price_trend_and_change_set_the_settings(problem: Problem) -> None:
    changes = changes_from_flags(
        price_trend=["apis=-0.9/yr", "accelerators.tgpu-a=-0.2/yr"],
        change=["no-baselines=false", "mip-gap=0.01"],
    )
    settings = apply_changes(problem, changes).settings
    assert {t.target: round(t.rate_per_year, 9) for t in settings.price_trends} == {
        "apis": -0.9,
        "accelerators.tgpu-a": -0.2,
    }
    assert settings.baselines is True
    assert settings.mip_gap == 0.01
    with pytest.raises(InputError, match="unknown id 'tgpu-x'"):
        apply_changes(problem, changes_from_flags(price_trend=["accelerators.tgpu-x=-0.2"]))


def test_trends_need_dated_periods(make_case: CaseFactory) -> None:
    case = make_case(
        accelerators=[accelerator("tgpu-a", 2.0)], rates={"tgpu-a": 10.0}, demand=[("p1", "chat", 1, 10)]
    )
    for flags in ({"demand_trend": ["+3/yr"]}, {"price_trend": ["apis=-0.9/yr"]}):
        with pytest.raises(InputError, match="period 'p1' is not a date"):
            apply_changes(case.problem(), changes_from_flags(**flags))


def test_scaled_demand_over_the_limit_is_an_error(problem: Problem) -> None:
    with pytest.raises(InputError, match="above the limit"):
        apply_changes(problem, changes_from_flags(scale_demand=["1e6"]))
    with pytest.raises(InputError, match="option --scale-demand: unknown workload 'chta'"):
        apply_changes(problem, changes_from_flags(scale_demand=["chta=2"]))
