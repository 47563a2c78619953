"""The probe of a benchmark worker: times every solver call of the engine, by stage (this process only)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, ClassVar


class Probe:
    """Times every solver call of the engine, by engine stage, in this process only.

    Patches (this process only, never the library's files): the engine's stage functions, to know
    which stage a solver call belongs to; the solve entry points for each call's total
    (``planner.engine._solve`` for whole-model solves, ``planner.engine.sift_relaxation`` for a
    sifted relaxation, ``planner.periods.solve_arrays`` for a period's MILP); the hand-off parts
    (``build_matrix``, the one walk of the PuLP model, made in the first solve; ``period_model``, a
    period's slice; ``solvers.arrays._configure`` and ``_highs_lp``; ``highspy.Highs.passModel``
    and ``addCols``); and ``highspy.Highs.run`` (HiGHS's run). The rest of a call (the read-back:
    values into arrays, and for whole-model solves into PuLP) is the read-back.
    """

    #: engine function -> stage (the outermost one running decides); calls outside them: "other",
    #: except MIP calls, which only the MILP stage makes.
    STAGES: ClassVar[dict[str, str]] = {
        "solve_relaxation": "lp",
        "round_plan": "rounding",
        "_improve": "milp",
        "_improve_by_period": "milp",
        "_fixed_lp": "duals",
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
        import planner.formulation.matrix as matrix
        import planner.periods as periods
        import solvers.arrays as arrays

        for name, stage in self.STAGES.items():
            if hasattr(engine, name):
                setattr(engine, name, self._staged(getattr(engine, name), stage))
                self.patched.append(f"planner.engine.{name}")
        # the sifted relaxation is a solver call of its own; inside _solve it is part of that call
        for module, name in ((engine, "_solve"), (engine, "sift_relaxation"), (periods, "solve_arrays")):
            setattr(module, name, self._call(getattr(module, name)))
            self.patched.append(f"{module.__name__}.{name}")
        for owner, name, part in (
            (matrix, "build_matrix", "handoff_s"),  # called by matrix_of, the engine's first solve
            (periods, "period_model", "handoff_s"),
            (arrays, "_configure", "handoff_s"),
            (arrays, "_highs_lp", "handoff_s"),
            (highspy.Highs, "passModel", "handoff_s"),
            (highspy.Highs, "addCols", "handoff_s"),  # sifting's columns
            (highspy.Highs, "run", "highs_s"),
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
            if stage == "lp" and isinstance(out, tuple) and out and self.lp_objective is None:
                self.lp_objective = getattr(out[0], "objective", None)
            return out

        return wrapper

    def _call(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if self.current is not None:  # nested (a sift inside _solve): part of the outer call
                return fn(*args, **kwargs)
            mip = bool(kwargs.get("mip"))
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
            rec["status"] = getattr(out, "status", None)
            rec["detail"] = getattr(out, "detail", None)
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
        # what PuLP's lp.solve does besides the three parts (status, flags) counts as read-back
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
