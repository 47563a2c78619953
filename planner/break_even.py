"""Break-even of self-hosting a model on one accelerator against the cheapest API serving it.

For each request shape (``input_tokens``, ``output_tokens``) with latency targets, in steady state:

* one replica of layout ``o`` (``chips_o`` chips) sustains ``r_o`` requests/s: the planner's own
  capacities (:func:`planner.options.build_options`: the performance model, overridden by measured
  profiles), so the figures agree with what ``plan solve`` would provision;
* ``p`` is the cheapest ``--tier`` offer of the accelerator, USD per chip-hour;
* self-hosted at full load (100 % utilisation of the cheapest layout)::

      self_hosted_usd_per_1k_requests = 1000 * min_o chips_o * p / (3600 * r_o)

* the API price per request is the planner's (:meth:`~planner.catalog.schema.ApiOffering.usd_per_request`)
  for the cheapest API offering the model that takes requests of that size::

      api_usd_per_1k_requests = 1000 * (input_tokens * usd_in + output_tokens * usd_out) / 1e6

* one replica, paid for every hour of the day, costs as much as the API at::

      breakeven_requests_per_day = 24 * chips * p / api_usd_per_request
      breakeven_utilization = self_hosted_usd_per_1k_requests / api_usd_per_1k_requests
                            = breakeven_requests_per_day / (86400 * r)

  the share of the replica's capacity it must be used for self-hosting to pay. Above 1, the API is
  cheaper even at full load. A plan provisions replicas at ``--target-utilization`` (0.8 by
  default), which divides the self-hosted cost per request by it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from planner.catalog.load import load_catalog
from planner.catalog.schema import TIERS, Catalog, PriceOffer
from planner.demand import Demand
from planner.demand._rows import build_frame
from planner.demand._spec import COLUMNS, DEFAULT_TPOT_MS, DEFAULT_TTFT_MS
from planner.errors import InputError, InputErrors, Location
from planner.ids import unknown_id_hint
from planner.options import Options, build_options
from planner.profiles import ProfileTable, empty_profiles, load_profiles
from planner.settings import SolveSettings
from planner.table import Row, cells

SECONDS_PER_DAY = 86400.0


@dataclass(frozen=True)
class BreakEven:
    """The break-even of one request shape (field meanings: the module docstring).

    Self-hosted fields are None when no layout of the model on the accelerator serves the shape
    (``reason`` says why); API fields and the break-even are None when no API serves it.
    """

    input_tokens: float
    output_tokens: float
    ttft_ms: float
    tpot_ms: float
    deployment: str | None
    chips: int | None
    replica_requests_per_s: float | None
    capacity_source: str | None
    provider: str | None
    tier: str
    usd_per_chip_hour: float | None
    self_hosted_usd_per_1k_requests: float | None
    api: str | None
    api_usd_per_1k_requests: float | None
    breakeven_requests_per_day: float | None
    breakeven_utilization: float | None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The fields as a JSON-ready mapping (numbers unrounded)."""
        return asdict(self)


def parse_shape(text: str) -> tuple[float, float]:
    """``IN:OUT`` mean input and output tokens per request (``1000:200``).

    Raises:
        InputError: not two token counts separated by ``:``.
    """
    first, sep, second = text.partition(":")
    try:
        if not sep:
            raise cells.CellError(f"expected IN:OUT tokens per request, got {text!r}")
        return cells.tokens(first.strip()), cells.tokens(second.strip())
    except cells.CellError as exc:
        raise InputError(str(exc), Location(column="--shape"), "for example: --shape 1000:200") from None


def breakeven(
    model: str,
    accelerator: str,
    *,
    profiles: str | os.PathLike[str] | None = None,
    catalog_dirs: Sequence[str | os.PathLike[str]] = (),
    apis: Sequence[str] | None = None,
    shapes: Sequence[tuple[float, float] | str] = (),
    tier: str = "on_demand",
    ttft_ms: float | None = None,
    tpot_ms: float | None = None,
) -> list[BreakEven]:
    """Self-hosted cost at full load against the cheapest API, per request shape (``plan breakeven``).

    Args:
        model: the catalog model.
        accelerator: the catalog accelerator.
        profiles: measured profiles (they override the performance model, as in ``plan solve``).
        catalog_dirs: catalog folders over the shipped one.
        apis: only these API offerings (default: every one serving the model).
        shapes: ``(input, output)`` tokens or ``IN:OUT`` texts; default: every shape the profiles
            measure for the model on the accelerator.
        tier: the pricing tier of the accelerator offer.
        ttft_ms: time-to-first-token target (default: demand.csv's, 2,000 ms).
        tpot_ms: time-per-output-token target (default: demand.csv's, 100 ms).

    Raises:
        InputError: an unknown id (with close matches), a tier the accelerator is not offered in,
            no shape, or an API that does not serve the model.
    """
    catalog = load_catalog(catalog_dirs)
    _check_ids(catalog, model, accelerator, apis, tier)
    table = load_profiles(profiles, catalog) if profiles else empty_profiles()
    sizes = [parse_shape(s) if isinstance(s, str) else (float(s[0]), float(s[1])) for s in shapes]
    sizes = list(dict.fromkeys(sizes)) or _profiled_shapes(table, model, accelerator)
    if not sizes:
        where = f"the profiles in {profiles} measure none" if profiles else "no --profiles file is given"
        raise InputError(
            f"no request shape: {where} for {model} on {accelerator}",
            Location(column="--shape"),
            "give --shape IN:OUT (repeatable)",
        )
    targets = (ttft_ms or DEFAULT_TTFT_MS, tpot_ms or DEFAULT_TPOT_MS)
    offer = _cheapest_offer(catalog, accelerator, tier)
    demand = _steady_demand(model, sizes, targets)
    settings = SolveSettings(
        accelerators=(accelerator,), apis=tuple(apis) if apis is not None else None, reductions=False
    )
    options = build_options(catalog, demand, table, settings)
    return [_shape_result(options, index, size, targets, offer, tier) for index, size in enumerate(sizes)]


def _check_ids(catalog: Catalog, model: str, accelerator: str, apis: Sequence[str] | None, tier: str) -> None:
    errors: list[InputError] = []
    if model not in catalog.models:
        hint = unknown_id_hint(model, catalog.models, "models")
        errors.append(InputError(f"unknown model '{model}'", Location(column="--model"), hint))
    if accelerator not in catalog.accelerators:
        hint = unknown_id_hint(accelerator, catalog.accelerators, "accelerators")
        errors.append(
            InputError(f"unknown accelerator '{accelerator}'", Location(column="--accelerator"), hint)
        )
    if tier not in TIERS:
        errors.append(
            InputError(f"unknown tier '{tier}'", Location(column="--tier"), f"valid: {', '.join(TIERS)}")
        )
    for api_id in apis or ():
        api = catalog.apis.get(api_id)
        if api is None:
            hint = unknown_id_hint(api_id, catalog.apis, "API offerings")
            errors.append(InputError(f"unknown API '{api_id}'", Location(column="--apis"), hint))
        elif api.model != model:
            message = f"API '{api_id}' serves {f'model {api.model!r}' if api.model else 'no catalog model'}"
            errors.append(InputError(f"{message}, not '{model}'", Location(column="--apis")))
    if len(errors) > 1:
        raise InputErrors(errors)
    if errors:
        raise errors[0]


def _cheapest_offer(catalog: Catalog, accelerator: str, tier: str) -> PriceOffer:
    """The cheapest offer of ``tier`` (first in catalog order on ties), as the planner's reduction keeps."""
    prices = catalog.accelerators[accelerator].prices
    offers = [p for p in prices if p.tier == tier]
    if not offers:
        tiers = sorted({p.tier for p in prices})
        hint = (
            f"it is offered {', '.join(tiers)}"
            if tiers
            else "it has no price: give one in a --catalog folder"
        )
        raise InputError(f"accelerator '{accelerator}' has no {tier} offer", Location(column="--tier"), hint)
    return min(offers, key=lambda p: p.usd_per_chip_hour)


def _profiled_shapes(table: ProfileTable, model: str, accelerator: str) -> list[tuple[float, float]]:
    frame = table.frame
    if not len(frame):
        return []
    mine = frame[(frame["model"] == model) & (frame["accelerator"] == accelerator)]
    pairs = (
        mine[["input_tokens", "output_tokens"]]
        .drop_duplicates()
        .sort_values(["input_tokens", "output_tokens"])
    )
    return [(float(i), float(o)) for i, o in pairs.itertuples(index=False)]


def _steady_demand(model: str, sizes: list[tuple[float, float]], targets: tuple[float, float]) -> Demand:
    """One workload per shape in one hour-long period, pinned to ``model`` (1 request/s each)."""
    defaults = {name: column.default for name, column in COLUMNS.items()}
    rows = [
        Row(
            index + 2,
            {
                **defaults,
                "period": "steady",
                "workload": f"shape-{index}",
                "requests_per_s": 1.0,
                "input_tokens": size[0],
                "output_tokens": size[1],
                "model": model,
                "ttft_ms": targets[0],
                "tpot_ms": targets[1],
            },
            True,
        )
        for index, size in enumerate(sizes)
    ]
    frame: pd.DataFrame = build_frame(rows, {"steady": 1.0})
    return Demand("breakeven", "", ("steady",), {"steady": 1.0}, frame)


def _shape_result(
    options: Options,
    shape: int,
    size: tuple[float, float],
    targets: tuple[float, float],
    offer: PriceOffer,
    tier: str,
) -> BreakEven:
    """The break-even of one shape from the planner's options."""
    row_shape = int(options.rows.loc[options.rows["workload"] == f"shape-{shape}", "shape"].iloc[0])
    capacity = options.capacity[options.capacity["shape"] == row_shape]
    routes = options.api_routes[options.api_routes["shape"] == row_shape]
    self_hosted: dict[str, Any] = dict.fromkeys(
        (
            "deployment",
            "chips",
            "replica_requests_per_s",
            "capacity_source",
            "self_hosted_usd_per_1k_requests",
        )
    )
    reason = options.reasons.get(row_shape)
    if len(capacity):
        chips = options.deployments["chips"].to_numpy()[capacity["option"].to_numpy(int)]
        usd_per_request = (
            chips * offer.usd_per_chip_hour / (3600.0 * capacity["requests_per_s"].to_numpy(float))
        )
        best = int(usd_per_request.argmin())
        option = int(capacity["option"].iloc[best])
        self_hosted = {
            "deployment": str(options.deployments["id"].iloc[option]),
            "chips": int(chips[best]),
            "replica_requests_per_s": float(capacity["requests_per_s"].iloc[best]),
            "capacity_source": str(capacity["source"].iloc[best]),
            "self_hosted_usd_per_1k_requests": 1000.0 * float(usd_per_request[best]),
        }
    api_id = api_usd = None
    if len(routes):
        cheapest = routes.sort_values(["usd_per_request", "api"], kind="stable").iloc[0]
        api_id, api_usd = str(cheapest["api"]), float(cheapest["usd_per_request"])
    per_day = utilization = None
    if self_hosted["chips"] is not None and api_usd is not None and api_usd > 0:
        per_day = 24.0 * self_hosted["chips"] * offer.usd_per_chip_hour / api_usd
        utilization = self_hosted["self_hosted_usd_per_1k_requests"] / (1000.0 * api_usd)
    if api_id is None and reason is None:
        reason = "no API offering serves the model at this request size"
    elif api_usd == 0 and reason is None:
        reason = f"API '{api_id}' is free: self-hosting never pays"
    return BreakEven(
        input_tokens=size[0],
        output_tokens=size[1],
        ttft_ms=targets[0],
        tpot_ms=targets[1],
        provider=offer.provider if self_hosted["chips"] is not None else None,
        tier=tier,
        usd_per_chip_hour=offer.usd_per_chip_hour if self_hosted["chips"] is not None else None,
        api=api_id,
        api_usd_per_1k_requests=None if api_usd is None else 1000.0 * api_usd,
        breakeven_requests_per_day=per_day,
        breakeven_utilization=utilization,
        reason=reason,
        **self_hosted,
    )
