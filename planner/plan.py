"""The plan: what ``plan solve`` writes, as frozen pydantic models (its JSON Schema is in docs/).

Cost accounting (every figure re-priceable from the catalogs):

* a per-period offer (on-demand, spot) costs chips x USD per chip-hour x the period's hours;
* a committed offer costs chips x USD per chip-hour x hours charged (its whole term by default);
  the hours inside the horizon are spread over the periods (``periods[].accelerators``), the rest
  is ``cost_usd.committed_beyond_horizon``;
* an API costs requests/s x 3600 x hours x (input x input price + output x output price) / 1e6;
* ``objective_usd = accelerators + committed_beyond_horizon + api + unmet_penalty``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "1.0"


class Out(BaseModel):
    """Base of every plan record."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class CostUsd(Out):
    """Total cost over the horizon, by kind."""

    accelerators: float = Field(description="Accelerator cost inside the horizon (sum over periods)")
    committed_beyond_horizon: float = Field(description="Committed cost charged for hours after the horizon")
    api: float = Field(description="API token cost")
    unmet_penalty: float = Field(description="Penalty for unmet demand")


class SolverInfo(Out):
    """How the plan was found."""

    name: str
    stage: Literal["lp_rounding", "milp"]
    bound_usd: float = Field(description="Best proven lower bound on the objective")
    gap: float = Field(description="(objective - bound) / objective")
    seconds: float


class Baseline(Out):
    """A simpler fleet to compare with."""

    name: str
    usd: float | None
    saving_fraction: float | None = Field(description="(baseline - plan) / baseline")
    note: str


class AcceleratorLine(Out):
    """Chips bought from one offer in one period."""

    accelerator: str
    provider: str
    tier: str
    chips: int
    usd: float


class DeploymentLine(Out):
    """Replicas of one deployment option in one period."""

    id: str
    model: str
    accelerator: str
    tensor_parallel: int
    pipeline_parallel: int
    precision: str
    replicas: int
    capacity_requests_per_s: float = Field(description="What all replicas sustain at the target utilisation")
    utilization: float = Field(description="Routed load / what the replicas sustain at 100%")
    usd: float


class RouteLine(Out):
    """Traffic of one workload sent to one deployment or API."""

    workload: str
    kind: Literal["deployment", "api"]
    target: str
    requests_per_s: float
    usd: float


class WorkloadLine(Out):
    """How one workload is served in one period."""

    workload: str
    demand_requests_per_s: float
    self_hosted_requests_per_s: float
    api_requests_per_s: float
    unmet_requests_per_s: float
    marginal_usd_per_request_per_s: float | None = Field(
        description="Long-run marginal cost (LP relaxation dual) of one more request/s over the period"
    )
    short_run_marginal_usd_per_request_per_s: float | None = Field(
        description="Marginal cost of one more request/s with the plan's integer choices fixed"
    )
    ttft_ms: float | None = Field(
        description="Worst TTFT predicted at the planned load among the deployments it uses"
    )
    tpot_ms: float | None = Field(
        description="Worst TPOT predicted at the planned load among the deployments it uses"
    )


class PeriodPlan(Out):
    """Everything bought and routed in one period."""

    period: str
    hours: float
    usd: float
    accelerators: tuple[AcceleratorLine, ...]
    deployments: tuple[DeploymentLine, ...]
    routing: tuple[RouteLine, ...]
    workloads: tuple[WorkloadLine, ...]


class CommitmentLine(Out):
    """Committed chips held over the whole horizon."""

    accelerator: str
    provider: str
    tier: str
    chips: int
    usd: float = Field(description="Total charged")
    usd_beyond_horizon: float


class UnmetLine(Out):
    """A workload left (partly) unmet, and why."""

    period: str
    workload: str
    requests_per_s: float
    reason: str


class Diagnostics(Out):
    """What the user must know."""

    unmet: tuple[UnmetLine, ...] = ()
    warnings: tuple[str, ...] = ()


class Inputs(Out):
    """Fingerprints of the inputs."""

    demand_file: str
    demand_sha256: str
    catalog_sha256: str
    profiles_sha256: str | None
    settings: dict[str, object]


class Plan(Out):
    """A capacity plan."""

    schema_version: str = SCHEMA_VERSION
    status: Literal["optimal", "feasible"]
    objective_usd: float
    cost_usd: CostUsd
    solver: SolverInfo
    baselines: tuple[Baseline, ...]
    commitments: tuple[CommitmentLine, ...]
    periods: tuple[PeriodPlan, ...]
    diagnostics: Diagnostics
    inputs: Inputs
    timings: dict[str, float] = Field(default_factory=dict)

    @property
    def unmet_requests(self) -> float:
        """Total unmet requests/s summed over periods."""
        return sum(w.unmet_requests_per_s for p in self.periods for w in p.workloads)


def json_schema_text() -> str:
    """The plan's JSON Schema as indented text (``python -m planner.plan`` prints it)."""
    import json

    return json.dumps(Plan.model_json_schema(), indent=2) + "\n"


if __name__ == "__main__":
    print(json_schema_text(), end="")
