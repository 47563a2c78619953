"""The reference MILP of ``tests/oracle.py``: every option and offer, no pruning, HiGHS at gap 0.

Written from README.md ("demand.csv", "Commands") and docs/formulation.md (sets, variables,
constraint families, objective). Symbols follow docs/formulation.md: ``d`` a demand row with a
positive rate, ``c`` a deployment option (model, accelerator, tp, pp, precision), ``k`` an API,
``f`` a price offer. Replica capacities come from ``planner.perf.estimate_grid``, so they agree
with the production code bit for bit; nothing else is shared with it.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import highspy
import numpy as np
import pandas as pd
from oracle import Reference, Row, Settings, committed_hours, period_hours

from planner.catalog.schema import Accelerator, ApiOffering, Catalog, PriceOffer
from planner.perf import estimate_grid, parallel_layouts

SECONDS_PER_HOUR = 3600.0
PER_PERIOD_TIERS = ("on_demand", "spot")
INF = math.inf


@dataclass
class Milp:
    """A minimisation MILP built column by column and row by row, solved by HiGHS from arrays."""

    cost: list[float] = field(default_factory=list)
    integer: list[bool] = field(default_factory=list)
    rows: list[tuple[dict[int, float], float, float]] = field(default_factory=list)

    def column(self, cost: float, *, integer: bool = False) -> int:
        """A new column ``>= 0`` with this objective coefficient; returns its position."""
        self.cost.append(cost)
        self.integer.append(integer)
        return len(self.cost) - 1

    def add_row(self, coefs: Mapping[int, float], lower: float = -INF, upper: float = INF) -> None:
        """``lower <= sum coefs[j] x_j <= upper`` (entries of zero are kept out)."""
        kept = {j: v for j, v in coefs.items() if v != 0.0}
        if kept or lower > 0 or upper < 0:
            self.rows.append((kept, lower, upper))

    def solve(self) -> tuple[str, float | None, np.ndarray]:
        """Solve to proven optimality (``mip_rel_gap = mip_abs_gap = 0``): status, objective, values."""
        h = highspy.Highs()
        for name, value in (
            ("output_flag", False),
            ("mip_rel_gap", 0.0),
            ("mip_abs_gap", 0.0),
            ("primal_feasibility_tolerance", 1e-9),
            ("mip_feasibility_tolerance", 1e-9),
        ):
            h.setOptionValue(name, value)
        h.passModel(self._lp())
        h.run()
        status = h.getModelStatus()
        text = h.modelStatusToString(status)
        if status != highspy.HighsModelStatus.kOptimal:
            return text, None, np.zeros(len(self.cost))
        return text, float(h.getInfo().objective_function_value), np.asarray(h.getSolution().col_value)

    def _lp(self) -> highspy.HighsLp:
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = len(self.cost), len(self.rows)
        lp.col_cost_ = np.array(self.cost, dtype=float)
        lp.col_lower_ = np.zeros(len(self.cost))
        lp.col_upper_ = np.full(len(self.cost), INF)
        lp.row_lower_ = np.array([lo for _, lo, _ in self.rows], dtype=float)
        lp.row_upper_ = np.array([hi for _, _, hi in self.rows], dtype=float)
        starts, index, value = [0], [], []
        for coefs, _, _ in self.rows:
            index += list(coefs)
            value += list(coefs.values())
            starts.append(len(index))
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = len(self.cost), len(self.rows)
        lp.a_matrix_.start_ = np.array(starts, dtype=np.int32)
        lp.a_matrix_.index_ = np.array(index, dtype=np.int32)
        lp.a_matrix_.value_ = np.array(value, dtype=float)
        kinds = (highspy.HighsVarType.kContinuous, highspy.HighsVarType.kInteger)
        lp.integrality_ = [kinds[int(i)] for i in self.integer]
        return lp


@dataclass(frozen=True)
class Config:
    """A deployment option: (model, accelerator, tensor parallel, pipeline parallel, precision)."""

    model: str
    accelerator: str
    tp: int
    pp: int
    precision: str

    @property
    def chips(self) -> int:
        """Chips one replica spans."""
        return self.tp * self.pp

    @property
    def id(self) -> str:
        """``model:accelerator:tpN:ppN:precision`` (the README's deployment ids)."""
        return f"{self.model}:{self.accelerator}:tp{self.tp}:pp{self.pp}:{self.precision}"


def quality_floor(row: Row) -> float:
    """The row's ``min_quality`` (rows that pin no model have one)."""
    assert row.min_quality is not None, f"row {row} pins no model and has no quality floor"
    return row.min_quality


def candidate_models(row: Row, catalog: Catalog) -> list[str]:
    """Open-weight models a row may self-host: its pinned model, or every one scoring its floor."""
    if row.model is not None:
        return [row.model] if catalog.models[row.model].open_weights else []
    floor = quality_floor(row)
    return [
        m.id
        for m in catalog.models.values()
        if m.open_weights and m.quality is not None and m.quality >= floor
    ]


def configs_of(models: Sequence[str], accelerators: Sequence[str], catalog: Catalog) -> list[Config]:
    """Every legal layout of every precision a model is served in whose weights fit (``parallel_layouts``)."""
    return [
        Config(m, a, tp, pp, precision)
        for m in models
        for a in accelerators
        for precision in catalog.models[m].precisions
        for tp, pp in parallel_layouts(catalog.models[m], catalog.accelerators[a], precision)
    ]


def capacities(
    demand: Sequence[Row], accelerators: Sequence[str], catalog: Catalog
) -> list[list[tuple[Config, float]]]:
    """Per demand row, the options that fit and meet its TTFT/TPOT, with one replica's requests/s."""
    pairs = [
        (d, cfg)
        for d, row in enumerate(demand)
        if not row.api_only
        for cfg in configs_of(candidate_models(row, catalog), accelerators, catalog)
    ]
    result: list[list[tuple[Config, float]]] = [[] for _ in demand]
    if not pairs:
        return result
    cases = pd.DataFrame(
        {
            "model": [c.model for _, c in pairs],
            "accelerator": [c.accelerator for _, c in pairs],
            "tensor_parallel": [c.tp for _, c in pairs],
            "pipeline_parallel": [c.pp for _, c in pairs],
            "precision": [c.precision for _, c in pairs],
            "input_tokens": [float(demand[d].input_tokens) for d, _ in pairs],
            "output_tokens": [float(demand[d].output_tokens) for d, _ in pairs],
            "ttft_ms": [float(demand[d].ttft_ms) for d, _ in pairs],
            "tpot_ms": [float(demand[d].tpot_ms) for d, _ in pairs],
        }
    )
    est = estimate_grid(cases, catalog.models, catalog.accelerators)
    for (d, cfg), fits, rate in zip(pairs, est["fits"], est["requests_per_s"], strict=True):
        if bool(fits) and float(rate) > 0:
            result[d].append((cfg, float(rate)))
    return result


def api_serves(row: Row, api: ApiOffering, catalog: Catalog) -> bool:
    """The API serves the row's pinned model (or meets its floor) and accepts its input + output."""
    if api.max_context_tokens is not None and row.input_tokens + row.output_tokens > api.max_context_tokens:
        return False
    if row.model is not None:
        return api.model == row.model
    quality = catalog.api_quality(api)
    return quality is not None and quality >= quality_floor(row)


def usd_per_request(api: ApiOffering, row: Row) -> float:
    """(input x input price + output x output price) / 1e6 (README, "demand.csv", ``hours``)."""
    return (
        row.input_tokens * api.usd_per_1m_input_tokens + row.output_tokens * api.usd_per_1m_output_tokens
    ) / 1e6


def multiplier(acc: Accelerator, offer: PriceOffer, whole_nodes: bool) -> int:
    """Chips per unit bought: the node size for node-sold offers with ``--whole-nodes``, else 1."""
    return acc.chips_per_node if whole_nodes and offer.sold_by_node else 1


@dataclass
class _Columns:
    """Column positions of each variable family, keyed as in docs/formulation.md."""

    unmet: dict[int, int] = field(default_factory=dict)
    route: dict[tuple[int, Config], int] = field(default_factory=dict)
    api: dict[tuple[int, str], int] = field(default_factory=dict)
    replicas: dict[tuple[str, Config], int] = field(default_factory=dict)
    supply: dict[tuple[str, str, int], int] = field(default_factory=dict)
    commit: dict[tuple[str, int], int] = field(default_factory=dict)
    budget: dict[int, float] = field(default_factory=dict)


def solve_reference(catalog: Catalog, rows: Sequence[Row], settings: Settings) -> Reference:
    """The proven optimum of the unpruned planning MILP of ``rows`` under ``settings``."""
    hours = period_hours(rows)
    demand = [r for r in rows if r.requests_per_s > 0]
    accs = [a for a in settings.accelerators if catalog.accelerators[a].prices]
    caps = capacities(demand, accs, catalog)
    apis = {
        d: [k for k in settings.apis if not row.self_host_only and api_serves(row, catalog.apis[k], catalog)]
        for d, row in enumerate(demand)
    }
    milp, cols = Milp(), _Columns()
    _demand_columns(milp, cols, demand, caps, apis, catalog, settings, hours)
    _supply_columns(milp, cols, catalog, accs, settings, hours)
    _capacity_rows(milp, cols, demand, caps, settings)
    _chip_rows(milp, cols, catalog, accs, settings, hours)
    _demand_rows(milp, cols, demand, caps, apis, catalog)
    if settings.budget_usd is not None:
        milp.add_row(cols.budget, upper=settings.budget_usd)
    status, objective, x = milp.solve()
    n_options = sum(len(c) for c in caps)
    n_api = sum(len(k) for k in apis.values())
    if objective is None:
        return Reference(False, None, status, {}, {}, {}, n_options, n_api)
    return _reference(status, objective, x, cols, demand, catalog, n_options, n_api)


def _demand_columns(
    milp: Milp,
    cols: _Columns,
    demand: Sequence[Row],
    caps: Sequence[Sequence[tuple[Config, float]]],
    apis: Mapping[int, Sequence[str]],
    catalog: Catalog,
    settings: Settings,
    hours: Mapping[str, float],
) -> None:
    """Unmet ``u_d``, routes ``x_dc``, API traffic ``y_dk`` and replicas ``n_pc`` (integer)."""
    for d, row in enumerate(demand):
        seconds = SECONDS_PER_HOUR * hours[row.period]
        cols.unmet[d] = milp.column(settings.unmet_penalty_usd_per_request * seconds)
        for cfg, _ in caps[d]:
            cols.route[d, cfg] = milp.column(0.0)
            if (row.period, cfg) not in cols.replicas:
                cols.replicas[row.period, cfg] = milp.column(0.0, integer=True)
        for k in apis[d]:
            usd = usd_per_request(catalog.apis[k], row) * seconds
            cols.api[d, k] = j = milp.column(usd)
            cols.budget[j] = usd


def _supply_columns(
    milp: Milp,
    cols: _Columns,
    catalog: Catalog,
    accs: Sequence[str],
    settings: Settings,
    hours: Mapping[str, float],
) -> None:
    """Per-period chips ``s_paf`` of every on-demand and spot offer; committed chips ``c_af``."""
    horizon = sum(hours.values())
    for a in accs:
        acc = catalog.accelerators[a]
        for f, offer in enumerate(acc.prices):
            unit = offer.usd_per_chip_hour * multiplier(acc, offer, settings.whole_nodes)
            if offer.tier in PER_PERIOD_TIERS:
                for p, h in hours.items():
                    cols.supply[p, a, f] = j = milp.column(unit * h, integer=True)
                    cols.budget[j] = unit * h
            else:
                usd = unit * committed_hours(offer.tier, horizon, settings.commitment_cost)
                cols.commit[a, f] = j = milp.column(usd, integer=True)
                cols.budget[j] = usd


def _capacity_rows(
    milp: Milp,
    cols: _Columns,
    demand: Sequence[Row],
    caps: Sequence[Sequence[tuple[Config, float]]],
    settings: Settings,
) -> None:
    """``sum_d x_dc / (r_dc util_d) - n_pc <= 0`` for every (period, option)."""
    load: dict[tuple[str, Config], dict[int, float]] = defaultdict(dict)
    for d, row in enumerate(demand):
        util = row.target_utilization if row.target_utilization is not None else settings.target_utilization
        for cfg, rate in caps[d]:
            load[row.period, cfg][cols.route[d, cfg]] = 1.0 / (rate * util)
    for key, terms in load.items():
        milp.add_row({**terms, cols.replicas[key]: -1.0}, upper=0.0)


def _chip_rows(
    milp: Milp,
    cols: _Columns,
    catalog: Catalog,
    accs: Sequence[str],
    settings: Settings,
    hours: Mapping[str, float],
) -> None:
    """Chip balance, spot share and ``--max-chips`` for every (period, accelerator)."""
    s = settings.max_spot_share
    for p in hours:
        for a in accs:
            acc = catalog.accelerators[a]
            used = {
                j: float(cfg.chips)
                for (q, cfg), j in cols.replicas.items()
                if q == p and cfg.accelerator == a
            }
            bought: dict[int, float] = {}
            spot: dict[int, float] = {}
            for f, offer in enumerate(acc.prices):
                j = cols.supply.get((p, a, f), cols.commit.get((a, f)))
                assert j is not None
                m = float(multiplier(acc, offer, settings.whole_nodes))
                bought[j] = m
                spot[j] = (1 - s) * m if offer.tier == "spot" else -s * m
            milp.add_row({**used, **{j: -m for j, m in bought.items()}}, upper=0.0)
            if any(o.tier == "spot" for o in acc.prices):
                milp.add_row(spot, upper=0.0)
            if a in settings.max_chips:
                milp.add_row(used, upper=float(settings.max_chips[a]))


def _demand_rows(
    milp: Milp,
    cols: _Columns,
    demand: Sequence[Row],
    caps: Sequence[Sequence[tuple[Config, float]]],
    apis: Mapping[int, Sequence[str]],
    catalog: Catalog,
) -> None:
    """Cover, ``min_replicas``, ``max_api_share`` and the API rate limits."""
    for d, row in enumerate(demand):
        cover = {cols.unmet[d]: 1.0}
        cover.update({cols.route[d, cfg]: 1.0 for cfg, _ in caps[d]})
        cover.update({cols.api[d, k]: 1.0 for k in apis[d]})
        milp.add_row(cover, lower=row.requests_per_s, upper=row.requests_per_s)
        if row.min_replicas > 0 and caps[d]:
            able = {cols.replicas[row.period, cfg]: 1.0 for cfg, _ in caps[d]}
            milp.add_row(able, lower=float(row.min_replicas))
        if row.max_api_share < 1 and apis[d]:
            milp.add_row({cols.api[d, k]: 1.0 for k in apis[d]}, upper=row.max_api_share * row.requests_per_s)
    per_api: dict[tuple[str, str], dict[int, float]] = defaultdict(dict)
    tokens: dict[tuple[str, str], dict[int, float]] = defaultdict(dict)
    for (d, k), j in cols.api.items():
        per_api[demand[d].period, k][j] = 1.0
        tokens[demand[d].period, k][j] = 60.0 * (demand[d].input_tokens + demand[d].output_tokens)
    for (p, k), terms in per_api.items():
        api = catalog.apis[k]
        if api.rate_limit_requests_per_s is not None:
            milp.add_row(terms, upper=api.rate_limit_requests_per_s)
        if api.rate_limit_tokens_per_min is not None:
            milp.add_row(tokens[p, k], upper=api.rate_limit_tokens_per_min)


def _reference(
    status: str,
    objective: float,
    x: np.ndarray,
    cols: _Columns,
    demand: Sequence[Row],
    catalog: Catalog,
    n_options: int,
    n_api: int,
) -> Reference:
    replicas = {(p, cfg.id): round(x[j]) for (p, cfg), j in cols.replicas.items() if round(x[j])}
    chips: dict[tuple[str, str, str, str], int] = {}
    for (p, a, f), j in cols.supply.items():
        offer = catalog.accelerators[a].prices[f]
        if round(x[j]):
            chips[p, a, offer.provider, offer.tier] = round(x[j])
    for (a, f), j in cols.commit.items():
        offer = catalog.accelerators[a].prices[f]
        if round(x[j]):
            chips["committed", a, offer.provider, offer.tier] = round(x[j])
    unmet = {
        (demand[d].period, demand[d].workload): float(x[j]) for d, j in cols.unmet.items() if x[j] > 1e-9
    }
    return Reference(True, objective, status, replicas, chips, unmet, n_options, n_api)
