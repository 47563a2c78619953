"""The machine, the versions and the library's digest a benchmark record carries."""

from __future__ import annotations

import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def environment() -> dict[str, Any]:
    """Machine and versions."""
    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kib = 0
    with open("/proc/meminfo", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("MemTotal"):
                mem_kib = int(line.split()[1])
    versions = {"python": platform.python_version()}
    for pkg in ("pulp", "highspy", "pandas", "numpy", "pydantic"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = "not installed"
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": cpu,
        "ram_gib": mem_kib / 1024**2,
        "platform": platform.platform(),
        "versions": versions,
        **library_version(),
    }


def library_version() -> dict[str, str]:
    """The git hash (and whether the library has uncommitted changes) and the source digest, now."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "planner", "solvers", "catalogs"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {
        "git": commit + (" + uncommitted library changes" if dirty else ""),
        "library_digest": library_digest(),
    }


def library_digest() -> str:
    """A short digest of the library's source as run (it changes while people work on it)."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(
        [*ROOT.glob("planner/**/*.py"), *ROOT.glob("solvers/*.py"), *ROOT.glob("catalogs/*.yaml")]
    ):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]
