"""Hostile plan files: whatever the bytes, ``plan verify`` exits 0, 1 or 2 with a clean message.

Hypothesis mutates a real plan (wrong types, missing keys, NaN, huge numbers, junk strings and
containers at random places), writes it as JSON or YAML (or writes random text or bytes), and runs
the ``verify`` command in-process through click; a few fixed cases go through a real subprocess.
Never a traceback, never "internal error".
"""

from __future__ import annotations

import json
import math
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from verify_cases import Solved, solve_case

from planner.cli import main

Run = Callable[..., Any]

junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([math.nan, math.inf, -math.inf, 1e308, -1e308, 0.0, -0.0, 5e-324]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


def numbers(old: float) -> st.SearchStrategy[float]:
    """Numbers of the old one's type: scaled, negated, zero, huge."""
    values = st.sampled_from([0, -1, 2, 0.5, 1e6, 1e15]).map(lambda k: old * k)
    if isinstance(old, int):
        return values.map(lambda v: int(v)) | st.integers(-(2**40), 2**40)
    return values | st.floats(-1e300, 1e300, allow_nan=False)


@pytest.fixture(scope="module")
def solved(tmp_path_factory: pytest.TempPathFactory) -> Solved:
    root = tmp_path_factory.mktemp("hostile")
    return solve_case(root / "case", tmp_path_factory.mktemp("shipped"), 2190.0)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _paths(value, (*prefix, i))
    return out


@st.composite
def mutated(draw: st.DrawFn, data: dict[str, Any]) -> dict[str, Any]:
    doc = json.loads(json.dumps(data))
    paths = _paths(doc)
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(paths))
        parent: Any = doc
        try:
            for part in path[:-1]:
                parent = parent[part]
            old = parent[path[-1]]
            if isinstance(old, int | float) and not isinstance(old, bool) and draw(st.integers(0, 4)) > 0:
                parent[path[-1]] = draw(numbers(old))  # well-typed but wrong: the verifier's job
            elif draw(st.booleans()) and isinstance(parent, dict):
                parent.pop(path[-1], None)
            else:
                parent[path[-1]] = draw(junk)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed or replaced a parent
    return doc


def _text(doc: object, fmt: str) -> str:
    if fmt == "yaml":
        return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    return json.dumps(doc, allow_nan=True)


def _verify(plan: Path, folder: Path, *args: str) -> Any:
    return CliRunner().invoke(main, ["verify", str(plan), str(folder), *args], catch_exceptions=False)


def _assert_clean(result: Any) -> None:
    assert result.exit_code in (0, 1, 2), result.output
    assert "Traceback" not in result.output
    assert "internal error" not in result.output
    if result.exit_code == 2:
        assert "error:" in result.output


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), fmt=st.sampled_from(["json", "yaml"]), as_json=st.booleans())
def test_mutated_plans_fail_cleanly(solved: Solved, data: st.DataObject, fmt: str, as_json: bool) -> None:
    doc = data.draw(mutated(solved.data))
    with tempfile.TemporaryDirectory() as tmp:
        plan = Path(tmp) / f"plan.{fmt}"
        plan.write_text(_text(doc, fmt), encoding="utf-8")
        result = _verify(plan, solved.folder, *(("--format", "json") if as_json else ()))
    _assert_clean(result)
    if as_json and result.exit_code in (0, 1):
        report = json.loads(result.stdout)
        assert report["ok"] is (result.exit_code == 0)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    blob=st.one_of(
        st.binary(max_size=200),
        st.text(max_size=200).map(str.encode),
        st.recursive(
            junk, lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=4), c, max_size=3)
        ).map(lambda v: json.dumps(v, allow_nan=True).encode()),
    ),
    suffix=st.sampled_from([".json", ".yaml", ".txt", ""]),
)
def test_random_files_fail_cleanly(solved: Solved, blob: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        plan = Path(tmp) / f"plan{suffix}"
        plan.write_bytes(blob)
        result = _verify(plan, solved.folder)
    _assert_clean(result)
    assert result.exit_code == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("{", "not valid JSON"),
        ('{"schema_version": "1.2", "schema_version": "1.2"}', "given twice"),
        ('{"schema_version": NaN}', "NaN"),
        ("[1, 2]", "a list"),
        ("schema_version: 1.2\n", "must be a string"),
        ("a: &x [1]\nb: *x\n", "aliases"),
        ("schema_version: '1.2'\nschema_version: '1.2'\n", "given twice"),
        ("? [1, 2]\n: x\n", "not"),
        ("[" * 100000, "not"),
        ('{"schema_version": "1.2", "objective_usd": 1e999}', "not a number"),
        ('{"schema_version": "1.2", "status": "optimal"}', "missing field"),
    ],
)
def test_fixed_bad_plans_through_a_real_process(
    run_cli: Run, solved: Solved, tmp_path: Path, text: str, message: str
) -> None:
    plan = tmp_path / ("plan.json" if text.startswith(("{", "[")) else "plan.yaml")
    plan.write_text(text, encoding="utf-8")
    result = run_cli("verify", plan, solved.folder)
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr
    assert str(plan) in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("replicas", 1e300),
        ("tensor_parallel", 1e300),
        ("replicas", 2**60),
        ("capacity_requests_per_s", 1e308),
    ],
)
def test_absurd_numbers_are_problems_or_refused(
    solved: Solved, tmp_path: Path, field: str, value: float
) -> None:
    doc = json.loads(json.dumps(solved.data))
    doc["periods"][0]["deployments"][0][field] = value
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(doc), encoding="utf-8")
    result = _verify(plan, solved.folder)
    _assert_clean(result)
    assert result.exit_code in (1, 2)


def test_a_missing_plan_and_a_folder(run_cli: Run, solved: Solved, tmp_path: Path) -> None:
    for plan, message in ((tmp_path / "nope.json", "no such plan file"), (tmp_path, "is a folder")):
        result = run_cli("verify", plan, solved.folder)
        assert result.returncode == 2
        assert message in result.stderr
