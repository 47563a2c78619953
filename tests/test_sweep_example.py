"""examples/procurement: its scenario file reads and applies in full, and a cut-down sweep of it runs.

The whole sweep (15 points over 24 monthly periods) takes about a minute here; the README shows
its output. This test applies every point's changes (all of them, so a catalog change that
breaks the example fails here) and solves three points with a work limit of 1.
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


def test_the_quantile_sweep_reads_the_forecast_at_p50_and_p90() -> None:
    file = EXAMPLE / "quantiles.yaml"
    rates = {}
    for quantile in ("p50", "p90"):
        _spec, jobs, _points = prepare(file, options={"provision_for": quantile})
        frame = jobs[0].problem.demand.frame
        rates[quantile] = frame.groupby("period")["requests_per_s"].sum()
        assert len(rates[quantile]) == 24
    assert (rates["p90"] > rates["p50"]).all()
    assert rates["p90"].iloc[-1] / rates["p50"].iloc[-1] == pytest.approx(1.4, rel=0.01)
