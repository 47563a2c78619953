"""An independent reference for small fleetplan instances (issue 9, "Optimal means optimal").

An :class:`Instance` is a user catalog overlay (``accelerators.yaml``, ``models.yaml``,
``apis.yaml``), demand rows and the settings of ``plan solve``. :func:`reference_optimum` builds the
planning MILP from the semantics of README.md and docs/formulation.md alone, with no pruning at all
(every deployment option that fits and meets a row's targets, every API offer that serves it,
every price offer of every accelerator), and solves it with HiGHS to proven optimality.

It shares only the catalog loader (``planner.catalog``) and the performance model
(``planner.perf``: replica capacities) with the production code; nothing from options,
formulation, engine, periods, pipeline, extract or verify. The MILP itself is in
``tests/oracle_model.py``.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

DEMAND_COLUMNS = (
    "period",
    "workload",
    "requests_per_s",
    "input_tokens",
    "output_tokens",
    "model",
    "min_quality",
    "hours",
    "ttft_ms",
    "tpot_ms",
    "self_host_only",
    "api_only",
    "max_api_share",
    "target_utilization",
    "min_replicas",
)


@dataclass(frozen=True)
class Row:
    """One demand row (period, workload), with the README's defaults."""

    period: str
    workload: str
    requests_per_s: float
    input_tokens: int
    output_tokens: int
    model: str | None = None
    min_quality: float | None = None
    hours: float = 1.0
    ttft_ms: float = 2000.0
    tpot_ms: float = 100.0
    self_host_only: bool = False
    api_only: bool = False
    max_api_share: float = 1.0
    target_utilization: float | None = None
    min_replicas: int = 0

    def cells(self) -> list[object]:
        """The row's cells in ``DEMAND_COLUMNS`` order (blank where a default applies)."""
        return [
            self.period,
            self.workload,
            repr(self.requests_per_s),
            self.input_tokens,
            self.output_tokens,
            self.model or "",
            "" if self.min_quality is None else repr(self.min_quality),
            repr(self.hours),
            repr(self.ttft_ms),
            repr(self.tpot_ms),
            str(self.self_host_only).lower(),
            str(self.api_only).lower(),
            repr(self.max_api_share),
            "" if self.target_utilization is None else repr(self.target_utilization),
            self.min_replicas,
        ]


@dataclass(frozen=True)
class Settings:
    """The ``plan solve`` options an instance sets (README, "Commands")."""

    accelerators: tuple[str, ...]
    apis: tuple[str, ...] = ()
    target_utilization: float = 0.8
    max_spot_share: float = 0.2
    commitment_cost: str = "term"
    max_chips: Mapping[str, int] = field(default_factory=dict)
    budget_usd: float | None = None
    whole_nodes: bool = False
    unmet_penalty_usd_per_request: float = 1000.0

    def solve_options(self) -> dict[str, Any]:
        """Keyword arguments of ``planner.solve`` for these settings."""
        options: dict[str, Any] = {
            "accelerators": self.accelerators,
            "apis": self.apis,
            "target_utilization": self.target_utilization,
            "max_spot_share": self.max_spot_share,
            "commitment_cost": self.commitment_cost,
            "whole_nodes": self.whole_nodes,
            "unmet_penalty_usd_per_request": self.unmet_penalty_usd_per_request,
        }
        if self.max_chips:
            options["max_chips"] = dict(self.max_chips)
        if self.budget_usd is not None:
            options["budget_usd"] = self.budget_usd
        return options

    def cli_flags(self) -> list[str]:
        """The same settings as ``plan solve`` flags."""
        flags = [
            "--accelerators",
            ",".join(self.accelerators),
            "--apis",
            ",".join(self.apis),
            "--target-utilization",
            repr(self.target_utilization),
            "--max-spot-share",
            repr(self.max_spot_share),
            "--commitment-cost",
            self.commitment_cost,
            "--unmet-penalty-usd-per-request",
            repr(self.unmet_penalty_usd_per_request),
        ]
        for acc, chips in self.max_chips.items():
            flags += ["--max-chips", f"{acc}={chips}"]
        if self.budget_usd is not None:
            flags += ["--budget-usd", repr(self.budget_usd)]
        if self.whole_nodes:
            flags.append("--whole-nodes")
        return flags


@dataclass(frozen=True)
class Written:
    """Where an instance was written: its ``demand.csv`` and its catalog overlay folder."""

    demand: Path
    catalog: Path


@dataclass(frozen=True)
class Instance:
    """A small planning instance: catalog overlay entries, demand rows, settings."""

    rows: tuple[Row, ...]
    settings: Settings
    accelerators: tuple[dict[str, Any], ...] = ()
    models: tuple[dict[str, Any], ...] = ()
    apis: tuple[dict[str, Any], ...] = ()

    def demand_csv(self) -> str:
        """The demand file's text."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(DEMAND_COLUMNS)
        writer.writerows(row.cells() for row in self.rows)
        return out.getvalue()

    def write(self, folder: Path) -> Written:
        """Write ``folder/demand.csv`` and ``folder/catalog/*.yaml`` (every file, maybe empty lists)."""
        catalog = folder / "catalog"
        catalog.mkdir(parents=True, exist_ok=True)
        for name, entries in (
            ("accelerators", self.accelerators),
            ("models", self.models),
            ("apis", self.apis),
        ):
            text = yaml.safe_dump([dict(e) for e in entries], sort_keys=False)
            (catalog / f"{name}.yaml").write_text(text, encoding="utf-8")
        demand = folder / "demand.csv"
        demand.write_text(self.demand_csv(), encoding="utf-8")
        return Written(demand, catalog)

    def describe(self) -> str:
        """Everything needed to reproduce the instance by hand, as text."""
        overlay = {"accelerators": self.accelerators, "models": self.models, "apis": self.apis}
        return (
            "demand.csv:\n"
            + self.demand_csv()
            + "catalog overlay:\n"
            + yaml.safe_dump({k: [dict(e) for e in v] for k, v in overlay.items()}, sort_keys=False)
            + f"settings: {self.settings.solve_options()}\n"
        )


@dataclass(frozen=True)
class Reference:
    """The reference optimum of an instance.

    Attributes:
        feasible: False when no plan satisfies the hard rules (``min_replicas`` against
            ``--max-chips`` or ``--budget-usd``).
        objective_usd: the proven optimum (None when infeasible).
        status: HiGHS's model status, as text.
        replicas: (period, deployment id) -> replicas in the optimal plan found (non-zero only).
        chips: (period or ``committed``, accelerator, provider, tier) -> chips or nodes bought.
        unmet: (period, workload) -> unmet requests/s.
        n_options: (row, deployment) pairs in the model; ``n_api_routes`` (row, API) pairs.
    """

    feasible: bool
    objective_usd: float | None
    status: str
    replicas: dict[tuple[str, str], int]
    chips: dict[tuple[str, str, str, str], int]
    unmet: dict[tuple[str, str], float]
    n_options: int
    n_api_routes: int


def reference_optimum(instance: Instance, written: Written) -> Reference:
    """Build and solve the reference MILP of ``instance`` from the catalog written for it."""
    from oracle_model import solve_reference

    from planner.catalog.load import load_catalog

    catalog = load_catalog([written.catalog])
    return solve_reference(catalog, instance.rows, instance.settings)


def tolerance(usd: float) -> float:
    """How far two objectives may differ and still be equal: $0.01 + 1e-6 x the objective."""
    return 0.01 + 1e-6 * abs(usd)


def committed_hours(tier: str, horizon_hours: float, commitment_cost: str) -> float:
    """Hours a committed offer is charged for: whole terms covering the horizon, or the horizon."""
    term = {"committed_1y": 8760.0, "committed_3y": 26280.0}[tier]
    if commitment_cost == "horizon":
        return horizon_hours
    return max(1, math.ceil(horizon_hours / term - 1e-9)) * term


def period_hours(rows: Sequence[Row]) -> dict[str, float]:
    """Each period's hours, in order of first appearance (the first row of a period gives them)."""
    hours: dict[str, float] = {}
    for row in rows:
        hours.setdefault(row.period, row.hours)
    return hours
