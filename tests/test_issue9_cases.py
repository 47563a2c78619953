"""The five cases of issue 9 ("Optimal means optimal") with their hand-computed optima.

Each case runs on the shipped catalogs (with the issue's overlay) and must come back ``optimal``
at the optimum computed by hand below, which the independent oracle (``tests/oracle.py``) confirms.
Prices used by hand: the cheapest H100 SXM chip-hour is $2.69 (``runpod-community``, on demand,
sold by the chip), MI300X is $2.59; ``test_shipped_prices`` fails first if the catalog changes them.
"""

from __future__ import annotations

import importlib.resources
import itertools
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from oracle import Instance, Reference, Row, Settings, reference_optimum, tolerance

import planner
from planner.catalog.load import load_catalog
from planner.perf import estimate

_COUNTER = itertools.count()
H100_USD = 2.69
MI300X_USD = 2.59
MONTH = 730.0
H100_FIGURES = {
    "memory_gib": 79.65,
    "memory_bandwidth_tb_per_s": 3.35,
    "bf16_tflops": 989.4,
    "fp8_tflops": 1978.9,
    "chips_per_node": 8,
    "scale_up_gb_per_s": 900,
    "max_tensor_parallel": 8,
}


@pytest.fixture(scope="session")
def empty_catalog_dir() -> Path:
    """These cases plan on the shipped catalogs (conftest's autouse fixture points at this folder)."""
    return Path(str(importlib.resources.files("catalogs")))


def replica_rate(model: str, acc: str, tp: int, pp: int, precision: str, row: Row) -> float:
    """Requests/s one replica sustains for ``row``'s shape and targets (0 when it does not fit)."""
    catalog = load_catalog([])
    est = estimate(
        catalog.models[model],
        catalog.accelerators[acc],
        tensor_parallel=tp,
        pipeline_parallel=pp,
        precision=precision,
        input_tokens=row.input_tokens,
        output_tokens=row.output_tokens,
        ttft_ms=row.ttft_ms,
        tpot_ms=row.tpot_ms,
    )
    return est.requests_per_s if est.fits else 0.0


# Case 1: shared capacity. `code` (3 req/s, llama-3.2-3b) and `agent` (0.9 req/s, floor 1150).
# No API, so at least one chip is bought: >= 1 x $2.69 x 730 h = $1,963.70. One
# llama-3.2-3b:h100-sxm:tp1:pp1:fp8 replica (1 chip) carries both when 3 / r_code + 0.9 / r_agent
# <= 0.8 (about 0.95 replicas at utilisation 0.8, checked below), so the optimum is $1,963.70.
CASE1_ROWS = (
    Row("p0", "code", 3.0, 2000, 600, model="llama-3.2-3b", hours=MONTH, ttft_ms=1500.0, tpot_ms=40.0),
    Row("p0", "agent", 0.9, 9000, 1200, min_quality=1150.0, hours=MONTH, ttft_ms=3000.0, tpot_ms=60.0),
)
CASE1 = Instance(CASE1_ROWS, Settings(("h100-sxm",)))
CASE1_USD = 1 * H100_USD * MONTH  # $1,963.70

# Case 2: offers that cannot be bought alone. One workload, 5 req/s of llama-3.1-8b (one replica of
# tp1 carries it). h100-reserved's only offer is committed for a year: 1 chip x $1.50 x 8,760 h =
# $13,140, against one on-demand H100 for the month, $2.69 x 730 = $1,963.70 (and one chip is
# needed). h100-spotpool's only offer is spot at $1.00: with --max-spot-share 0.2 a spot chip needs
# four others, so again one on-demand H100, $1,963.70, nothing unmet.
CASE2_ROWS = (
    Row("p0", "chat", 5.0, 500, 200, model="llama-3.1-8b", hours=MONTH, ttft_ms=1000.0, tpot_ms=50.0),
)
RESERVED = {
    "id": "h100-reserved",
    **H100_FIGURES,
    "prices": [{"provider": "contract", "tier": "committed_1y", "usd_per_chip_hour": 1.5}],
}
SPOTPOOL = {
    "id": "h100-spotpool",
    **H100_FIGURES,
    "prices": [{"provider": "pool", "tier": "spot", "usd_per_chip_hour": 1.0}],
}
CASE2_RESERVED = Instance(CASE2_ROWS, Settings(("h100-sxm", "h100-reserved")), accelerators=(RESERVED,))
CASE2_SPOTPOOL = Instance(CASE2_ROWS, Settings(("h100-sxm", "h100-spotpool")), accelerators=(SPOTPOOL,))
CASE2_USD = 1 * H100_USD * MONTH  # $1,963.70

# Case 3: replica granularity. DeepSeek-V3 at 150 req/s does not fit one 8-chip node, so a replica
# spans 16 (tp8:pp2) or 24 (tp8:pp3) chips or more. One tp8:pp2 replica carries less than 150 / 0.8
# req/s and one tp8:pp3 replica more (checked below), so every plan needs at least 24 chips and one
# tp8:pp3 replica is enough: 24 x $2.69 x 730 h = $47,128.80.
CASE3_ROWS = (
    Row("p0", "chat", 150.0, 500, 200, model="deepseek-v3", hours=MONTH, ttft_ms=2000.0, tpot_ms=100.0),
)
CASE3 = Instance(CASE3_ROWS, Settings(("h100-sxm",)))
CASE3_USD = 24 * H100_USD * MONTH  # $47,128.80

# Case 4: a plan must exist. MI300X alone serves both workloads with one chip each (fleetplan's own
# plan): 2 x $2.59 x 2,190 h = $11,344.20, an upper bound on the optimum; the A100s (at most 2 chips)
# may make it cheaper. The oracle gives the optimum, which must be at most $11,344.20. (It finds
# qwen3-30b-a3b on one MI300X and mistral-small-3-24b on one A100 at the overlay's $1.20:
# $2.59 x 2,190 + $1.20 x 2,190 = $5,672.10 + $2,628.00 = $8,300.10.)
CASE4_ROWS = (
    Row(
        "p4",
        "w0-tight",
        5.6536,
        1500,
        100,
        model="qwen3-30b-a3b",
        hours=2190.0,
        ttft_ms=300.0,
        tpot_ms=25.0,
        min_replicas=1,
    ),
    Row(
        "p4",
        "w3-agent",
        0.5267,
        3000,
        400,
        model="mistral-small-3-24b",
        hours=2190.0,
        ttft_ms=3000.0,
        tpot_ms=60.0,
        self_host_only=True,
    ),
)
CASE4 = Instance(
    CASE4_ROWS,
    Settings(("mi300x", "a100-80gb"), max_chips={"a100-80gb": 2}),
    accelerators=({"id": "a100-80gb", "on_demand_usd_per_chip_hour": 1.2},),
)
CASE4_CAP_USD = 2 * MI300X_USD * 2190.0  # $11,344.20

# Case 5: commitments. A contract catalog: H100 at $2.10 on demand and $1.45 committed for a year
# (dearer shipped H100 offers stay in the catalog). Twelve months of llama-3.1-8b traffic growing
# from 20 to 130 req/s. With N_p the fewest chips that carry month p's traffic (a knapsack over the
# deployment options, below), c committed chips cost c x $1.45 x 8,760 h and the rest
# sum_p max(0, N_p - c) x $2.10 x 730 h; the optimum is the least of these over c.
CONTRACT = {
    "id": "h100-sxm",
    "prices": [
        {"provider": "contract", "tier": "on_demand", "usd_per_chip_hour": 2.10},
        {"provider": "contract", "tier": "committed_1y", "usd_per_chip_hour": 1.45},
    ],
}
CASE5_RATES = (20.0, 25.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 95.0, 105.0, 115.0, 130.0)
CASE5_ROWS = tuple(
    Row(
        f"2027-{m + 1:02d}",
        "chat",
        rate,
        2000,
        600,
        model="llama-3.1-8b",
        hours=MONTH,
        ttft_ms=1500.0,
        tpot_ms=40.0,
    )
    for m, rate in enumerate(CASE5_RATES)
)
CASE5 = Instance(CASE5_ROWS, Settings(("h100-sxm",)), accelerators=(CONTRACT,))


def fewest_chips(row: Row, utilization: float = 0.8) -> int:
    """The fewest H100 chips whose replicas carry ``row``: unbounded knapsack over every option."""
    catalog = load_catalog([])
    model = catalog.models[str(row.model)]
    options = [
        (tp, replica_rate(model.id, "h100-sxm", tp, 1, precision, row) * utilization)
        for precision in model.precisions
        for tp in (1, 2, 4, 8)
    ]
    best = [0.0]  # best[k]: the most req/s k chips carry
    while best[-1] < row.requests_per_s:
        k = len(best)
        best.append(max([best[k - tp] + r for tp, r in options if tp <= k] + [best[k - 1]]))
    return len(best) - 1


def case5_usd() -> tuple[float, int]:
    """The hand-computed optimum of case 5 and its committed chips (enumeration over c)."""
    need = [fewest_chips(row) for row in CASE5_ROWS]
    costs = [c * 1.45 * 8760 + sum(max(0, n - c) * 2.10 * MONTH for n in need) for c in range(max(need) + 1)]
    return min(costs), costs.index(min(costs))


def oracle(tmp_path: Path, instance: Instance) -> Reference:
    written = instance.write(tmp_path / f"oracle{next(_COUNTER)}")
    ref = reference_optimum(instance, written)
    assert ref.status == "Optimal"
    return ref


def fleetplan(tmp_path: Path, instance: Instance) -> planner.Plan:
    written = instance.write(tmp_path / f"case{next(_COUNTER)}")
    solved = planner.solve(
        written.demand,
        catalog_dirs=[written.catalog],
        no_baselines=True,
        time_limit=60,
        mip_gap=0.0,
        **instance.settings.solve_options(),
    )
    return solved.plan


def assert_optimal_at(plan: Any, usd: float) -> None:
    where = f"fleetplan {plan.status} at ${plan.objective_usd:,.2f} (bound ${plan.solver.bound_usd:,.2f})"
    assert plan.status == "optimal", where
    assert abs(plan.objective_usd - usd) <= tolerance(usd), f"{where}, optimum ${usd:,.2f}"
    assert plan.unmet_requests == pytest.approx(0.0, abs=1e-9), where


def test_shipped_prices() -> None:
    catalog = load_catalog([])
    assert min(o.usd_per_chip_hour for o in catalog.accelerators["h100-sxm"].prices) == H100_USD
    assert [o.usd_per_chip_hour for o in catalog.accelerators["mi300x"].prices] == [MI300X_USD]


def test_case1_one_replica_carries_both_workloads(tmp_path: Path) -> None:
    code, agent = CASE1_ROWS
    load = code.requests_per_s / replica_rate("llama-3.2-3b", "h100-sxm", 1, 1, "fp8", code)
    load += agent.requests_per_s / replica_rate("llama-3.2-3b", "h100-sxm", 1, 1, "fp8", agent)
    assert load <= 0.8  # the premise of the hand computation
    ref = oracle(tmp_path, CASE1)
    assert ref.objective_usd == pytest.approx(CASE1_USD, abs=0.01)
    assert ref.replicas == {("p0", "llama-3.2-3b:h100-sxm:tp1:pp1:fp8"): 1}
    assert_optimal_at(fleetplan(tmp_path, CASE1), CASE1_USD)


@pytest.mark.parametrize("instance", [CASE2_RESERVED, CASE2_SPOTPOOL], ids=["reserved", "spotpool"])
def test_case2_offers_that_cannot_be_bought_alone(tmp_path: Path, instance: Instance) -> None:
    assert replica_rate("llama-3.1-8b", "h100-sxm", 1, 1, "fp8", CASE2_ROWS[0]) * 0.8 >= 5.0
    ref = oracle(tmp_path, instance)
    assert ref.objective_usd == pytest.approx(CASE2_USD, abs=0.01)
    assert ref.chips == {("p0", "h100-sxm", "runpod-community", "on_demand"): 1}
    assert_optimal_at(fleetplan(tmp_path, instance), CASE2_USD)


def test_case3_one_24_chip_replica(tmp_path: Path) -> None:
    row = CASE3_ROWS[0]
    assert replica_rate("deepseek-v3", "h100-sxm", 8, 1, "fp8", row) == 0.0  # not in one node
    assert replica_rate("deepseek-v3", "h100-sxm", 8, 2, "fp8", row) * 0.8 < 150.0
    assert replica_rate("deepseek-v3", "h100-sxm", 8, 2, "bf16", row) * 0.8 < 150.0
    assert replica_rate("deepseek-v3", "h100-sxm", 8, 3, "fp8", row) * 0.8 >= 150.0
    ref = oracle(tmp_path, CASE3)
    assert ref.objective_usd == pytest.approx(CASE3_USD, abs=0.01)
    assert ref.replicas == {("p0", "deepseek-v3:h100-sxm:tp8:pp3:fp8"): 1}
    assert_optimal_at(fleetplan(tmp_path, CASE3), CASE3_USD)


def test_case4_a_plan_exists_within_the_chip_limit(tmp_path: Path) -> None:
    ref = oracle(tmp_path, CASE4)
    assert ref.objective_usd is not None
    assert ref.objective_usd <= CASE4_CAP_USD + 0.01
    assert_optimal_at(fleetplan(tmp_path, CASE4), ref.objective_usd)


def test_case5_commitments_solve_to_optimality(tmp_path: Path) -> None:
    usd, committed = case5_usd()
    assert committed > 0  # a commitment pays
    ref = oracle(tmp_path, CASE5)
    assert ref.objective_usd == pytest.approx(usd, abs=tolerance(usd))
    assert ref.chips["committed", "h100-sxm", "contract", "committed_1y"] == committed
    assert_optimal_at(fleetplan(tmp_path, CASE5), usd)


CLI_CASES = {
    "case1": (CASE1, CASE1_USD),
    "case2-reserved": (CASE2_RESERVED, CASE2_USD),
    "case2-spotpool": (CASE2_SPOTPOOL, CASE2_USD),
    "case3": (CASE3, CASE3_USD),
    "case4": (CASE4, None),
    "case5": (CASE5, None),
}


@pytest.mark.parametrize("name", list(CLI_CASES))
def test_cases_through_the_cli(tmp_path: Path, run_cli: Callable[..., Any], name: str) -> None:
    instance, usd = CLI_CASES[name]
    if usd is None:
        usd = oracle(tmp_path, instance).objective_usd
    assert usd is not None
    written = instance.write(tmp_path / name)
    flags = ["--no-baselines", "--mip-gap", "0", "--time-limit", "60", *instance.settings.cli_flags()]
    result = run_cli("solve", written.demand, "--catalog", written.catalog, "--format", "json", *flags)
    assert result.stdout, f"exit {result.returncode}, no plan: {result.stderr}"
    plan = json.loads(result.stdout)
    where = f"{plan['status']} at ${plan['objective_usd']:,.2f}, optimum ${usd:,.2f}"
    assert plan["status"] == "optimal", where
    assert math.isclose(plan["objective_usd"], usd, abs_tol=tolerance(usd)), where
    assert result.returncode == 0, f"exit {result.returncode} (unmet demand?): {where}"
