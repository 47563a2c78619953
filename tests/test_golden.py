"""Golden rows per constraint family for one tiny instance that uses every family.

Each family's rows (``str(constraint)``: name, expression, sense, right-hand side) are compared with
``tests/data/golden/<family>.txt``. After an intended change of the formulation, regenerate with
``FLEETPLAN_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py`` and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import accelerator, api, build_case

from planner.api import make_settings
from planner.formulation.blocks import PlanningModel
from planner.formulation.build import build_model
from planner.options import allowed_apis, build_options
from planner.pipeline import load_problem
from solvers.pulp_writer import to_pulp

GOLDEN = Path(__file__).resolve().parent / "data" / "golden"
FAMILIES = (
    "cover",
    "capacity",
    "link",
    "chips",
    "spot",
    "minreplicas",
    "apishare",
    "apirate",
    "apitokens",
    "maxchips",
    "budget",
)


@pytest.fixture
def model(tmp_path: Path) -> PlanningModel:
    limited_api = {
        **api("tapi", 0.5, 1.5),
        "rate_limit_requests_per_s": 3.0,
        "rate_limit_tokens_per_min": 200000,
    }
    case = build_case(
        tmp_path / "golden",
        accelerators=[accelerator("tgpu-a", 2.0, spot=1.0, committed_1y=1.5), accelerator("tgpu-b", 1.0)],
        rates={"tgpu-a": 10.0, "tgpu-b": 4.0},
        apis=[limited_api],
        demand=[("p0", "chat", 12.0, 24.0), ("p1", "chat", 20.0, 24.0), ("p1", "tiny", 2.0, 24.0)],
    )
    text = case.demand.read_text(encoding="utf-8").splitlines()
    text[0] += ",min_replicas,max_api_share"
    text[1:] = [line + ",2,0.5" for line in text[1:]]
    case.demand.write_text("\n".join(text) + "\n", encoding="utf-8")
    settings = make_settings(case.options(max_chips={"tgpu-b": 8}, budget_usd=500.0))
    problem = load_problem(case.demand, [case.catalog], case.profiles, settings)
    options = build_options(problem.catalog, problem.demand, problem.profiles, settings)
    return build_model(
        options, problem.demand, problem.catalog, settings, allowed_apis(problem.catalog, settings)
    )


def _rows(model: PlanningModel, family: str) -> str:
    """The family's rows as the PuLP writer writes them (name, expression, sense, right-hand side)."""
    written = to_pulp(model.arrays, model.column_names, model.row_names)
    rows = [written.rows[i] for i in model.rows(family)]
    return "\n".join(f"{row.name}: {row}" for row in rows) + "\n"


@pytest.mark.parametrize("family", FAMILIES)
def test_family_rows_match_golden(model: PlanningModel, family: str) -> None:
    assert family in model.constraints, f"the instance no longer exercises {family}"
    path = GOLDEN / f"{family}.txt"
    actual = _rows(model, family)
    if os.environ.get("FLEETPLAN_UPDATE_GOLDEN") == "1":
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8")


def test_no_family_is_untested(model: PlanningModel) -> None:
    assert set(model.constraints) == set(FAMILIES)
