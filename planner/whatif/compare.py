"""Compare two plans: every total, cost part, chip line, deployment and workload, and their difference.

Used by ``plan whatif`` (a base and a changed case), ``plan diff A B`` (two written plans) and the
two-plan HTML report. Figures over the horizon count requests (requests/s x 3,600 x hours) and
chip-hours; per period they are chips and replicas as planned. Every difference is the changed
(second) plan's figure minus the base (first) plan's; a line one plan lacks counts as 0 there.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Literal

from planner.plan import Plan

COST_PARTS = ("accelerators", "committed_beyond_horizon", "api", "unmet_penalty")
#: The self-host/API split, over the horizon.
SPLIT = (
    "requests",
    "self_hosted_requests",
    "api_requests",
    "unmet_requests",
    "api_request_share",
    "api_cost_share",
)
WORKLOAD_FIGURES = ("usd", "requests", "self_hosted_requests", "api_requests", "unmet_requests")
ChipKey = tuple[str, str, str]
RouteKey = tuple[str, str]
Change = Literal["added", "removed", "changed", "same"]
#: The per-period fleet moves a plan made with ``--fleet`` lists (``periods[].fleet_changes``).
FLEET_MOVES = ("added_chips", "kept_chips", "released_chips")


@dataclass(frozen=True)
class Figures:
    """The figures of one plan that a comparison reads.

    Attributes:
        objective_usd: the plan's objective.
        cost_usd: each cost part (``COST_PARTS``).
        split: requests over the horizon by who serves them, and the API's shares (``SPLIT``).
        periods: period labels in order.
        chips: (accelerator, provider, tier) -> period -> chips.
        chip_hours: (accelerator, provider, tier) -> chip-hours over the horizon.
        deployments: deployment id -> period -> replicas.
        workloads: workload -> ``WORKLOAD_FIGURES`` over the horizon (usd: API charges plus the
            allocation of accelerator cost to its self-hosted routes).
        routes: workload -> (kind, target) -> requests over the horizon.
        fleet_changes: (accelerator, provider, tier) -> ``added_chips`` / ``kept_chips`` /
            ``released_chips`` summed over the periods (plans made with ``--fleet``).
    """

    objective_usd: float
    cost_usd: dict[str, float]
    split: dict[str, float]
    periods: tuple[str, ...]
    chips: dict[ChipKey, dict[str, int]] = field(default_factory=dict)
    chip_hours: dict[ChipKey, float] = field(default_factory=dict)
    deployments: dict[str, dict[str, int]] = field(default_factory=dict)
    workloads: dict[str, dict[str, float]] = field(default_factory=dict)
    routes: dict[str, dict[RouteKey, float]] = field(default_factory=dict)
    fleet_changes: dict[ChipKey, dict[str, int]] = field(default_factory=dict)

    @property
    def peak_chips(self) -> dict[ChipKey, int]:
        """The most chips of each line in any period."""
        return {key: max(per.values(), default=0) for key, per in self.chips.items()}


def figures(plan: Plan) -> Figures:
    """The figures of ``plan`` (see :class:`Figures`)."""
    chips: dict[ChipKey, dict[str, int]] = defaultdict(dict)
    chip_hours: dict[ChipKey, float] = defaultdict(float)
    deployments: dict[str, dict[str, int]] = defaultdict(dict)
    workloads: dict[str, dict[str, float]] = defaultdict(lambda: dict.fromkeys(WORKLOAD_FIGURES, 0.0))
    routes: dict[str, dict[RouteKey, float]] = defaultdict(lambda: defaultdict(float))
    moves: dict[ChipKey, dict[str, int]] = defaultdict(lambda: dict.fromkeys(FLEET_MOVES, 0))
    for period in plan.periods:
        for move in period.fleet_changes:
            moved = moves[(move.accelerator, move.provider, move.tier)]
            for name in FLEET_MOVES:
                moved[name] += int(getattr(move, name))
        seconds = 3600.0 * period.hours
        for line in period.accelerators:
            key = (line.accelerator, line.provider, line.tier)
            chips[key][period.period] = chips[key].get(period.period, 0) + line.chips
            chip_hours[key] += line.chips * period.hours
        for dep in period.deployments:
            deployments[dep.id][period.period] = dep.replicas
        for w in period.workloads:
            row = workloads[w.workload]
            row["requests"] += w.demand_requests_per_s * seconds
            row["self_hosted_requests"] += w.self_hosted_requests_per_s * seconds
            row["api_requests"] += w.api_requests_per_s * seconds
            row["unmet_requests"] += w.unmet_requests_per_s * seconds
        for route in period.routing:
            workloads[route.workload]["usd"] += route.usd
            routes[route.workload][(route.kind, route.target)] += route.requests_per_s * seconds
    total = {name: sum(w[name] for w in workloads.values()) for name in WORKLOAD_FIGURES}
    cost = plan.cost_usd
    paid = cost.accelerators + cost.committed_beyond_horizon + cost.api
    split = {
        "requests": total["requests"],
        "self_hosted_requests": total["self_hosted_requests"],
        "api_requests": total["api_requests"],
        "unmet_requests": total["unmet_requests"],
        "api_request_share": total["api_requests"] / total["requests"] if total["requests"] > 0 else 0.0,
        "api_cost_share": cost.api / paid if paid > 0 else 0.0,
    }
    return Figures(
        objective_usd=plan.objective_usd,
        cost_usd={part: float(getattr(cost, part)) for part in COST_PARTS},
        split=split,
        periods=tuple(p.period for p in plan.periods),
        chips=dict(chips),
        chip_hours=dict(chip_hours),
        deployments=dict(deployments),
        workloads={w: dict(v) for w, v in workloads.items()},
        routes={w: dict(v) for w, v in routes.items()},
        fleet_changes={k: dict(v) for k, v in moves.items()},
    )


def _periods(base: Figures, changed: Figures) -> list[str]:
    """Both plans' periods: the base's order, then any the changed plan adds."""
    return list(dict.fromkeys([*base.periods, *changed.periods]))


def _change(before: dict[str, int], after: dict[str, int]) -> Change:
    if not before:
        return "added"
    if not after:
        return "removed"
    return "same" if before == after else "changed"


@dataclass(frozen=True)
class Comparison:
    """Two plans' figures side by side; :meth:`difference` is the changed minus the base."""

    base: Figures
    changed: Figures

    @property
    def periods(self) -> list[str]:
        """Both plans' periods, the base's order first."""
        return _periods(self.base, self.changed)

    def chip_keys(self) -> list[ChipKey]:
        """Every chip line of either plan, sorted."""
        return sorted({*self.base.chips, *self.changed.chips})

    def deployment_changes(self) -> dict[str, Change]:
        """Each deployment of either plan: added, removed, changed (replicas differ) or the same."""
        ids = list(dict.fromkeys([*self.base.deployments, *self.changed.deployments]))
        return {
            dep: _change(self.base.deployments.get(dep, {}), self.changed.deployments.get(dep, {}))
            for dep in ids
        }

    def workload_ids(self) -> list[str]:
        """Every workload of either plan, the base's order first."""
        return list(dict.fromkeys([*self.base.workloads, *self.changed.workloads]))

    def difference(self) -> dict[str, Any]:
        """The changed figure minus the base figure, for everything :class:`Figures` holds.

        Keys: ``objective_usd``; ``cost_usd`` (each part); ``split``; ``chips`` (one entry per
        line of either plan: ``peak_chips``, ``chip_hours`` and ``periods`` {period: chips});
        ``deployments`` (those added, removed or changed: ``change``, ``peak_replicas``,
        ``periods``); ``workloads`` (each: the ``WORKLOAD_FIGURES`` and ``routing``, one entry per
        target of either plan with its ``requests``); ``fleet_changes`` (with ``--fleet``: per
        accelerator, provider and tier, the chips added, kept and released over the periods).
        """
        base, changed = self.base, self.changed
        periods = self.periods
        return {
            "objective_usd": changed.objective_usd - base.objective_usd,
            "cost_usd": {p: changed.cost_usd[p] - base.cost_usd[p] for p in COST_PARTS},
            "split": {k: changed.split[k] - base.split[k] for k in SPLIT},
            "chips": [self._chip_line(key, periods) for key in self.chip_keys()],
            "deployments": [
                self._deployment(dep, change, periods)
                for dep, change in self.deployment_changes().items()
                if change != "same"
            ],
            "workloads": [self._workload(w) for w in self.workload_ids()],
            "fleet_changes": [self._moves(key) for key in self.fleet_keys()],
        }

    def fleet_keys(self) -> list[ChipKey]:
        """Every (accelerator, provider, tier) with fleet changes in either plan (``--fleet``)."""
        return sorted({*self.base.fleet_changes, *self.changed.fleet_changes})

    def _moves(self, key: ChipKey) -> dict[str, Any]:
        before = self.base.fleet_changes.get(key, {})
        after = self.changed.fleet_changes.get(key, {})
        out: dict[str, Any] = {"accelerator": key[0], "provider": key[1], "tier": key[2]}
        out.update({name: after.get(name, 0) - before.get(name, 0) for name in FLEET_MOVES})
        return out

    def _chip_line(self, key: ChipKey, periods: list[str]) -> dict[str, Any]:
        before, after = self.base.chips.get(key, {}), self.changed.chips.get(key, {})
        return {
            "accelerator": key[0],
            "provider": key[1],
            "tier": key[2],
            "peak_chips": max(after.values(), default=0) - max(before.values(), default=0),
            "chip_hours": self.changed.chip_hours.get(key, 0.0) - self.base.chip_hours.get(key, 0.0),
            "periods": {p: after.get(p, 0) - before.get(p, 0) for p in periods},
        }

    def _deployment(self, dep: str, change: Change, periods: list[str]) -> dict[str, Any]:
        before, after = self.base.deployments.get(dep, {}), self.changed.deployments.get(dep, {})
        return {
            "id": dep,
            "change": change,
            "peak_replicas": max(after.values(), default=0) - max(before.values(), default=0),
            "periods": {p: after.get(p, 0) - before.get(p, 0) for p in periods},
        }

    def _workload(self, workload: str) -> dict[str, Any]:
        zero = dict.fromkeys(WORKLOAD_FIGURES, 0.0)
        before = self.base.workloads.get(workload, zero)
        after = self.changed.workloads.get(workload, zero)
        routes_before = self.base.routes.get(workload, {})
        routes_after = self.changed.routes.get(workload, {})
        targets = sorted({*routes_before, *routes_after})
        return {
            "workload": workload,
            **{name: after[name] - before[name] for name in WORKLOAD_FIGURES},
            "routing": [
                {
                    "kind": kind,
                    "target": target,
                    "requests": routes_after.get((kind, target), 0.0)
                    - routes_before.get((kind, target), 0.0),
                }
                for kind, target in targets
            ],
        }


def compare(base: Plan, changed: Plan) -> Comparison:
    """The comparison of two plans (``changed`` minus ``base``)."""
    return Comparison(figures(base), figures(changed))


def comparison_json(base: Plan, changed: Plan, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """``{"base": PLAN, "changed": PLAN, "difference": {...}}``, each PLAN as ``plan solve`` prints it."""
    from planner.outputs import plan_to_dict

    out: dict[str, Any] = {
        "base": plan_to_dict(base),
        "changed": plan_to_dict(changed),
        "difference": compare(base, changed).difference(),
    }
    out.update(extra or {})
    return out
