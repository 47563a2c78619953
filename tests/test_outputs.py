"""Writing plans and models: atomic, fsynced, the umask's mode, through symlinks, checked before the solve."""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import planner
from planner.errors import InputError
from planner.outputs import atomic_write, check_output_paths, write_text
from tests.conftest import OPTIMIZER_DATA

Run = Callable[..., Any]


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    folder = tmp_path / "tiny"
    shutil.copytree(OPTIMIZER_DATA / "tiny", folder)
    return folder


@pytest.fixture
def umask() -> Iterator[Callable[[int], None]]:
    old = os.umask(0o022)
    os.umask(old)

    def set_mask(mask: int) -> None:
        os.umask(mask)

    yield set_mask
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize(("mask", "expected"), [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_files_get_the_mode_the_umask_gives(
    tmp_path: Path, umask: Callable[[int], None], mask: int, expected: int
) -> None:
    umask(mask)
    write_text(tmp_path / "plan.json", "{}")
    assert mode(tmp_path / "plan.json") == expected
    write_text(tmp_path / "plan.json", "{}")  # replacing keeps the umask's mode too
    assert mode(tmp_path / "plan.json") == expected


def test_a_symlink_is_kept_and_its_target_replaced(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "plan.json"
    target.write_text("old", encoding="utf-8")
    link = tmp_path / "plan.json"
    link.symlink_to(target)
    write_text(link, "new")
    assert link.is_symlink()
    assert target.read_text(encoding="utf-8") == "new"
    assert sorted(p.name for p in (tmp_path / "real").iterdir()) == ["plan.json"]


def test_a_dangling_symlink_creates_its_target(tmp_path: Path) -> None:
    link = tmp_path / "plan.json"
    link.symlink_to(tmp_path / "made.json")
    write_text(link, "x")
    assert link.is_symlink()
    assert (tmp_path / "made.json").read_text(encoding="utf-8") == "x"


def test_nothing_half_written_is_left_on_error(tmp_path: Path) -> None:
    target = tmp_path / "plan.json"
    target.write_text("kept", encoding="utf-8")

    def fail(tmp: Path) -> None:
        tmp.write_text("half", encoding="utf-8")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write(target, fail)
    assert target.read_text(encoding="utf-8") == "kept"
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]


def test_a_write_that_fails_with_an_os_error_is_an_input_error_and_leaves_nothing(tmp_path: Path) -> None:
    def fail(tmp: Path) -> None:
        raise OSError(28, "No space left on device")

    with pytest.raises(InputError, match="cannot write: No space left on device"):
        atomic_write(tmp_path / "plan.json", fail)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("", "is a folder: the plan needs a file name"),
        ("missing/plan.json", "does not exist"),
        ("plan", "needs a suffix"),
        ("plan.txt", "unknown plan format 'txt'"),
        ("demand.csv", "would overwrite an input file"),
    ],
)
def test_bad_output_paths(tiny: Path, name: str, fragment: str) -> None:
    with pytest.raises(InputError, match=fragment):
        check_output_paths(tiny / name if name else tiny, None, [tiny / "demand.csv"])


def test_output_under_a_file_or_in_an_unwritable_place(tiny: Path) -> None:
    with pytest.raises(InputError, match="is not a folder"):
        check_output_paths(tiny / "demand.csv" / "plan.json", None)
    unwritable = Path("/proc/plan.json") if os.geteuid() == 0 else tiny / "locked" / "plan.json"
    if os.geteuid() != 0:
        (tiny / "locked").mkdir(mode=0o500)
    with pytest.raises(InputError, match="cannot write the plan"):
        check_output_paths(unwritable, None)


def test_bad_model_paths(tiny: Path) -> None:
    with pytest.raises(InputError, match=r"\.lp or \.mps"):
        check_output_paths(None, tiny / "model.txt")
    (tiny / "m.lp").mkdir()
    with pytest.raises(InputError, match="is a folder: the model needs a file name"):
        check_output_paths(None, tiny / "m.lp")
    (tiny / "x.json").symlink_to(tiny / "x.lp")
    with pytest.raises(InputError, match="the same file"):
        check_output_paths(tiny / "x.json", tiny / "x.lp")


def test_a_bad_output_fails_before_the_solve(tiny: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from planner import api

    def no_solve(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("solved before checking the output")

    monkeypatch.setattr(api, "solve_problem", no_solve)
    with pytest.raises(InputError, match="is a folder"):
        planner.solve(tiny, output=tiny)
    with pytest.raises(InputError, match="is a folder"):
        planner.solve(tiny, save_model=tiny)


def test_cli_output_to_a_folder_exits_2_at_once(run_cli: Run, tiny: Path) -> None:
    result = run_cli("solve", tiny, "-o", tiny)
    assert result.returncode == 2
    assert "is a folder: the plan needs a file name" in result.stderr
    assert "unknown plan format" not in result.stderr
    assert "Traceback" not in result.stderr
    model = run_cli("solve", tiny, "--save-model", tiny / "nope" / "m.lp")
    assert model.returncode == 2
    assert "does not exist" in model.stderr


def test_cli_writes_through_a_symlink_with_the_umask_mode(run_cli: Run, tiny: Path) -> None:
    (tiny / "plans").mkdir()
    (tiny / "latest.json").symlink_to(tiny / "plans" / "p.json")
    result = run_cli("solve", tiny, "-o", tiny / "latest.json")
    assert result.returncode == 0, result.stderr
    assert (tiny / "latest.json").is_symlink()
    assert mode(tiny / "plans" / "p.json") == 0o666 & ~_current_umask()


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
