"""The benchmark code must not rot: generate size S, solve it like ``plan solve DIR``, verify the plan.

No timing is asserted here; ``python -m benchmarks.run`` measures. Unlike the other tests, these run
on the shipped catalogs: the benchmarks are defined as instances drawn from them.
"""

from __future__ import annotations

import csv
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.generate import SIZES, period_labels, write_instance
from planner.api import solve
from planner.catalog.load import load_catalog
from planner.demand import load_demand
from planner.verify import verify_plan

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def isolated_shipped_catalog() -> None:
    """Overrides the conftest fixture of the same name: keep the shipped catalogs here."""


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_instance("S", 1, tmp_path_factory.mktemp("bench") / "S")


def test_generator_is_seeded_and_sized(instance: Path, tmp_path: Path) -> None:
    again = write_instance("S", 1, tmp_path / "again")
    assert (again / "demand.csv").read_bytes() == (instance / "demand.csv").read_bytes()
    other = write_instance("S", 2, tmp_path / "other")
    assert (other / "demand.csv").read_bytes() != (instance / "demand.csv").read_bytes()
    rows = list(csv.DictReader((instance / "demand.csv").read_text(encoding="utf-8").splitlines()))
    size = SIZES["S"]
    assert len(rows) == size.workloads * size.periods
    assert (
        [r["period"] for r in rows[:: size.workloads]]
        == period_labels(size)
        == [f"2027-{m:02d}" for m in range(1, 13)]
    )
    assert {r["hours"] for r in rows} == {"730"}
    assert period_labels(SIZES["M"])[0] == "2027-W01"
    assert len(period_labels(SIZES["M"])) == 52
    meta = json.loads((instance / "instance.json").read_text(encoding="utf-8"))
    assert (meta["size"], meta["seed"], meta["rows"]) == ("S", 1, len(rows))
    assert "no-baselines: true" in (instance / "options.yaml").read_text(encoding="utf-8")


def test_generated_rows_are_valid_against_the_catalog(tmp_path: Path) -> None:
    """A larger instance exercises every kind of row; the loader accepts all of it."""
    folder = write_instance("M", 3, tmp_path / "M")
    catalog = load_catalog()
    demand = load_demand(folder / "demand.csv", catalog)  # raises on unknown models, unreachable floors
    frame = demand.frame
    qualities = {m.quality for m in catalog.models.values() if m.quality is not None}
    pinned = frame["model"].dropna()
    assert len(pinned)
    assert set(pinned) <= set(catalog.models)
    floors = frame["min_quality"].dropna()
    assert len(floors)
    assert set(floors) <= qualities
    assert frame["api_only"].any()
    assert frame["self_host_only"].any()
    assert not (frame["api_only"] & frame["self_host_only"]).any()
    rates = frame["requests_per_s"]
    assert rates.min() >= 0
    assert rates[rates > 0].min() > 0.01
    assert rates.max() < 5000
    assert frame["input_tokens"].max() >= 20000
    assert frame["input_tokens"].min() <= 1000
    assert set(frame["hours"]) == {168.0}
    assert all(not math.isnan(x) for x in frame["ttft_ms"])


def test_s_solves_and_verifies(instance: Path) -> None:
    solved = solve(instance)
    problem_settings = solved.plan.inputs.settings
    assert problem_settings["baselines"] is False  # options.yaml was read
    from planner.pipeline import load_problem

    problem = load_problem(instance / "demand.csv")
    assert verify_plan(solved.plan, problem) == []
    assert solved.plan.unmet_requests <= 1e-6


def test_runner_end_to_end(tmp_path: Path) -> None:
    """``python -m benchmarks.run --sizes S`` in a subprocess: stage timings, direct LP, a document."""
    results, doc = tmp_path / "results.json", tmp_path / "benchmarks.md"
    doc.write_text("# old\n\n## Ideas tried\n\n- kept by the runner\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "FLEETPLAN_TEST_SHIPPED_CATALOG_DIR"}
    env["PYTHONPATH"] = str(ROOT)
    cmd = [
        sys.executable,
        "-m",
        "benchmarks.run",
        "--sizes",
        "S",
        "--profile",
        "",
        "--cli-runs",
        "0",
        "--skip-startup",
        "--workdir",
        str(tmp_path / "work"),
        "--results",
        str(results),
        "--doc",
        str(doc),
    ]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rec = json.loads(results.read_text(encoding="utf-8"))["sizes"]["S"]
    assert "error" not in rec, rec.get("error")
    assert rec["verify_ok"]
    for key in (
        "load_s",
        "options_s",
        "build_s",
        "lp_s",
        "rounding_s",
        "milp_s",
        "extract_s",
        "write_s",
        "total_s",
    ):
        assert rec[key] >= 0
    assert rec["probe"]["lp_highs_s"] > 0
    assert rec["probe"]["lp_handoff_s"] > 0
    assert rec["n_variables"] > 0
    assert rec["n_constraints"] > 0
    assert rec["peak_rss_gib"] > 0
    assert rec["direct"]["status"] == "Optimal"
    assert rec["direct"]["objective"] == pytest.approx(rec["lp_bound_usd"], rel=1e-6)
    text = doc.read_text(encoding="utf-8")
    assert "## Size S" in text
    assert "- kept by the runner" in text
    assert "## Targets" in text
