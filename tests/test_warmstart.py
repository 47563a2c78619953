"""Starting a search from an earlier plan: carried by ids, offered beside rounding, never a bound."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from planner.api import make_settings
from planner.engine import _Best, _offer_start, run_engine
from planner.formulation.blocks import PlanningModel
from planner.formulation.build import build_model
from planner.options import Options, allowed_apis, build_options
from planner.pipeline import BASE_START, Start, load_problem, solve_problem
from planner.plan import Plan
from planner.session import Session
from planner.warmstart import start_values
from tests.conftest import Case, accelerator, api, build_case

HOURS = 24.0
DEMAND = [
    ("2026-01", "chat", 12.0, HOURS),
    ("2026-01", "tiny", 0.7, HOURS),
    ("2026-02", "chat", 27.0, HOURS),
    ("2026-02", "tiny", 1.3, HOURS),
]


def _case(tmp_path: Path, a_price: float = 2.0, name: str = "case") -> Case:
    return build_case(
        tmp_path / name,
        accelerators=[
            accelerator("tgpu-a", a_price, spot=1.0, committed_1y=1.5),
            accelerator("tgpu-b", 1.0),
        ],
        rates={"tgpu-a": 10.0, "tgpu-b": 4.0},
        apis=[api("tapi", 0.5, 1.5)],
        demand=DEMAND,
    )


def _built(case: Case, **overrides: Any) -> tuple[Any, Options, PlanningModel]:
    s = make_settings(case.options(**overrides))
    problem = load_problem(case.demand, [case.catalog], case.profiles, s)
    options = build_options(problem.catalog, problem.demand, problem.profiles, s)
    m = build_model(options, problem.demand, problem.catalog, s, allowed_apis(problem.catalog, s))
    return problem, options, m


@pytest.mark.parametrize(
    "overrides",
    [{}, {"whole_nodes": True}, {"max_spot_share": 1.0}, {"commitment_cost": "horizon"}],
    ids=["default", "whole-nodes", "spot", "committed"],
)
def test_a_plan_carried_onto_its_own_model_gives_its_integer_values(
    tmp_path: Path, overrides: dict[str, Any]
) -> None:
    """Replicas, per-period chips and commitments come back exactly as the engine had them."""
    problem, options, m = _built(_case(tmp_path), **overrides)
    solved = solve_problem(problem)
    carried = start_values(m, options, solved.plan)
    assert carried.values is not None, carried.reason
    for name in ("replicas", "supply", "commit"):
        assert np.array_equal(carried.values[name], np.round(np.nan_to_num(solved.result.values[name]))), name
    assert any(carried.values[name].sum() > 0 for name in ("replicas", "supply", "commit"))


def test_a_plan_with_a_deployment_this_model_lacks_is_not_carried(tmp_path: Path) -> None:
    """A start naming an option the other model does not have is refused with the reason."""
    case = _case(tmp_path)
    problem, _options, _m = _built(case)
    plan = solve_problem(problem).plan
    used = {d.id for p in plan.periods for d in p.deployments}
    assert used, "the case must self-host something"
    only_b = _built(case, accelerators=["tgpu-b"])
    carried = start_values(only_b[2], only_b[1], plan)
    assert any(":tgpu-a:" in d for d in used), used  # tgpu-a is the cheaper per request/s
    assert carried.values is None
    assert "is not an option of this model" in carried.reason


def test_a_partial_start_leaves_out_only_the_periods_that_do_not_fit(tmp_path: Path) -> None:
    """A sweep's bracketed point carries period by period: a period naming a missing option is 0."""
    case = _case(tmp_path)
    problem, options, m = _built(case)
    plan = solve_problem(problem).plan
    foreign = plan.periods[1].deployments[0].model_copy(update={"id": "tmodel:tgpu-z:tp1:pp1:bf16"})
    second = plan.periods[1].model_copy(update={"deployments": (foreign, *plan.periods[1].deployments[1:])})
    mixed = plan.model_copy(update={"periods": (plan.periods[0], second)})
    assert start_values(m, options, mixed).values is None  # whole: refused
    carried = start_values(m, options, mixed, partial=True)
    whole = start_values(m, options, plan)
    assert carried.values is not None
    assert whole.values is not None
    assert carried.missing == frozenset({1})
    assert "1 period(s) from the rounded plan instead" in carried.reason
    first = m.index.replica["p"].to_numpy() == 0
    assert np.array_equal(carried.values["replicas"][first], whole.values["replicas"][first])
    assert not carried.values["replicas"][~first].any()
    assert not carried.values["supply"][m.index.supply["p"].to_numpy() == 1].any()
    assert start_values(m, options, plan, partial=True).missing == frozenset()


def test_other_periods_are_not_carried(tmp_path: Path) -> None:
    problem, options, m = _built(_case(tmp_path))
    plan = solve_problem(problem).plan
    shorter = plan.model_copy(update={"periods": plan.periods[:1]})
    carried = start_values(m, options, shorter)
    assert carried.values is None
    assert "periods" in carried.reason


def test_a_cheaper_start_replaces_a_dearer_rounded_plan(tmp_path: Path) -> None:
    """_offer_start keeps the start (routed by the LP) only when it is strictly cheaper."""
    problem, _options, m = _built(_case(tmp_path))
    s = problem.settings
    optimal = run_engine(m, s, time.monotonic() + 60, decompose=True)
    session = Session(m, s)
    dear = {k: v.copy() for k, v in optimal.values.items()}
    dear["supply"] = dear["supply"] + 1.0  # one idle chip more of every per-period offer
    worse = _Best(dear, "lp_rounding", m.objective_of(dear))
    dear_usd = worse.objective
    start = {name: optimal.values[name] for name in m.integer_blocks}
    best, kept = _offer_start(session, worse, start)
    assert kept
    assert best is not None
    assert best.objective == pytest.approx(optimal.objective_usd, rel=1e-9)
    assert best.objective < dear_usd - 1.0
    again, kept_again = _offer_start(session, best, start)  # not strictly cheaper: the incumbent stays
    assert not kept_again
    assert again is best


def test_a_start_that_breaks_a_limit_is_not_kept(tmp_path: Path) -> None:
    """A start over --max-chips fails the fixed LP: not kept, and the result meets the limit."""
    case = _case(tmp_path)
    problem, _options, _m = _built(case)
    plan = solve_problem(problem).plan
    chips = {line.accelerator: line.chips for p in plan.periods for line in p.accelerators}
    acc = max(chips, key=lambda a: chips[a])
    limited_problem, limited_options, limited = _built(case, max_chips={acc: max(0, chips[acc] - 1)})
    carried = start_values(limited, limited_options, plan)
    assert carried.values is not None
    result = run_engine(limited, limited_problem.settings, time.monotonic() + 60, start=carried.values)
    assert result.start_kept is False
    solved = solve_problem(limited_problem, start=Start(plan, "earlier.json"))
    assert solved.plan.solver.start is not None
    assert not solved.plan.solver.start.kept
    assert case.verify(solved.plan, max_chips={acc: max(0, chips[acc] - 1)}) == []


def test_a_price_change_from_the_base_plan_costs_at_most_the_base_plan_repriced(tmp_path: Path) -> None:
    """The changed case never costs more than the base plan's choices at the new prices."""
    base_problem, _, _ = _built(_case(tmp_path))
    base = solve_problem(base_problem).plan
    dearer = _case(tmp_path, a_price=2.6, name="dearer")
    problem, options, m = _built(dearer)
    carried = start_values(m, options, base)
    assert carried.values is not None
    session = Session(m, problem.settings)
    _best, kept = _offer_start(session, None, carried.values)
    assert kept
    assert _best is not None
    solved = solve_problem(problem, start=Start(base, BASE_START))
    assert solved.plan.objective_usd <= _best.objective + 1e-6
    info = solved.plan.solver.start
    assert info is not None
    assert info.carried
    assert info.source == BASE_START
    assert dearer.verify(solved.plan) == []


def test_solve_with_start_through_the_cli(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    """``plan solve --start PLAN`` records the start; a bad start file is exit 2 with nothing written."""
    case = _case(tmp_path)
    flags = ["--catalog", case.catalog, "--profiles", case.profiles, "--no-baselines"]
    flags += ["--accelerators", "tgpu-a,tgpu-b", "--apis", "tapi"]
    first = tmp_path / "first.json"
    done = run_cli("solve", case.demand, *flags, "-o", first)
    assert done.returncode == 0, done.stderr
    again = run_cli("solve", case.demand, *flags, "--start", first, "--format", "json")
    assert again.returncode == 0, again.stderr
    plan = json.loads(again.stdout)
    start = plan["solver"]["start"]
    assert (start["source"], start["carried"], start["note"]) == (str(first), True, "")
    assert plan["objective_usd"] <= Plan.model_validate_json(first.read_text()).objective_usd + 1e-6
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    out = tmp_path / "out.json"
    failed = run_cli("solve", case.demand, *flags, "--start", bad, "-o", out)
    assert failed.returncode == 2
    assert "bad.json" in failed.stderr
    assert "Traceback" not in failed.stderr
    assert not out.exists()
    missing = run_cli("solve", case.demand, *flags, "--start", tmp_path / "nope.json")
    assert missing.returncode == 2
    assert "nope.json" in missing.stderr


def test_sweep_points_start_from_the_base_row_and_their_keys_chain_to_it(tmp_path: Path) -> None:
    """Every point but the base row starts from the base's plan, but a price axis's ends start from
    none (they are handed out with the base row); a changed base re-solves them all."""
    import shutil

    import yaml

    from planner.sweeps import sweep
    from planner.sweeps.run import prepare
    from tests.conftest import OPTIMIZER_DATA

    tiny = tmp_path / "tiny"
    shutil.copytree(OPTIMIZER_DATA / "tiny", tiny)
    (tiny / "options.yaml").write_text("apis: []\nno-baselines: true\n", encoding="utf-8")
    price = "accelerators.tgpu-a.prices.user.on_demand.usd_per_chip_hour"
    spec = {
        "base": "tiny",
        "options": {"time-limit": 20, "work-limit": 5, "mip-gap": 0, "accelerators": ["tgpu-a"]},
        "scenarios": {
            "a-price": {"set": {price: {"values": [1, 3]}}},
            "more": {"scale-demand": {"values": [1.5, 2]}},
            "same": {"scale-demand": 1},
        },
    }
    file = tmp_path / "scenarios.yaml"
    file.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    out = tmp_path / "out"
    result = sweep(file, out, workers=1, charts=False)
    plans = (out / "plans").iterdir()
    starts = {p.name: json.loads(p.read_text(encoding="utf-8"))["solver"]["start"] for p in plans}
    assert starts.pop("base.json") is None
    assert starts.pop("same.json") is None  # the base's twin is the base's plan
    ends = [name for name in starts if name.startswith("a-price")]
    assert len(ends) == 2
    assert all(starts.pop(name) is None for name in ends)
    assert len(starts) == 2
    assert all(s is not None and s["source"] == BASE_START and s["carried"] for s in starts.values())
    assert len(result.solved) == 6
    assert any(r for r in result.rows if r["scenario"] == "same")
    _, jobs, _ = prepare(file)
    _, dearer_jobs, _ = prepare(file, options={"target_utilization": 0.5})
    by_name = {j.name: j.key for j in jobs}
    assert by_name["same"] == by_name["base"]  # the base's twin: solved once, as the base
    assert len(set(by_name.values())) == 5
    assert not set(by_name.values()) & {j.key for j in dearer_jobs}


def test_whatif_changed_case_starts_from_the_base_plan(tmp_path: Path) -> None:
    """The changed case records the base plan as its start; the base has none."""
    from planner.api import whatif

    case = _case(tmp_path)
    result = whatif(
        case.demand,
        {"set": {"accelerators.tgpu-b.prices.tp.on_demand.usd_per_chip_hour": 1.2}},
        catalog_dirs=[case.catalog],
        profiles=case.profiles,
        **case.options(),
    )
    assert result.base.plan.solver.start is None
    info = result.changed.plan.solver.start
    assert info is not None
    assert (info.source, info.carried) == (BASE_START, True)
    assert result.changed.plan.objective_usd >= result.base.plan.objective_usd - 1e-6  # a price rise


def test_sweep_refuses_a_start_of_its_own(tmp_path: Path) -> None:
    from planner.errors import InputError
    from planner.sweeps import sweep

    case = _case(tmp_path)
    file = tmp_path / "s.yaml"
    file.write_text(f"base: {case.folder}\nscenarios: {{}}\n", encoding="utf-8")
    with pytest.raises(InputError, match="start from its base row's plan"):
        sweep(file, tmp_path / "out", start=str(file))
    assert not (tmp_path / "out").exists()


def test_the_table_says_what_became_of_the_start(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    case = _case(tmp_path)
    flags = ["--catalog", case.catalog, "--profiles", case.profiles, "--no-baselines"]
    first = tmp_path / "first.json"
    assert run_cli("solve", case.demand, *flags, "-o", first).returncode == 0
    data = json.loads(first.read_text(encoding="utf-8"))
    data["periods"] = data["periods"][:1]
    short = tmp_path / "short.json"
    short.write_text(json.dumps(data), encoding="utf-8")
    done = run_cli("solve", case.demand, *flags, "--start", short)
    assert done.returncode == 0, done.stderr
    assert f"Started from {short}: not used (its periods are not this run's)" in done.stdout.replace("\n", "")
