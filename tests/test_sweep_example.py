"""examples/procurement: its scenario files read and apply in full, and cut-down sweeps of them run.

The whole sweep (15 points over 24 monthly periods) takes about a minute here; the README shows
its output. These tests apply every point's changes (all of them, so a catalog change that
breaks the example fails here) and solve three points of scenarios.yaml and two of
quantiles.yaml (P50 and P90 of one forecast, in one sweep) with a work limit of 1.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
import yaml

from planner.catalog import load as catalog_load
from planner.sweeps import sweep
from planner.sweeps.run import prepare

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "procurement"


@pytest.fixture(autouse=True)
def real_catalogs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(catalog_load, "shipped_catalog_dir", lambda: ROOT / "catalogs")


def test_every_point_of_the_example_applies() -> None:
    spec, jobs, points = prepare(EXAMPLE / "scenarios.yaml")
    assert jobs[0].name == "base"
    assert len(jobs) == len(spec.points) == 15
    assert {p.scenario for p in points.values()} >= {
        "volume",
        "demand-grows",
        "api-prices-fall",
        "reasoning-shift",
        "before-gpt-oss",
        "h100-price-cut",
        "h100-commitment",
    }
    assert len(jobs[0].problem.demand.periods) == 24
    keys = {job.name: job.key for job in jobs}
    assert keys["volume[scale-demand=1]"] == keys["base"]  # the same problem: solved once
    assert len(set(keys.values())) == len(jobs) - 1
    assert all(job.problem.settings.work_limit == 3 for job in jobs)


def test_a_cut_down_example_sweep_shows_self_hosting_paying_with_volume(tmp_path: Path) -> None:
    data = yaml.safe_load((EXAMPLE / "scenarios.yaml").read_text(encoding="utf-8"))
    data["base"] = str(EXAMPLE / "fleet")
    data["scenarios"] = {"volume": {"scale-demand": {"values": [0.25, 16]}}}
    path = tmp_path / "scenarios.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    result = sweep(path, tmp_path / "out", workers=1, charts=False, work_limit=1)
    assert result.ok
    text = (tmp_path / "out" / "summary.csv").read_text(encoding="utf-8")
    rows = {r["scenario"]: r for r in csv.DictReader(io.StringIO(text))}
    low, high = rows["volume[scale-demand=0.25]"], rows["volume[scale-demand=16]"]
    assert float(low["api_request_share"]) > float(rows["base"]["api_request_share"])
    assert float(high["api_request_share"]) < float(rows["base"]["api_request_share"])
    assert float(low["objective_usd"]) < float(rows["base"]["objective_usd"]) < float(high["objective_usd"])


def test_the_quantile_sweep_reads_the_forecast_at_p50_and_p90_in_one_sweep() -> None:
    _spec, jobs, points = prepare(EXAMPLE / "quantiles.yaml")
    problems = {job.name: job.problem for job in jobs}
    assert list(problems) == ["base", "p90", "api-prices-fall", "api-prices-fall-p90"]
    assert points["api-prices-fall-p90"].columns == {"change.provision-for": "p90", "price-trend.apis": -0.9}
    rates = {
        name: problems[name].demand.frame.groupby("period")["requests_per_s"].sum()
        for name in ("base", "p90")
    }
    assert len(rates["base"]) == len(rates["p90"]) == 24
    assert (rates["p90"] > rates["base"]).all()
    assert rates["p90"].iloc[-1] / rates["base"].iloc[-1] == pytest.approx(1.4, rel=0.01)
    assert problems["api-prices-fall-p90"].demand.frame.equals(problems["p90"].demand.frame)


def test_a_cut_down_quantile_sweep_costs_more_at_p90(tmp_path: Path) -> None:
    data = yaml.safe_load((EXAMPLE / "quantiles.yaml").read_text(encoding="utf-8"))
    data["base"] = str(EXAMPLE / data["base"])
    data["options"]["workloads"] = str(EXAMPLE / data["options"]["workloads"])
    data["options"]["catalog"] = str(EXAMPLE / data["options"]["catalog"])
    data["scenarios"] = {"p90": data["scenarios"]["p90"]}
    path = tmp_path / "quantiles.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    result = sweep(path, tmp_path / "out", workers=1, charts=False, work_limit=1)
    assert result.ok
    text = (tmp_path / "out" / "summary.csv").read_text(encoding="utf-8")
    rows = {r["scenario"]: r for r in csv.DictReader(io.StringIO(text))}
    assert rows["p90"]["change.provision-for"] == "p90"
    assert {name: row["provision_for"] for name, row in rows.items()} == {
        "base": "AutoETS",
        "p90": "AutoETS-hi-80",
    }
    assert float(rows["p90"]["objective_usd"]) > float(rows["base"]["objective_usd"])
