"""Hypothesis strategies for random small planning instances (``tests/oracle.py``).

Every instance uses the shipped catalogs with an overlay: only a few small models stay
self-hostable (the others are marked ``open_weights: false``, which keeps each example fast and
exercises that rule), one to three accelerators (shipped ones with their many offers, and user
ones with H100 / A100 / L40S figures and random offers: committed-only, spot-only, node-sold),
up to three user APIs (pinned model or own quality, optional rate limits and context), one to
three workloads over one to three periods, and random settings.
"""

from __future__ import annotations

import functools
import importlib.resources
from typing import Any

import yaml
from hypothesis import strategies as st
from oracle import Instance, Row, Settings

#: Models that stay self-hostable; every other shipped model is closed in the overlay.
OPEN_MODELS = ("llama-3.2-1b", "llama-3.2-3b", "llama-3.1-8b", "qwen3-8b")
#: A shipped model closed in the overlay: rows pinning it can only use an API serving it.
CLOSED_MODEL = "mixtral-8x7b"
#: Request shapes (input, output tokens) and a rate scale one replica of a small model carries.
SHAPES = ((500, 200, 40.0), (2000, 600, 10.0), (9000, 1200, 2.0))
#: (TTFT ms, TPOT ms) targets.
LATENCIES = ((1000.0, 50.0), (1500.0, 40.0), (3000.0, 60.0), (2000.0, 100.0), (400.0, 25.0))
FLOORS = (1100.0, 1150.0, 1170.0, 1200.0, 1210.0, 1300.0)
SHIPPED_ACCELERATORS = ("h100-sxm", "a100-80gb", "l40s")
#: API context limits: each is below the input or above input + output of every shape, so reading
#: ``max_context_tokens`` as "longest input" or as "longest context" gives the same answer.
CONTEXTS = (None, 1000, 4000, 16000)
HOURS = (1.0, 24.0, 730.0, 2190.0, 2920.0)
TIERS = ("on_demand", "spot", "committed_1y", "committed_3y")
SPEC_FIELDS = (
    "kind",
    "memory_gib",
    "memory_bandwidth_tb_per_s",
    "bf16_tflops",
    "fp8_tflops",
    "int8_tops",
    "fp4_tflops",
    "chips_per_node",
    "scale_up_gb_per_s",
    "max_tensor_parallel",
)


@functools.cache
def shipped(kind: str) -> dict[str, dict[str, Any]]:
    """The shipped catalog file ``kind``.yaml as raw entries by id (data only, no planner logic)."""
    text = (importlib.resources.files("catalogs") / f"{kind}.yaml").read_text(encoding="utf-8")
    return {entry["id"]: entry for entry in yaml.safe_load(text)}


def closed_models() -> tuple[dict[str, Any], ...]:
    """Overlay entries closing every shipped model outside ``OPEN_MODELS``."""
    return tuple({"id": m, "open_weights": False} for m in shipped("models") if m not in OPEN_MODELS)


prices = st.sampled_from((0.45, 0.8, 1.1, 1.45, 1.9, 2.1, 2.6, 3.3))


@st.composite
def offers(draw: st.DrawFn) -> list[dict[str, Any]]:
    """One to three offers, unique by (provider, tier); possibly none that can be bought alone."""
    keys = st.tuples(st.sampled_from(("ox", "oy")), st.sampled_from(TIERS))
    chosen = draw(st.lists(keys, min_size=1, max_size=3, unique=True))
    return [
        {
            "provider": provider,
            "tier": tier,
            "usd_per_chip_hour": draw(prices),
            "sold_by_node": draw(st.booleans()),
        }
        for provider, tier in chosen
    ]


@st.composite
def user_accelerator(draw: st.DrawFn, number: int) -> dict[str, Any]:
    """A new accelerator with a shipped one's figures, a node size and random offers."""
    base = shipped("accelerators")[draw(st.sampled_from(SHIPPED_ACCELERATORS))]
    entry = {"id": f"ox-{number}", **{k: base[k] for k in SPEC_FIELDS if k in base}}
    node = draw(st.sampled_from((1, 2, 4, 8)))
    entry["chips_per_node"] = node
    entry["max_tensor_parallel"] = min(node, int(base.get("max_tensor_parallel") or node))
    entry["prices"] = draw(offers())
    return entry


@st.composite
def accelerators(draw: st.DrawFn) -> tuple[tuple[str, ...], list[dict[str, Any]]]:
    """One to three accelerator ids to plan with, and the overlay entries they need."""
    count = draw(st.integers(1, 3))
    ids: list[str] = []
    overlay: list[dict[str, Any]] = []
    for number in range(count):
        if draw(st.booleans()):
            acc = draw(st.sampled_from(SHIPPED_ACCELERATORS).filter(lambda a: a not in ids))
            if draw(st.integers(0, 3)) == 0:  # a user offer merged over the shipped ones
                overlay.append({"id": acc, "chips_per_node": 8, "prices": draw(offers())})
            ids.append(acc)
        else:
            entry = draw(user_accelerator(number))
            overlay.append(entry)
            ids.append(entry["id"])
    return tuple(ids), overlay


@st.composite
def user_api(draw: st.DrawFn, number: int, models: tuple[str, ...]) -> dict[str, Any]:
    """An API serving one of ``models`` or scored on its own, maybe rate-limited."""
    entry: dict[str, Any] = {"id": f"oapi-{number}"}
    if draw(st.booleans()):
        entry["model"] = draw(st.sampled_from(models))
    else:
        entry["quality"] = draw(st.sampled_from((1120.0, 1180.0, 1205.0, 1320.0)))
    entry["usd_per_1m_input_tokens"] = draw(st.sampled_from((0.02, 0.1, 0.3, 1.0, 3.0)))
    entry["usd_per_1m_output_tokens"] = draw(st.sampled_from((0.05, 0.2, 0.6, 2.0, 10.0)))
    context = draw(st.sampled_from(CONTEXTS))
    if context is not None:
        entry["max_context_tokens"] = context
    if draw(st.integers(0, 2)) == 0:
        entry["rate_limit_requests_per_s"] = draw(st.sampled_from((0.3, 1.0, 4.0)))
    if draw(st.integers(0, 3)) == 0:
        entry["rate_limit_tokens_per_min"] = draw(st.sampled_from((20000.0, 200000.0, 2000000.0)))
    return entry


@st.composite
def workload(draw: st.DrawFn, name: str, fleet_model: str) -> dict[str, Any]:
    """One workload's fixed columns (its rate is drawn per period)."""
    shape = draw(st.sampled_from(SHAPES))
    ttft, tpot = draw(st.sampled_from(LATENCIES))
    kind = draw(st.sampled_from(("fleet", "fleet", "fleet", "pinned", "floor", "floor", "closed")))
    targets: dict[str, dict[str, Any]] = {
        "fleet": {"model": fleet_model},
        "pinned": {"model": draw(st.sampled_from(OPEN_MODELS))},
        "floor": {"min_quality": draw(st.sampled_from(FLOORS))},
        "closed": {"model": CLOSED_MODEL},
    }
    target = targets[kind]
    only = draw(st.sampled_from((None, None, None, None, "self_host_only", "api_only")))
    share = 1.0 if only == "api_only" else draw(st.sampled_from((1.0, 1.0, 0.5, 0.0)))
    return {
        "workload": name,
        "input_tokens": shape[0],
        "output_tokens": shape[1],
        "scale": shape[2],
        "ttft_ms": ttft,
        "tpot_ms": tpot,
        **target,
        **({only: True} if only else {}),
        "max_api_share": share,
        "target_utilization": draw(st.sampled_from((None, None, 0.5, 0.9))),
        # api_only with a floor is refused as bad input (no replica is ever deployed for it)
        "min_replicas": 0 if only == "api_only" else draw(st.sampled_from((0, 0, 0, 1, 2))),
    }


@st.composite
def demand_rows(draw: st.DrawFn) -> tuple[Row, ...]:
    """One to three workloads (often sharing one model) over one to three periods."""
    fleet_model = draw(st.sampled_from(OPEN_MODELS))
    works = [draw(workload(f"w{i}", fleet_model)) for i in range(draw(st.integers(1, 3)))]
    periods = draw(st.integers(1, 3))
    hours = [draw(st.sampled_from(HOURS)) for _ in range(periods)]
    rows = []
    for p in range(periods):
        for w in works:
            fields = {k: v for k, v in w.items() if k != "scale"}
            if p and not fields.get("api_only") and draw(st.booleans()):
                fields["min_replicas"] = draw(st.sampled_from((0, 1)))
            share = draw(st.sampled_from((0.0, 0.05, 0.3, 0.7, 1.0, 1.6, 2.5)))
            rate = round(share * w["scale"], 3)
            rows.append(Row(period=f"p{p}", requests_per_s=rate, hours=hours[p], **fields))
    return tuple(rows)


@st.composite
def settings_for(draw: st.DrawFn, accs: tuple[str, ...], apis: tuple[str, ...]) -> Settings:
    """Random ``plan solve`` settings over the instance's accelerators and APIs."""
    max_chips = (
        {draw(st.sampled_from(accs)): draw(st.sampled_from((0, 1, 2, 4, 8, 16)))}
        if draw(st.integers(0, 3)) == 0
        else {}
    )
    budget = draw(st.sampled_from((None, None, None, 50.0, 2000.0, 20000.0, 200000.0)))
    return Settings(
        accelerators=accs,
        apis=apis,
        target_utilization=draw(st.sampled_from((0.5, 0.8, 1.0))),
        max_spot_share=draw(st.sampled_from((0.0, 0.2, 0.5, 1.0))),
        commitment_cost=draw(st.sampled_from(("term", "horizon"))),
        max_chips=max_chips,
        budget_usd=budget,
        whole_nodes=draw(st.booleans()),
        unmet_penalty_usd_per_request=draw(st.sampled_from((1000.0, 1000.0, 0.05, 0.001))),
    )


@st.composite
def instances(draw: st.DrawFn) -> Instance:
    """A random small instance spanning every feature of the planning model."""
    accs, acc_overlay = draw(accelerators())
    rows = draw(demand_rows())
    served = tuple(sorted({r.model for r in rows if r.model} | {OPEN_MODELS[0]}))
    apis = [draw(user_api(k, served)) for k in range(draw(st.integers(0, 3)))]
    return Instance(
        rows=rows,
        settings=draw(settings_for(accs, tuple(a["id"] for a in apis))),
        accelerators=tuple(acc_overlay),
        models=closed_models(),
        apis=tuple(apis),
    )
