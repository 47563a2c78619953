"""``plan breakeven`` / ``planner.breakeven``: hand-computed cases, agreement with ``plan solve``, silybench.

Every case writes its own catalog (``tests/conftest.py`` helpers) and measured profiles, so one
replica sustains exactly the requests/s written; expected figures follow the README's formulas from
those inputs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import planner
from planner.errors import EXIT_INPUT, InputError
from planner.perf import reference as ref
from tests.conftest import IN_TOKENS, OUT_TOKENS, CaseFactory, accelerator, api, write_csv, write_yaml

Run = Callable[..., Any]
PEER = Path("/work/shared/peer_data")
PROFILE_HEADER = (
    "model",
    "accelerator",
    "tensor_parallel",
    "input_tokens",
    "output_tokens",
    "requests_per_s",
)


def test_hand_computed_case(make_case: CaseFactory) -> None:
    usd_chip_hour, committed, rate, usd_in, usd_out = 1.5, 0.9, 4.0, 1.0, 2.0
    case = make_case(
        accelerators=[accelerator("tgpu-a", usd_chip_hour, committed_1y=committed)],
        rates={"tgpu-a": rate},
        demand=[("p1", "chat", 1.0, 1.0)],
        apis=[api("tapi", usd_in, usd_out), api("tapi-dear", 2 * usd_in, 2 * usd_out)],
    )
    (row,) = planner.breakeven("tmodel", "tgpu-a", profiles=case.profiles, catalog_dirs=[case.catalog])
    assert (row.input_tokens, row.output_tokens) == (IN_TOKENS, OUT_TOKENS)  # the profiled shape
    self_hosted = 1000 * usd_chip_hour / (3600 * rate)
    api_per_request = (IN_TOKENS * usd_in + OUT_TOKENS * usd_out) / 1e6
    assert row.self_hosted_usd_per_1k_requests == pytest.approx(self_hosted)
    assert row.api == "tapi"
    assert row.api_usd_per_1k_requests == pytest.approx(1000 * api_per_request)
    assert row.breakeven_requests_per_day == pytest.approx(24 * usd_chip_hour / api_per_request)
    assert row.breakeven_utilization == pytest.approx(self_hosted / (1000 * api_per_request))
    assert row.breakeven_utilization == pytest.approx(row.breakeven_requests_per_day / (86400 * rate))
    assert (row.capacity_source, row.chips, row.tier) == ("profile", 1, "on_demand")

    (one_year,) = planner.breakeven(
        "tmodel", "tgpu-a", profiles=case.profiles, catalog_dirs=[case.catalog], tier="committed_1y"
    )
    assert one_year.self_hosted_usd_per_1k_requests == pytest.approx(1000 * committed / (3600 * rate))
    assert one_year.usd_per_chip_hour == committed


def test_cheapest_layout_offer_and_api(make_case: CaseFactory, tmp_path: Path) -> None:
    case = make_case(
        accelerators=[
            {
                "id": "tgpu-a",
                "chips_per_node": 8,
                "prices": [
                    {"provider": "dear", "tier": "on_demand", "usd_per_chip_hour": 3.0},
                    {"provider": "cheap", "tier": "on_demand", "usd_per_chip_hour": 2.0},
                ],
            }
        ],
        rates={"tgpu-a": 4.0},
        demand=[("p1", "chat", 1.0, 1.0)],
        apis=[
            api("tapi", 1.0, 2.0),
            {**api("tapi-short", 0.1, 0.1), "max_context_tokens": 1000},  # too short for 1000 + 200
            api("tapi-other", 0.01, 0.01, model="tother"),
        ],
        models=[{"id": "tmodel", "precisions": ["bf16"]}, {"id": "tother", "precisions": ["bf16"]}],
    )
    profiles = tmp_path / "layouts.csv"  # tp2 sustains 10 req/s on 2 chips: 5 per chip beats tp1's 4
    write_csv(
        profiles,
        PROFILE_HEADER,
        [("tmodel", "tgpu-a", 1, 1000, 200, 4), ("tmodel", "tgpu-a", 2, 1000, 200, 10)],
    )
    (row,) = planner.breakeven("tmodel", "tgpu-a", profiles=profiles, catalog_dirs=[case.catalog])
    assert row.deployment == "tmodel:tgpu-a:tp2:pp1:bf16"
    assert (row.provider, row.usd_per_chip_hour) == ("cheap", 2.0)
    assert row.self_hosted_usd_per_1k_requests == pytest.approx(1000 * 2 * 2.0 / (3600 * 10))
    assert row.breakeven_requests_per_day == pytest.approx(24 * 2 * 2.0 / ((1000 * 1.0 + 200 * 2.0) / 1e6))
    assert row.api == "tapi"

    (short,) = planner.breakeven(
        "tmodel", "tgpu-a", shapes=["500:100"], profiles=profiles, catalog_dirs=[case.catalog]
    )
    assert short.api == "tapi-short"
    assert short.api_usd_per_1k_requests == pytest.approx(1000 * (500 * 0.1 + 100 * 0.1) / 1e6)

    (none,) = planner.breakeven("tmodel", "tgpu-a", profiles=profiles, catalog_dirs=[case.catalog], apis=[])
    assert (none.api, none.api_usd_per_1k_requests, none.breakeven_requests_per_day) == (None, None, None)
    assert none.self_hosted_usd_per_1k_requests == row.self_hosted_usd_per_1k_requests
    assert none.reason == "no API offering serves the model at this request size"


def test_numbers_agree_with_what_plan_solve_pays(make_case: CaseFactory) -> None:
    """A fully used replica costs per request what break-even says; so does an all-API plan."""
    rate, replicas, hours = 4.0, 3, 10.0
    case = make_case(
        accelerators=[accelerator("tgpu-a", 1.7)],
        rates={"tgpu-a": rate},
        demand=[("p1", "chat", replicas * rate, hours)],
        apis=[api("tapi", 0.3, 1.1)],
    )
    (row,) = planner.breakeven("tmodel", "tgpu-a", profiles=case.profiles, catalog_dirs=[case.catalog])
    requests = replicas * rate * 3600 * hours
    self_hosted = case.solve(apis=[], target_utilization=1.0).plan
    assert self_hosted.objective_usd == pytest.approx(row.self_hosted_usd_per_1k_requests * requests / 1000)
    all_api = case.solve(accelerators=["tgpu-a"], max_chips={"tgpu-a": 0}).plan
    assert all_api.objective_usd == pytest.approx(row.api_usd_per_1k_requests * requests / 1000)


def test_shapes_are_given_or_profiled(make_case: CaseFactory) -> None:
    case = make_case(
        accelerators=[accelerator("tgpu-a", 1.0)], rates={"tgpu-a": 4.0}, demand=[("p1", "c", 1.0, 1.0)]
    )
    rows = planner.breakeven(
        "tmodel",
        "tgpu-a",
        shapes=["1000:200", (1000, 200), "1000 : 100"],
        profiles=case.profiles,
        catalog_dirs=[case.catalog],
    )
    assert [(r.input_tokens, r.output_tokens) for r in rows] == [(1000, 200), (1000, 100)]  # repeats once
    assert rows[0].ttft_ms == planner.demand.DEFAULT_TTFT_MS
    assert rows[0].tpot_ms == planner.demand.DEFAULT_TPOT_MS


@pytest.mark.parametrize(
    ("kwargs", "fragments"),
    [
        ({"model": "tmodle"}, ["option --model", "unknown model 'tmodle'", "did you mean 'tmodel'"]),
        ({"accelerator": "tgpu-z"}, ["unknown accelerator 'tgpu-z'", "did you mean"]),
        ({"tier": "committed_3y"}, ["option --tier", "has no committed_3y offer", "it is offered on_demand"]),
        ({"tier": "reserved"}, ["unknown tier 'reserved'", "valid: on_demand, spot"]),
        ({"shapes": ["1000x200"]}, ["option --shape", "expected IN:OUT"]),
        ({"shapes": ["1000:0"]}, ["option --shape", "must be greater than 0"]),
        ({"apis": ["tapi-x"]}, ["option --apis", "unknown API 'tapi-x'"]),
        ({"apis": ["tapi-other"]}, ["API 'tapi-other' serves model 'tother', not 'tmodel'"]),
        ({"profiles": None}, ["option --shape", "no request shape", "give --shape IN:OUT"]),
    ],
)
def test_bad_input(make_case: CaseFactory, kwargs: dict[str, Any], fragments: list[str]) -> None:
    case = make_case(
        accelerators=[accelerator("tgpu-a", 1.0)],
        rates={"tgpu-a": 4.0},
        demand=[("p1", "c", 1.0, 1.0)],
        apis=[api("tapi-other", 1, 1, model="tother")],
        models=[{"id": "tmodel", "precisions": ["bf16"]}, {"id": "tother", "precisions": ["bf16"]}],
    )
    args: dict[str, Any] = {"model": "tmodel", "accelerator": "tgpu-a", "profiles": case.profiles, **kwargs}
    with pytest.raises(InputError) as info:
        planner.breakeven(args.pop("model"), args.pop("accelerator"), catalog_dirs=[case.catalog], **args)
    assert info.value.exit_code == EXIT_INPUT
    for fragment in fragments:
        assert fragment in str(info.value)


def test_cli_json_and_errors(run_cli: Run, make_case: CaseFactory) -> None:
    case = make_case(
        accelerators=[accelerator("tgpu-a", 1.0)],
        rates={"tgpu-a": 4.0},
        demand=[("p1", "c", 1.0, 1.0)],
        apis=[api("tapi", 1.0, 2.0)],
    )
    base = ["breakeven", "--model", "tmodel", "--accelerator", "tgpu-a", "--catalog", case.catalog]
    result = run_cli(
        *base, "--profiles", case.profiles, "--shape", "1000:200", "--shape", "2000:100", "--format", "json"
    )
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [(r["input_tokens"], r["output_tokens"]) for r in rows] == [(1000, 200), (2000, 100)]
    for key in (
        "self_hosted_usd_per_1k_requests",
        "api",
        "api_usd_per_1k_requests",
        "breakeven_requests_per_day",
        "breakeven_utilization",
    ):
        assert key in rows[0]
    assert rows[0]["api_usd_per_1k_requests"] == 1000 * (1000 * 1.0 + 200 * 2.0) / 1e6  # unrounded
    table = run_cli(*base, "--profiles", case.profiles)
    assert table.returncode == 0, table.stderr
    assert "tapi" in table.stdout
    assert "1000:200" in table.stdout
    bad = run_cli(*base, "--shape", "1000", "--format", "json")
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert "expected IN:OUT" in bad.stderr
    assert "Traceback" not in bad.stderr


# --- silybench (silybench-data, tgarg01, CC BY 4.0) -------------------------------------------------

#: Published in silybench-data ``derived/csv/comparisons.csv`` @ 93e4887353137e64bd5605fa3d1f4529da0a1dc5:
#: Qwen3-8B FP8 on one H100 at RunPod's $2.69/h (``hosted_usd_per_hour``) against the cheapest API.
SILYBENCH_USD_PER_HOUR = 2.69
SILYBENCH_PUBLISHED = {  # workload: (api_provider, breakeven_requests_per_day, breakeven_utilization)
    "balanced-2048-2048": ("fireworks", 78808.59375, 0.5113618379287445),
    "chat-128-128": ("fireworks", 1260937.5, 0.11292835003685406),
    "decode-128-1024": ("fireworks", 280208.3333333333, 0.21988230945305443),
    "longctx-8192-512": ("alibaba", 54187.25827245381, 0.4080800911553429),
    "prefill-1024-128": ("alibaba", 362598.84974838246, 0.13009927938523447),
}


@pytest.mark.skipif(not PEER.is_dir(), reason="peer data not available")
def test_silybench_self_host_vs_api(tmp_path: Path) -> None:
    """The measured capacities and API prices as a profile and a catalog: silybench's own figures."""
    capacity = pd.read_csv(PEER / "silybench_capacity.csv")
    prices = pd.read_csv(PEER / "silybench_api_prices.csv")
    rows = []
    for r in capacity.itertuples(index=False):
        _, isl, osl = r.workload.split("-")
        precision = r.run_id.rsplit("_", 1)[-1]
        rows.append(
            (
                "qwen3-8b",
                "h100-sxm",
                precision,
                isl,
                osl,
                r.output_throughput_at_max_users / int(osl),
                r.slo_ttft_p99_ms,
                r.slo_itl_median_ms,
            )
        )
    write_csv(
        tmp_path / "profiles.csv",
        (
            "model",
            "accelerator",
            "precision",
            "input_tokens",
            "output_tokens",
            "requests_per_s",
            "ttft_ms",
            "tpot_ms",
        ),
        rows,
    )
    catalog = tmp_path / "catalog"
    catalog.mkdir()
    model = ref.QWEN3_8B.model_dump(mode="json", exclude_none=True)
    write_yaml(catalog / "models.yaml", [{**model, "id": "qwen3-8b", "precisions": ["bf16", "fp8"]}])
    # No spec: capacities come from the measurements alone, as silybench's do.
    write_yaml(
        catalog / "accelerators.yaml",
        [
            {
                "id": "h100-sxm",
                "chips_per_node": 8,
                "prices": [
                    {"provider": "runpod", "tier": "on_demand", "usd_per_chip_hour": SILYBENCH_USD_PER_HOUR}
                ],
            }
        ],
    )
    qwen = prices[prices["model"] == "Qwen/Qwen3-8B"]
    apis = [
        {
            "id": p.provider.lower(),
            "model": "qwen3-8b",
            "usd_per_1m_input_tokens": float(p.usd_per_1m_input),
            "usd_per_1m_output_tokens": float(p.usd_per_1m_output),
            **({"max_context_tokens": int(p.context_length)} if pd.notna(p.context_length) else {}),
        }
        for p in qwen.itertuples(index=False)
    ]
    write_yaml(catalog / "apis.yaml", apis)
    found = planner.breakeven(
        "qwen3-8b",
        "h100-sxm",
        profiles=tmp_path / "profiles.csv",
        catalog_dirs=[catalog],
        ttft_ms=2000,
        tpot_ms=50,
    )
    by_workload = {f"{int(r.input_tokens)}-{int(r.output_tokens)}": r for r in found}
    assert len(by_workload) == len(SILYBENCH_PUBLISHED)
    for workload, (provider, per_day, utilization) in SILYBENCH_PUBLISHED.items():
        row = by_workload[workload.split("-", 1)[1]]
        assert row.deployment is not None
        assert row.deployment.endswith(":fp8")
        assert row.api == provider
        assert row.breakeven_requests_per_day == pytest.approx(per_day, rel=1e-9)
        assert row.breakeven_utilization == pytest.approx(utilization, rel=1e-9)
