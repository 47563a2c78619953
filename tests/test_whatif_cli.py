"""``plan whatif``, ``diff``, ``report A B`` and ``solve --sensitivity`` in a real subprocess."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import OPTIMIZER_DATA

Run = Callable[..., Any]
PRICE = "accelerators.tgpu-a.prices.user.on_demand.usd_per_chip_hour"


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """The tiny case, with both accelerators allowed (options.yaml otherwise pins tgpu-a)."""
    folder = tmp_path / "tiny"
    shutil.copytree(OPTIMIZER_DATA / "tiny", folder)
    (folder / "options.yaml").write_text(
        "accelerators: [tgpu-a, tgpu-b]\napis: []\nno-baselines: true\nmip-gap: 0\n", encoding="utf-8"
    )
    return folder


def _without_run_times(plan: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in plan.items() if k != "timings"}
    out["solver"] = {k: v for k, v in plan["solver"].items() if k != "seconds"}
    return out


def test_whatif_json_is_both_plans_as_solve_prints_them(run_cli: Run, tiny: Path) -> None:
    result = run_cli("whatif", tiny, "--set", f"{PRICE}=3", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"base", "changed", "difference", "changes"}
    assert data["changes"] == {"set": {PRICE: 3.0}}
    solved = run_cli("solve", tiny, "--format", "json")
    assert solved.returncode == 0, solved.stderr
    assert _without_run_times(data["base"]) == _without_run_times(json.loads(solved.stdout))
    changed = run_cli("solve", tiny, "--format", "json", "--catalog", _overlay(tiny, 3.0))
    assert (
        _without_run_times(data["changed"])["periods"]
        == _without_run_times(json.loads(changed.stdout))["periods"]
    )
    difference = data["difference"]
    keys = {"objective_usd", "cost_usd", "split", "chips", "deployments", "workloads", "fleet_changes"}
    assert set(difference) == keys
    assert difference["fleet_changes"] == []  # no --fleet
    assert difference["objective_usd"] == pytest.approx(
        data["changed"]["objective_usd"] - data["base"]["objective_usd"]
    )
    for part, value in difference["cost_usd"].items():
        assert value == pytest.approx(data["changed"]["cost_usd"][part] - data["base"]["cost_usd"][part])
    # at $3 tgpu-a (10 req/s a replica) loses to tgpu-b ($1, 4 req/s): the fleet moves
    changes = {d["id"]: d["change"] for d in difference["deployments"]}
    assert changes == {"tmodel:tgpu-a:tp1:pp1:bf16": "removed", "tmodel:tgpu-b:tp1:pp1:bf16": "added"}
    chips = {(c["accelerator"], c["tier"]): c for c in difference["chips"]}
    assert chips[("tgpu-a", "on_demand")]["periods"] == {"p1": -3, "p2": -2}


def _overlay(tiny: Path, price: float) -> Path:
    folder = tiny.parent / "overlay"
    folder.mkdir(exist_ok=True)
    text = f"- {{id: tgpu-a, chips_per_node: 8, on_demand_usd_per_chip_hour: {price}}}\n"
    (folder / "accelerators.yaml").write_text(text, encoding="utf-8")
    return folder


def test_whatif_table_and_output_file(run_cli: Run, tiny: Path) -> None:
    out = tiny / "whatif.json"
    result = run_cli("whatif", tiny, "--scale-demand", "2", "-o", out)
    assert result.returncode == 0, result.stderr
    for title in (
        "Total cost and its parts",
        "Self-hosted / API split",
        "Chips per accelerator",
        "Workloads",
    ):
        assert title in result.stdout
    assert "What if scale-demand=2?" in result.stdout
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["difference"]["split"]["requests"] == pytest.approx(
        data["base"]["periods"][0]["hours"] * 3600 * 40
    )


def test_whatif_exits_1_when_the_changed_case_leaves_demand_unmet(run_cli: Run, tiny: Path) -> None:
    result = run_cli("whatif", tiny, "--without", "tgpu-a", "--without", "tgpu-b", "--format", "json")
    assert result.returncode == 1, result.stderr
    data = json.loads(result.stdout)
    assert data["base"]["cost_usd"]["unmet_penalty"] == 0
    assert data["changed"]["cost_usd"]["unmet_penalty"] > 0


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["--set", "accelerators.tgpu-c.memory_gib=80"], "unknown accelerator 'tgpu-c'"),
        (["--set", "models.tmodel.qualty=1"], "did you mean 'quality'"),
        (["--without", "tgpu-z"], "unknown id 'tgpu-z'"),
        (["--price-trend", "apis=-0.9/yr"], "period 'p1' is not a date"),
        (["--demand", "missing.csv"], "missing.csv"),
        (["-o", "out.yaml"], "give a .json file"),
    ],
)
def test_a_bad_change_is_one_message_exit_2_and_nothing_written(
    run_cli: Run, tiny: Path, args: list[str], text: str
) -> None:
    out = tiny / "whatif.json"
    extra = [] if "-o" in args else ["-o", out]
    result = run_cli("whatif", tiny, *args, *extra, cwd=tiny)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert text in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: ")
    assert not out.exists()
    assert sorted(p.name for p in tiny.iterdir()) == ["catalog", "demand.csv", "options.yaml", "profiles.csv"]


def test_a_bare_id_of_two_kinds_is_exit_2_naming_them(run_cli: Run, tiny: Path) -> None:
    overlay = tiny.parent / "extra"
    overlay.mkdir()
    (overlay / "apis.yaml").write_text(
        "- {id: tgpu-a, model: tmodel, usd_per_1m_input_tokens: 1, usd_per_1m_output_tokens: 2}\n",
        encoding="utf-8",
    )
    result = run_cli("whatif", tiny, "--catalog", overlay, "--without", "tgpu-a")
    assert result.returncode == 2
    assert "several kinds (accelerator, api)" in result.stderr
    assert "'accelerator:tgpu-a' or 'api:tgpu-a'" in result.stderr


@pytest.fixture
def two_plans(run_cli: Run, tiny: Path) -> tuple[Path, Path]:
    a, b = tiny.parent / "a.json", tiny.parent / "b.json"
    assert run_cli("solve", tiny, "-o", a).returncode == 0
    assert run_cli("solve", tiny, "--accelerators", "tgpu-b", "-o", b).returncode == 0
    return a, b


def test_diff_compares_two_written_plans(run_cli: Run, two_plans: tuple[Path, Path]) -> None:
    a, b = two_plans
    result = run_cli("diff", a, b, "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"base", "changed", "difference"}
    plans = [json.loads(p.read_text(encoding="utf-8")) for p in (a, b)]
    assert data["difference"]["objective_usd"] == pytest.approx(
        plans[1]["objective_usd"] - plans[0]["objective_usd"]
    )
    table = run_cli("diff", a, b)
    assert table.returncode == 0
    assert f"A: {a}" in table.stdout
    assert f"B: {b}" in table.stdout
    same = run_cli("diff", a, a, "--format", "json")
    assert same.returncode == 0
    assert json.loads(same.stdout)["difference"]["deployments"] == []


def test_diff_of_an_unreadable_plan_is_exit_2(
    run_cli: Run, two_plans: tuple[Path, Path], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    result = run_cli("diff", two_plans[0], bad)
    assert result.returncode == 2
    assert "bad.json" in result.stderr
    assert "Traceback" not in result.stderr


def test_report_of_two_plans_side_by_side(run_cli: Run, two_plans: tuple[Path, Path], tmp_path: Path) -> None:
    a, b = two_plans
    page = tmp_path / "two.html"
    result = run_cli("report", a, b, "-o", page)
    assert result.returncode == 0, result.stderr
    html = page.read_text(encoding="utf-8")
    assert "<script" not in html
    for table in ("totals", "split", "chips", "deployments", "workloads"):
        assert f'id="table-{table}"' in html
    charts = re.findall(r'data-chart="([a-z-]+)"', html)
    assert charts[:2] == ["a-cost", "b-cost"]
    assert len(charts) == 12
    plans = [json.loads(p.read_text(encoding="utf-8")) for p in (a, b)]
    delta = plans[1]["objective_usd"] - plans[0]["objective_usd"]
    assert f"+${delta:,.2f}" in html
    assert 'tmodel:tgpu-a:tp1:pp1:bf16</td><td class="l">removed' in html
    again = tmp_path / "again.html"
    assert run_cli("report", a, b, "-o", again).returncode == 0
    assert again.read_bytes() == page.read_bytes()
    one = tmp_path / "one.html"
    assert run_cli("report", a, "-o", one).returncode == 0
    assert 'id="table-totals"' not in one.read_text(encoding="utf-8")


def test_solve_with_sensitivity_prints_and_writes_the_ranges(run_cli: Run, tiny: Path) -> None:
    plan_file = tiny.parent / "p.json"
    result = run_cli("solve", tiny, "--sensitivity", "--work-limit", "200", "-o", plan_file)
    assert result.returncode == 0, result.stderr
    section = json.loads(plan_file.read_text(encoding="utf-8"))["sensitivity"]
    assert section["work_limit"] == 200
    assert {r["path"] for r in section["ranges"]} >= {PRICE}
    for r in section["ranges"]:
        assert r["low_factor"] <= 1 <= r["high_factor"]
    assert "Price ranges over which the fleet stays the same" in result.stdout
    assert "tgpu-a/" in result.stdout
    assert f"{section['resolves']} re-solves" in result.stdout
