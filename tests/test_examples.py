"""The shipped examples run, verify, and print what the README says they print."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from planner.api import solve, verify_plan_file
from planner.catalog import load as catalog_load
from planner.outputs import write_plan

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(p.name for p in (ROOT / "examples").iterdir() if (p / "demand.csv").is_file())


@pytest.fixture(autouse=True)
def real_catalogs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(catalog_load, "shipped_catalog_dir", lambda: ROOT / "catalogs")


def _readme_figure(name: str) -> float:
    """The total the README's examples table gives for an example."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    row = next(line for line in readme.splitlines() if line.startswith(f"| `{name}` |"))
    return float(re.findall(r"\$([\d,]+)", row)[0].replace(",", ""))


def test_there_are_three_examples() -> None:
    assert {"chat-fleet", "self-host-vs-api", "request-size-histogram"} <= set(EXAMPLES)


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_solves_verifies_and_matches_the_readme(name: str, tmp_path: Path) -> None:
    folder = ROOT / "examples" / name
    solved = solve(folder)
    plan = solved.plan
    assert plan.status == "optimal"
    assert plan.unmet_requests == 0
    plan_file = tmp_path / "plan.yaml"
    write_plan(plan, plan_file)  # read back through the one plan loader, settings from options.yaml
    report = verify_plan_file(plan_file, folder)
    assert report.problems == ()
    assert report.warnings == ()
    assert plan.objective_usd == pytest.approx(_readme_figure(name), rel=0.01)
