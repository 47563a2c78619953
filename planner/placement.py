"""Place each period's replicas on its chip lines: every replica's chips with one provider and tier.

The MILP balances chips per accelerator over all its offers, so a period may buy an accelerator
from several providers or tiers. A replica cannot span two providers (its chips sit on one
provider's nodes), so extraction assigns whole replicas to chip lines: largest replicas first,
each on the line with the fewest chips left that still holds it (best fit), committed lines
before on-demand before spot. A replica no line can hold (the chips it needs are split over
lines) is placed on the line with the most chips left and reported as a warning: the plan then
needs that many more chips there than it bought.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from planner.plan import AcceleratorLine, DeploymentLine, PlacementLine

#: Lines filled first: chips paid for the whole horizon, then per period, spot (preemptible) last.
TIER_ORDER = {"committed_3y": 0, "committed_1y": 1, "on_demand": 2, "spot": 3}


def place_period(
    period: str, accelerators: Sequence[AcceleratorLine], deployments: Sequence[DeploymentLine]
) -> tuple[tuple[PlacementLine, ...], tuple[str, ...]]:
    """Placements of one period's replicas, and a warning per replica that fits no single line."""
    placed: dict[tuple[str, str, str], int] = defaultdict(int)
    warnings: list[str] = []
    by_accelerator: dict[str, list[DeploymentLine]] = defaultdict(list)
    for d in deployments:
        by_accelerator[d.accelerator].append(d)
    for accelerator, deps in sorted(by_accelerator.items()):
        lines = sorted(
            (a for a in accelerators if a.accelerator == accelerator),
            key=lambda a: (TIER_ORDER.get(a.tier, 9), a.provider, a.tier),
        )
        left = {(a.provider, a.tier): a.chips for a in lines}
        order = sorted(deps, key=lambda d: (-d.tensor_parallel * d.pipeline_parallel, d.id))
        for d in order:
            chips = d.tensor_parallel * d.pipeline_parallel
            for _ in range(d.replicas):
                key = _best_fit(left, chips)
                if key is None:
                    key = _fallback(left, period, d, warnings)
                left[key] -= chips
                placed[(d.id, *key)] += 1
    return _lines(placed, deployments), tuple(warnings)


def _best_fit(left: dict[tuple[str, str], int], chips: int) -> tuple[str, str] | None:
    fits = [(n - chips, i, key) for i, (key, n) in enumerate(left.items()) if n >= chips]
    return min(fits)[2] if fits else None


def _fallback(
    left: dict[tuple[str, str], int], period: str, d: DeploymentLine, warnings: list[str]
) -> tuple[str, str]:
    if not left:
        raise ValueError(f"period {period}: deployment {d.id} has replicas but no chips of {d.accelerator}")
    key = max(left, key=lambda k: (left[k], -list(left).index(k)))
    chips = d.tensor_parallel * d.pipeline_parallel
    warnings.append(
        f"period {period}: a replica of {d.id} needs {chips} chips of one provider and tier, but the "
        f"chips left are split over several lines; placed on {key[0]}/{key[1]}, which then needs "
        f"{chips - max(left[key], 0)} more chips"
    )
    return key


def _lines(
    placed: dict[tuple[str, str, str], int], deployments: Sequence[DeploymentLine]
) -> tuple[PlacementLine, ...]:
    info = {d.id: d for d in deployments}
    return tuple(
        PlacementLine(
            deployment=dep,
            accelerator=info[dep].accelerator,
            provider=provider,
            tier=tier,
            replicas=n,
            chips_per_replica=info[dep].tensor_parallel * info[dep].pipeline_parallel,
        )
        for (dep, provider, tier), n in sorted(placed.items())
    )


def placement_problems(
    period: str,
    accelerators: Sequence[AcceleratorLine],
    deployments: Sequence[DeploymentLine],
    placements: Sequence[PlacementLine],
) -> list[str]:
    """Where placements disagree with the period's deployments or chip lines (empty: consistent)."""
    problems: list[str] = []
    replicas: dict[str, int] = defaultdict(int)
    used: dict[tuple[str, str, str], int] = defaultdict(int)
    for pl in placements:
        replicas[pl.deployment] += pl.replicas
        used[(pl.accelerator, pl.provider, pl.tier)] += pl.replicas * pl.chips_per_replica
    for d in deployments:
        if replicas.pop(d.id, 0) != d.replicas:
            problems.append(
                f"period {period}: placements of {d.id} do not add up to its {d.replicas} replicas"
            )
    problems.extend(f"period {period}: placements name {dep}, which has no replicas" for dep in replicas)
    bought = {(a.accelerator, a.provider, a.tier): a.chips for a in accelerators}
    for key, chips in sorted(used.items()):
        if chips > bought.get(key, 0):
            problems.append(
                f"period {period}: {chips} chips placed on {'/'.join(key)}, which has {bought.get(key, 0)}"
            )
    return problems
