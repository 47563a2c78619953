"""The docs table of constraint families stays in step with the code."""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path

from planner.formulation import constraints
from planner.plan import Plan

ROOT = Path(__file__).resolve().parents[1]


def _doc_rows() -> dict[str, str]:
    text = (ROOT / "docs" / "formulation.md").read_text(encoding="utf-8")
    rows = re.findall(
        r"^\| `[^|]+` \| `([a-z]+)(?:_[^|`]*)?` \| `(add_[a-z_]+)` \|", text, flags=re.MULTILINE
    )
    return {name: func for name, func in rows}


def _families() -> list[tuple[str, object]]:
    return [
        (name, func)
        for name, func in inspect.getmembers(constraints, inspect.isfunction)
        if name.startswith("add_") and func.__module__ == constraints.__name__
    ]


def _code_rows() -> dict[str, str]:
    found = {}
    for name, func in _families():
        for prefix in re.findall(r"``([a-z]+)(?:_[pk]\{[^`]*)?``:", func.__doc__ or ""):
            found[prefix] = name
    return found


def test_every_constraint_family_is_documented() -> None:
    assert _doc_rows() == _code_rows()


def test_every_family_function_has_its_inequality_in_the_docstring() -> None:
    for name, func in _families():
        doc = func.__doc__ or ""
        assert any(op in doc for op in ("<=", ">=", " = ")), name


def test_plan_json_schema_in_docs_is_current() -> None:
    shipped = json.loads((ROOT / "docs" / "plan.schema.json").read_text(encoding="utf-8"))
    assert shipped == Plan.model_json_schema(), "run: python -m planner.plan > docs/plan.schema.json"
