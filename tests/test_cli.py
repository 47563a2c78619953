"""The ``plan`` command line, in a real subprocess: exit codes, stdout/stderr discipline, files.

The case folder ``tests/data/optimizer/tiny`` holds demand.csv, profiles.csv, options.yaml and a
catalog/ of test-only ids; each test copies it to tmp_path. ``run_cli`` (conftest.py) starts a fresh
interpreter with the shipped catalog replaced by an empty folder.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import OPTIMIZER_DATA

Run = Callable[..., Any]
HOURS = 10.0


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    folder = tmp_path / "tiny"
    shutil.copytree(OPTIMIZER_DATA / "tiny", folder)
    return folder


def test_help(run_cli: Run) -> None:
    result = run_cli("--help")
    assert result.returncode == 0, result.stderr
    for command in ("solve", "catalog", "estimate", "verify"):
        assert command in result.stdout


def test_solve_json_is_one_document_and_verifies(run_cli: Run, tiny: Path) -> None:
    plan_file = tiny / "plan.json"
    result = run_cli("solve", tiny, "--format", "json", "-o", plan_file)
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)  # one JSON document, nothing else on stdout
    assert "Traceback" not in result.stderr
    # options.yaml: only tgpu-a, no API, default utilisation 0.8 -> 24 req/s: 3 replicas, 16: 2 replicas
    assert plan["status"] == "optimal"
    assert plan["objective_usd"] == pytest.approx((3 + 2) * 2.0 * HOURS)
    assert plan["inputs"]["settings"]["accelerators"] == ["tgpu-a"]
    assert plan["inputs"]["settings"]["apis"] == []
    assert [[(d["accelerator"], d["replicas"]) for d in p["deployments"]] for p in plan["periods"]] == [
        [("tgpu-a", 3)],
        [("tgpu-a", 2)],
    ]
    written = json.loads(plan_file.read_text(encoding="utf-8"))
    assert written["objective_usd"] == plan["objective_usd"]
    assert written["periods"] == plan["periods"]

    verified = run_cli("verify", plan_file, tiny)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "plan verified" in verified.stdout

    as_json = run_cli("verify", plan_file, tiny, "--format", "json")
    assert as_json.returncode == 0
    assert json.loads(as_json.stdout) == {"ok": True, "problems": [], "warnings": []}


def test_flags_win_over_options_yaml(run_cli: Run, tiny: Path) -> None:
    """--accelerators tgpu-a,tgpu-b overrides options.yaml's [tgpu-a]; tgpu-a stays the cheaper fleet.

    At 0.8: A serves 8 req/s for $2/h, B 3.2 req/s for $1/h. p1 (24): 3 A = $6/h beats 2 A + 3 B
    and 1 A + 5 B ($7/h); p2 (16): 2 A = $4/h beats 5 B or 1 A + 3 B ($5/h).
    """
    result = run_cli("solve", tiny, "--accelerators", "tgpu-a,tgpu-b", "--format", "json")
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert plan["inputs"]["settings"]["accelerators"] == ["tgpu-a", "tgpu-b"]
    # committed tgpu-b at $0.6 x 8760 h is far dearer than 20 h on demand
    assert plan["commitments"] == []
    assert plan["objective_usd"] == pytest.approx(60.0 + 40.0)


def test_tampered_plan_fails_verification(run_cli: Run, tiny: Path) -> None:
    plan_file = tiny / "plan.json"
    assert run_cli("solve", tiny, "-o", plan_file).returncode == 0
    data = json.loads(plan_file.read_text(encoding="utf-8"))
    data["periods"][0]["deployments"][0]["replicas"] = 1
    plan_file.write_text(json.dumps(data), encoding="utf-8")
    result = run_cli("verify", plan_file, tiny)
    assert result.returncode == 1
    assert "FAIL" in result.stdout


def test_table_output(run_cli: Run, tiny: Path) -> None:
    result = run_cli("solve", tiny)
    assert result.returncode == 0, result.stderr
    assert "tgpu-a" in result.stdout


def test_unmet_demand_exits_1_with_a_plan(run_cli: Run, tiny: Path) -> None:
    result = run_cli("solve", tiny, "--max-chips", "tgpu-a=2", "--format", "json")
    assert result.returncode == 1, result.stderr
    plan = json.loads(result.stdout)
    unmet = plan["diagnostics"]["unmet"]
    assert [u["period"] for u in unmet] == ["p1"]  # 24 req/s > 2 x 8; p2's 16 req/s fits exactly
    assert unmet[0]["requests_per_s"] == pytest.approx(8.0)
    assert "--max-chips" in unmet[0]["reason"]


def test_unknown_accelerator_exits_2_with_a_suggestion(run_cli: Run, tiny: Path) -> None:
    result = run_cli("solve", tiny, "--accelerators", "tgpu-c")
    assert result.returncode == 2
    assert "did you mean" in result.stderr
    assert "tgpu-c" in result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr


def test_missing_demand_file_exits_2(run_cli: Run, tmp_path: Path) -> None:
    result = run_cli("solve", tmp_path / "nope.csv")
    assert result.returncode == 2
    assert "nope.csv" in result.stderr
    assert "Traceback" not in result.stderr


def test_malformed_demand_row_exits_2_naming_row_and_column(run_cli: Run, tiny: Path) -> None:
    lines = (tiny / "demand.csv").read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace(",16,", ",lots,")
    (tiny / "demand.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_cli("solve", tiny, "--format", "json")
    assert result.returncode == 2
    assert "row 3" in result.stderr
    assert "requests_per_s" in result.stderr
    assert "lots" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_bad_option_value_exits_2(run_cli: Run, tiny: Path) -> None:
    result = run_cli("solve", tiny, "--max-chips", "tgpu-a=many")
    assert result.returncode == 2
    assert "--max-chips" in result.stderr


def test_catalog_accelerators_json(run_cli: Run, tiny: Path) -> None:
    result = run_cli("catalog", "accelerators", "--format", "json", "--catalog", tiny / "catalog")
    assert result.returncode == 0, result.stderr
    entries = json.loads(result.stdout)
    assert isinstance(entries, list)
    by_id = {e["id"]: e for e in entries}
    assert {"tgpu-a", "tgpu-b"} <= set(by_id)
    a = by_id["tgpu-a"]
    assert a["chips_per_node"] == 8
    assert a["prices"] == [
        {
            "source": "user",
            "as_of": None,
            "notes": None,
            "provider": "user",
            "tier": "on_demand",
            "usd_per_chip_hour": 2.0,
            "instance": None,
            "sold_by_node": False,
            "chips_per_instance": None,
        }
    ]
    assert {(p["tier"], p["usd_per_chip_hour"]) for p in by_id["tgpu-b"]["prices"]} == {
        ("on_demand", 1.0),
        ("committed_1y", 0.6),
    }


def test_save_model_flag_writes_an_lp_file(run_cli: Run, tiny: Path) -> None:
    model = tiny / "m.lp"
    result = run_cli("solve", tiny, "--save-model", model, "--format", "json")
    assert result.returncode == 0, result.stderr
    json.loads(result.stdout)
    text = model.read_text()
    assert "cover_p0_w0" in text
    assert "replicas_p0_o0" in text


def test_verify_uses_the_settings_the_plan_was_made_with(run_cli: Run, tiny: Path) -> None:
    """At target-utilization 1.0, 20 req/s needs 2 replicas; at the default 0.8 it would need 3."""
    (tiny / "options.yaml").write_text(
        "accelerators: [tgpu-a]\napis: []\nno-baselines: true\ntarget-utilization: 1.0\n", encoding="utf-8"
    )
    lines = (tiny / "demand.csv").read_text(encoding="utf-8").splitlines()
    (tiny / "demand.csv").write_text(
        "\n".join([lines[0], lines[1].replace(",24,", ",20,")]) + "\n", encoding="utf-8"
    )
    plan_file = tiny / "plan.json"
    assert run_cli("solve", tiny, "-o", plan_file).returncode == 0
    result = run_cli("verify", plan_file, tiny)
    assert result.returncode == 0, result.stdout + result.stderr
