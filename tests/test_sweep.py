"""``plan sweep``: scenario files, expansion, the summary, reuse, workers, Ray, and bad input.

The case is tiny and hand-checkable (tests/data/optimizer/tiny): chat at 24 and 16 req/s over two
10-hour periods; one tgpu-a replica ($2/h) sustains 10 req/s, 8 at the default utilisation 0.8,
so the base fleet is 3 + 2 replicas: $100. tgpu-b ($1/h, 4 req/s: 3.2 planned) and the API tapi
($0.0014 a request, $5.04/h per req/s) only enter where a scenario allows or prices them in.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.errors import InputError, Location
from planner.sweeps import read_scenarios, sweep
from planner.sweeps.run import derived_work_limit
from tests.conftest import CLI_BOOT, OPTIMIZER_DATA, REPO_ROOT, SHIPPED_ENV

Run = Callable[..., Any]
HOURS = 10.0
#: The per-point settings of every test sweep: small work, exact gap.
OPTIONS = {"time-limit": 20, "work-limit": 5, "mip-gap": 0}


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    folder = tmp_path / "tiny"
    shutil.copytree(OPTIMIZER_DATA / "tiny", folder)
    (folder / "options.yaml").write_text("apis: []\nno-baselines: true\n", encoding="utf-8")
    return folder


def scenario_file(folder: Path, scenarios: dict[str, Any], **top: Any) -> Path:
    path = folder / "scenarios.yaml"
    data = {"base": "tiny", "options": {**OPTIONS, "accelerators": ["tgpu-a"]}, **top, "scenarios": scenarios}
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def summary(out: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((out / "summary.csv").read_text(encoding="utf-8"))))


A_PRICE = "accelerators.tgpu-a.prices.user.on_demand.usd_per_chip_hour"
SCENARIOS: dict[str, Any] = {
    "growth": {"scale-demand": 2},
    "a-price": {"set": {A_PRICE: {"values": [1, 3]}}},
    "both": {"use": ["growth", "a-price"]},
    "with-b": {"change": {"accelerators": "tgpu-a,tgpu-b"}},
}


# --- scenario files --------------------------------------------------------------------------


def test_axes_expand_to_their_product_named_by_column(tmp_path: Path) -> None:
    (tmp_path / "tiny").mkdir()
    path = scenario_file(
        tmp_path,
        {"grid": {"scale-demand": {"from": 1, "to": 2, "steps": 3}, "set": {A_PRICE: {"values": [1, 4]}}}},
    )
    points = read_scenarios(path).points
    assert points[0].name == "base"
    assert points[0].changes == {}
    names = [p.name for p in points[1:]]
    assert len(names) == 6
    assert names[0] == f"grid[scale-demand=1,set.{A_PRICE}=1]"
    assert names[-1] == f"grid[scale-demand=2,set.{A_PRICE}=4]"
    assert sorted({p.changes["scale-demand"] for p in points[1:]}) == [1.0, 1.5, 2.0]
    assert {p.changes["set"][A_PRICE] for p in points[1:]} == {1.0, 4.0}


def test_use_composes_and_a_change_given_twice_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "tiny").mkdir()
    points = read_scenarios(scenario_file(tmp_path, SCENARIOS)).points
    both = [p for p in points if p.scenario == "both"]
    assert [p.changes for p in both] == [
        {"scale-demand": 2, "set": {A_PRICE: 1.0}},
        {"scale-demand": 2, "set": {A_PRICE: 3.0}},
    ]
    twice = {**SCENARIOS, "again": {"use": ["growth"], "scale-demand": 3}}
    with pytest.raises(InputError, match="'scale-demand' is given twice"):
        read_scenarios(scenario_file(tmp_path, twice))
    same_path = {**SCENARIOS, "again": {"use": ["a-price"], "set": {A_PRICE: 5}}}
    with pytest.raises(InputError, match="is given twice"):
        read_scenarios(scenario_file(tmp_path, same_path))


@pytest.mark.parametrize(
    ("scenarios", "message"),
    [
        ({"loop": {"use": ["loop"]}}, "goes round in a circle"),
        ({"x": {"use": ["growht"]}, "growth": {"scale-demand": 2}}, "did you mean 'growth'"),
        ({"x": {"scale-demnd": 2}}, "did you mean 'scale-demand'"),
        ({"x": {"scale-demand": {"from": 1, "to": 2}}}, "an axis is"),
        ({"x": {"scale-demand": {"from": 1, "to": 2, "steps": 1}}}, "'steps' must be"),
        ({"x": {"scale-demand": {"values": [1, "two"]}}}, "an axis takes numbers"),
        ({"base": {"scale-demand": 2}}, "'base' is the base case's row"),
        ({"Bad_Name": {"scale-demand": 2}}, "a scenario name is an id"),
    ],
)
def test_bad_scenario_files_name_the_problem(tmp_path: Path, scenarios: dict[str, Any], message: str) -> None:
    (tmp_path / "tiny").mkdir()
    path = scenario_file(tmp_path, scenarios)
    with pytest.raises(InputError, match=message) as caught:
        read_scenarios(path)
    assert str(path) in str(caught.value)


def test_derived_work_limit_rule() -> None:
    assert derived_work_limit(60) == 15
    assert derived_work_limit(4) == 1
    assert derived_work_limit(0.5) == 1


# --- running ---------------------------------------------------------------------------------


def test_sweep_summary_is_hand_checkable(tiny: Path) -> None:
    out = tiny.parent / "out"
    result = sweep(scenario_file(tiny.parent, SCENARIOS), out, workers=1)
    rows = {r["scenario"]: r for r in summary(out)}
    assert next(iter(rows)) == "base"
    assert float(rows["base"]["objective_usd"]) == pytest.approx((3 + 2) * 2.0 * HOURS)
    assert float(rows["growth"]["objective_usd"]) == pytest.approx((6 + 4) * 2.0 * HOURS)  # 48, 32 req/s
    assert float(rows[f"a-price[set.{A_PRICE}=3]"]["objective_usd"]) == pytest.approx(5 * 3.0 * HOURS)
    assert float(rows[f"both[set.{A_PRICE}=1]"]["objective_usd"]) == pytest.approx(10 * 1.0 * HOURS)
    assert rows["growth"]["scale-demand"] == "2.0"
    assert rows["base"]["peak_chips_tgpu-a"] == "3"
    assert rows["growth"]["peak_chips_tgpu-a"] == "6"
    # tgpu-b allowed: p1 24 req/s = 3 A ($6/h) beats mixes with B; p2 16 = 2 A: B never pays
    assert float(rows["with-b"]["objective_usd"]) <= float(rows["base"]["objective_usd"])
    assert {r["status"] for r in rows.values()} == {"optimal"}
    assert {r["stopped_by"] for r in rows.values()} == {"proven"}
    assert all(r["error"] == "" for r in rows.values())
    assert result.ok
    header = next(csv.reader(io.StringIO((out / "summary.csv").read_text(encoding="utf-8"))))
    assert header[:3] == ["scenario", "scale-demand", f"set.{A_PRICE}"]
    assert header[-4:] == ["status", "gap", "stopped_by", "error"]
    assert "seconds" not in header
    for name in ("split.png", "fleet.png", "cost-a-price.png", "cost-both.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    plans = sorted(p.name for p in (out / "plans").iterdir())
    assert len(plans) == len(rows)
    base_plan = json.loads((out / "plans" / "base.json").read_text(encoding="utf-8"))
    assert base_plan["objective_usd"] == pytest.approx(100.0)
    assert base_plan["inputs"]["settings"]["work_limit"] == 5


def test_raising_a_used_price_or_demand_never_lowers_cost(tiny: Path) -> None:
    scenarios = {
        "a-price": {"set": {A_PRICE: {"from": 1, "to": 5, "steps": 5}}},
        "grow": {"scale-demand": {"values": [0.5, 1, 1.7, 3]}},
    }
    out = tiny.parent / "out"
    sweep(scenario_file(tiny.parent, scenarios), out, workers=1, charts=False)
    rows = summary(out)[1:]
    for scenario in scenarios:
        costs = [float(r["objective_usd"]) for r in rows if r["scenario"].startswith(scenario + "[")]
        assert len(costs) in (4, 5)
        assert costs == sorted(costs)
        assert costs[0] < costs[-1]


@settings(max_examples=40, deadline=None)
@given(
    low=st.floats(-100, 100, allow_nan=False),
    span=st.floats(0.5, 100),
    steps=st.integers(2, 12),
    values=st.lists(st.integers(-50, 50), min_size=1, max_size=5, unique=True),
)
def test_axes_are_inclusive_linear_and_multiply(
    low: float, span: float, steps: int, values: list[int]
) -> None:
    from planner.sweeps.scenarios import expand

    changes = {
        "scale-demand": {"from": low, "to": low + span, "steps": steps},
        "set": {A_PRICE: {"values": values}},
    }
    points = expand("grid", changes, lambda *keys: Location(key=".".join(map(str, keys))))
    assert len(points) == steps * len(values)
    grid = sorted({p.changes["scale-demand"] for p in points})
    assert len(grid) == steps
    assert grid[0] == pytest.approx(low)
    assert grid[-1] == pytest.approx(low + span)
    gaps = [b - a for a, b in itertools.pairwise(grid)]
    assert max(gaps) == pytest.approx(min(gaps), rel=1e-6, abs=1e-9)
    assert len({p.name for p in points}) == len(points)


def test_resumed_sweep_solves_only_what_is_missing_or_changed(tiny: Path) -> None:
    out = tiny.parent / "out"
    first = sweep(scenario_file(tiny.parent, SCENARIOS), out, workers=1, charts=False)
    assert first.reused == []
    before = summary(out)
    again = sweep(scenario_file(tiny.parent, SCENARIOS), out, workers=1, charts=False)
    assert again.solved == []
    assert summary(out) == before
    changed = {**SCENARIOS, "growth": {"scale-demand": 3}, "new": {"scale-demand": 0.5}}
    third = sweep(scenario_file(tiny.parent, changed), out, workers=1, charts=False)
    assert sorted(third.solved) == [f"both[set.{A_PRICE}=1]", f"both[set.{A_PRICE}=3]", "growth", "new"]
    assert "base" in third.reused
    assert "with-b" in third.reused
    dropped = {p.name for p in (out / "plans").iterdir()}
    assert "new.json" in dropped
    smaller = sweep(scenario_file(tiny.parent, {"new": {"scale-demand": 0.5}}), out, workers=1, charts=False)
    assert smaller.solved == []
    assert sorted(p.name for p in (out / "plans").iterdir()) == ["base.json", "new.json"]
    # a changed option is a changed input: everything runs again
    fourth = sweep(scenario_file(tiny.parent, changed), out, workers=1, charts=False, target_utilization=0.5)
    assert fourth.reused == []
    assert len(fourth.solved) == len(summary(out))


def test_a_failing_scenario_is_reported_in_its_row(tiny: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import planner.sweeps.worker as worker

    real = worker.solve_problem

    def flaky(problem: Any, **kwargs: Any) -> Any:
        if problem.settings.mip_gap == 0.5:
            raise RuntimeError("solver crashed")
        return real(problem, **kwargs)

    monkeypatch.setattr(worker, "solve_problem", flaky)
    scenarios = {"crash": {"change": {"mip-gap": 0.5}}, "growth": {"scale-demand": 2}}
    out = tiny.parent / "out"
    result = sweep(scenario_file(tiny.parent, scenarios), out, workers=1, charts=False)
    rows = {r["scenario"]: r for r in summary(out)}
    assert rows["crash"]["status"] == "failed"
    assert "solver crashed" in rows["crash"]["error"]
    assert rows["crash"]["objective_usd"] == ""
    assert rows["growth"]["status"] == "optimal"
    assert not result.ok
    monkeypatch.setattr(worker, "solve_problem", real)
    rerun = sweep(scenario_file(tiny.parent, scenarios), out, workers=1, charts=False)
    assert rerun.solved == ["crash"]  # a failed point is not finished: the rerun solves it
    assert rerun.ok


def test_points_with_the_same_inputs_solve_once(tiny: Path) -> None:
    scenarios = {"grid": {"scale-demand": {"values": [1, 2]}}, "double": {"scale-demand": 2}}
    out = tiny.parent / "out"
    first = sweep(scenario_file(tiny.parent, scenarios), out, workers=1, charts=False)
    assert set(first.solved) == {"base", "grid[scale-demand=1]", "grid[scale-demand=2]", "double"}
    assert len(first.seconds) == 4
    rows = {r["scenario"]: r for r in summary(out)}
    assert rows["grid[scale-demand=1]"]["objective_usd"] == rows["base"]["objective_usd"]
    assert rows["double"]["objective_usd"] == rows["grid[scale-demand=2]"]["objective_usd"]
    assert (out / "plans" / "double.json").is_file()
    renamed = {"grid": scenarios["grid"], "twice": {"scale-demand": 2}}
    again = sweep(scenario_file(tiny.parent, renamed), out, workers=1, charts=False)
    assert again.solved == []  # 'twice' has the inputs of an earlier point: its plan is reused
    assert (out / "plans" / "twice.json").is_file()


def test_a_serial_sweep_after_a_solve_with_other_threads_in_one_session(tiny: Path) -> None:
    """HiGHS sizes one thread scheduler per process: a sweep (1 thread) after a 2-thread solve."""
    import planner

    assert planner.solve(tiny, accelerators=["tgpu-a"], threads=2).plan.objective_usd == pytest.approx(100.0)
    result = sweep(
        scenario_file(tiny.parent, {"growth": {"scale-demand": 2}}), tiny.parent / "out", workers=1
    )
    assert result.ok, [row["error"] for row in result.rows]
    assert planner.solve(tiny, accelerators=["tgpu-a"], threads=2).plan.objective_usd == pytest.approx(100.0)


def _comparable(out: Path) -> str:
    return (out / "summary.csv").read_text(encoding="utf-8")


def test_serial_and_parallel_summaries_are_identical(tiny: Path) -> None:
    path = scenario_file(tiny.parent, SCENARIOS)
    sweep(path, tiny.parent / "serial", workers=1, charts=False)
    sweep(path, tiny.parent / "parallel", workers=2, charts=False)
    assert _comparable(tiny.parent / "serial") == _comparable(tiny.parent / "parallel")


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip("Ray is not installed (pip install '.[ray]')")
    return ray


def test_ray_summary_is_identical_to_serial(tiny: Path, run_cli: Run) -> None:
    ray = _ray()
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    path = scenario_file(tiny.parent, SCENARIOS)
    sweep(path, tiny.parent / "serial", workers=1, charts=False)
    ray.init(_node_ip_address="127.0.0.1", num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        address = ray.get_runtime_context().gcs_address
        result = run_cli("sweep", path, "-o", tiny.parent / "ray", "--ray-address", address, "--no-charts")
    finally:
        ray.shutdown()
    assert result.returncode == 0, result.stderr
    assert _comparable(tiny.parent / "serial") == _comparable(tiny.parent / "ray")


# --- the command line --------------------------------------------------------------------------


def test_cli_json_is_one_document_and_flags_win_over_the_file(tiny: Path, run_cli: Run) -> None:
    path = scenario_file(tiny.parent, {"growth": {"scale-demand": 2}})
    out = tiny.parent / "out"
    result = run_cli("sweep", path, "-o", out, "--workers", "1", "--format", "json", "--work-limit", "7")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [r["scenario"] for r in data["rows"]] == ["base", "growth"]
    assert data["columns"][0] == "scenario"
    assert data["rows"][1]["objective_usd"] == pytest.approx(200.0)
    plan = json.loads((out / "plans" / "growth.json").read_text(encoding="utf-8"))
    assert plan["inputs"]["settings"]["work_limit"] == 7
    table = run_cli("sweep", path, "-o", out, "--workers", "1", "--work-limit", "7")
    assert table.returncode == 0
    assert "growth" in table.stdout
    assert "0 solved, 2 reused" in table.stderr


def test_cli_unmet_demand_exits_1(tiny: Path, run_cli: Run) -> None:
    path = scenario_file(tiny.parent, {"capped": {"change": {"max-chips": {"tgpu-a": 2}}}})
    result = run_cli("sweep", path, "-o", tiny.parent / "out", "--workers", "1", "--no-charts")
    assert result.returncode == 1, result.stderr
    rows = {r["scenario"]: r for r in summary(tiny.parent / "out")}
    assert float(rows["capped"]["unmet_penalty_usd"]) > 0
    assert float(rows["base"]["unmet_penalty_usd"]) == 0


@pytest.mark.parametrize(
    ("scenarios", "where", "message"),
    [
        (
            {"x": {"set": {"accelerators.tgpu-z.prices.user.on_demand.usd_per_chip_hour": 2}}},
            "scenarios.x",
            "tgpu",
        ),
        ({"x": {"without": ["tgpu-q"]}}, "scenarios.x", "tgpu-q"),
        ({"x": {"scale-demand": -1}}, "scenarios.x", "scale-demand"),
        ({"x": {"use": ["nope"]}}, "scenarios.x.use", "unknown scenario 'nope'"),
    ],
)
def test_cli_bad_scenarios_exit_2_and_write_nothing(
    tiny: Path, run_cli: Run, scenarios: dict[str, Any], where: str, message: str
) -> None:
    path = scenario_file(tiny.parent, {"fine": {"scale-demand": 2}, **scenarios})
    out = tiny.parent / "out"
    result = run_cli("sweep", path, "-o", out)
    assert result.returncode == 2, result.stderr
    assert where in result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert not out.exists()


def test_cli_bad_options_exit_2_and_write_nothing(tiny: Path, run_cli: Run) -> None:
    out = tiny.parent / "out"
    path = scenario_file(tiny.parent, {}, options={"time-limt": 3})
    result = run_cli("sweep", path, "-o", out)
    assert result.returncode == 2
    assert "options.time-limt" in result.stderr
    assert "did you mean 'time-limit'" in result.stderr
    assert not out.exists()


def test_api_bad_options_and_a_stranger_folder_write_nothing(tiny: Path) -> None:
    out = tiny.parent / "out"
    with pytest.raises(InputError, match="not an option of plan sweep"):
        sweep(scenario_file(tiny.parent, {}, options={"output": "plan.json"}), out)
    with pytest.raises(InputError, match="not an option of plan sweep"):
        sweep(scenario_file(tiny.parent, {}), out, save_model="m.lp")
    assert not out.exists()
    (tiny.parent / "stranger").mkdir()
    (tiny.parent / "stranger" / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(InputError, match=r"no sweep\.json"):
        sweep(scenario_file(tiny.parent, {}), tiny.parent / "stranger")
    assert sorted(p.name for p in (tiny.parent / "stranger").iterdir()) == ["notes.txt"]


def test_ctrl_c_keeps_finished_scenarios_and_exits_130(tiny: Path, empty_catalog_dir: Path) -> None:
    scenarios = {"grid": {"scale-demand": {"from": 1, "to": 12, "steps": 12}}}
    path = scenario_file(tiny.parent, scenarios)
    out = tiny.parent / "out"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), SHIPPED_ENV: str(empty_catalog_dir)}
    process = subprocess.Popen(
        [sys.executable, "-c", CLI_BOOT, "sweep", str(path), "-o", str(out), "--workers", "2", "--no-charts"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and process.poll() is None:
        index = out / "sweep.json"
        if index.exists() and len(json.loads(index.read_text(encoding="utf-8"))["points"]) >= 2:
            break
        time.sleep(0.1)
    assert process.poll() is None, "the sweep finished before it could be interrupted"
    process.send_signal(signal.SIGINT)
    _stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    kept = json.loads((out / "sweep.json").read_text(encoding="utf-8"))["points"]
    assert 2 <= len(kept) < 13
    for entry in kept.values():
        assert (out / entry["plan"]).is_file()
    resumed = sweep(path, out, workers=1, charts=False)
    assert set(resumed.reused) >= set(kept)
    assert len(resumed.solved) == 13 - len(resumed.reused)
