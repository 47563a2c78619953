"""The independent oracle (issue 9): hand-computed checks of it, then fleetplan against it.

``tests/oracle.py`` builds the unpruned planning MILP from the README and docs/formulation.md and
solves it with HiGHS at ``mip_rel_gap = 0``. The first tests check the oracle itself on instances
small enough to solve by hand (one accelerator with one deployment option: replicas =
ceil(rate / (r x utilisation)), cost = chips x price x hours, and small enumerations where a
trade-off exists). The property test then runs fleetplan on random small instances: whenever it
says ``optimal`` its objective equals the oracle's within $0.01 + 1e-6 x objective, it is never
below the oracle's optimum, and its bound is never above it.
"""

from __future__ import annotations

import importlib.resources
import itertools
import math
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, note, settings
from oracle import Instance, Reference, Row, Settings, reference_optimum, tolerance
from oracle_gen import instances

import planner
from planner.catalog.load import load_catalog
from planner.errors import PlannerError
from planner.perf import estimate
from planner.plan import Plan

_COUNTER = itertools.count()
HOURS = 730.0
MODEL = "llama-3.1-8b"
SHAPE = {"input_tokens": 500, "output_tokens": 200, "ttft_ms": 1000.0, "tpot_ms": 50.0}
#: Seconds in one period of HOURS: API and unmet costs are USD/request x req/s x this.
SECONDS = 3600.0 * HOURS
#: H100 SXM figures for user accelerators (docs/catalogs.md); one chip per node, so TP is 1.
H100 = {
    "memory_gib": 79.65,
    "memory_bandwidth_tb_per_s": 3.35,
    "bf16_tflops": 989.4,
    "fp8_tflops": 1978.9,
    "chips_per_node": 1,
    "scale_up_gb_per_s": 900,
}
#: Only FP8: with one chip per node the user accelerator has exactly one option for MODEL.
ONE_PRECISION = ({"id": MODEL, "precisions": ["fp8"]},)


@pytest.fixture(scope="session")
def empty_catalog_dir() -> Path:
    """These tests plan on the shipped catalogs (conftest's autouse fixture points at this folder)."""
    return Path(str(importlib.resources.files("catalogs")))


def solo(prices: list[dict[str, object]], chips_per_node: int = 1) -> dict[str, object]:
    """A user accelerator ``ox-solo`` with H100 figures and the given offers."""
    return {"id": "ox-solo", **H100, "chips_per_node": chips_per_node, "prices": prices}


def offer(tier: str, usd: float, sold_by_node: bool = False, provider: str = "ox") -> dict[str, object]:
    return {"provider": provider, "tier": tier, "usd_per_chip_hour": usd, "sold_by_node": sold_by_node}


def replica_rate(tmp_path: Path, acc: dict[str, object]) -> float:
    """Requests/s one ``MODEL:ox-solo:tp1:pp1:fp8`` replica sustains at SHAPE (``planner.perf.estimate``)."""
    folder = tmp_path / f"rate{next(_COUNTER)}"
    Instance((), Settings(("ox-solo",)), accelerators=(acc,), models=ONE_PRECISION).write(folder)
    catalog = load_catalog([folder / "catalog"])
    est = estimate(catalog.models[MODEL], catalog.accelerators["ox-solo"], precision="fp8", **SHAPE)
    assert est.fits
    assert est.requests_per_s > 0
    return float(est.requests_per_s)


def oracle(tmp_path: Path, instance: Instance) -> Reference:
    written = instance.write(tmp_path / f"oracle{next(_COUNTER)}")
    return reference_optimum(instance, written)


def rows(*rates: float, hours: float = HOURS, **extra: object) -> tuple[Row, ...]:
    return tuple(
        Row(f"p{p}", "w", rate, model=MODEL, hours=hours, **SHAPE, **extra)  # type: ignore[arg-type]
        for p, rate in enumerate(rates)
    )


def solo_instance(acc: dict[str, object], demand: tuple[Row, ...], **settings: object) -> Instance:
    return Instance(demand, Settings(("ox-solo",), **settings), accelerators=(acc,), models=ONE_PRECISION)  # type: ignore[arg-type]


def assert_usd(ref: Reference, expected: float) -> None:
    assert ref.feasible
    assert ref.status == "Optimal"
    assert ref.objective_usd == pytest.approx(expected, abs=tolerance(expected))


def test_one_option_needs_whole_replicas(tmp_path: Path) -> None:
    acc = solo([offer("on_demand", 2.0)])
    r = replica_rate(tmp_path, acc)
    rate = round(2.5 * r * 0.8, 3)  # 2.5 replicas' worth at utilisation 0.8
    ref = oracle(tmp_path, solo_instance(acc, rows(rate)))
    # ceil(2.5) = 3 replicas x 1 chip x $2.00 x 730 h = $4,380
    assert_usd(ref, 3 * 1 * 2.0 * HOURS)
    assert ref.replicas == {("p0", f"{MODEL}:ox-solo:tp1:pp1:fp8"): 3}


def api_entry(usd_per_request: float, **limits: float) -> dict[str, object]:
    """An API serving MODEL at ``usd_per_request`` for SHAPE (the same price per 1M input and output)."""
    per_1m = usd_per_request * 1e6 / (500 + 200)
    return {
        "id": "ox-api",
        "model": MODEL,
        "usd_per_1m_input_tokens": per_1m,
        "usd_per_1m_output_tokens": per_1m,
        **limits,
    }


def api_instance(acc: dict[str, object], rate: float, api: dict[str, object]) -> Instance:
    return Instance(
        rows(rate),
        Settings(("ox-solo",), apis=("ox-api",)),
        accelerators=(acc,),
        models=ONE_PRECISION,
        apis=(api,),
    )


def api_mix_cost(n: int, rate: float, r: float, per_request: float, limit: float = math.inf) -> float:
    """n replicas ($2.00 x 730 h each) carry n x r x 0.8 req/s, the API up to ``limit``, the rest unmet."""
    api = min(limit, max(0.0, rate - n * r * 0.8))
    unmet = max(0.0, rate - n * r * 0.8 - api)
    return n * 2.0 * HOURS + api * per_request * SECONDS + unmet * 1000.0 * SECONDS


def test_an_api_takes_the_last_fraction_of_a_replica(tmp_path: Path) -> None:
    acc = solo([offer("on_demand", 2.0)])
    r = replica_rate(tmp_path, acc)
    rate = round(2.2 * r * 0.8, 3)
    # the API costs twice what replicas do per request/s, so it takes only the last 0.2 replica
    per_request = 2 * 2.0 * HOURS / (r * 0.8 * SECONDS)
    costs = [api_mix_cost(n, rate, r, per_request) for n in range(4)]
    assert costs.index(min(costs)) == 2  # 2 replicas + 0.2 x r x 0.8 req/s on the API
    assert_usd(oracle(tmp_path, api_instance(acc, rate, api_entry(per_request))), min(costs))


@pytest.mark.parametrize("limit_kind", ["rate_limit_requests_per_s", "rate_limit_tokens_per_min"])
def test_a_rate_limit_caps_the_api(tmp_path: Path, limit_kind: str) -> None:
    acc = solo([offer("on_demand", 2.0)])
    r = replica_rate(tmp_path, acc)
    # the API costs half what replicas do: without a limit it would take everything
    per_request = 0.5 * 2.0 * HOURS / (r * 0.8 * SECONDS)
    for share, replicas in ((0.2, 1), (0.05, 2)):
        rate = round(1.1 * r * 0.8, 3)
        limit = round(share * rate, 4)  # requests/s; as tokens/min: 60 x (500 + 200) x limit
        value = limit if limit_kind == "rate_limit_requests_per_s" else 60.0 * 700 * limit
        costs = [api_mix_cost(n, rate, r, per_request, limit) for n in range(4)]
        # a 20% limit leaves 0.88 replicas' worth (one replica); 5% leaves 1.045 (two, API unused)
        assert costs.index(min(costs)) == replicas
        ref = oracle(tmp_path, api_instance(acc, rate, api_entry(per_request, **{limit_kind: value})))
        assert_usd(ref, min(costs))


@pytest.mark.parametrize("commitment_cost", ["term", "horizon"])
def test_commitments_over_twelve_months(tmp_path: Path, commitment_cost: str) -> None:
    acc = solo([offer("on_demand", 2.10), offer("committed_1y", 1.45)])
    r = replica_rate(tmp_path, acc)
    need = [1, 1, 2, 2, 3, 3, 3, 4, 4, 5, 6, 8]  # replicas needed per month
    demand = rows(*(round((n - 0.5) * r * 0.8, 3) for n in need))
    charged = 8760.0 if commitment_cost == "term" else 12 * HOURS
    # c committed chips all year plus on-demand chips for the rest of each month; best c by enumeration
    costs = [c * 1.45 * charged + sum(max(0, n - c) * 2.10 * HOURS for n in need) for c in range(9)]
    ref = oracle(tmp_path, solo_instance(acc, demand, commitment_cost=commitment_cost))
    assert_usd(ref, min(costs))
    assert ref.chips["committed", "ox-solo", "ox", "committed_1y"] == costs.index(min(costs)) > 0


def test_spot_share(tmp_path: Path) -> None:
    acc = solo([offer("on_demand", 2.0), offer("spot", 1.0)])
    r = replica_rate(tmp_path, acc)
    demand = rows(round(9.5 * r * 0.8, 3))  # 10 chips
    # o on-demand + s spot chips, o + s >= 10, spot at most 20% of chips: (1 - 0.2) s <= 0.2 o
    best = min(2.0 * o + 1.0 * s for o in range(11) for s in range(11) if o + s >= 10 and 0.8 * s <= 0.2 * o)
    assert best == 18.0  # 8 on-demand + 2 spot
    assert_usd(oracle(tmp_path, solo_instance(acc, demand, max_spot_share=0.2)), best * HOURS)


def test_an_offer_that_cannot_be_bought_alone_leaves_demand_unmet(tmp_path: Path) -> None:
    acc = solo([offer("spot", 1.0)])
    r = replica_rate(tmp_path, acc)
    rate = round(0.5 * r * 0.8, 3)
    ref = oracle(tmp_path, solo_instance(acc, rows(rate), unmet_penalty_usd_per_request=0.001))
    # spot only, at most 20% spot: no chip can be bought; rate x $0.001 x 3600 x 730 unmet
    assert_usd(ref, rate * 0.001 * SECONDS)
    assert ref.replicas == {}


@pytest.mark.parametrize("whole_nodes", [False, True])
def test_node_sold_offers(tmp_path: Path, whole_nodes: bool) -> None:
    node_offer, chip_offer = (
        offer("on_demand", 1.5, sold_by_node=True),
        offer("on_demand", 2.0, provider="oy"),
    )
    acc = solo([node_offer, chip_offer], chips_per_node=4)
    acc["max_tensor_parallel"] = 1  # one option still: tp1
    r = replica_rate(tmp_path, acc)
    demand = rows(round(5.5 * r * 0.8, 3))  # 6 chips
    # by the node: k nodes of 4 chips at $1.50 and c single chips at $2.00, 4k + c >= 6
    by_node = min(1.5 * 4 * k + 2.0 * c for k in range(3) for c in range(7) if 4 * k + c >= 6)
    assert by_node == 10.0  # one node and two chips
    expected = by_node if whole_nodes else 6 * 1.5
    assert_usd(oracle(tmp_path, solo_instance(acc, demand, whole_nodes=whole_nodes)), expected * HOURS)


def test_the_budget_leaves_the_rest_unmet(tmp_path: Path) -> None:
    acc = solo([offer("on_demand", 2.0)])
    r = replica_rate(tmp_path, acc)
    rate = round(3.5 * r * 0.8, 3)
    budget = 2.5 * 2.0 * HOURS  # two and a half replicas' worth of dollars: two replicas
    ref = oracle(
        tmp_path, solo_instance(acc, rows(rate), budget_usd=budget, unmet_penalty_usd_per_request=0.01)
    )
    assert_usd(ref, 2 * 2.0 * HOURS + (rate - 2 * r * 0.8) * 0.01 * SECONDS)


def test_min_replicas_against_max_chips_is_infeasible(tmp_path: Path) -> None:
    acc = solo([offer("on_demand", 2.0)])
    instance = solo_instance(acc, rows(1.0, min_replicas=2), max_chips={"ox-solo": 1})
    ref = oracle(tmp_path, instance)
    assert not ref.feasible
    assert ref.status == "Infeasible"
    relaxed = oracle(tmp_path, solo_instance(acc, rows(1.0, min_replicas=2), max_chips={"ox-solo": 2}))
    assert_usd(relaxed, 2 * 2.0 * HOURS)  # the floor, not the load, sets the fleet


def solve_fleetplan(instance: Instance, folder: Path) -> tuple[Reference, Plan | PlannerError]:
    written = instance.write(folder)
    ref = reference_optimum(instance, written)
    try:
        solved = planner.solve(
            written.demand,
            catalog_dirs=[written.catalog],
            no_baselines=True,
            time_limit=60,
            mip_gap=0.0,
            **instance.settings.solve_options(),
        )
    except PlannerError as exc:
        return ref, exc
    return ref, solved.plan


#: Shrinking re-runs fleetplan and the oracle hundreds of times (minutes); the unshrunk instance is
#: at most 3 workloads x 3 periods and is printed whole. ``ORACLE_SHRINK=1`` shrinks it anyway.
PHASES = tuple(p for p in Phase if p != Phase.shrink or os.environ.get("ORACLE_SHRINK"))


@settings(
    max_examples=300,
    deadline=None,
    derandomize=bool(os.environ.get("CI")),
    phases=PHASES,
    report_multiple_bugs=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(instance=instances())
def test_fleetplan_matches_the_oracle(tmp_path_factory: pytest.TempPathFactory, instance: Instance) -> None:
    ref, plan = solve_fleetplan(instance, tmp_path_factory.mktemp("oracle"))
    note(instance.describe())
    note(f"oracle: {ref}")
    check_against_oracle(ref, plan)


def check_against_oracle(ref: Reference, plan: Plan | PlannerError) -> None:
    """fleetplan's plan (or its error) against the oracle's proven optimum (the module docstring)."""
    assert ref.status in ("Optimal", "Infeasible"), f"HiGHS did not prove the oracle: {ref.status}"
    if isinstance(plan, PlannerError):
        assert not ref.feasible, (
            f"fleetplan made no plan ({plan}); the oracle's optimum is ${ref.objective_usd}"
        )
        return
    assert ref.objective_usd is not None, "fleetplan made a plan where none exists"
    best, tol = ref.objective_usd, tolerance(ref.objective_usd)
    where = (
        f"fleetplan {plan.status} at ${plan.objective_usd} (bound ${plan.solver.bound_usd}), oracle ${best}"
    )
    assert plan.objective_usd >= best - tol, f"below the proven optimum: {where}"
    assert plan.solver.bound_usd <= best + tol, f"bound above the optimum: {where}"
    if plan.status == "optimal":
        assert abs(plan.objective_usd - best) <= tol, f"'optimal' but not optimal: {where}"
