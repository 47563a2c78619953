"""The shape of the code: no import cycle in ``planner/`` and ``solvers/``, no module over 500 lines.

An import counts when it runs on import of its module: at module level, in a module-level block
(``if TYPE_CHECKING:``, ``try:``) or a class body; an import inside a function does not. ``from a.b
import c`` is an import of the module ``a.b.c`` when that is a module, else of ``a.b``; the parent
packages Python imports on the way (``a`` for ``a.b``) are not counted as edges.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: Packages whose modules must not import each other in a cycle.
CYCLE_FREE = ("planner", "solvers")
#: Folders whose ``.py`` files must stay at or under :data:`MAX_LINES` lines.
SIZE_LIMITED = ("planner", "solvers", "benchmarks")
MAX_LINES = 500
#: Import cycles allowed, each as the set of its modules: none.
KNOWN_CYCLES: frozenset[frozenset[str]] = frozenset()

Graph = dict[str, set[str]]


def module_files(root: Path, packages: tuple[str, ...]) -> dict[str, Path]:
    """Every module of ``packages`` under ``root`` by dotted name (a package by its ``__init__``)."""
    out: dict[str, Path] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def _import_nodes(body: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    """The imports that run when the module is imported (function bodies are skipped)."""
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for field in ("body", "orelse", "finalbody"):
                yield from _import_nodes(getattr(node, field, []))
            for clause in (*getattr(node, "handlers", ()), *getattr(node, "cases", ())):
                yield from _import_nodes(clause.body)


def _base(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute module an ``ImportFrom`` names (relative imports resolved)."""
    if not node.level:
        return node.module or ""
    parts = module.split(".") if is_package else module.split(".")[:-1]
    parts = parts[: len(parts) - (node.level - 1)]
    return ".".join([*parts, *([node.module] if node.module else [])])


def imports_of(module: str, path: Path, known: set[str]) -> set[str]:
    """The modules of ``known`` that ``module`` (the file ``path``) imports when it is imported."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in _import_nodes(tree.body):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
            continue
        base = _base(module, path.name == "__init__.py", node)
        for alias in node.names:
            found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
    return {name for name in found if name in known and name != module}


def import_graph(root: Path, packages: tuple[str, ...]) -> Graph:
    """Module -> the modules of ``packages`` it imports at import time."""
    files = module_files(root, packages)
    known = set(files)
    return {module: imports_of(module, path, known) for module, path in files.items()}


def cycles(graph: Graph) -> set[frozenset[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: set[frozenset[str]] = set()

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.add(frozenset(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _describe(component: frozenset[str], graph: Graph) -> str:
    edges = sorted(f"{a} -> {b}" for a in component for b in graph[a] if b in component)
    return "{" + ", ".join(sorted(component)) + "}: " + "; ".join(edges)


def long_files(root: Path, folders: tuple[str, ...], limit: int) -> dict[str, int]:
    """``.py`` files of ``folders`` with more than ``limit`` lines, by path relative to ``root``."""
    out: dict[str, int] = {}
    for folder in folders:
        for path in sorted((root / folder).rglob("*.py")):
            count = len(path.read_text(encoding="utf-8").splitlines())
            if count > limit:
                out[path.relative_to(root).as_posix()] = count
    return out


# --------------------------------------------------------------------------------------------------
# The rules, on this repository.
# --------------------------------------------------------------------------------------------------


def test_no_import_cycle_but_the_known_ones() -> None:
    graph = import_graph(ROOT, CYCLE_FREE)
    assert len(graph) > 50  # the packages were found
    new = cycles(graph) - KNOWN_CYCLES
    assert not new, "import cycles (break them; see tests/test_architecture.py):\n" + "\n".join(
        _describe(c, graph) for c in sorted(new, key=sorted)
    )


def test_known_cycles_are_still_cycles() -> None:
    """A known cycle that is gone is removed from KNOWN_CYCLES, so that it cannot come back."""
    gone = KNOWN_CYCLES - cycles(import_graph(ROOT, CYCLE_FREE))
    assert not gone, f"no longer cycles, remove them from KNOWN_CYCLES: {[sorted(c) for c in gone]}"


def test_no_module_over_the_line_limit() -> None:
    assert module_files(ROOT, SIZE_LIMITED)  # the folders were found
    too_long = long_files(ROOT, SIZE_LIMITED, MAX_LINES)
    assert not too_long, f"over {MAX_LINES} lines (split along their seams): {too_long}"


#: The only modules that may import PuLP: the one writer and the CBC path (issue 14).
PULP_MODULES = frozenset({"solvers/pulp_writer.py", "solvers/cbc.py"})


def pulp_importers(root: Path, folders: tuple[str, ...]) -> set[str]:
    """Files under ``folders`` that import ``pulp`` anywhere (module level or in a function)."""
    found = set()
    for folder in folders:
        for path in sorted((root / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = (
                    [a.name for a in node.names]
                    if isinstance(node, ast.Import)
                    else [node.module or ""]
                    if isinstance(node, ast.ImportFrom) and node.level == 0
                    else []
                )
                if any(n == "pulp" or n.startswith("pulp.") for n in names):
                    found.add(path.relative_to(root).as_posix())
    return found


def test_only_the_writer_and_cbc_import_pulp() -> None:
    importers = pulp_importers(ROOT, SIZE_LIMITED)
    assert importers >= PULP_MODULES  # the check sees the two that do
    assert importers == PULP_MODULES, f"PuLP imported outside the writer and CBC: {importers - PULP_MODULES}"


def test_a_function_level_pulp_import_is_found(tmp_path: Path) -> None:
    _package(tmp_path, {"pkg/__init__.py": "", "pkg/a.py": "def f():\n    from pulp import LpProblem\n"})
    assert pulp_importers(tmp_path, ("pkg",)) == {"pkg/a.py"}


# --------------------------------------------------------------------------------------------------
# The checks themselves, on tiny packages.
# --------------------------------------------------------------------------------------------------


def _package(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_a_two_module_cycle_is_found(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a.py": "from pkg.b import thing\n",
            "pkg/b.py": "import pkg.a\n",
            "pkg/c.py": "from pkg import a\n",
        },
    )
    graph = import_graph(root, ("pkg",))
    assert graph == {"pkg": set(), "pkg.a": {"pkg.b"}, "pkg.b": {"pkg.a"}, "pkg.c": {"pkg.a"}}
    assert cycles(graph) == {frozenset({"pkg.a", "pkg.b"})}


def test_type_checking_imports_count_and_function_imports_do_not(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.b import B\n",
            "pkg/b.py": "if True:\n    def f():\n        from pkg.a import A\n        return A\n",
            "pkg/c.py": "try:\n    from pkg.d import D\nexcept ImportError:\n    D = None\n",
            "pkg/d.py": "class K:\n    from pkg import c\n",
        },
    )
    graph = import_graph(root, ("pkg",))
    assert graph["pkg.a"] == {"pkg.b"}
    assert graph["pkg.b"] == set()
    assert cycles(graph) == {frozenset({"pkg.c", "pkg.d"})}


def test_relative_imports_and_packages_resolve(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "pkg/__init__.py": "from .sub import helper\n",
            "pkg/sub/__init__.py": "from . import leaf\nfrom ..top import T\n",
            "pkg/sub/leaf.py": "from pkg.sub import other\nimport os\n",
            "pkg/top.py": "X = 1\n",
        },
    )
    graph = import_graph(root, ("pkg",))
    assert graph["pkg"] == {"pkg.sub"}  # helper is no module: the package itself
    assert graph["pkg.sub"] == {"pkg.sub.leaf", "pkg.top"}
    assert graph["pkg.sub.leaf"] == {"pkg.sub"}  # other is a name of the package
    assert cycles(graph) == {frozenset({"pkg.sub", "pkg.sub.leaf"})}


def test_a_parent_package_alone_is_no_edge(tmp_path: Path) -> None:
    """``import pkg.a`` in ``pkg/__init__.py`` and ``pkg.a`` importing ``pkg.b``: Python imports
    ``pkg`` first, but that implicit edge is not counted."""
    root = _package(
        tmp_path,
        {"pkg/__init__.py": "import pkg.a\n", "pkg/a.py": "import pkg.b\n", "pkg/b.py": ""},
    )
    graph = import_graph(root, ("pkg",))
    assert graph == {"pkg": {"pkg.a"}, "pkg.a": {"pkg.b"}, "pkg.b": set()}
    assert cycles(graph) == set()


@pytest.mark.parametrize(("lines", "flagged"), [(3, False), (4, True)])
def test_the_line_limit(tmp_path: Path, lines: int, flagged: bool) -> None:
    _package(tmp_path, {"pkg/m.py": "x = 1\n" * lines, "pkg/short.py": "y = 2\n"})
    assert long_files(tmp_path, ("pkg",), 3) == ({"pkg/m.py": lines} if flagged else {})


def attribute_calls(root: Path, folders: tuple[str, ...], name: str) -> set[str]:
    """Files under ``folders`` that call a method or function called ``name``."""
    found = set()
    for folder in folders:
        for path in sorted((root / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                func = node.func if isinstance(node, ast.Call) else None
                called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
                if called == name:
                    found.add(str(path.relative_to(root)))
    return found


def test_no_milp_is_handed_a_highs_start_solution() -> None:
    """``setSolution`` made HiGHS 1.16 report a MILP bound above an existing plan.

    ``python -m benchmarks.highs_start`` reproduces it (docs/benchmarks.md, "Ideas tried"); the
    probe itself is the one caller allowed.
    """
    assert attribute_calls(ROOT, ("planner", "solvers", "benchmarks"), "setSolution") == {
        "benchmarks/highs_start.py"
    }


def test_a_method_call_is_found(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text("def f(h):\n    h.setSolution(1)\n", encoding="utf-8")
    (tmp_path / "pkg" / "b.py").write_text("x = 'setSolution'\n", encoding="utf-8")
    assert attribute_calls(tmp_path, ("pkg",), "setSolution") == {"pkg/a.py"}


def test_no_live_lp_instance_outlives_its_run() -> None:
    """A HiGHS LP instance is made by one engine run's Session (or one sifted solve) and dies with it.

    HiGHS keeps the scale factors of the first LP an instance solved, so an instance carried from
    one run (a sweep point) to the next could end the next run's LP at other round-off than a new
    one, and results would depend on what ran before in the process (``python -m
    benchmarks.highs_reuse``; docs/sweeps.md). Runs share the base row's basis as data instead.
    """
    assert attribute_calls(ROOT, ("planner", "solvers"), "LiveLP") == {
        "planner/session.py",
        "solvers/live.py",
    }
    assert attribute_calls(ROOT, ("planner", "solvers"), "Session") == {"planner/engine.py"}
