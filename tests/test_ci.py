"""The README's test command is the one .ci/run runs, and it installs chromium when missing."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_test_command_is_what_ci_runs() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()[-1]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert ci in readme.splitlines()
    assert "apt-get install -y -qq chromium" in ci
    assert ci.index("chromium") < ci.index("pytest")
