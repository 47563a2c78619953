"""Calibration against published throughput: every case within the stated bound, docs in sync."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.perf import calibration
from planner.perf.profiles import profile_for

DOC = Path(__file__).resolve().parents[1] / "docs" / "performance-model.md"


@pytest.fixture(scope="module")
def table():
    return calibration.calibration_table()


def test_enough_cases_on_enough_families(table):
    assert len(calibration.CASES) >= 8
    families = {profile_for(case.accelerator).name for case in calibration.CASES}
    assert len(families) >= 3
    assert table["published"].gt(0).all()


@pytest.mark.parametrize("case", calibration.CASES, ids=lambda c: c.name)
def test_each_case_within_bound(case):
    predicted = calibration.predict(case)
    error = predicted / case.published_tokens_per_s - 1.0
    assert abs(error) <= calibration.ERROR_BOUND, f"{case.name}: {100 * error:+.1f}% ({case.source})"


def test_the_bound_check_can_fail(table):
    assert calibration.bound_violations(table) == []
    skewed = table.copy()
    skewed.loc[0, "error_pct"] = 100.0 * (table.loc[0, "predicted"] / (2 * table.loc[0, "published"]) - 1)
    assert len(calibration.bound_violations(skewed)) == 1
    assert calibration.bound_violations(table, bound=0.001)


def test_docs_show_the_current_table(table):
    text = DOC.read_text(encoding="utf-8")
    assert "python -m planner.perf.calibration" in text
    for line in calibration.markdown(table).splitlines()[2:]:
        assert line in text, f"docs/performance-model.md is stale; re-run the calibration: {line}"


def test_main_prints_the_table(capsys):
    calibration.main(["--sources"])
    out = capsys.readouterr().out
    assert "| case |" in out
    assert "max |error|" in out
    assert "perf-overview.md" in out
