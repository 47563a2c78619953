"""Fit the efficiency profiles on the calibration cases, and validate them on held-out cases.

The fit minimises, per profile group, the squared log error of output tokens/s over its cases (each
publication weighing the same, however many rows it has) plus
a small pull towards the prior (``PRIOR_WEIGHT``, so that a parameter the cases do not constrain
stays at its documented prior): a deterministic Levenberg-Marquardt search in the log of the free
figures, within ``BOUNDS``.

Held-out errors refit every group of a family without part of the cases and predict that part:
one publication (``Case.document``) at a time where the group's cases come from two or more,
otherwise one model at a time, otherwise one request shape (input length) at a time, otherwise
one concurrency at a time.
``docs/performance-model.md`` §7 prints both.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace

import numpy as np

from planner.perf.cases import Case
from planner.perf.constants import AMD, MAX_BATCH, NEURON, NVIDIA, PROFILES, TPU, EfficiencyProfile
from planner.perf.estimate import estimate
from planner.perf.layouts import configure
from planner.perf.profiles import family_for
from planner.perf.replica import FloatArray, Replicas
from planner.perf.roofline import decode_step_time

#: Weight of the pull towards the prior, per parameter, against the sum of squared log errors.
PRIOR_WEIGHT = 0.02
#: A publication with n cases weighs n ** (1 - power) in the fit (0: every case the same; 1: every
#: publication the same).
DOCUMENT_WEIGHT_POWER = 0.5
ITERATIONS = 60
#: Search range per fitted parameter.
BOUNDS: dict[str, tuple[float, float]] = {
    "bandwidth_efficiency": (0.05, 0.85),
    "kv_bandwidth_efficiency": (0.03, 0.85),
    "compute_efficiency": (0.05, 0.85),
    "step_overhead_s": (1e-4, 3e-2),
    "allreduce_latency_s": (1e-6, 5e-4),
    "tp_scaling_exponent": (0.3, 1.0),
}


@dataclass(frozen=True)
class Group:
    """Profiles fitted together: one family, the engines sharing one set of figures, the free ones.

    Attributes:
        name: Label.
        family: Accelerator family.
        engines: Engines whose profiles get the fitted figures.
        prior: The documented prior (the starting point and the pull).
        free: Fitted fields; ``kv_bandwidth_efficiency`` follows ``bandwidth_efficiency`` unless free.
    """

    name: str
    family: str
    engines: tuple[str, ...]
    prior: EfficiencyProfile
    free: tuple[str, ...]


_TPU_FREE = (
    "bandwidth_efficiency",
    "kv_bandwidth_efficiency",
    "compute_efficiency",
    "step_overhead_s",
    "allreduce_latency_s",
)
_NEURON_FREE = (
    "bandwidth_efficiency",
    "compute_efficiency",
    "step_overhead_s",
    "allreduce_latency_s",
    "tp_scaling_exponent",
)
_GPU_FREE = ("bandwidth_efficiency", "compute_efficiency", "step_overhead_s")
GROUPS: tuple[Group, ...] = (
    Group("nvidia", "nvidia", ("vllm", "sglang", "tensorrt-llm"), NVIDIA, _GPU_FREE),
    Group("amd-vllm", "amd", ("vllm",), AMD, _GPU_FREE),
    Group("amd-sglang", "amd", ("sglang",), AMD, _GPU_FREE),
    Group("neuron-vllm", "neuron", ("vllm",), NEURON, _NEURON_FREE),
    Group("neuron-tnx", "neuron", ("transformers-neuronx",), NEURON, _NEURON_FREE),
    Group("tpu-vllm", "tpu", ("vllm",), TPU, _TPU_FREE),
    Group("tpu-sglang-jax", "tpu", ("sglang-jax",), TPU, _TPU_FREE),
    Group("tpu-jetstream", "tpu", ("jetstream",), TPU, _TPU_FREE),
)


def group_of(case: Case) -> Group:
    """The fit group a case belongs to (by its accelerator's family and its engine)."""
    family = family_for(case.accelerator)
    return next(g for g in GROUPS if g.family == family and case.engine in g.engines)


def profile(case: Case, overrides: dict[str, EfficiencyProfile] | None = None) -> EfficiencyProfile:
    """The profile a case is predicted with: its group's override, else the shipped one."""
    group = group_of(case)
    if overrides and group.name in overrides:
        return overrides[group.name]
    return PROFILES[(group.family, case.engine)]


def running_batch(case: Case) -> int | None:
    """The case's batch capped at what fits in memory (None when nothing fits)."""
    most = estimate(
        case.model,
        case.accelerator,
        tensor_parallel=case.tensor_parallel,
        precision=case.precision,
        input_tokens=case.input_tokens,
        output_tokens=case.output_tokens,
        kv_cache_precision=case.kv_cache_precision,
        profile=profile(case),
    ).max_batch
    if most is None:
        return None
    return min(case.batch or MAX_BATCH, most)


def predict(case: Case, with_profile: EfficiencyProfile | None = None) -> float:
    """The model's output tokens/s for a case at its running batch (NaN when it predicts no fit).

    Where the engine runs a compiled batch larger than the running one (``Case.compiled_batch``),
    the step is the decode-only step of the compiled batch plus the prefill work of the running
    sequences, and only the running sequences emit tokens.
    """
    running = running_batch(case)
    if running is None:
        return math.nan
    chosen = with_profile or profile(case)

    def at(batch: int) -> tuple[float, float] | None:
        e = estimate(
            case.model,
            case.accelerator,
            tensor_parallel=case.tensor_parallel,
            precision=case.precision,
            input_tokens=case.input_tokens,
            output_tokens=case.output_tokens,
            batch=batch,
            kv_cache_precision=case.kv_cache_precision,
            profile=chosen,
        )
        return None if e.tpot_ms is None or e.decode_step_ms is None else (e.tpot_ms, e.decode_step_ms)

    ran = at(running)
    padded = at(max(running, case.compiled_batch or running))
    if ran is None or padded is None:
        return math.nan
    step_ms = padded[1] + ran[0] - ran[1]
    return running / (step_ms / 1e3)


def _unit(prior: EfficiencyProfile) -> EfficiencyProfile:
    """The prior with every fitted figure at 1 (efficiencies) or 0 (fixed costs), to scale later."""
    return replace(
        prior,
        bandwidth_efficiency=1.0,
        kv_bandwidth_efficiency=1.0,
        compute_efficiency=1.0,
        step_overhead_s=0.0,
        allreduce_latency_s=0.0,
        tp_scaling_exponent=1.0,
    )


@dataclass(frozen=True)
class Prepared:
    """Cases of one group as arrays: unit-efficiency replicas, batches, lengths, published rates.

    ``batch`` is the batch a step runs at (the compiled one where larger), ``running`` the
    sequences that emit tokens.
    """

    replicas: Replicas
    batch: FloatArray
    running: FloatArray
    inputs: FloatArray
    outputs: FloatArray
    published: FloatArray
    weight: FloatArray

    def predict(self, p: EfficiencyProfile) -> FloatArray:
        """Output tokens/s of every case under profile ``p`` (the roofline, vectorised)."""
        r = self.replicas
        scale = np.power(r.tp, p.tp_scaling_exponent - 1.0)
        scaled = replace(
            r,
            chip_bandwidth=r.chip_bandwidth * p.bandwidth_efficiency * scale,
            chip_kv_bandwidth=r.chip_kv_bandwidth * p.kv_bandwidth_efficiency * scale,
            chip_flops=r.chip_flops * p.compute_efficiency * scale,
            allreduce_latency=r.allreduce_latency + p.allreduce_latency_s,
            step_overhead=r.step_overhead + p.step_overhead_s,
        )
        step = decode_step_time(scaled, self.running, self.inputs, self.outputs)
        prefill = step - decode_step_time(scaled, self.running, self.inputs, self.outputs, with_prefill=False)
        padded = decode_step_time(scaled, self.batch, self.inputs, self.outputs, with_prefill=False)
        return np.asarray(self.running / (padded + prefill), dtype=np.float64)


def prepare(cases: Sequence[Case], prior: EfficiencyProfile) -> Prepared:
    """Arrays for ``Prepared.predict`` (cases that fit nowhere are dropped)."""
    specs, batches, running, kept = [], [], [], []
    for case in cases:
        batch = running_batch(case)
        spec, _ = configure(
            case.model,
            case.accelerator,
            case.tensor_parallel,
            1,
            case.precision,
            case.kv_cache_precision,
            _unit(prior),
        )
        if batch is None or spec is None:
            continue
        specs.append(spec)
        batches.append(float(max(batch, case.compiled_batch or batch)))
        running.append(float(batch))
        kept.append(case)
    return Prepared(
        Replicas.stack(specs),
        np.array(batches),
        np.array(running),
        np.array([c.input_tokens for c in kept], dtype=np.float64),
        np.array([c.output_tokens for c in kept], dtype=np.float64),
        np.array([c.published_tokens_per_s for c in kept], dtype=np.float64),
        _document_weights(kept),
    )


def _document_weights(cases: Sequence[Case]) -> FloatArray:
    """Per-case weights ``n_doc ** -DOCUMENT_WEIGHT_POWER``, scaled to a mean of 1."""
    counts: dict[str, int] = {}
    for case in cases:
        counts[case.document] = counts.get(case.document, 0) + 1
    if not cases:
        return np.zeros(0)
    raw = np.array([counts[c.document] ** -DOCUMENT_WEIGHT_POWER for c in cases], dtype=np.float64)
    return np.asarray(raw * len(cases) / raw.sum(), dtype=np.float64)


def _with(p: EfficiencyProfile, group: Group, name: str, value: float) -> EfficiencyProfile:
    changed = replace(p, **{name: value})  # type: ignore[arg-type]
    if name == "bandwidth_efficiency" and "kv_bandwidth_efficiency" not in group.free:
        changed = replace(changed, kv_bandwidth_efficiency=value)
    return changed


def residuals(prepared: Prepared, group: Group, p: EfficiencyProfile) -> FloatArray:
    """Weighted log errors of the cases, then the pull of every free figure towards the prior.

    Their sum of squares is the objective: publications weigh ``n ** (1 - DOCUMENT_WEIGHT_POWER)``.
    """
    error = np.sqrt(prepared.weight) * np.log(prepared.predict(p) / prepared.published)
    pull = [math.sqrt(PRIOR_WEIGHT) * math.log(getattr(p, n) / getattr(group.prior, n)) for n in group.free]
    return np.concatenate([error, np.array(pull)])


def objective(prepared: Prepared, group: Group, p: EfficiencyProfile) -> float:
    """The sum of squared ``residuals``."""
    return float(np.sum(residuals(prepared, group, p) ** 2))


def _profile_at(group: Group, x: FloatArray) -> EfficiencyProfile:
    """The prior with the free figures set to ``exp(x)``."""
    p = group.prior
    for name, value in zip(group.free, x, strict=True):
        p = _with(p, group, name, math.exp(float(value)))
    return p


def fit(cases: Sequence[Case], group: Group) -> EfficiencyProfile:
    """The group's profile fitted on ``cases`` (the prior when there are none).

    Levenberg-Marquardt on the log of the free figures (finite-difference Jacobian, steps clipped
    to ``BOUNDS``), from the prior, for at most ``ITERATIONS`` steps.

    Args:
        cases: Cases of this group.
        group: The group.

    Returns:
        The prior with the free figures fitted.
    """
    prepared = prepare(cases, group.prior)
    if len(prepared.published) == 0:
        return group.prior
    low = np.log([BOUNDS[n][0] for n in group.free])
    high = np.log([BOUNDS[n][1] for n in group.free])
    x = np.clip(np.log([getattr(group.prior, n) for n in group.free]), low, high)
    res = residuals(prepared, group, _profile_at(group, x))
    damping = 1e-2
    for _ in range(ITERATIONS):
        jac = np.empty((len(res), len(x)))
        for i in range(len(x)):
            step = np.zeros_like(x)
            step[i] = 1e-5
            jac[:, i] = (residuals(prepared, group, _profile_at(group, x + step)) - res) / 1e-5
        normal = jac.T @ jac
        scaled = normal + damping * np.diag(np.diag(normal) + 1e-12)
        trial = np.clip(x - np.linalg.solve(scaled, jac.T @ res), low, high)
        trial_res = residuals(prepared, group, _profile_at(group, trial))
        if float(trial_res @ trial_res) < float(res @ res):
            gain = float(res @ res) - float(trial_res @ trial_res)
            x, res, damping = trial, trial_res, damping / 3.0
            if gain < 1e-12:
                break
        else:
            damping *= 4.0
    return _profile_at(group, x)


def fit_all(cases: Sequence[Case]) -> dict[str, EfficiencyProfile]:
    """Every group's profile fitted on its cases among ``cases``."""
    return {g.name: fit([c for c in cases if group_of(c) == g], g) for g in GROUPS}


def validation_key(case: Case, group_cases: Sequence[Case]) -> tuple[str, str]:
    """How a case is held out: (method, the value left out), by the rule in the module docstring."""
    if len({c.document for c in group_cases}) >= 2:
        return "source", case.document
    if len({c.model.id for c in group_cases}) >= 2:
        return "model", case.model.id
    if len({c.input_tokens for c in group_cases}) >= 2:
        return "shape", str(case.input_tokens)
    return "batch", str(case.batch)


def held_out(cases: Sequence[Case]) -> dict[str, tuple[str, float]]:
    """Per case name: (validation method, output tokens/s predicted by a fit that did not see it)."""
    out: dict[str, tuple[str, float]] = {}
    for group in GROUPS:
        members = [c for c in cases if group_of(c) == group]
        folds: dict[tuple[str, str], list[Case]] = {}
        for case in members:
            folds.setdefault(validation_key(case, members), []).append(case)
        for (method, _), left_out in folds.items():
            names = {c.name for c in left_out}
            fitted = fit([c for c in members if c.name not in names], group)
            for case in left_out:
                out[case.name] = (method, predict(case, fitted))
    return out


def profile_fields(p: EfficiencyProfile, names: Sequence[str]) -> dict[str, float]:
    """Chosen fields of a profile as a dict (for printing the fit)."""
    known = {f.name for f in fields(p)}
    return {n: float(getattr(p, n)) for n in names if n in known}
