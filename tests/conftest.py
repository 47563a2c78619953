"""Shared fixtures: tiny, self-contained planning cases (own catalogs, measured profiles, demand).

The shipped catalogs (``catalogs/*.yaml``) change while the project is written, and a broken or
growing shipped catalog must not change what the optimizer tests compute. Every test therefore
runs with the shipped catalog folder replaced by an empty one (``isolated_shipped_catalog``), and
each case brings its own accelerators, models and APIs with ids (``tgpu-*``, ``tmodel*``,
``tapi*``) that cannot clash with shipped entries. Capacities come from a measured profiles CSV,
so one replica sustains exactly the requests/s written there.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(__file__).resolve().parent / "data"
OPTIMIZER_DATA = DATA_DIR / "optimizer"

#: Environment variable the CLI runner uses to point the shipped catalog at an empty folder.
SHIPPED_ENV = "FLEETPLAN_TEST_SHIPPED_CATALOG_DIR"

#: Input and output tokens of every test request shape (profiles are measured at exactly this shape).
IN_TOKENS, OUT_TOKENS = 1000, 200

DEMAND_HEADER = ("period", "workload", "requests_per_s", "input_tokens", "output_tokens", "model", "hours")


@pytest.fixture(scope="session")
def empty_catalog_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("empty-shipped-catalog")


@pytest.fixture(autouse=True)
def isolated_shipped_catalog(monkeypatch: pytest.MonkeyPatch, empty_catalog_dir: Path) -> Path:
    """Load no shipped catalog entry in-process: only the catalogs a test writes count."""
    import planner.catalog.load as catalog_load

    monkeypatch.setattr(catalog_load, "shipped_catalog_dir", lambda: empty_catalog_dir)
    return empty_catalog_dir


def accelerator(
    acc_id: str, on_demand: float | None = None, *, chips_per_node: int = 8, **tiers: float
) -> dict[str, Any]:
    """An accelerator entry with no spec: on-demand price and optional ``committed_1y=...`` etc."""
    prices = []
    if on_demand is not None:
        prices.append({"provider": "tp", "tier": "on_demand", "usd_per_chip_hour": on_demand})
    prices += [{"provider": "tp", "tier": tier, "usd_per_chip_hour": usd} for tier, usd in tiers.items()]
    return {"id": acc_id, "chips_per_node": chips_per_node, "prices": prices}


def api(api_id: str, usd_in: float, usd_out: float, model: str = "tmodel") -> dict[str, Any]:
    """An API offering serving ``model`` at USD per 1M input / output tokens."""
    return {
        "id": api_id,
        "model": model,
        "usd_per_1m_input_tokens": usd_in,
        "usd_per_1m_output_tokens": usd_out,
    }


def api_usd_per_request(usd_in: float, usd_out: float) -> float:
    """Price of one test-shaped request on an API."""
    return (IN_TOKENS * usd_in + OUT_TOKENS * usd_out) / 1e6


def write_yaml(path: Path, data: object) -> None:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


@dataclass
class Case:
    """A planning case on disk: ``folder/demand.csv``, ``folder/profiles.csv``, ``folder/catalog/``."""

    folder: Path
    accelerators: tuple[str, ...]
    apis: tuple[str, ...]
    defaults: dict[str, Any] = field(default_factory=dict)

    @property
    def demand(self) -> Path:
        return self.folder / "demand.csv"

    @property
    def catalog(self) -> Path:
        return self.folder / "catalog"

    @property
    def profiles(self) -> Path:
        return self.folder / "profiles.csv"

    def options(self, **overrides: Any) -> dict[str, Any]:
        """Solve options: only this case's accelerators and APIs, no baselines, exact MIP gap."""
        opts: dict[str, Any] = {
            "accelerators": self.accelerators,
            "apis": self.apis,
            "baselines": False,
            "mip_gap": 0.0,
            **self.defaults,
        }
        opts.update(overrides)
        return opts

    def solve(self, save_model: str | os.PathLike[str] | None = None, **overrides: Any) -> Any:
        from planner.api import solve

        return solve(
            self.demand,
            catalog_dirs=[self.catalog],
            profiles=self.profiles,
            save_model=save_model,
            **self.options(**overrides),
        )

    def problem(self, **overrides: Any) -> Any:
        """The loaded problem (for ``verify_plan``) under the same settings as ``solve``."""
        from planner.api import make_settings
        from planner.pipeline import load_problem

        fleet = overrides.pop("fleet", None)
        return load_problem(
            self.demand,
            [self.catalog],
            self.profiles,
            make_settings(self.options(**overrides)),
            fleet_path=fleet,
        )

    def verify(self, plan: Any, **overrides: Any) -> list[str]:
        from planner.verify import verify_plan

        return verify_plan(plan, self.problem(**overrides))


CaseFactory = Callable[..., Case]


def build_case(
    folder: Path,
    *,
    accelerators: Sequence[Mapping[str, Any]],
    rates: Mapping[str, float],
    demand: Sequence[Sequence[object]],
    apis: Sequence[Mapping[str, Any]] = (),
    models: Sequence[Mapping[str, Any]] | None = None,
    **defaults: Any,
) -> Case:
    """Write a case.

    Args:
        folder: where to write it.
        accelerators: accelerator entries (see ``accelerator``).
        rates: accelerator id -> requests/s one replica of ``tmodel`` sustains (measured profile).
        demand: rows ``(period, workload, requests_per_s, hours)`` (model ``tmodel``, test tokens) or
            full rows in ``DEMAND_HEADER`` order.
        apis: API entries (see ``api``).
        models: model entries (default: ``tmodel``, bf16, no shape: served only via profiles).
        defaults: solve options every ``case.solve`` uses.
    """
    folder.mkdir(parents=True, exist_ok=True)
    catalog = folder / "catalog"
    catalog.mkdir(exist_ok=True)
    write_yaml(catalog / "accelerators.yaml", list(accelerators))
    write_yaml(
        catalog / "models.yaml",
        list(models) if models is not None else [{"id": "tmodel", "precisions": ["bf16"]}],
    )
    write_yaml(catalog / "apis.yaml", list(apis))
    write_csv(
        folder / "profiles.csv",
        ("model", "accelerator", "input_tokens", "output_tokens", "requests_per_s"),
        [("tmodel", acc, IN_TOKENS, OUT_TOKENS, r) for acc, r in rates.items()],
    )
    rows = [
        row
        if len(row) == len(DEMAND_HEADER)
        else (row[0], row[1], row[2], IN_TOKENS, OUT_TOKENS, "tmodel", row[3])
        for row in demand
    ]
    write_csv(folder / "demand.csv", DEMAND_HEADER, rows)
    return Case(folder, tuple(a["id"] for a in accelerators), tuple(a["id"] for a in apis), dict(defaults))


@pytest.fixture
def make_case(tmp_path: Path) -> CaseFactory:
    """``make_case(name, accelerators=..., rates=..., demand=..., apis=..., **default_options)``."""

    def factory(name: str = "case", **kwargs: Any) -> Case:
        return build_case(tmp_path / name, **kwargs)

    return factory


#: Runs ``plan`` in a fresh interpreter; points the shipped catalog at an empty folder when asked.
CLI_BOOT = (
    "import os, sys\n"
    f"d = os.environ.get({SHIPPED_ENV!r})\n"
    "if d:\n"
    "    import pathlib, planner.catalog.load as L\n"
    "    L.shipped_catalog_dir = lambda: pathlib.Path(d)\n"
    "sys.argv[0] = 'plan'\n"
    "from planner.cli import main\n"
    "main()\n"
)


@pytest.fixture
def run_cli(empty_catalog_dir: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """``run_cli(*args, cwd=None)``: ``plan ARGS`` in a subprocess (the real process boundary)."""

    def run(*args: str | os.PathLike[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), SHIPPED_ENV: str(empty_catalog_dir)}
        return subprocess.run(
            [sys.executable, "-c", CLI_BOOT, *map(str, args)],
            cwd=cwd or REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    return run
