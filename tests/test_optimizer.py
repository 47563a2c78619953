"""The optimizer end to end: hand-computed optimal plans, re-checked by the independent verifier.

Every case uses its own tiny catalog (see ``conftest.py``) and measured profiles, so what one
replica sustains is exactly the profiled requests/s and every optimum below is computed by hand.
"""

from __future__ import annotations

import itertools
import math
import random
from typing import Any

import pytest

import solvers
from tests.conftest import Case, CaseFactory, accelerator, api, api_usd_per_request

HOURS = 10.0
APPROX = {"rel": 1e-6, "abs": 1e-6}


# --- helpers -------------------------------------------------------------------------------------


def replicas(plan: Any, period: int = 0) -> dict[str, int]:
    """Accelerator id -> replicas deployed in one period (zero-replica lines dropped)."""
    out: dict[str, int] = {}
    for dep in plan.periods[period].deployments:
        if dep.replicas:
            out[dep.accelerator] = out.get(dep.accelerator, 0) + dep.replicas
    return out


def chips(plan: Any, period: int = 0) -> dict[tuple[str, str], int]:
    """(accelerator, tier) -> chips bought in one period."""
    out: dict[tuple[str, str], int] = {}
    for line in plan.periods[period].accelerators:
        if line.chips:
            out[(line.accelerator, line.tier)] = out.get((line.accelerator, line.tier), 0) + line.chips
    return out


def routes(plan: Any, period: int = 0) -> dict[tuple[str, str], float]:
    """(kind, accelerator or API id) -> requests/s routed in one period (all workloads)."""
    deps = {d.id: d.accelerator for d in plan.periods[period].deployments}
    out: dict[tuple[str, str], float] = {}
    for r in plan.periods[period].routing:
        target = deps.get(r.target, r.target) if r.kind == "deployment" else r.target
        if r.requests_per_s > 1e-9:
            out[(r.kind, target)] = out.get((r.kind, target), 0.0) + r.requests_per_s
    return out


def assert_optimal(
    case: Case, solved: Any, objective: float, *, exact_bound: bool = True, **settings: Any
) -> None:
    plan = solved.plan
    assert plan.status == "optimal"
    assert plan.objective_usd == pytest.approx(objective, **APPROX)
    assert plan.solver.bound_usd <= plan.objective_usd + 1e-6
    if exact_bound:  # see test_optimal_plan_reports_a_closed_gap for CBC
        assert plan.solver.bound_usd == pytest.approx(objective, rel=1e-6, abs=1e-6)
        assert plan.solver.gap == pytest.approx(0.0, abs=1e-6)
    assert case.verify(plan, **settings) == []


def one_accelerator(make_case: CaseFactory, rps: float, **defaults: Any) -> Case:
    return make_case(
        accelerators=[accelerator("tgpu-a", 2.0)],
        rates={"tgpu-a": 10.0},
        demand=[("p1", "chat", rps, HOURS)],
        **defaults,
    )


def mix_case(make_case: CaseFactory, rps: float = 14.0, **defaults: Any) -> Case:
    """A: 10 req/s for $2/h ($0.20 per req/s-hour); B: 4 req/s for $1/h ($0.25 per req/s-hour)."""
    return make_case(
        accelerators=[accelerator("tgpu-a", 2.0), accelerator("tgpu-b", 1.0)],
        rates={"tgpu-a": 10.0, "tgpu-b": 4.0},
        demand=[("p1", "chat", rps, HOURS)],
        **defaults,
    )


SOLVERS = solvers.available_solvers()


# --- 1, 5, 10: one accelerator, exact fits, default utilisation -----------------------------------


@pytest.mark.parametrize("solver", SOLVERS)
def test_one_accelerator_rounds_replicas_up(make_case: CaseFactory, solver: str) -> None:
    case = one_accelerator(make_case, 25.0, target_utilization=1.0)
    solved = case.solve(solver=solver)
    plan = solved.plan
    assert_optimal(case, solved, 3 * 2.0 * HOURS, exact_bound=solver == "highs")
    assert replicas(plan) == {"tgpu-a": 3}
    assert chips(plan) == {("tgpu-a", "on_demand"): 3}
    assert routes(plan) == {("deployment", "tgpu-a"): pytest.approx(25.0)}
    assert plan.solver.name == solver
    assert plan.cost_usd.accelerators == pytest.approx(60.0)
    assert plan.cost_usd.api == 0
    assert plan.cost_usd.unmet_penalty == 0
    assert plan.diagnostics.unmet == ()


def test_exact_fit_needs_no_extra_replica(make_case: CaseFactory) -> None:
    case = one_accelerator(make_case, 20.0, target_utilization=1.0)
    solved = case.solve()
    assert_optimal(case, solved, 2 * 2.0 * HOURS)
    assert replicas(solved.plan) == {"tgpu-a": 2}
    (dep,) = solved.plan.periods[0].deployments
    assert dep.utilization == pytest.approx(1.0)
    assert dep.capacity_requests_per_s == pytest.approx(20.0)


@pytest.mark.parametrize(("rps", "expected"), [(25.0, 4), (24.0, 3), (8.0, 1), (8.5, 2)])
def test_default_target_utilization_is_0_8(make_case: CaseFactory, rps: float, expected: int) -> None:
    """A 10 req/s replica is planned for 8 req/s: 24 -> 3 replicas exactly, 25 -> 4."""
    case = one_accelerator(make_case, rps)
    solved = case.solve()
    assert solved.plan.inputs.settings["target_utilization"] == 0.8
    assert_optimal(case, solved, expected * 2.0 * HOURS)
    assert replicas(solved.plan) == {"tgpu-a": expected}
    (dep,) = solved.plan.periods[0].deployments
    assert dep.capacity_requests_per_s == pytest.approx(expected * 8.0)
    assert dep.utilization == pytest.approx(rps / (expected * 10.0))


def test_per_row_target_utilization_overrides_default(make_case: CaseFactory) -> None:
    rows = [("p1", "chat", 20.0, 1000, 200, "tmodel", HOURS)]
    case = make_case(accelerators=[accelerator("tgpu-a", 2.0)], rates={"tgpu-a": 10.0}, demand=rows)
    # the demand file has no target_utilization column: rewrite it with one (0.5 -> 4 replicas)
    text = case.demand.read_text().splitlines()
    case.demand.write_text(text[0] + ",target_utilization\n" + text[1] + ",0.5\n")
    solved = case.solve()
    assert_optimal(case, solved, 4 * 2.0 * HOURS)
    assert replicas(solved.plan) == {"tgpu-a": 4}


# --- 2, 10: a mix beats either accelerator alone ---------------------------------------------------


@pytest.mark.parametrize("solver", SOLVERS)
def test_mix_of_accelerators_beats_either_alone(make_case: CaseFactory, solver: str) -> None:
    """14 req/s: 1 A + 1 B = $3/h beats 2 A = $4/h and 4 B = $4/h."""
    case = mix_case(make_case, target_utilization=1.0)
    solved = case.solve(solver=solver)
    plan = solved.plan
    assert_optimal(case, solved, 3.0 * HOURS, exact_bound=solver == "highs")
    assert replicas(plan) == {"tgpu-a": 1, "tgpu-b": 1}
    assert chips(plan) == {("tgpu-a", "on_demand"): 1, ("tgpu-b", "on_demand"): 1}
    assert routes(plan) == {
        ("deployment", "tgpu-a"): pytest.approx(10.0),
        ("deployment", "tgpu-b"): pytest.approx(4.0),
    }
    assert plan.solver.stage == "milp"  # the LP rounding gives 2 A ($4/h); only the MILP finds $3/h


def test_baselines_price_simpler_fleets(make_case: CaseFactory) -> None:
    case = mix_case(make_case, target_utilization=1.0)
    plan = case.solve(baselines=True).plan
    base = {b.name: b for b in plan.baselines}
    assert base["cheapest-single-accelerator"].usd == pytest.approx(4.0 * HOURS)
    assert base["cheapest-single-accelerator"].saving_fraction == pytest.approx(0.25)
    assert base["all-self-hosted"].usd is not None
    assert base["all-self-hosted"].usd >= plan.objective_usd - 1e-6
    assert base["all-api"].usd is None  # no API in this case: it cannot serve the demand


@pytest.mark.parametrize(
    "solver",
    SOLVERS,
)
def test_optimal_plan_reports_a_closed_gap(make_case: CaseFactory, solver: str) -> None:
    """status 'optimal' means proven within mip_gap: the reported gap must say so too."""
    case = one_accelerator(make_case, 25.0, target_utilization=1.0)
    plan = case.solve(solver=solver, mip_gap=0.001).plan
    assert plan.status == "optimal"
    assert plan.solver.gap <= 0.001 + 1e-9


# --- 3: API at low volume, self-hosting at high volume ---------------------------------------------


def test_api_at_low_volume_self_hosting_at_high_volume(make_case: CaseFactory) -> None:
    usd_req = api_usd_per_request(1.0, 2.0)  # $0.0014 per request
    case = make_case(
        accelerators=[accelerator("tgpu-a", 2.0)],
        rates={"tgpu-a": 10.0},
        apis=[api("tapi", 1.0, 2.0)],
        demand=[("p1", "chat", 0.1, HOURS), ("p2", "chat", 50.0, HOURS)],
        target_utilization=1.0,
    )
    solved = case.solve()
    plan = solved.plan
    api_p1 = 0.1 * 3600 * HOURS * usd_req  # $5.04 < one replica ($20)
    self_p2 = 5 * 2.0 * HOURS  # $100 < 50 req/s on the API ($2520) or 4 replicas + 10 req/s API
    assert_optimal(case, solved, api_p1 + self_p2)
    assert replicas(plan, 0) == {}
    assert routes(plan, 0) == {("api", "tapi"): pytest.approx(0.1)}
    assert replicas(plan, 1) == {"tgpu-a": 5}
    assert routes(plan, 1) == {("deployment", "tgpu-a"): pytest.approx(50.0)}
    assert plan.cost_usd.api == pytest.approx(api_p1)
    assert plan.cost_usd.accelerators == pytest.approx(self_p2)
    (w1,) = plan.periods[0].workloads
    assert w1.api_requests_per_s == pytest.approx(0.1)
    assert w1.self_hosted_requests_per_s == pytest.approx(0.0)


def test_api_takes_the_remainder_of_a_replica(make_case: CaseFactory) -> None:
    """10.5 req/s: 1 replica + 0.5 req/s on the API ($20 + $2.16) beats 2 replicas ($40)."""
    usd_req = api_usd_per_request(0.1, 0.1)  # $0.00012 per request
    case = make_case(
        accelerators=[accelerator("tgpu-a", 2.0)],
        rates={"tgpu-a": 10.0},
        apis=[api("tapi", 0.1, 0.1)],
        demand=[("p1", "chat", 10.5, HOURS)],
        target_utilization=1.0,
    )
    solved = case.solve()
    expected = 2.0 * HOURS + 0.5 * 3600 * HOURS * usd_req  # $20 + $2.16
    assert_optimal(case, solved, expected)
    assert replicas(solved.plan) == {"tgpu-a": 1}
    assert routes(solved.plan) == {
        ("deployment", "tgpu-a"): pytest.approx(10.0),
        ("api", "tapi"): pytest.approx(0.5),
    }


# --- 4: committed vs on-demand ---------------------------------------------------------------------

MONTH = 730.0


def commit_case(make_case: CaseFactory, rates_by_period: list[float], committed: float) -> Case:
    demand = [(f"m{i:02d}", "chat", rps, MONTH) for i, rps in enumerate(rates_by_period)]
    return make_case(
        accelerators=[accelerator("tgpu-a", 2.0, committed_1y=committed)],
        rates={"tgpu-a": 10.0},
        demand=demand,
        target_utilization=1.0,
    )


def test_commitment_when_used_all_year(make_case: CaseFactory) -> None:
    """12 x 730 h at 10 req/s: commit 1 chip at $1.5 x 8760 h = $13,140 < on-demand $17,520."""
    case = commit_case(make_case, [10.0] * 12, 1.5)
    solved = case.solve()
    plan = solved.plan
    assert_optimal(case, solved, 1.5 * 8760)
    assert [(c.accelerator, c.tier, c.chips) for c in plan.commitments] == [("tgpu-a", "committed_1y", 1)]
    assert plan.commitments[0].usd == pytest.approx(13140.0)
    assert plan.commitments[0].usd_beyond_horizon == pytest.approx(0.0)
    assert plan.cost_usd.committed_beyond_horizon == pytest.approx(0.0)
    for p in range(12):
        assert chips(plan, p) == {("tgpu-a", "committed_1y"): 1}


def test_commitment_plus_on_demand_peaks(make_case: CaseFactory) -> None:
    """20 req/s in 6 months, 10 in the others: 1 committed + 1 on-demand in the peaks = $21,900."""
    case = commit_case(make_case, [20.0, 10.0] * 6, 1.5)
    solved = case.solve()
    plan = solved.plan
    assert_optimal(case, solved, 1.5 * 8760 + 6 * MONTH * 2.0)
    assert [c.chips for c in plan.commitments] == [1]
    for p in range(12):
        expected = {("tgpu-a", "committed_1y"): 1}
        if p % 2 == 0:
            expected[("tgpu-a", "on_demand")] = 1
        assert chips(plan, p) == expected
        assert replicas(plan, p) == {"tgpu-a": 2 if p % 2 == 0 else 1}


def test_on_demand_when_used_half_the_year(make_case: CaseFactory) -> None:
    """Demand in 6 of 12 months: on-demand $8,760 < committed $13,140."""
    case = commit_case(make_case, [10.0, 0.0] * 6, 1.5)
    solved = case.solve()
    plan = solved.plan
    assert_optimal(case, solved, 6 * MONTH * 2.0)
    assert plan.commitments == ()
    for p in range(12):
        assert chips(plan, p) == ({("tgpu-a", "on_demand"): 1} if p % 2 == 0 else {})


def test_short_horizon_pays_the_whole_term(make_case: CaseFactory) -> None:
    """3 months: committed $1.5 x 8760 = $13,140 > on-demand $4,380 -> on-demand."""
    case = commit_case(make_case, [10.0] * 3, 1.5)
    solved = case.solve()
    assert_optimal(case, solved, 3 * MONTH * 2.0)
    assert solved.plan.commitments == ()


def test_committed_beyond_horizon_is_reported(make_case: CaseFactory) -> None:
    """3 months at $0.2 committed: $1,752 for the term < $4,380 on-demand; $1,314 falls after the horizon."""
    case = commit_case(make_case, [10.0] * 3, 0.2)
    solved = case.solve()
    plan = solved.plan
    assert_optimal(case, solved, 0.2 * 8760)
    assert plan.cost_usd.accelerators == pytest.approx(0.2 * 3 * MONTH)
    assert plan.cost_usd.committed_beyond_horizon == pytest.approx(0.2 * (8760 - 3 * MONTH))
    (line,) = plan.commitments
    assert line.usd == pytest.approx(0.2 * 8760)
    assert line.usd_beyond_horizon == pytest.approx(0.2 * (8760 - 3 * MONTH))


def test_commitment_cost_horizon_charges_only_the_horizon(make_case: CaseFactory) -> None:
    """3 months, commitment_cost='horizon': committed $1.5 x 2190 = $3,285 < on-demand $4,380."""
    case = commit_case(make_case, [10.0] * 3, 1.5)
    solved = case.solve(commitment_cost="horizon")
    plan = solved.plan
    assert_optimal(case, solved, 1.5 * 3 * MONTH, commitment_cost="horizon")
    assert [(c.tier, c.chips) for c in plan.commitments] == [("committed_1y", 1)]
    assert plan.cost_usd.committed_beyond_horizon == pytest.approx(0.0)


# --- 6: unmet demand, explained --------------------------------------------------------------------


def test_unservable_model_is_unmet_and_explained(make_case: CaseFactory) -> None:
    rows = [
        ("p1", "chat", 10.0, 1000, 200, "tmodel", HOURS),
        ("p1", "orphan", 2.0, 1000, 200, "tmodel2", HOURS),
    ]
    case = make_case(
        accelerators=[accelerator("tgpu-a", 2.0)],
        rates={"tgpu-a": 10.0},
        demand=rows,
        apis=[api("tapi", 1.0, 2.0)],
        target_utilization=1.0,
        models=[{"id": "tmodel", "precisions": ["bf16"]}, {"id": "tmodel2", "precisions": ["bf16"]}],
    )
    solved = case.solve()
    plan = solved.plan
    penalty = 2.0 * 3600 * HOURS * 1000.0
    assert_optimal(case, solved, 2.0 * HOURS + penalty)
    assert plan.unmet_requests == pytest.approx(2.0)
    assert plan.cost_usd.unmet_penalty == pytest.approx(penalty)
    (line,) = plan.diagnostics.unmet
    assert (line.period, line.workload, line.requests_per_s) == ("p1", "orphan", pytest.approx(2.0))
    assert "no allowed API offer" in line.reason
    assert "tmodel2" in line.reason or "self-hosted" in line.reason
    assert replicas(plan) == {"tgpu-a": 1}


def test_max_chips_leaves_demand_unmet_and_names_the_limit(make_case: CaseFactory) -> None:
    case = one_accelerator(make_case, 25.0, target_utilization=1.0, max_chips={"tgpu-a": 2})
    solved = case.solve()
    plan = solved.plan
    assert_optimal(case, solved, 2 * 2.0 * HOURS + 5.0 * 3600 * HOURS * 1000.0)
    assert replicas(plan) == {"tgpu-a": 2}
    (line,) = plan.diagnostics.unmet
    assert line.workload == "chat"
    assert line.requests_per_s == pytest.approx(5.0)
    assert "--max-chips" in line.reason
    assert "tgpu-a" in line.reason


def test_low_unmet_penalty_is_named_as_the_reason(make_case: CaseFactory) -> None:
    """0.5 req/s at $1e-6 per request unmet costs less than a replica: left unmet, penalty named."""
    case = one_accelerator(make_case, 0.5, target_utilization=1.0, unmet_penalty_usd_per_request=1e-6)
    solved = case.solve()
    assert_optimal(case, solved, 0.5 * 3600 * HOURS * 1e-6, unmet_penalty_usd_per_request=1e-6)
    (line,) = solved.plan.diagnostics.unmet
    assert "unmet-penalty" in line.reason


# --- 7: random small instances against brute force --------------------------------------------------


def brute_force_period(
    demand: float, hours: float, util: float, accs: list[tuple[float, float]], api_usd: float | None
) -> float:
    """Cheapest cost of one period: enumerate replicas of each accelerator, the rest to the API."""
    bounds = [math.ceil(demand / (rate * util) - 1e-9) for rate, _price in accs]
    best = math.inf
    for counts in itertools.product(*(range(b + 1) for b in bounds)):
        capacity = sum(n * rate * util for n, (rate, _p) in zip(counts, accs, strict=True))
        rest = max(0.0, demand - capacity)
        if rest > 1e-9 and api_usd is None:
            continue
        cost = sum(n * price * hours for n, (_r, price) in zip(counts, accs, strict=True))
        cost += rest * 3600 * hours * (api_usd or 0.0)
        best = min(best, cost)
    return best


@pytest.mark.parametrize("seed", range(15))
def test_random_instances_match_brute_force(make_case: CaseFactory, seed: int) -> None:
    rng = random.Random(seed)
    rates = {"tgpu-a": float(rng.randint(2, 12)), "tgpu-b": float(rng.randint(2, 12))}
    prices = {"tgpu-a": round(rng.uniform(0.5, 4.0), 2), "tgpu-b": round(rng.uniform(0.5, 4.0), 2)}
    apis = (
        [api("tapi", round(rng.uniform(0.5, 20.0), 2), round(rng.uniform(0.5, 40.0), 2))]
        if rng.random() < 0.5
        else []
    )
    util = rng.choice([0.8, 1.0])
    n_periods, n_workloads = rng.randint(1, 2), rng.randint(1, 3)
    demand, expected = [], 0.0
    for p in range(n_periods):
        hours = rng.choice([1.0, 10.0, 730.0])
        loads = [round(rng.uniform(0.05, 15.0), 2) for _ in range(n_workloads)]
        demand += [(f"p{p}", f"w{w}", load, hours) for w, load in enumerate(loads)]
        api_usd = (
            api_usd_per_request(apis[0]["usd_per_1m_input_tokens"], apis[0]["usd_per_1m_output_tokens"])
            if apis
            else None
        )
        # the workloads share one model and request shape, so they pool on the same replicas
        expected += brute_force_period(
            sum(loads), hours, util, [(rates[a], prices[a]) for a in ("tgpu-a", "tgpu-b")], api_usd
        )
    case = make_case(
        accelerators=[accelerator(a, prices[a]) for a in ("tgpu-a", "tgpu-b")],
        rates=rates,
        apis=apis,
        demand=demand,
        target_utilization=util,
    )
    solved = case.solve()
    plan = solved.plan
    context = f"seed {seed}: rates {rates}, prices {prices}, apis {apis}, util {util}, demand {demand}"
    assert plan.status == "optimal", context
    assert plan.objective_usd == pytest.approx(expected, rel=1e-6, abs=1e-4), context
    assert plan.unmet_requests == pytest.approx(0.0, abs=1e-6), context
    assert case.verify(plan) == [], context


# --- 8: the saved model ----------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".lp", ".mps"])
def test_saved_model_solves_to_the_plan_objective(make_case: CaseFactory, tmp_path: Any, suffix: str) -> None:
    highspy = pytest.importorskip("highspy")
    case = mix_case(make_case, rps=23.0, apis=[api("tapi", 1.0, 2.0)], target_utilization=1.0)
    path = tmp_path / f"model{suffix}"
    solved = case.solve(save_model=path)
    assert solved.plan.status == "optimal"
    assert path.is_file()
    assert path.stat().st_size > 0
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 0.0)
    assert h.readModel(str(path)) == highspy.HighsStatus.kOk
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    assert h.getInfo().objective_function_value == pytest.approx(
        solved.plan.objective_usd, rel=1e-6, abs=1e-6
    )


def test_save_model_rejects_other_suffixes(make_case: CaseFactory, tmp_path: Any) -> None:
    from planner.errors import InputError

    case = one_accelerator(make_case, 5.0)
    with pytest.raises(InputError, match="--save-model"):
        case.solve(save_model=tmp_path / "model.txt")


# --- 9: time limit too short for the MILP ----------------------------------------------------------


def test_tiny_time_limit_returns_the_rounded_plan(make_case: CaseFactory) -> None:
    """The relaxation uses 1.4 A replicas ($28); rounding gives 2 A ($40); the optimum is 1 A + 1 B ($30)."""
    case = mix_case(make_case, target_utilization=1.0)
    solved = case.solve(time_limit=0.01)
    plan = solved.plan
    assert plan.status == "feasible"
    assert plan.solver.stage == "lp_rounding"
    assert plan.objective_usd == pytest.approx(4.0 * HOURS)
    assert plan.solver.bound_usd == pytest.approx(2.8 * HOURS)
    assert plan.solver.gap == pytest.approx((40.0 - 28.0) / 40.0)
    assert replicas(plan) == {"tgpu-a": 2}
    assert case.verify(plan) == []


# --- options building with profile-only configurations ----------------------------------------------


def test_profile_only_accelerators_build_options(make_case: CaseFactory) -> None:
    """Accelerators with no spec and a model with no shape are served only through the profiles."""
    case = mix_case(make_case, target_utilization=1.0)
    solved = case.solve()
    deps = solved.options.deployments
    assert sorted(deps["accelerator"]) == ["tgpu-a", "tgpu-b"]
    assert set(deps["tensor_parallel"]) == {1}
    assert set(deps["precision"]) == {"bf16"}
    cap = solved.options.capacity
    assert sorted(cap["requests_per_s"]) == [4.0, 10.0]
    assert set(cap["source"]) == {"profile"}


def test_settings_are_recorded_in_the_plan(make_case: CaseFactory) -> None:
    case = mix_case(make_case, target_utilization=1.0)
    plan = case.solve(max_chips={"tgpu-a": 7}).plan
    settings = plan.inputs.settings
    assert settings["accelerators"] == ["tgpu-a", "tgpu-b"]
    assert settings["target_utilization"] == 1.0
    assert settings["max_chips"] == {"tgpu-a": 7}


def test_empty_api_list_allows_no_api(make_case: CaseFactory) -> None:
    """0.1 req/s: the API ($5.04) would win over a replica ($20), but apis=() forbids APIs."""
    case = make_case(
        accelerators=[accelerator("tgpu-a", 2.0)],
        rates={"tgpu-a": 10.0},
        apis=[api("tapi", 1.0, 2.0)],
        demand=[("p1", "chat", 0.1, HOURS)],
        target_utilization=1.0,
    )
    solved = case.solve(apis=())
    assert solved.plan.inputs.settings["apis"] == []
    assert routes(solved.plan) == {("deployment", "tgpu-a"): pytest.approx(0.1)}


def test_same_input_gives_the_same_plan_byte_for_byte(make_case: CaseFactory) -> None:
    """Ties are broken deterministically: two runs give identical plans (run times aside)."""
    case = make_case(
        accelerators=[accelerator("tgpu-a", 2.0), accelerator("tgpu-b", 1.0)],
        rates={"tgpu-a": 10.0, "tgpu-b": 5.0},
        demand=[("p0", "chat", 14.0, 1.0), ("p1", "chat", 30.0, 1.0)],
    )
    from planner.outputs import plan_json

    first, second = (plan_json(case.solve().plan, timings=False) for _ in range(2))
    strip = [line for line in first.splitlines() if '"seconds"' not in line]
    assert strip == [line for line in second.splitlines() if '"seconds"' not in line]


def test_commitment_shared_only_by_periods_with_demand(make_case: CaseFactory) -> None:
    """A period with no demand must not absorb a share of the commitment in the per-period bound.

    49 req/s at util 0.8 on 1 req/s replicas needs 62 chips in p1 and p2 (p0 has no demand).
    Committing 62 chips of tgpu-b for the 3-hour horizon costs 62 x 0.6 x 3 = $111.60, below
    62 x 2 periods x $1 on demand: the optimum, which the engine must also prove (bound = $111.60).
    """
    case = make_case(
        accelerators=[accelerator("tgpu-a", 1.0), accelerator("tgpu-b", 1.0, committed_1y=0.6)],
        rates={"tgpu-a": 1.0, "tgpu-b": 1.0},
        demand=[("p0", "chat", 0.0, 1.0), ("p1", "chat", 49.0, 1.0), ("p2", "chat", 49.0, 1.0)],
        commitment_cost="horizon",
        target_utilization=0.8,
        max_spot_share=0.0,
    )
    plan = case.solve().plan
    assert plan.objective_usd == pytest.approx(111.6)
    assert plan.status == "optimal"
    assert plan.solver.bound_usd == pytest.approx(111.6, rel=1e-6)
    assert case.verify(plan) == []
