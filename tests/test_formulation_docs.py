"""The docs tables of model families stay in step with the registry and the code."""

from __future__ import annotations

import json
import re
from pathlib import Path

from planner.formulation import registry
from planner.plan import Plan

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "data" / "golden"


def _doc_text() -> str:
    return (ROOT / "docs" / "formulation.md").read_text(encoding="utf-8")


def _constraint_doc_rows() -> dict[str, str]:
    rows = re.findall(
        r"^\| `[^|]+` \| `([a-z]+)(?:_[^|`]*)?` \| `(add_[a-z_]+)` \|", _doc_text(), flags=re.MULTILINE
    )
    return dict(rows)


def _variable_doc_rows() -> dict[str, str]:
    rows = re.findall(
        r"^\| `[^|]+` \| `([a-z]+)(?:_[^|`]*)?` \| [^|]+ \| ([a-z]+) \| `([a-z_]+)` \|",
        _doc_text(),
        flags=re.MULTILINE,
    )
    return {builder: coupling for _prefix, coupling, builder in rows}


def test_every_registered_constraint_family_has_its_docs_row() -> None:
    code = {f.name: f.build.__name__ for f in registry.CONSTRAINTS}
    assert _constraint_doc_rows() == code


def test_every_registered_constraint_family_has_a_golden_file() -> None:
    missing = [f.name for f in registry.CONSTRAINTS if not (GOLDEN / f"{f.name}.txt").is_file()]
    assert not missing, f"registered without a golden file: {missing}"
    stale = sorted(
        p.stem for p in GOLDEN.glob("*.txt") if p.stem not in {f.name for f in registry.CONSTRAINTS}
    )
    assert not stale, f"golden files of no registered family: {stale}"


def test_every_registered_variable_family_has_its_docs_row() -> None:
    code = {f.build.__name__: f.coupling for f in registry.VARIABLES}
    assert _variable_doc_rows() == code


def test_every_family_function_has_its_inequality_in_the_docstring() -> None:
    for family in registry.CONSTRAINTS:
        doc = family.build.__doc__ or ""
        assert any(op in doc for op in ("<=", ">=", " = ")), family.name
        assert f"``{family.name}" in doc, f"{family.name}: the docstring names its rows"


def test_integer_families_name_a_known_rounding_rule() -> None:
    for family in registry.VARIABLES:
        if family.integer:
            assert family.rounding in registry.ROUNDING_RULES, family.name
        else:
            assert family.rounding is None, family.name


def test_plan_json_schema_in_docs_is_current() -> None:
    shipped = json.loads((ROOT / "docs" / "plan.schema.json").read_text(encoding="utf-8"))
    assert shipped == Plan.model_json_schema(), "run: python -m planner.plan > docs/plan.schema.json"
