"""The probe of a benchmark worker: times every solver call of the engine, by stage (this process only)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, ClassVar


class Probe:
    """Times every solver call of the engine, by engine stage, in this process only.

    Patches (this process only, never the library's files): the engine's stage functions, to know
    which stage a solver call belongs to; the solve entry points for each call's total
    (``planner.session.Session.lp`` for an LP on the live instance, ``Session.milp`` and
    ``Session.solve_arrays`` for a MILP, whole or a period's slice); the hand-off parts (fixings
    into bounds, ``Session.bounds_with``'s work; the sifting working set and implied bounds;
    ``period_model``, a period's slice; ``solvers.arrays._configure`` and ``highs_lp``;
    ``highspy.Highs.passModel``, ``addCols``, ``changeColsBounds`` and ``changeColsCost``); the
    solver's own work (``highspy.Highs.run``, and sifting's pricing, ``reduced_costs``). The rest of
    a call (the read-back: solution arrays split per block) is the read-back. The arrays themselves
    are built with the model (``build_s``).
    """

    #: engine function -> stage (the outermost one running decides); calls outside them: "other",
    #: except MIP calls, which only the MILP stage makes.
    STAGES: ClassVar[dict[str, str]] = {
        "solve_relaxation": "lp",
        "round_plan": "rounding",
        "_improve": "milp",
        "_final_values": "duals",
    }

    def __init__(self) -> None:
        self.stack: list[str] = []
        self.calls: list[dict[str, Any]] = []
        self.current: dict[str, Any] | None = None
        self.lp_objective: float | None = None
        self.patched: list[str] = []

    def install(self) -> None:
        """Install the wrappers (in this process)."""
        import highspy

        import planner.engine as engine
        import planner.periods as periods
        import planner.session as session
        import solvers.arrays as arrays
        import solvers.live as live
        from planner.formulation.blocks import PlanningModel

        for name, stage in self.STAGES.items():
            if hasattr(engine, name):
                setattr(engine, name, self._staged(getattr(engine, name), stage))
                self.patched.append(f"planner.engine.{name}")
        for name, mip in (("lp", False), ("milp", True), ("solve_arrays", True)):
            setattr(session.Session, name, self._call(getattr(session.Session, name), mip))
            self.patched.append(f"planner.session.Session.{name}")
        for owner, name, part in (
            (PlanningModel, "bounds_with", "handoff_s"),
            (session, "forced_zero_routes", "handoff_s"),
            (session, "initial_working_set", "handoff_s"),
            (session, "implied_upper", "handoff_s"),
            (periods, "period_model", "handoff_s"),
            (arrays, "_configure", "handoff_s"),
            (arrays, "highs_lp", "handoff_s"),
            (live, "highs_lp", "handoff_s"),
            (live, "working_model", "handoff_s"),
            (highspy.Highs, "passModel", "handoff_s"),
            (highspy.Highs, "addCols", "handoff_s"),  # sifting's columns
            (highspy.Highs, "changeColsBounds", "handoff_s"),  # fixings on the live instance
            (highspy.Highs, "changeColsCost", "handoff_s"),
            (highspy.Highs, "run", "highs_s"),
            (live, "reduced_costs", "highs_s"),  # sifting's pricing: the LP algorithm's own work
        ):
            setattr(owner, name, self._part(getattr(owner, name), part))
            self.patched.append(f"{getattr(owner, '__name__', owner)}.{name}")

    def _staged(self, fn: Callable[..., Any], stage: str) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            self.stack.append(stage)
            try:
                out = fn(*args, **kwargs)
            finally:
                self.stack.pop()
            if stage == "lp" and self.lp_objective is None:
                self.lp_objective = getattr(out, "objective", None)
            return out

        return wrapper

    def _call(self, fn: Callable[..., Any], mip: bool) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if self.current is not None:  # nested (milp's solve_arrays): part of the outer call
                return fn(*args, **kwargs)
            stage = self.stack[0] if self.stack else ("milp" if mip else "other")
            rec: dict[str, Any] = {
                "stage": stage,
                "mip": mip,
                "handoff_s": 0.0,
                "highs_s": 0.0,
                "readback_s": 0.0,
            }
            self.current = rec
            began = time.perf_counter()
            try:
                out = fn(*args, **kwargs)
            finally:
                rec["call_s"] = time.perf_counter() - began
                self.current = None
                self.calls.append(rec)
            result = getattr(out, "result", out)  # a Solution, or an ArraySolution
            rec["status"] = getattr(result, "status", None)
            rec["detail"] = getattr(result, "detail", None)
            return out

        return wrapper

    def _part(self, fn: Callable[..., Any], part: str) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                if self.current is not None:
                    self.current[part] += time.perf_counter() - began

        return wrapper

    def summary(self) -> dict[str, Any]:
        """Totals over all calls, and the LP relaxation's own figures."""
        out: dict[str, Any] = {
            "solver_calls": len(self.calls),
            "mip_calls": sum(c["mip"] for c in self.calls),
        }
        for key in ("handoff_s", "highs_s", "readback_s", "call_s"):
            out[key] = sum(c[key] for c in self.calls)
        # what a call does besides the three parts (status, splitting per block) is read-back
        out["readback_s"] += out["call_s"] - out["handoff_s"] - out["highs_s"] - out["readback_s"]
        lp = [c for c in self.calls if c["stage"] == "lp"]
        out["lp_handoff_s"] = sum(c["handoff_s"] for c in lp)
        out["lp_highs_s"] = sum(c["highs_s"] for c in lp)
        out["lp_readback_s"] = sum(c["call_s"] - c["handoff_s"] - c["highs_s"] for c in lp)
        per_stage: dict[str, dict[str, float]] = {}
        for c in self.calls:
            s = per_stage.setdefault(c["stage"], {"calls": 0, "highs_s": 0.0, "call_s": 0.0})
            s["calls"] += 1
            s["highs_s"] += c["highs_s"]
            s["call_s"] += c["call_s"]
        out["per_stage"] = per_stage
        out["lp_objective"] = self.lp_objective
        out["calls"] = self.calls
        out["patched"] = self.patched
        return out
