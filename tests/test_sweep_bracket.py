"""Price axes of a sweep settled by their neighbours' bounds (``planner.sweeps.bracket``).

The hand-checkable case is tests/test_sweep.py's: with tgpu-a alone the fleet is 3 + 2 replicas
over two 10-hour periods whatever tgpu-a costs, so the optimum is 50 x its price, linear, and
every interior point of a price axis is settled by its neighbours exactly. With tgpu-b allowed
($1/h, 3.2 planned req/s) the optimum bends where tgpu-b takes over, and the points there are solved.
tests/test_sweep_bracket_oracle.py checks random price axes against the unpruned oracle MILP.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from planner.plan import Plan
from planner.sweeps import sweep
from planner.sweeps.bracket import ApiPrice, OfferPrice, assess, bound_between, next_round, price_axes
from planner.sweeps.folder import Finished, plan_file_names, reuse
from planner.sweeps.run import prepare
from planner.sweeps.runner import Outcome
from planner.sweeps.schedule import Schedule
from tests.test_sweep import A_PRICE, HOURS, Run, scenario_file, summary, tiny  # noqa: F401 (fixture)


def _plans(out: Path) -> dict[str, Plan]:
    index = json.loads((out / "sweep.json").read_text(encoding="utf-8"))["points"]
    return {
        name: Plan.model_validate_json((out / entry["plan"]).read_text(encoding="utf-8"))
        for name, entry in index.items()
    }


def _point(price: float) -> str:
    return f"a-price[set.{A_PRICE}={price:g}]"


def test_the_bound_between_two_points_is_the_chord_never_below_the_lower_one() -> None:
    assert bound_between(2.0, (1.0, 10.0), (3.0, 30.0)) == pytest.approx(20.0)
    assert bound_between(2.5, (1.0, 10.0), (3.0, 30.0)) == pytest.approx(25.0)
    assert bound_between(2.0, (1.0, 10.0), (3.0, 8.0)) == 10.0  # non-decreasing: at least L_a
    assert bound_between(1.0, (1.0, 10.0), (3.0, 30.0)) == 10.0
    assert bound_between(3.0, (3.0, 10.0), (3.0, 12.0)) == 12.0
    with pytest.raises(ValueError, match="not between"):
        bound_between(4.0, (1.0, 10.0), (3.0, 30.0))


B_COMMITTED = "accelerators.tgpu-b.prices.tp.committed_1y.usd_per_chip_hour"


def test_only_single_accelerator_price_axes_without_a_budget_are_axes(tiny: Path) -> None:  # noqa: F811
    scenarios = {
        "a-price": {"set": {A_PRICE: {"from": 1, "to": 3, "steps": 5}}},
        "grown-price": {"scale-demand": 2, "set": {A_PRICE: {"values": [1, 2, 3]}}},
        "budget": {"change": {"budget-usd": 1000}, "set": {A_PRICE: {"values": [1, 2, 3]}}},
        "two-axes": {"scale-demand": {"values": [1, 2]}, "set": {A_PRICE: {"values": [1, 2, 3]}}},
        "levels": {"scale-demand": {"values": [1, 2, 3]}},
        "api-price": {"set": {"apis.tapi.usd_per_1m_output_tokens": {"values": [1, 2, 3]}}},
        "b-committed": {
            "set": {
                "accelerators.tgpu-b.prices.tp.committed_1y.usd_per_chip_hour": {"values": [0.5, 0.7, 0.9]}
            }
        },
    }
    _spec, jobs, points = prepare(scenario_file(tiny.parent, scenarios))
    axes = price_axes(
        list(points.values()), jobs[0].problem.catalog, {j.name: j.problem.settings for j in jobs}
    )
    by_name = {axis.scenario: axis for axis in axes}
    assert sorted(by_name) == ["a-price", "api-price", "b-committed", "grown-price"]
    a = by_name["a-price"]
    assert a.priced == OfferPrice("tgpu-a", "user", "on_demand")
    assert by_name["api-price"].priced == ApiPrice("tapi", "output", 1.0)  # its input price rides along
    assert [v for v, _ in a.members] == [1.0, 1.5, 2.0, 2.0, 2.5, 3.0]
    assert "base" in dict((n, v) for v, n in a.members)  # it changes nothing else: the base is on it
    assert "base" not in {n for _, n in by_name["grown-price"].members}
    assert a.ends == (_point(1), _point(3))


def test_a_linear_optimum_is_settled_exactly_by_the_neighbours(tiny: Path) -> None:  # noqa: F811
    scenarios = {"a-price": {"set": {A_PRICE: {"from": 1, "to": 3, "steps": 5}}}}
    out = tiny.parent / "out"
    result = sweep(scenario_file(tiny.parent, scenarios), out, workers=1, charts=False)
    plans = _plans(out)
    for price in (1.0, 1.5, 2.0, 2.5, 3.0):
        assert plans[_point(price)].objective_usd == pytest.approx(5 * price * HOURS)
    for price, neighbours in ((1.5, (_point(1), _point(2))), (2.5, ("base", _point(3)))):
        solver = plans[_point(price)].solver
        assert solver.bracket is not None
        assert solver.bracket.accepted
        assert solver.bracket.points == neighbours
        assert solver.bracket.bound_usd == pytest.approx(5 * price * HOURS)
        assert solver.stopped_by == "proven"
        assert plans[_point(price)].status == "optimal"
        assert solver.start is not None
        assert solver.start.source.startswith("the plan of sweep point ")
    for name in ("base", _point(1), _point(3)):
        assert plans[name].solver.bracket is None
    assert result.ok


def test_bracketed_points_are_verified_like_any_plan(tiny: Path) -> None:  # noqa: F811
    from planner.verify import verify

    scenarios = {"a-price": {"set": {A_PRICE: {"from": 1, "to": 3, "steps": 5}}}}
    path = scenario_file(tiny.parent, scenarios)
    out = tiny.parent / "out"
    sweep(path, out, workers=1, charts=False)
    _spec, jobs, _points = prepare(path)
    problems = {job.name: job.problem for job in jobs}
    plans = _plans(out)
    report = verify(plans[_point(1.5)], problems[_point(1.5)])
    assert report.ok, report
    tampered = plans[_point(1.5)].model_copy(update={"objective_usd": 1.0})
    assert not verify(tampered, problems[_point(1.5)]).ok


KINKED = {"a-price": {"set": {A_PRICE: {"from": 1, "to": 4, "steps": 9}}}}


def _kinked(folder: Path) -> Path:
    path = scenario_file(folder, KINKED)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["options"]["accelerators"] = ["tgpu-a", "tgpu-b"]
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_where_the_optimum_bends_points_are_solved_and_match_solving_all(tiny: Path) -> None:  # noqa: F811
    path = _kinked(tiny.parent)
    sweep(path, tiny.parent / "bracketed", workers=1, charts=False)
    sweep(path, tiny.parent / "all", workers=1, charts=False, bracket=False)
    bracketed, solved = _plans(tiny.parent / "bracketed"), _plans(tiny.parent / "all")
    assert all(p.solver.bracket is None for p in solved.values())
    settled = [n for n, p in bracketed.items() if p.solver.bracket is not None and p.solver.bracket.accepted]
    searched = [
        n
        for n, p in bracketed.items()
        if n != "base" and (p.solver.bracket is None or not p.solver.bracket.accepted)
    ]
    assert settled
    assert len(searched) > 2
    costs = [bracketed[_point(1 + 0.375 * k)].objective_usd for k in range(9)]
    assert costs == sorted(costs)  # never lower at a higher price
    for name, plan in bracketed.items():  # --mip-gap 0: every point is the optimum
        assert plan.status == "optimal"
        assert plan.objective_usd == pytest.approx(solved[name].objective_usd, abs=1e-6)
        assert plan.solver.bound_usd <= solved[name].objective_usd + 1e-6


API_PRICE = "apis.tapi.usd_per_1m_output_tokens"


def test_an_api_price_axis_is_settled_where_the_api_or_the_fleet_keeps_everything(tiny: Path) -> None:  # noqa: F811
    """tapi ($1/1M in, the swept price per 1M out) against tgpu-a for the last fraction of a replica.

    At 1.01 x demand, 24.24 and 16.16 req/s leave 0.24 and 0.16 req/s over 3 and 2 replicas (8 req/s
    planned each): the API serves them for 36,000 s x (1000 + 200 p) / 1e6 per req/s, below a
    fourth replica's $20 in p1 until p = 6.6.
    """
    axis = {"from": 0.5, "to": 8.5, "steps": 9}
    path = scenario_file(tiny.parent, {"api": {"scale-demand": 1.01, "set": {API_PRICE: axis}}})
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["options"]["apis"] = ["tapi"]
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    sweep(path, tiny.parent / "bracketed", workers=1, charts=False)
    sweep(path, tiny.parent / "all", workers=1, charts=False, bracket=False)
    bracketed, solved = _plans(tiny.parent / "bracketed"), _plans(tiny.parent / "all")
    settled = [n for n, p in bracketed.items() if p.solver.bracket is not None and p.solver.bracket.accepted]
    assert settled
    shares = {round(sum(q.usd for q in p.periods), 2) for p in solved.values()}
    assert len(shares) > 3  # the API's share moves along the axis
    for name, plan in bracketed.items():
        assert plan.status == "optimal"
        assert plan.objective_usd == pytest.approx(solved[name].objective_usd, abs=1e-6)


def test_serial_and_parallel_bracket_the_same_points(tiny: Path) -> None:  # noqa: F811
    path = _kinked(tiny.parent)
    sweep(path, tiny.parent / "serial", workers=1, charts=False)
    sweep(path, tiny.parent / "parallel", workers=2, charts=False)
    serial, parallel = _plans(tiny.parent / "serial"), _plans(tiny.parent / "parallel")
    assert (tiny.parent / "serial" / "summary.csv").read_text() == (
        tiny.parent / "parallel" / "summary.csv"
    ).read_text()
    assert {n: p.solver.bracket for n, p in serial.items()} == {
        n: p.solver.bracket for n, p in parallel.items()
    }


def test_a_resumed_sweep_takes_bracketed_points_and_solves_only_the_lost_one(tiny: Path) -> None:  # noqa: F811
    path = _kinked(tiny.parent)
    out = tiny.parent / "out"
    sweep(path, out, workers=1, charts=False)
    before = (out / "summary.csv").read_text(encoding="utf-8")
    again = sweep(path, out, workers=1, charts=False)
    assert again.solved == []
    plans = _plans(out)
    lost = next(n for n, p in plans.items() if p.solver.bracket is not None)
    index = json.loads((out / "sweep.json").read_text(encoding="utf-8"))
    del index["points"][lost]
    (out / "sweep.json").write_text(json.dumps(index), encoding="utf-8")
    resumed = sweep(path, out, workers=1, charts=False)
    assert resumed.solved == [lost]
    assert (out / "summary.csv").read_text(encoding="utf-8") == before


def test_a_bracket_gap_settles_more_points_with_bounds_still_below_the_optimum(tiny: Path) -> None:  # noqa: F811
    path = _kinked(tiny.parent)
    sweep(path, tiny.parent / "exact", workers=1, charts=False, bracket=False)
    sweep(path, tiny.parent / "loose", workers=1, charts=False, bracket_gap=0.5)
    exact, loose = _plans(tiny.parent / "exact"), _plans(tiny.parent / "loose")
    settled = [p for p in loose.values() if p.solver.bracket is not None and p.solver.bracket.accepted]
    assert settled
    for name, plan in loose.items():
        assert plan.solver.bound_usd <= exact[name].objective_usd + 1e-6  # still a proven bound
        assert plan.objective_usd >= exact[name].objective_usd - 1e-6
        if plan.solver.bracket is not None:
            assert plan.solver.bracket.accept_gap >= 0.5
            assert plan.solver.gap <= plan.solver.bracket.accept_gap + 1e-9


def test_cli_bracket_gap_out_of_range_exits_2(tiny: Path, run_cli: Run) -> None:  # noqa: F811
    path = scenario_file(tiny.parent, {"a-price": {"set": {A_PRICE: {"values": [1, 2, 3]}}}})
    done = run_cli("sweep", str(path), "-o", str(tiny.parent / "out"), "--bracket-gap", "1.5")
    assert done.returncode == 2
    assert "--bracket-gap" in done.stderr
    assert not (tiny.parent / "out").exists()


def _linear_axis(tiny: Path) -> tuple[Path, dict[str, Plan]]:  # noqa: F811
    """The linear case's scenario file, and every point's plan solved without brackets."""
    path = scenario_file(tiny.parent, {"a-price": {"set": {A_PRICE: {"from": 1, "to": 3, "steps": 5}}}})
    out = tiny.parent / "all"
    sweep(path, out, workers=1, charts=False, bracket=False)
    return path, _plans(out)


def test_a_run_is_taken_once_both_its_neighbours_finish_whatever_else_runs(tiny: Path) -> None:  # noqa: F811
    path, plans = _linear_axis(tiny)
    _, jobs, points = prepare(path)
    settings = {j.name: j.problem.settings for j in jobs}
    (axis,) = price_axes(list(points.values()), jobs[0].problem.catalog, settings)
    open_points = {_point(1.5), _point(2.5)}
    running = {_point(3)}
    done = set(plans) - open_points - running
    first = next_round([axis], open_points, plans, done)
    assert [a.name for a in first] == [_point(1.5)]  # the run next to the running point waits
    both = next_round([axis], open_points, plans, done | running)
    assert [a.name for a in both] == [_point(1.5), _point(2.5)]
    assert next_round([axis], open_points - {_point(1.5)}, plans, done) == []


def test_the_schedule_hands_out_each_job_when_its_inputs_have_finished(tiny: Path) -> None:  # noqa: F811
    path, plans = _linear_axis(tiny)
    spec, jobs, points = prepare(path)
    folder = tiny.parent / "scheduled"
    (folder / "plans").mkdir(parents=True)
    files = plan_file_names([j.name for j in jobs])
    run = Finished(folder, spec, files, {j.name: j.key for j in jobs}, lambda *_: None, len(jobs))
    todo, twins = reuse(folder, jobs, run, {})
    settings = {j.name: j.problem.settings for j in jobs}
    axes = price_axes(list(points.values()), jobs[0].problem.catalog, settings)
    schedule = Schedule(folder, {}, "base", todo, twins, axes)

    def finish(name: str) -> list[str]:
        run.finished(Outcome(name, plans[name].model_dump(mode="json"), None, 1.0), twins[run.keys[name]])
        return [job.name for job in schedule.pull(run)]

    first = schedule.pull(run)
    assert {j.name for j in first} == {"base", _point(1), _point(3)}  # _point(2) is the base's twin
    assert all(j.start is None and j.bracket is None for j in first)  # the ends wait for nothing
    assert finish(_point(3)) == []  # the run 2..3 needs the base row too
    assert finish("base") == [_point(2.5)]
    assert finish(_point(1)) == [_point(1.5)]
    assert finish(_point(2.5)) == []
    assert finish(_point(1.5)) == []
    assert not schedule.held


def test_the_base_row_on_the_axis_is_a_candidate_start_between_other_neighbours(tiny: Path) -> None:  # noqa: F811
    """Between $1 and $2 the base row (at $2 too, after the point there) is not a neighbour, but
    its plan is a plan of the same problem: made cheaper, it is the start the point gets."""
    path, plans = _linear_axis(tiny)
    _, jobs, points = prepare(path)
    settings = {j.name: j.problem.settings for j in jobs}
    (axis,) = price_axes(list(points.values()), jobs[0].problem.catalog, settings)
    assignment, _ = assess(axis, _point(1.5), _point(1), _point(2), plans)
    assert "base" not in assignment.start_from  # as cheap as the point at $2, not cheaper
    base = plans["base"]
    halved = [q.model_copy(update={"usd": q.usd / 2}) for q in base.periods]
    cheaper = {
        **plans,
        "base": base.model_copy(update={"periods": halved, "objective_usd": base.objective_usd / 2}),
    }
    assignment, _ = assess(axis, _point(1.5), _point(1), _point(2), cheaper)
    assert "base" in assignment.start_from
    assert assignment.start is not None
    assert [q.usd for q in assignment.start.periods] == [q.usd for q in halved]
