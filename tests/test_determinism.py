"""Reruns agree: byte-identical plans apart from run times, whatever the hash seed or the load."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _plan(seed: int, *args: str) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": str(seed)}
    done = subprocess.run(
        [sys.executable, "-c", "from planner.cli import main; main()", "solve", *args, "--format", "json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    plan: dict[str, Any] = json.loads(done.stdout)
    plan.pop("timings")
    plan["solver"].pop("seconds")
    return plan


def test_hash_seed_does_not_change_the_plan() -> None:
    folder = str(ROOT / "examples" / "request-size-histogram")
    assert _plan(1, folder) == _plan(2, folder)


def test_a_work_limit_stops_the_search_the_same_way_every_time() -> None:
    args = (str(ROOT / "examples" / "chat-fleet"), "--work-limit", "1", "--no-baselines")
    first, second = _plan(1, *args), _plan(7, *args)
    assert first == second
    assert first["solver"]["stopped_by"] == "work_limit"
    assert first["status"] == "feasible"
    assert any("--work-limit stopped the search" in w for w in first["diagnostics"]["warnings"])
