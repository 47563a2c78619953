"""Plans the export tests read: the shipped examples' plans, and hand-made plans on GKE, EKS, TPU, Neuron.

The examples' plans (``tests/data/exports/<example>.plan.json``, from ``plan solve examples/<name>``)
buy from RunPod, DigitalOcean and a user contract only; the hand-made plans reach the GKE and EKS
node pools, TPU topologies and NeuronCores that the examples do not.
"""

from __future__ import annotations

import os
from pathlib import Path

from planner.placement import place_period
from planner.plan import AcceleratorLine, CostUsd, DeploymentLine, PeriodPlan, Plan, RouteLine, WorkloadLine

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data" / "exports"
GOLDEN = DATA / "golden"
EXAMPLES = ("chat-fleet", "request-size-histogram", "self-host-vs-api")
SCHEMAS = ROOT.parent / "shared" / "reference" / "schemas"
OWN_SCHEMAS = ROOT / "planner" / "exports" / "schemas"
REGEN = os.environ.get("FLEETPLAN_REGEN_GOLDEN") == "1"
HOURS = 730.0


def example_plan(name: str) -> Plan:
    """A shipped example's plan."""
    return Plan.model_validate_json((DATA / f"{name}.plan.json").read_text(encoding="utf-8"))


def example_catalogs(name: str) -> list[Path]:
    """The catalog folders an example was planned with."""
    folder = ROOT / "examples" / name / "catalog"
    return [folder] if folder.is_dir() else []


def _line(acc: str, provider: str, tier: str, chips: int, usd_per_chip_hour: float) -> AcceleratorLine:
    return AcceleratorLine(
        accelerator=acc,
        provider=provider,
        tier=tier,
        chips=chips,
        usd=round(chips * usd_per_chip_hour * HOURS, 6),
    )


def _dep(model: str, acc: str, tp: int, precision: str, replicas: int, usd: float) -> DeploymentLine:
    return DeploymentLine(
        id=f"{model}:{acc}:tp{tp}:pp1:{precision}",
        model=model,
        accelerator=acc,
        tensor_parallel=tp,
        pipeline_parallel=1,
        precision=precision,
        replicas=replicas,
        precision_kind="quantized" if precision == "fp8" else "checkpoint",
        max_num_seqs=64,
        max_model_len_tokens=3000,
        capacity_requests_per_s=float(replicas),
        utilization=0.8,
        usd=usd,
    )


def _period(
    label: str, lines: list[AcceleratorLine], deps: list[DeploymentLine], routes: list[RouteLine]
) -> PeriodPlan:
    workloads = sorted({r.workload for r in routes})
    served = {w: sum(r.requests_per_s for r in routes if r.workload == w) for w in workloads}
    api = {w: sum(r.requests_per_s for r in routes if r.workload == w and r.kind == "api") for w in workloads}
    wl = tuple(
        WorkloadLine(
            workload=w,
            demand_requests_per_s=served[w],
            input_tokens=2000.0,
            output_tokens=500.0,
            self_hosted_requests_per_s=served[w] - api[w],
            api_requests_per_s=api[w],
            unmet_requests_per_s=0.0,
            marginal_usd_per_request_per_s=1234.5,
            short_run_marginal_usd_per_request_per_s=None,
            ttft_ms=None,
            tpot_ms=None,
        )
        for w in workloads
    )
    placements, warnings = place_period(label, lines, deps)
    assert warnings == ()
    usd = sum(a.usd for a in lines) + sum(r.usd for r in routes if r.kind == "api")
    return PeriodPlan(
        period=label,
        hours=HOURS,
        usd=round(usd, 6),
        accelerators=tuple(lines),
        deployments=tuple(deps),
        routing=tuple(routes),
        workloads=wl,
        placements=placements,
    )


def _plan(periods: list[PeriodPlan]) -> Plan:
    base = example_plan("self-host-vs-api")
    acc = round(sum(a.usd for p in periods for a in p.accelerators), 6)
    api = round(sum(r.usd for p in periods for r in p.routing if r.kind == "api"), 6)
    cost = CostUsd(accelerators=acc, committed_beyond_horizon=0.0, api=api, unmet_penalty=0.0)
    return base.model_copy(
        update={
            "periods": tuple(periods),
            "cost_usd": cost,
            "objective_usd": round(acc + api, 6),
            "commitments": (),
            "baselines": (),
        }
    )


def cloud_plan() -> Plan:
    """Two periods on AWS (H100 on-demand, H200 Spot) and GCP (H200 on-demand), plus an API."""
    h100, h200 = "llama-3.3-70b:h100-sxm:tp2:pp1:fp8", "llama-3.3-70b:h200:tp1:pp1:fp8"
    periods = []
    for label, h100_chips, h200_each in (("2027-01", 16, 8), ("2027-02", 10, 6)):
        lines = [
            _line("h100-sxm", "aws", "on_demand", h100_chips, 6.88),
            _line("h200", "aws", "spot", h200_each, 3.4),
            _line("h200", "gcp", "on_demand", h200_each, 10.6),
        ]
        deps = [
            _dep("llama-3.3-70b", "h100-sxm", 2, "fp8", h100_chips // 2, lines[0].usd),
            _dep("llama-3.3-70b", "h200", 1, "fp8", 2 * h200_each, lines[1].usd + lines[2].usd),
        ]
        routes = [
            RouteLine(
                workload="chat", kind="deployment", target=h100, requests_per_s=3.0 * h100_chips, usd=0.0
            ),
            RouteLine(
                workload="chat", kind="deployment", target=h200, requests_per_s=4.0 * h200_each, usd=0.0
            ),
            RouteLine(
                workload="chat", kind="api", target="together-llama-3.3-70b", requests_per_s=1.5, usd=812.5
            ),
        ]
        periods.append(_period(label, lines, deps, routes))
    return _plan(periods)


def tpu_neuron_plan() -> Plan:
    """One period on a TPU v6e slice (GKE) and Trainium1 (EKS)."""
    lines = [_line("tpu-v6e", "gcp", "on_demand", 4, 2.7), _line("trainium1", "aws", "on_demand", 16, 0.968)]
    deps = [
        _dep("llama-3.1-8b", "tpu-v6e", 4, "bf16", 1, lines[0].usd),
        _dep("llama-3.1-8b", "trainium1", 2, "bf16", 8, lines[1].usd),
    ]
    routes = [
        RouteLine(workload="small", kind="deployment", target=deps[0].id, requests_per_s=5.0, usd=0.0),
        RouteLine(workload="small", kind="deployment", target=deps[1].id, requests_per_s=15.0, usd=0.0),
    ]
    return _plan([_period("2027-01", lines, deps, routes)])
