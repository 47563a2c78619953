"""The plan: what ``plan solve`` writes, as frozen pydantic models (its JSON Schema is in docs/).

Cost accounting (every figure re-priceable from the catalogs; ``plan verify`` re-prices them):

* a per-period offer (on-demand, spot) costs chips x USD per chip-hour x the period's hours;
* a committed offer obliges chips x USD per chip-hour x its whole terms (8,760 h per year, as many
  terms as the horizon needs): ``commitments[].usd_obligation``. Of that, the horizon's hours are
  ``usd_within_horizon`` (spread over the periods' accelerator lines) and the rest is
  ``usd_beyond_horizon``, whichever ``--commitment-cost`` is used. ``commitments[].usd`` is what the
  objective charges: the whole obligation with ``term`` (the default), the part within the
  horizon with ``horizon``; the charged part beyond the horizon is
  ``cost_usd.committed_beyond_horizon`` (0 with ``horizon``);
* an API costs requests/s x 3600 x hours x (input x input price + output x output price) / 1e6,
  priced at the rate as printed (6 decimals);
* unmet demand costs unmet requests/s (as printed) x 3600 x hours x the penalty per request;
* ``objective_usd = accelerators + committed_beyond_horizon + api + unmet_penalty``.

Deployment and self-hosted route lines carry ``usd`` too: their share of the accelerator cost
(by chips, then by the replica capacity each route occupies). These are allocations of
``cost_usd.accelerators``, not costs of their own: never add them to it.

Version policy: ``schema_version`` is ``"MAJOR.MINOR"``. An additive change (a new field, a new
allowed value) bumps the minor version; a breaking one (a field removed, renamed or given another
meaning) bumps the major. Readers (:mod:`planner.planfile`, the one plan loader) accept plans of
the current major version at or below the current minor and upgrade them as they read them; any
other version is refused. 1.1 added ``solver.stopped_by``, ``solver.reductions``, unmet reason
codes, ``diagnostics.unmet_share`` and ``diagnostics.relaxations``; 1.2 added
``commitments[].usd_within_horizon`` and ``usd_obligation`` (and ``usd_beyond_horizon`` now reports
the obligation after the horizon also with ``--commitment-cost horizon``, where it was 0); 1.3 added
``deployments[].precision_source`` (``checkpoint`` or ``on_the_fly``; ``precision_kind`` says the
same in its 1.2 words, ``quantized`` for ``on_the_fly``); 1.4 added the optional ``sensitivity``
section (``plan solve --sensitivity``); 1.5 added ``periods[].owned``, ``periods[].fleet_changes``
and ``inputs.fleet_sha256`` (``--fleet``); 1.6 added the optional ``inputs.forecast`` (what a
plan solved from a forecast, ``--workloads``, was provisioned for: the options and the column read)
and ``solver.start`` (the plan a search started from: ``--start``, a what-if's or a sweep's base);
1.7 added ``solver.bracket`` and ``stopped_by: bracketed`` (a sweep point on a price axis whose
bound comes from its neighbours' proven bounds, ``planner.sweeps.bracket``) and
``periods[].bound_usd`` (each period's proven bound, where per-period MILPs gave one).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "1.7"


PrecisionKind = Literal["checkpoint", "quantized"]
PrecisionSource = Literal["checkpoint", "on_the_fly"]


class Out(BaseModel):
    """Base of every plan record."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class CostUsd(Out):
    """Total cost over the horizon, by kind."""

    accelerators: float = Field(description="Accelerator cost inside the horizon (sum over periods)")
    committed_beyond_horizon: float = Field(description="Committed cost charged for hours after the horizon")
    api: float = Field(description="API token cost")
    unmet_penalty: float = Field(description="Penalty for unmet demand")


class Reduction(Out):
    """One reduction of the model (pruning of options or offers): whether it was applied, and why."""

    rule: str = Field(description="The rule's name (docs/formulation.md, 'Reductions')")
    applied: bool
    reason: str = Field(description="Why it was applied (its exactness conditions hold) or switched off")
    removed: int = Field(0, description="How many options, pairs or offers it removed")


StoppedBy = Literal["proven", "gap", "time_limit", "work_limit", "bracketed"]
PERIOD_BOUND = (
    "A proven lower bound on the period's cost (its lines, unmet penalty and share by hours of committed "
    "cost) where one MILP per period ran over every period; they add up to a bound of the whole (1.7)"
)


class StartInfo(Out):
    """A plan the search started from (``--start``; a what-if's base, a sweep's base row)."""

    source: str = Field(description="Where it came from: a plan file, 'the base plan'")
    carried: bool = Field(description="Its choices fit this model (every deployment and offer kind exists)")
    kept: bool = Field(
        description="Routed by the LP it was cheaper than the rounded plan: the MILP stages improved on it"
    )
    note: str = Field("", description="Why it was not carried, when it was not")


class BracketInfo(Out):
    """A bound a sweep point on a price axis has from its neighbours (``planner.sweeps.bracket``)."""

    points: tuple[str, ...] = Field(description="The sweep points whose proven bounds give it")
    values: tuple[float, ...] = Field(description="The price at each of those points")
    bound_usd: float = Field(description="The bound they give at this point's price")
    accept_gap: float = Field(
        description="The gap accepted without a MILP: the larger of --mip-gap and the points' gaps"
    )
    period_bounds: tuple[float, ...] | None = Field(
        None,
        description="Per period, the bound the points' period bounds give (periods within "
        "accept_gap of theirs ran no MILP)",
    )
    accepted: bool = Field(description="The plan was within accept_gap of the bound: no MILP was run")


class SolverInfo(Out):
    """How the plan was found."""

    name: str
    stage: Literal["lp_rounding", "milp"]
    bound_usd: float = Field(description="Best proven lower bound on the objective of the problem as posed")
    gap: float = Field(description="(objective - bound) / objective; 0 when the objective is 0")
    seconds: float
    stopped_by: StoppedBy = Field(
        description="proven: gap within --mip-gap; gap: the search ended above it without a limit "
        "being reached; time_limit / work_limit: that limit stopped it; bracketed: a sweep point "
        "within its accept_gap of the bound its neighbours give (no MILP run; 1.7)"
    )
    reductions: tuple[Reduction, ...] = Field(default=(), description="The model reductions considered")
    start: StartInfo | None = Field(
        None, description="The plan the search started from (1.6; None: the LP relaxation alone)"
    )
    bracket: BracketInfo | None = Field(
        None, description="The bound a sweep point has from its neighbours on a price axis (1.7)"
    )


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
    usd: float = Field(
        description="chips x USD per chip-hour x the period's hours (committed chips: the period's share "
        "of usd_within_horizon)"
    )


class OwnedLine(Out):
    """Chips you already have (``--fleet``) in one period: no cost in the plan."""

    accelerator: str
    provider: str
    tier: str
    chips: int


class FleetChange(Out):
    """What to do with the fleet of one accelerator, provider and tier against the previous period.

    The fleet of a period is its owned chips and the chips its accelerator lines buy; the first
    period compares with the fleet as ``--fleet`` gives it (nothing without one).
    """

    accelerator: str
    provider: str
    tier: str
    added_chips: int
    kept_chips: int
    released_chips: int


class DeploymentLine(Out):
    """Replicas of one deployment option in one period."""

    id: str
    model: str
    accelerator: str
    tensor_parallel: int
    pipeline_parallel: int
    precision: str
    replicas: int
    precision_kind: PrecisionKind | None = Field(
        None,
        description="checkpoint: weights published in this precision; quantized: quantised on the fly "
        "by the server at load time (added in 1.2)",
    )
    precision_source: PrecisionSource | None = Field(
        None,
        description="checkpoint: the model's weights or a published checkpoint in this precision; "
        "on_the_fly: quantised by the engine at load time (exports pass the quantisation flag; added in 1.3)",
    )
    max_num_seqs: int | None = Field(
        None,
        ge=1,
        description="Planned batch: the most concurrent sequences one replica was sized for over the "
        "request shapes routed to it (None where only measured profiles size it; added in 1.2)",
    )
    max_model_len_tokens: int | None = Field(
        None,
        ge=1,
        description="Planned context: the longest request shape (input + output tokens) routed to it "
        "(added in 1.2)",
    )
    capacity_requests_per_s: float = Field(description="What all replicas sustain at the target utilisation")
    utilization: float = Field(description="Routed load / what the replicas sustain at 100%")
    usd: float = Field(
        description="Allocation: this deployment's share (by chips) of its accelerator's cost in the "
        "period; part of cost_usd.accelerators, never added to it"
    )


class PlacementLine(Out):
    """Replicas of one deployment placed on one offer's chips (one provider, one tier).

    Every replica's chips sit with one provider and tier, so per (accelerator, provider, tier) the
    placed chips (replicas x chips per replica) never exceed the period's chip line.
    """

    deployment: str
    accelerator: str
    provider: str
    tier: str
    replicas: int = Field(ge=1)
    chips_per_replica: int = Field(ge=1)


class RouteLine(Out):
    """Traffic of one workload sent to one deployment or API."""

    workload: str
    kind: Literal["deployment", "api"]
    target: str
    requests_per_s: float
    usd: float = Field(
        description="API: what the API charges. Deployment: an allocation of the deployment's usd by the "
        "replica capacity the route occupies (never added to totals)"
    )


class WorkloadLine(Out):
    """How one workload is served in one period."""

    workload: str
    demand_requests_per_s: float
    input_tokens: float | None = Field(None, description="Mean input tokens per request (added in 1.2)")
    output_tokens: float | None = Field(None, description="Mean output tokens per request (added in 1.2)")
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
    usd: float = Field(description="Accelerator lines plus API routes of the period (not the unmet penalty)")
    accelerators: tuple[AcceleratorLine, ...]
    deployments: tuple[DeploymentLine, ...]
    routing: tuple[RouteLine, ...]
    workloads: tuple[WorkloadLine, ...]
    placements: tuple[PlacementLine, ...] = Field(
        (), description="Where each deployment's replicas run: provider and tier (added in 1.2)"
    )
    owned: tuple[OwnedLine, ...] = Field((), description="Chips already yours this period (--fleet; 1.5)")
    fleet_changes: tuple[FleetChange, ...] = Field(
        (), description="Chips added, kept and released against the previous period (1.5)"
    )
    bound_usd: float | None = Field(None, description=PERIOD_BOUND)


class CommitmentLine(Out):
    """Committed chips held over the whole horizon, with their obligation split at the horizon's end."""

    accelerator: str
    provider: str
    tier: str
    chips: int
    usd: float = Field(
        description="What the objective charges: usd_obligation with --commitment-cost term, "
        "usd_within_horizon with horizon"
    )
    usd_within_horizon: float = Field(
        description="chips x USD per chip-hour x the horizon's hours (in the periods' accelerator lines)"
    )
    usd_beyond_horizon: float = Field(
        description="usd_obligation - usd_within_horizon: owed after the horizon (charged only with term)"
    )
    usd_obligation: float = Field(
        description="chips x USD per chip-hour x the whole terms the horizon needs (8,760 h a year)"
    )


ReasonCode = Literal[
    "latency",
    "no_option",
    "self_host_only",
    "api_only",
    "max_api_share",
    "api_rate_limit",
    "max_chips",
    "budget",
    "penalty_cheaper",
]


class UnmetLine(Out):
    """A workload left (partly) unmet, and why (read from the solved model)."""

    period: str
    workload: str
    requests_per_s: float
    reason_code: ReasonCode = Field(description="The first binding cause (see reason_codes for all)")
    reason_codes: tuple[ReasonCode, ...] = Field(description="Every cause that binds")
    reason: str = Field(description="One sentence per cause")


class RelaxationChange(Out):
    """One rule relaxed: its kind, what it applies to, and its value before and after."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", allow_inf_nan=False, populate_by_name=True, serialize_by_alias=True
    )

    kind: Literal[
        "allow_api", "allow_self_host", "max_api_share", "tpot_ms", "ttft_ms", "max_chips", "budget_usd"
    ]
    target: str = Field(description="The workload, accelerator or 'budget' the change applies to")
    from_: str | float | None = Field(alias="from")
    to: str | float | None


class Relaxation(Out):
    """The cheapest single change found that serves a group of unmet demand."""

    workloads: tuple[str, ...]
    periods: tuple[str, ...]
    requests_per_s: float = Field(description="Unmet requests/s of the group (summed over its rows)")
    change: RelaxationChange
    objective_usd: float = Field(description="The objective with the change")
    saving_usd: float = Field(description="The plan's objective minus objective_usd")


class Diagnostics(Out):
    """What the user must know."""

    unmet: tuple[UnmetLine, ...] = ()
    unmet_share: float = Field(0.0, description="Unmet share of demanded requests (weighted by hours)")
    relaxations: tuple[Relaxation, ...] = ()
    warnings: tuple[str, ...] = ()


class ForecastInputs(Out):
    """How a forecast (``plan solve FORECAST.csv --workloads ...``) was read: what the plan is for (1.6).

    The first six fields are the options as given (None: not given, the default applied); the
    last five what the forecast loader resolved from them and the file's header.
    """

    workloads_file: str = Field(description="The --workloads file, as given")
    workloads_sha256: str = Field(description="sha256 of the workloads file's bytes")
    provision_for: str = Field(description="--provision-for as given: a column as written, or pNN")
    forecast_model: str | None = Field(description="--forecast-model as given")
    interval_width: float | None = Field(description="--interval-width as given (Prophet)")
    series_column: str | None = Field(description="--series-column as given")
    forecast_unit: Literal["requests_per_s", "requests_per_hour", "requests_per_day"] = Field(
        description="--forecast-unit: the unit of the forecast's values"
    )
    tool: Literal["prophet", "nixtla"] = Field(description="The forecast's layout, by its header")
    column: str = Field(description="The column read as the rate, as the file spells it (AutoETS-hi-80)")
    quantile_percent: float | None = Field(
        description="The column's quantile in percent (90 for AutoETS-hi-80); None where neither its "
        "name nor --interval-width gives one"
    )
    model: str | None = Field(description="The model whose column was read (Nixtla; None for Prophet)")
    id_column: str = Field(description="The column read as the series (workload) id")

    @property
    def label(self) -> str:
        """``AutoETS-hi-80 (p90)``: the column read and its quantile."""
        return self.column + (f" (p{self.quantile_percent:g})" if self.quantile_percent is not None else "")


class Inputs(Out):
    """Fingerprints of the inputs."""

    demand_file: str
    demand_sha256: str
    catalog_sha256: str
    profiles_sha256: str | None
    settings: dict[str, object]
    fleet_sha256: str | None = Field(None, description="sha256 of the --fleet file (1.5)")
    forecast: ForecastInputs | None = Field(
        None,
        description="How the demand file was read when it is a forecast (--workloads): the options "
        "and the column the plan was provisioned for (1.6); None for a demand.csv",
    )


class PriceRange(Out):
    """The price range of one accelerator offer or API over which the plan's fleet stays the same.

    Factors multiply the current price (an API's input and output token prices together). The
    fleet is the chips per accelerator, provider, tier and period, and the set of APIs used.
    ``low_factor``..``high_factor`` is the range re-solves found the same fleet in;
    ``changes_below`` / ``changes_above`` the nearest factors where they found another (the edge
    lies between); None where no change was found inside the searched range.
    """

    kind: Literal["offer", "api"]
    path: str = Field(description="The --set path of the price (an API's: its id, both token prices)")
    accelerator: str | None = None
    provider: str | None = None
    tier: str | None = None
    api: str | None = None
    in_plan: bool = Field(description="The plan uses it (chips bought, or requests routed)")
    usd: float = Field(description="Current price: USD per chip-hour, or per 1M output tokens (APIs)")
    lp_low_factor: float | None = Field(description="LP cost ranging's lower end (the first guess)")
    lp_high_factor: float | None = Field(description="LP cost ranging's upper end (the first guess)")
    low_factor: float = Field(description="Lowest factor re-solved with the same fleet")
    high_factor: float = Field(description="Highest factor re-solved with the same fleet")
    changes_below: float | None = Field(description="Highest factor below low_factor with another fleet")
    changes_above: float | None = Field(description="Lowest factor above high_factor with another fleet")
    below: str | None = Field(description="What replaces the fleet at changes_below")
    above: str | None = Field(description="What replaces the fleet at changes_above")
    resolves: int = Field(ge=0, description="Re-solves spent on this range")
    note: str = ""


class Sensitivity(Out):
    """Price ranges of the offers and APIs in the plan or near entering it (added in 1.4)."""

    method: str = Field(description="How the ranges were established")
    searched_factors: tuple[float, float] = Field(description="The factor range searched")
    work_limit: int = Field(description="The work limit of every re-solve")
    max_resolves: int
    resolves: int
    resolves_stopped_by_time: int = Field(
        0, description="Re-solves the time limit stopped before the work limit (then load-dependent)"
    )
    ranges: tuple[PriceRange, ...]


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
    sensitivity: Sensitivity | None = Field(
        None, description="Price ranges (plan solve --sensitivity; added in 1.4)"
    )

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
