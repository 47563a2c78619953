"""The plan's workload lines: demand, how it is served, marginal costs and predicted latencies."""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.extract_context import Context, rounded, rounded_rate
from planner.perf import estimate_grid
from planner.plan import WorkloadLine


def workload_lines(ctx: Context, route: pd.DataFrame, deps: pd.DataFrame) -> dict[int, list[WorkloadLine]]:
    """The workload lines by period, one per demand row: how it is served, its duals and latencies."""
    ix, vals = ctx.model.index, ctx.result.values
    cover = ix.cover.assign(unmet=np.nan_to_num(vals["unmet"]))
    self_hosted = route.groupby("d")["x"].sum()
    api = ix.api.assign(y=np.nan_to_num(vals["api"])).groupby("d")["y"].sum()
    lp_dual = ctx.result.lp_duals.get("cover", np.full(len(cover), np.nan))
    fixed_dual = ctx.result.fixed_duals.get("cover", np.full(len(cover), np.nan))
    lat = _latencies(ctx, route, deps)
    pairs = zip(cover["p"].to_numpy(), cover["w"].to_numpy(), strict=True)
    by_key = {(int(p), int(w)): i for i, (p, w) in enumerate(pairs)}
    out: dict[int, list[WorkloadLine]] = {}
    rows = ctx.options.rows
    for period_index, workload, demand in zip(
        rows["period_index"].to_numpy(),
        rows["workload"].to_numpy(),
        rows["requests_per_s"].to_numpy(),
        strict=True,
    ):
        p, w = int(period_index), ix.workloads.index(workload)
        d = by_key.get((p, w))
        out.setdefault(p, []).append(
            _workload_line(workload, float(demand), d, self_hosted, api, cover, lp_dual, fixed_dual, lat)
        )
    return out


def _workload_line(
    workload: str,
    demand: float,
    d: int | None,
    self_hosted: pd.Series,
    api: pd.Series,
    cover: pd.DataFrame,
    lp_dual: np.ndarray,
    fixed_dual: np.ndarray,
    lat: dict[int, tuple[float, float]],
) -> WorkloadLine:
    if d is None:
        return WorkloadLine(
            workload=workload,
            demand_requests_per_s=rounded_rate(demand),
            self_hosted_requests_per_s=0.0,
            api_requests_per_s=0.0,
            unmet_requests_per_s=0.0,
            marginal_usd_per_request_per_s=None,
            short_run_marginal_usd_per_request_per_s=None,
            ttft_ms=None,
            tpot_ms=None,
        )
    ttft, tpot = lat.get(d, (np.nan, np.nan))
    return WorkloadLine(
        workload=workload,
        demand_requests_per_s=rounded_rate(demand),
        self_hosted_requests_per_s=rounded_rate(self_hosted.get(d, 0.0)),
        api_requests_per_s=rounded_rate(api.get(d, 0.0)),
        unmet_requests_per_s=rounded_rate(cover["unmet"].to_numpy()[d]),
        marginal_usd_per_request_per_s=_opt(lp_dual[d]),
        short_run_marginal_usd_per_request_per_s=_opt(fixed_dual[d] if d < len(fixed_dual) else np.nan),
        ttft_ms=_opt(ttft),
        tpot_ms=_opt(tpot),
    )


def _opt(x: float) -> float | None:
    return None if x is None or not np.isfinite(x) else rounded(x, 4)


def _latencies(ctx: Context, route: pd.DataFrame, deps: pd.DataFrame) -> dict[int, tuple[float, float]]:
    """Worst predicted TTFT and TPOT per demand row, at the load the plan puts on each deployment.

    A deployment at utilisation u (of its measured maximum) runs about u x its largest batch
    concurrently (Little's law at equal latency), so the roofline is evaluated at that batch. Options
    known only from measured profiles keep the latencies of the batch they were sized at.
    """
    if route.empty:
        return {}
    shape = ctx.model.index.cover["shape"].to_numpy(int)[route["d"].to_numpy(int)]
    cap = ctx.options.capacity.set_index(["shape", "option"])
    sized = cap.reindex(pd.MultiIndex.from_arrays([shape, route["o"].to_numpy(int)]))
    util = (
        deps.set_index(["p", "o"])["utilization"]
        .reindex(pd.MultiIndex.from_frame(route[["p", "o"]]))
        .to_numpy()
    )
    batch = np.ceil(np.clip(util, 0.0, 1.0) * sized["max_batch"].to_numpy(float)).clip(min=1.0)
    ttft, tpot = _at_batch(ctx, shape, route["o"].to_numpy(int), batch)
    roofline = (sized["source"].to_numpy(object) == "roofline") & np.isfinite(ttft) & np.isfinite(tpot)
    frame = pd.DataFrame(
        {
            "d": route["d"].to_numpy(int),
            "ttft": np.where(roofline, ttft, sized["ttft_ms"].to_numpy(float)),
            "tpot": np.where(roofline, tpot, sized["tpot_ms"].to_numpy(float)),
        }
    )
    worst = frame.groupby("d")[["ttft", "tpot"]].max()
    triples = zip(worst.index.to_numpy(), worst["ttft"].to_numpy(), worst["tpot"].to_numpy(), strict=True)
    return {int(d): (float(a), float(b)) for d, a, b in triples}


def _at_batch(
    ctx: Context, shape: np.ndarray, option: np.ndarray, batch: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Roofline TTFT and TPOT of (shape, option) pairs at fixed batches (NaN where it gives none)."""
    dep = ctx.options.deployments.iloc[option].reset_index(drop=True)
    shapes = ctx.options.shapes.iloc[shape].reset_index(drop=True)
    cases = pd.DataFrame(
        {
            "model": dep["model"],
            "accelerator": dep["accelerator"],
            "tensor_parallel": dep["tensor_parallel"],
            "pipeline_parallel": dep["pipeline_parallel"],
            "precision": dep["precision"],
            "input_tokens": shapes["input_tokens"].astype(float),
            "output_tokens": shapes["output_tokens"].astype(float),
            "ttft_ms": np.nan,
            "tpot_ms": np.nan,
            "batch": batch,
        }
    )
    est = estimate_grid(cases, ctx.catalog.models, ctx.catalog.accelerators)
    return est["ttft_ms_pred"].to_numpy(float), est["tpot_ms_pred"].to_numpy(float)
