"""Build the sparse option sets the optimizer chooses from.

A *deployment option* is (model, accelerator, tensor-parallel degree, pipeline-parallel degree,
precision): the precisions are the model's listed ones that run on the accelerator plus those the
engine produces on the fly there (``planner.perf.precisions``). For every *request shape* (a
workload's model or quality floor, tokens in and out and latency targets) the performance model,
or a measured profile, gives the requests/s one replica of an option sustains. Only pairs that fit
and meet the targets are kept, and options that are dominated for every shape that may use them
(same accelerator, no fewer chips, costlier per request) are dropped. API offers are paired with
the shapes they may serve.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import cast

import numpy as np
import pandas as pd

from planner.catalog.schema import Accelerator, ApiOffering, Catalog, Model
from planner.demand import Demand
from planner.perf import estimate_grid, parallel_layouts
from planner.perf.precisions import served_precisions
from planner.plan import Reduction
from planner.profiles import ProfileTable
from planner.reductions import api_reduction, reduce_configs
from planner.settings import SolveSettings

SHAPE_KEYS = ["workload", "model", "min_quality", "input_tokens", "output_tokens", "ttft_ms", "tpot_ms"]
CONFIG_KEYS = ["model", "accelerator", "tensor_parallel", "pipeline_parallel", "precision"]


@dataclass(frozen=True)
class Options:
    """What the optimizer may choose, as aligned tables.

    Attributes:
        rows: the demand rows with a ``shape`` column.
        shapes: one row per shape (index = shape number) with SHAPE_KEYS.
        deployments: one row per kept option (index = option number): id, CONFIG_KEYS, chips,
            usd_per_chip_hour (cheapest offer, for pruning and reports).
        capacity: one row per (shape, option): requests_per_s (one replica), ttft_ms, tpot_ms, source.
        api_routes: one row per (shape, api): usd_per_request.
        reasons: shape number -> why no self-hosted option serves it (when none does).
        accelerators: the accelerators that may be planned (priced, allowed).
        configs: every config estimated (index = config number), before any reduction.
        eligible: every (shape, config) pair that fits and meets its targets, before reductions.
        api_eligible: every (shape, api) pair with usd_per_request and ``limited`` (rate limits),
            before reductions.
        reductions: the records of the reductions considered.
        latency_miss: shape number -> the option closest to its latency targets, when no option
            meets them: (deployment id, "TPOT" or "TTFT", predicted ms, target ms).
    """

    rows: pd.DataFrame
    shapes: pd.DataFrame
    deployments: pd.DataFrame
    capacity: pd.DataFrame
    api_routes: pd.DataFrame
    accelerators: tuple[str, ...]
    reasons: dict[int, str] = field(default_factory=dict)
    configs: pd.DataFrame = field(default_factory=pd.DataFrame)
    eligible: pd.DataFrame = field(default_factory=pd.DataFrame)
    api_eligible: pd.DataFrame = field(default_factory=pd.DataFrame)
    reductions: tuple[Reduction, ...] = ()
    latency_miss: dict[int, tuple[str, str, float, float]] = field(default_factory=dict)


def allowed_accelerators(catalog: Catalog, settings: SolveSettings) -> tuple[str, ...]:
    """Priced accelerators, restricted to ``settings.accelerators`` when given."""
    chosen = (
        settings.accelerators if settings.accelerators is not None else tuple(sorted(catalog.accelerators))
    )
    return tuple(a for a in chosen if catalog.accelerators[a].is_priced)


def allowed_apis(catalog: Catalog, settings: SolveSettings) -> tuple[str, ...]:
    """API offerings, restricted to ``settings.apis`` when given."""
    return settings.apis if settings.apis is not None else tuple(sorted(catalog.apis))


def cheapest_usd_per_chip_hour(acc: Accelerator) -> float:
    """The lowest on-demand price of an accelerator (any tier when it has no on-demand offer)."""
    on_demand = [p.usd_per_chip_hour for p in acc.prices if p.tier == "on_demand"]
    return min(on_demand or [p.usd_per_chip_hour for p in acc.prices])


def build_shapes(demand: Demand) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Number the distinct request shapes; return (rows with a ``shape`` column, shapes)."""
    frame = demand.frame.copy()
    keys = frame[SHAPE_KEYS].astype(object).where(frame[SHAPE_KEYS].notna(), None)
    codes, uniques = pd.factorize(pd.MultiIndex.from_frame(keys), sort=False)
    frame["shape"] = codes
    shapes = pd.DataFrame(list(uniques), columns=SHAPE_KEYS)
    pinned = shapes["model"].astype(object)
    shapes["model"] = pinned.where(pinned.map(lambda v: isinstance(v, str)), None)
    shapes["min_quality"] = pd.to_numeric(shapes["min_quality"], errors="coerce")
    return frame, shapes


def candidate_models(shape: pd.Series, catalog: Catalog) -> list[str]:
    """Open-weight models a shape may self-host: its pinned model, or those at its quality floor."""
    if shape["model"] is not None:
        model = catalog.models[shape["model"]]
        return [model.id] if model.open_weights else []
    floor = float(shape["min_quality"])
    return sorted(
        m.id
        for m in catalog.models.values()
        if m.open_weights and m.quality is not None and m.quality >= floor
    )


def _layouts(model: Model, acc: Accelerator) -> list[tuple[str, int, int]]:
    if not (model.has_shape and acc.has_spec):
        return []
    return [(p, tp, pp) for p in served_precisions(model, acc) for tp, pp in parallel_layouts(model, acc, p)]


def build_configs(
    models: set[str], catalog: Catalog, accs: tuple[str, ...], profiles: ProfileTable
) -> pd.DataFrame:
    """Every legal (model, accelerator, tp, pp, precision) whose weights fit, plus profiled ones."""
    records = [
        (m, a, tp, pp, prec)
        for m in sorted(models)
        for a in accs
        for prec, tp, pp in _layouts(catalog.models[m], catalog.accelerators[a])
    ]
    configs = pd.DataFrame(records, columns=CONFIG_KEYS)
    measured = profiles.configs()
    if len(measured):
        measured = measured[measured["model"].isin(models) & measured["accelerator"].isin(accs)]
        configs = pd.concat([configs, measured[CONFIG_KEYS]], ignore_index=True)
    configs = configs.drop_duplicates().sort_values(CONFIG_KEYS, ignore_index=True)
    configs["tensor_parallel"] = configs["tensor_parallel"].astype(int)
    configs["pipeline_parallel"] = configs["pipeline_parallel"].astype(int)
    return configs


def _pairs(shapes: pd.DataFrame, cands: Mapping[int, list[str]], configs: pd.DataFrame) -> pd.DataFrame:
    links = pd.DataFrame([(s, m) for s, ms in cands.items() for m in ms], columns=["shape", "model"])
    cfg = configs.reset_index(names="config")
    pairs = links.merge(cfg, on="model", how="inner", validate="many_to_many")
    shape_cols = ["input_tokens", "output_tokens", "ttft_ms", "tpot_ms"]
    return pairs.merge(
        shapes[shape_cols], left_on="shape", right_index=True, how="left", validate="many_to_one"
    )


def estimate_pairs(pairs: pd.DataFrame, catalog: Catalog, profiles: ProfileTable) -> pd.DataFrame:
    """Requests/s of one replica for every (shape, config) pair: roofline, then measured profiles."""
    cases = pairs.copy()
    for col in ("ttft_ms", "tpot_ms"):
        cases[col] = cases[col].astype(float)
    est = estimate_grid(cases, catalog.models, catalog.accelerators)
    est = est.rename(columns={"tpot_ms_pred": "tpot_pred", "ttft_ms_pred": "ttft_pred"})
    est["source"] = "roofline"
    if len(profiles.frame):
        est = _apply_profiles(est, catalog, profiles)
    return est


def _apply_profiles(est: pd.DataFrame, catalog: Catalog, profiles: ProfileTable) -> pd.DataFrame:
    est = est.copy()
    for key, group in est.groupby(CONFIG_KEYS, sort=False):
        config = dict(zip(CONFIG_KEYS, key, strict=True))

        def model_many(inp: np.ndarray, out: np.ndarray, config: dict[str, object] = config) -> np.ndarray:
            cases = pd.DataFrame(
                {**config, "input_tokens": inp, "output_tokens": out, "ttft_ms": np.nan, "tpot_ms": np.nan}
            )
            grid = estimate_grid(cases, catalog.models, catalog.accelerators)
            return np.where(grid["fits"], grid["requests_per_s"].astype(float), np.nan)

        rates, _methods = profiles.lookup_many(
            tuple(key),
            group["input_tokens"].to_numpy(float),
            group["output_tokens"].to_numpy(float),
            group["ttft_ms"].to_numpy(float),
            group["tpot_ms"].to_numpy(float),
            model_many,
        )
        measured = ~np.isnan(rates)
        idx = group.index[measured]
        est.loc[idx, "requests_per_s"] = rates[measured]
        est.loc[idx, "fits"] = True
        est.loc[idx, "source"] = "profile"
    return est


def _reason(shape_id: int, cands: list[str], est: pd.DataFrame) -> str:
    if not cands:
        return "no open-weight model in the catalog meets its model or quality floor"
    rows = est[est["shape"] == shape_id]
    if rows.empty:
        return f"no allowed, priced accelerator can hold {', '.join(cands)} at any supported layout"
    miss = closest_miss(rows)
    if miss is not None:
        option, metric, predicted, target = miss
        return (
            f"no self-hosted option meets its {metric} target of {target:g} ms: the closest, {option}, "
            f"reaches {predicted:.1f} ms ({100 * (predicted / target - 1):.0f}% over; "
            f"{len(rows)} options tried)"
        )
    reasons = rows["reason"].dropna().astype(str)
    common = reasons.value_counts().index[0] if len(reasons) else "no configuration fits"
    return f"no self-hosted option fits ({len(rows)} tried; most common: {common})"


_LATENCY_MISS = re.compile(r"^(TPOT|TTFT) ([0-9.]+) ms at batch \d+ misses")


def closest_miss(rows: pd.DataFrame) -> tuple[str, str, float, float] | None:
    """The option that misses a shape's latency targets least: (id, TPOT or TTFT, predicted, target).

    Read from the performance model's reasons (``planner.perf.reasons``: the latency at the
    smallest batch it tried) for options that fit in memory; None when no option misses on latency.
    """
    found = rows["reason"].astype(str).str.extract(_LATENCY_MISS)
    hit = found[0].notna().to_numpy()
    if not hit.any():
        return None
    lat, metric = rows[hit], found[0][hit].to_numpy(str)
    predicted = found[1][hit].to_numpy(float)
    target = np.where(metric == "TPOT", lat["tpot_ms"].to_numpy(float), lat["ttft_ms"].to_numpy(float))
    i = int(np.argmin(predicted / target))
    option = deployment_ids(lat.iloc[[i]])[0]
    return option, str(metric[i]), float(predicted[i]), float(target[i])


def api_candidates(shapes: pd.DataFrame, catalog: Catalog, apis: tuple[str, ...]) -> pd.DataFrame:
    """(shape, api, usd_per_request, limited) for every API that serves a shape's model or floor."""
    records = []
    for shape_id, shape in shapes.iterrows():
        tokens = float(shape["input_tokens"]) + float(shape["output_tokens"])
        for api_id in apis:
            api = catalog.apis[api_id]
            if api.max_context_tokens is not None and tokens > api.max_context_tokens:
                continue
            if _api_serves(shape, api.model, catalog.api_quality(api)):
                usd = api.usd_per_request(float(shape["input_tokens"]), float(shape["output_tokens"]))
                records.append((shape_id, api_id, usd))
    routes = pd.DataFrame(records, columns=["shape", "api", "usd_per_request"])
    routes["limited"] = np.array([_rate_limited(catalog.apis[a]) for a in routes["api"]], dtype=bool)
    return routes


def reduce_api_routes(candidates: pd.DataFrame, settings: SolveSettings) -> tuple[pd.DataFrame, Reduction]:
    """The API routes after the dominated-API reduction (all of them with ``--no-reductions``)."""
    routes = candidates.drop(columns="limited").reset_index(drop=True)
    if not settings.reductions:
        return routes, api_reduction(False, len(routes), len(routes))
    own_trend = {t.entry for t in settings.price_trends if t.kind == "apis"}
    kept = prune_dominated_apis(
        routes, candidates["limited"].to_numpy(bool), candidates["api"].isin(own_trend).to_numpy(bool)
    )
    return kept, api_reduction(True, len(routes), len(kept))


def _rate_limited(api: ApiOffering) -> bool:
    return api.rate_limit_requests_per_s is not None or api.rate_limit_tokens_per_min is not None


def prune_dominated_apis(
    routes: pd.DataFrame, rate_limited: np.ndarray, trended: np.ndarray | None = None
) -> pd.DataFrame:
    """Keep, per shape, the cheapest API without rate limits and the rate-limited ones cheaper still.

    Exact: no constraint tells one API from another except the rate limits (the API-share cap sums
    over all of them), so moving a request from any other API to the cheapest unlimited one never
    costs more. Ties go to the first API id. A shape no unlimited API serves keeps all of its APIs.
    An API with a ``--price-trend`` of its own (``trended``) changes its price relative to the
    others from period to period: it is always kept and never prunes another.
    """
    if routes.empty:
        return routes
    own = np.zeros(len(routes), dtype=bool) if trended is None else np.asarray(trended, dtype=bool)
    routes = routes.assign(limited=rate_limited, trended=own)
    free = routes[~routes["limited"] & ~routes["trended"]]
    best = free.sort_values(["shape", "usd_per_request", "api"], kind="stable").drop_duplicates("shape")
    floor = routes["shape"].map(best.set_index("shape")["usd_per_request"])
    cheaper = ~(routes["usd_per_request"] >= floor)
    keep = routes.index.isin(best.index) | (routes["limited"] & cheaper) | routes["trended"]
    kept: pd.DataFrame = routes[keep].drop(columns=["limited", "trended"]).reset_index(drop=True)
    return kept


def _api_serves(shape: pd.Series, api_model: str | None, quality: float | None) -> bool:
    if shape["model"] is not None:
        return bool(api_model == shape["model"])
    return quality is not None and quality >= float(shape["min_quality"])


@dataclass(frozen=True)
class PerfStage:
    """The performance model's part of the options: what replicas sustain, whatever the prices.

    It depends on the request shapes, the models, the accelerators' specs (not their prices), the
    allowed accelerators and the profiles; never on demand levels or prices, so a sweep evaluates
    it once for every scenario that changes only those (:mod:`planner.sweeps.cache`).
    """

    rows: pd.DataFrame
    shapes: pd.DataFrame
    accelerators: tuple[str, ...]
    candidates: dict[int, list[str]]
    configs: pd.DataFrame
    estimates: pd.DataFrame


def evaluate_perf(
    catalog: Catalog, demand: Demand, profiles: ProfileTable, settings: SolveSettings
) -> PerfStage:
    """The shapes, configs and the performance model's estimate of every (shape, config) pair."""
    rows, shapes = build_shapes(demand)
    accs = allowed_accelerators(catalog, settings)
    cands = {int(cast(int, s)): candidate_models(shape, catalog) for s, shape in shapes.iterrows()}
    configs = build_configs({m for ms in cands.values() for m in ms}, catalog, accs, profiles)
    configs["chips"] = configs["tensor_parallel"] * configs["pipeline_parallel"]
    est = (
        estimate_pairs(_pairs(shapes, cands, configs), catalog, profiles) if len(configs) else pd.DataFrame()
    )
    return PerfStage(rows, shapes, accs, cands, configs, est)


def build_options(
    catalog: Catalog,
    demand: Demand,
    profiles: ProfileTable,
    settings: SolveSettings,
    owned: frozenset[str] = frozenset(),
) -> Options:
    """All the options of one planning run (see the module docstring).

    ``owned``: accelerators with chips in ``--fleet`` (the cross-accelerator reduction keeps them).
    """
    return options_from(evaluate_perf(catalog, demand, profiles, settings), catalog, settings, owned)


def options_from(
    perf: PerfStage, catalog: Catalog, settings: SolveSettings, owned: frozenset[str] = frozenset()
) -> Options:
    """The options from the performance model's results: prices, reductions and API routes."""
    configs = perf.configs.copy()
    configs["usd_per_chip_hour"] = [
        cheapest_usd_per_chip_hour(catalog.accelerators[a]) for a in configs["accelerator"]
    ]
    est, cands = perf.estimates, perf.candidates
    ok = est[est["fits"].astype(bool) & (est["requests_per_s"] > 0)] if len(est) else est
    eligible = ok[_PAIR_COLUMNS] if len(ok) else pd.DataFrame(columns=_PAIR_COLUMNS)
    cap, config_records = reduce_configs(eligible, configs, catalog, settings, owned)
    deployments, capacity = _renumber(configs, cap)
    tried = est if len(est) else pd.DataFrame(columns=["shape", "reason"])
    unserved = [s for s in cands if s not in set(capacity["shape"])]
    reasons = {s: _reason(s, cands[s], tried) for s in unserved}
    latency_miss = {
        s: miss for s in unserved if len(est) and (miss := closest_miss(est[est["shape"] == s])) is not None
    }
    api_eligible = api_candidates(perf.shapes, catalog, allowed_apis(catalog, settings))
    api_routes, api_record = reduce_api_routes(api_eligible, settings)
    return Options(
        perf.rows,
        perf.shapes,
        deployments,
        capacity,
        api_routes,
        perf.accelerators,
        reasons,
        configs=configs,
        eligible=eligible,
        api_eligible=api_eligible,
        reductions=(*config_records, api_record),
        latency_miss=latency_miss,
    )


_PAIR_COLUMNS = ["shape", "config", "requests_per_s", "ttft_pred", "tpot_pred", "source", "max_batch"]


def _renumber(configs: pd.DataFrame, cap: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    used = np.sort(cap["config"].unique()) if len(cap) else np.array([], dtype=int)
    deployments = configs.loc[used].reset_index(drop=True)
    deployments.insert(0, "id", deployment_ids(deployments))
    remap = pd.Series(np.arange(len(used)), index=used)
    capacity = pd.DataFrame(
        {
            "shape": cap["shape"].to_numpy(int) if len(cap) else np.array([], dtype=int),
            "option": remap.reindex(cap["config"]).to_numpy(int) if len(cap) else np.array([], dtype=int),
            "requests_per_s": cap["requests_per_s"].to_numpy(float) if len(cap) else np.array([]),
            "ttft_ms": cap["ttft_pred"].to_numpy(float) if len(cap) else np.array([]),
            "tpot_ms": cap["tpot_pred"].to_numpy(float) if len(cap) else np.array([]),
            "source": cap["source"].to_numpy(object) if len(cap) else np.array([], dtype=object),
            "max_batch": cap["max_batch"].astype(float).to_numpy() if len(cap) else np.array([]),
        }
    ).sort_values(["shape", "option"], ignore_index=True)
    return deployments, capacity


def deployment_ids(configs: pd.DataFrame) -> list[str]:
    """``model:accelerator:tpN:ppN:precision`` for each config row."""
    return [f"{m}:{a}:tp{tp}:pp{pp}:{p}" for m, a, tp, pp, p in configs[CONFIG_KEYS].itertuples(index=False)]


def restrict_options(
    options: Options,
    accelerators: tuple[str, ...] | None,
    apis: tuple[str, ...] | None,
    catalog: Catalog,
    settings: SolveSettings,
    owned: frozenset[str] = frozenset(),
) -> Options:
    """The options with only some accelerators and APIs, reduced anew over that set alone.

    Baselines use this: an option dropped because an accelerator the baseline excludes dominated
    it must come back, so the reductions run again from the eligible pairs (no re-estimation).
    """
    accs = (
        options.accelerators
        if accelerators is None
        else tuple(a for a in options.accelerators if a in accelerators)
    )
    eligible = options.eligible
    if len(eligible):
        eligible = eligible[options.configs.loc[eligible["config"], "accelerator"].isin(accs).to_numpy()]
    cap, config_records = reduce_configs(eligible, options.configs, catalog, settings, owned)
    deployments, capacity = _renumber(options.configs, cap)
    api_eligible = options.api_eligible
    if apis is not None and len(api_eligible):
        api_eligible = api_eligible[api_eligible["api"].isin(apis)]
    api_routes, api_record = reduce_api_routes(api_eligible.reset_index(drop=True), settings)
    return dataclasses.replace(
        options,
        deployments=deployments,
        capacity=capacity,
        api_routes=api_routes,
        accelerators=accs,
        api_eligible=api_eligible,
        eligible=eligible,
        reductions=(*config_records, api_record),
    )
