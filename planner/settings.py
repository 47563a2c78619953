"""Settings of one planning run: every option of ``plan solve``, validated, with documented defaults."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

#: Replicas are provisioned so that the planned load is at most this fraction of what they sustain.
DEFAULT_TARGET_UTILIZATION = 0.8
#: Smallest target utilisation: below it a replica's planned load is noise (and the LP's numbers
#: leave the range the solvers handle exactly).
MIN_TARGET_UTILIZATION = 0.01
#: Most solver threads one may ask for.
MAX_THREADS = 1024
#: At most this share of an accelerator's chips in a period may be spot capacity. Equal to the default
#: headroom (1 - target utilisation): losing every spot chip at once still leaves the measured maximum.
DEFAULT_MAX_SPOT_SHARE = 0.2
#: USD charged per request left unmet: far above any API's price per request (GPT-5.4 Pro at 100k input
#: + 30k output tokens costs about $8.40) and above a dedicated replica for any workload over ~0.05 req/s.
DEFAULT_UNMET_PENALTY_USD_PER_REQUEST = 1000.0
DEFAULT_TIME_LIMIT_S = 60.0
DEFAULT_MIP_GAP = 0.001


#: What a price trend may scale: every API or accelerator offer, or one catalog entry's.
PRICE_TREND_TARGET = r"^(apis|accelerators)(\.[a-z0-9][a-z0-9.-]*)?$"


class PriceTrend(BaseModel):
    """A yearly price trend: ``target`` prices scale by ``(1 + rate_per_year) ** (days / 365.25)``."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    target: str = Field(pattern=PRICE_TREND_TARGET, description="apis, accelerators or KIND.ID")
    rate_per_year: float = Field(gt=-1, description="-0.9: a tenth of the price after a year")

    @property
    def kind(self) -> str:
        """``apis`` or ``accelerators``."""
        return self.target.split(".", 1)[0]

    @property
    def entry(self) -> str | None:
        """The catalog id the trend applies to, or None for every entry of its kind."""
        parts = self.target.split(".", 1)
        return parts[1] if len(parts) == 2 else None


class SolveSettings(BaseModel):
    """Options of a planning run (the long names of ``plan solve``'s flags, with ``_`` for ``-``)."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    accelerators: tuple[str, ...] | None = Field(None, description="Only these accelerators")
    apis: tuple[str, ...] | None = Field(None, description="Only these API offerings")
    target_utilization: float = Field(DEFAULT_TARGET_UTILIZATION, ge=MIN_TARGET_UTILIZATION, le=1)
    max_spot_share: float = Field(DEFAULT_MAX_SPOT_SHARE, ge=0, le=1)
    commitment_cost: Literal["term", "horizon"] = "term"
    max_chips: dict[str, int] = Field(
        default_factory=dict, description="Chip limit per accelerator and period"
    )
    budget_usd: float | None = Field(None, gt=0, description="Limit on the total cost over the horizon")
    whole_nodes: bool = Field(False, description="Buy node-sold offers by whole nodes")
    unmet_penalty_usd_per_request: float = Field(DEFAULT_UNMET_PENALTY_USD_PER_REQUEST, gt=0)
    solver: Literal["highs", "cbc"] = "highs"
    time_limit_s: float = Field(DEFAULT_TIME_LIMIT_S, gt=0)
    mip_gap: float = Field(DEFAULT_MIP_GAP, ge=0, lt=1)
    threads: int | None = Field(None, ge=1, le=MAX_THREADS)
    baselines: bool = True
    reductions: bool = Field(True, description="Apply the exact model reductions (--no-reductions: none)")
    price_trends: tuple[PriceTrend, ...] = Field(
        (), description="Yearly price trends applied per period by its date (what-if changes)"
    )
    work_limit: int | None = Field(
        None, ge=1, description="Per MILP: N branch-and-bound nodes and 10,000 N simplex iterations"
    )

    @field_validator("max_chips")
    @classmethod
    def _non_negative(cls, value: dict[str, int]) -> dict[str, int]:
        for acc, chips in value.items():
            if chips < 0:
                raise ValueError(f"max_chips for {acc} must be >= 0")
        return value
