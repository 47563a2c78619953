"""What the verifier knows besides the plan: the demand rows, the settings, and what replicas sustain.

Capacities are re-derived from the performance model and the measured profiles (the same
``estimate_pairs`` the options stage uses), for exactly the (request shape, deployment) pairs the
plan puts side by side; nothing is read from the plan's own capacity figures.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planner.catalog.schema import ApiOffering
from planner.options import (
    CONFIG_KEYS,
    allowed_accelerators,
    allowed_apis,
    build_configs,
    build_shapes,
    candidate_models,
    estimate_pairs,
)
from planner.pipeline import Problem
from planner.plan import DeploymentLine, Plan
from planner.trends import price_factors

#: (model, accelerator, tensor_parallel, pipeline_parallel, precision)
Config = tuple[str, str, int, int, str]


@dataclass(frozen=True)
class Row:
    """One demand row, with the settings that apply to it resolved."""

    workload: str
    rate: float
    input_tokens: float
    output_tokens: float
    model: str | None
    min_quality: float | None
    self_host_only: bool
    api_only: bool
    max_api_share: float
    util: float
    min_replicas: int
    shape: int

    @property
    def tokens(self) -> float:
        """Input + output tokens per request."""
        return self.input_tokens + self.output_tokens

    def wants(self) -> str:
        """What serves it, in words."""
        return f"model '{self.model}'" if self.model else f"quality >= {self.min_quality:g}"


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _number(value: object) -> float:
    if isinstance(value, int | float):
        return float(value)
    return float(str(value))


def config_of(dep: DeploymentLine) -> Config:
    """A deployment line's configuration."""
    return (dep.model, dep.accelerator, dep.tensor_parallel, dep.pipeline_parallel, dep.precision)


def config_id(config: Config) -> str:
    """``model:accelerator:tpN:ppN:precision``, the id a deployment of that configuration has."""
    model, acc, tp, pp, precision = config
    return f"{model}:{acc}:tp{tp}:pp{pp}:{precision}"


@dataclass
class PeriodState:
    """What one plan period holds, as the checks re-derive it."""

    index: int
    label: str
    hours: float
    rows: dict[str, Row]
    acc_usd: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    bought: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    spot: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    used: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    committed: dict[tuple[str, str, str], tuple[int, int]] = field(default_factory=dict)
    first_line: dict[str, int] = field(default_factory=dict)
    deps: dict[str, int] = field(default_factory=dict)
    bad_deps: set[int] = field(default_factory=set)
    api_usd: float = 0.0
    self_hosted: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    api: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    routes_of: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    api_routes_of: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    api_load: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    api_tokens: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    api_first_route: dict[str, int] = field(default_factory=dict)
    load: dict[int, float] = field(default_factory=lambda: defaultdict(float))
    slots: dict[int, float] = field(default_factory=lambda: defaultdict(float))
    busy: dict[int, float] = field(default_factory=lambda: defaultdict(float))
    route_slots: dict[int, tuple[int, float]] = field(default_factory=dict)

    @property
    def place(self) -> str:
        """The period's JSON path."""
        return f"periods[{self.index}]"


class Context:
    """The inputs a plan is checked against, and the capacities re-derived for it."""

    def __init__(self, plan: Plan, problem: Problem) -> None:
        self.plan, self.problem = plan, problem
        self.catalog, self.settings = problem.catalog, problem.settings
        frame, self.shapes = build_shapes(problem.demand)
        self.rows: dict[str, dict[str, Row]] = defaultdict(dict)
        for raw in frame.to_dict("records"):
            rec: dict[str, object] = {str(k): v for k, v in raw.items()}
            self.rows[str(rec["period"])][str(rec["workload"])] = self._row(rec)
        self.periods = problem.demand.periods
        self.hours = problem.demand.hours
        self.horizon_hours = float(sum(self.hours[p] for p in self.periods))
        self.allowed_accelerators = set(allowed_accelerators(self.catalog, self.settings))
        self.allowed_apis = set(allowed_apis(self.catalog, self.settings))
        self._factors: dict[tuple[str, str], np.ndarray] = {}
        self._legal: dict[tuple[str, str], set[Config]] = {}
        self._rates: dict[tuple[int, Config], float | None] = {}
        self._servable: dict[int, bool] = {}

    def price_factor(self, kind: str, entry: str, period: str) -> float:
        """The ``--price-trend`` factor on an API's or an accelerator's per-period price (1 without)."""
        if not self.settings.price_trends or period not in self.periods:
            return 1.0
        if (kind, entry) not in self._factors:
            self._factors[(kind, entry)] = price_factors(
                self.settings.price_trends, self.periods, kind, (entry,)
            )
        return float(self._factors[(kind, entry)][self.periods.index(period), 0])

    def _row(self, rec: dict[str, object]) -> Row:
        util, quality, model = rec["target_utilization"], rec["min_quality"], rec["model"]
        return Row(
            workload=str(rec["workload"]),
            rate=_number(rec["requests_per_s"]),
            input_tokens=_number(rec["input_tokens"]),
            output_tokens=_number(rec["output_tokens"]),
            model=model if isinstance(model, str) and model else None,
            min_quality=None if _blank(quality) else _number(quality),
            self_host_only=bool(rec["self_host_only"]),
            api_only=bool(rec["api_only"]),
            max_api_share=_number(rec["max_api_share"]),
            util=self.settings.target_utilization if _blank(util) else _number(util),
            min_replicas=int(_number(rec["min_replicas"])),
            shape=int(_number(rec["shape"])),
        )

    def serves(self, row: Row, model_id: str) -> bool:
        """Whether a self-hosted model serves the row (its pinned model, or at its quality floor)."""
        model = self.catalog.models.get(model_id)
        if model is None or not model.open_weights:
            return False
        if row.model is not None:
            return model_id == row.model
        return model.quality is not None and row.min_quality is not None and model.quality >= row.min_quality

    def api_serves(self, row: Row, api: ApiOffering) -> bool:
        """Whether an API offer serves the row's model or quality floor."""
        if row.model is not None:
            return api.model == row.model
        quality = self.catalog.api_quality(api)
        return quality is not None and row.min_quality is not None and quality >= row.min_quality

    def legal(self, config: Config) -> bool:
        """A layout the model may run in on that accelerator (or one measured in the profiles)."""
        model, acc = config[0], config[1]
        if model not in self.catalog.models or acc not in self.catalog.accelerators:
            return False
        if (model, acc) not in self._legal:
            configs = build_configs({model}, self.catalog, (acc,), self.problem.profiles)
            self._legal[(model, acc)] = {
                (str(m), str(a), int(tp), int(pp), str(p))
                for m, a, tp, pp, p in configs[CONFIG_KEYS].itertuples(index=False, name=None)
            }
        return config in self._legal[(model, acc)]

    def estimate(self, pairs: set[tuple[int, Config]]) -> None:
        """Re-derive what one replica sustains for every new (shape, legal config) pair."""
        todo = sorted(p for p in pairs if p not in self._rates and self.legal(p[1]))
        if not todo:
            return
        frame = pd.DataFrame([(s, *c) for s, c in todo], columns=["shape", *CONFIG_KEYS])
        cols = ["input_tokens", "output_tokens", "ttft_ms", "tpot_ms"]
        frame = frame.merge(self.shapes[cols], left_on="shape", right_index=True, how="left")
        est = estimate_pairs(frame, self.catalog, self.problem.profiles)
        fits = est["fits"].astype(bool).to_numpy()
        rates = est["requests_per_s"].astype(float).to_numpy()
        for pair, ok, rate in zip(todo, fits, rates, strict=True):
            self._rates[pair] = float(rate) if ok and math.isfinite(rate) and rate > 0 else None

    def rate(self, shape: int, config: Config) -> float | None:
        """Requests/s one replica sustains for the shape within its targets (None: it cannot)."""
        return self._rates.get((shape, config))

    def servable(self, row: Row) -> bool:
        """Whether any allowed, priced deployment could serve the row (for availability floors)."""
        if row.shape not in self._servable:
            shape = self.shapes.iloc[row.shape]
            models = set(candidate_models(shape, self.catalog))
            accs = tuple(sorted(self.allowed_accelerators))
            configs = build_configs(models, self.catalog, accs, self.problem.profiles) if models else None
            pairs = set()
            if configs is not None:
                pairs = {
                    (row.shape, (str(m), str(a), int(tp), int(pp), str(p)))
                    for m, a, tp, pp, p in configs[CONFIG_KEYS].itertuples(index=False, name=None)
                }
            self.estimate(pairs)
            self._servable[row.shape] = any(self.rate(s, c) is not None for s, c in pairs)
        return self._servable[row.shape]
