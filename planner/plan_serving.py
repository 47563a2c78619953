"""What extraction adds to the plan for serving it (plan schema 1.2-1.3), kept apart from extract_lines.py.

Per deployment the planned batch and context and the kind of precision; per workload line its
mean request shape. Each function reads the solved model's context and returns plan fields.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from planner.perf.precisions import precision_source
from planner.plan import PrecisionKind, PrecisionSource, WorkloadLine

if TYPE_CHECKING:
    from planner.extract_context import Context


def planned_sizes(ctx: Context, route: pd.DataFrame) -> dict[tuple[int, int], tuple[int | None, int]]:
    """Per (period, option) with routed load: the largest batch it was sized for, the longest request.

    The batch is the sized maximum (``max_batch``) over the request shapes routed to it (None when
    only measured profiles size it); the context is the largest input + output tokens among them.
    """
    if route.empty:
        return {}
    cap = ctx.options.capacity.set_index(["shape", "option"])["max_batch"]
    shape = ctx.model.index.cover["shape"].to_numpy(int)[route["d"].to_numpy(int)]
    shapes = ctx.options.shapes.iloc[shape]
    frame = pd.DataFrame(
        {
            "p": route["p"].to_numpy(int),
            "o": route["o"].to_numpy(int),
            "batch": cap.reindex(pd.MultiIndex.from_arrays([shape, route["o"].to_numpy(int)])).to_numpy(
                float
            ),
            "tokens": (
                shapes["input_tokens"].astype(float) + shapes["output_tokens"].astype(float)
            ).to_numpy(),
        }
    )
    worst = frame.groupby(["p", "o"]).agg(batch=("batch", "max"), tokens=("tokens", "max"))
    return {
        (int(p), int(o)): (int(b) if np.isfinite(b) and b >= 1 else None, int(np.ceil(t)))
        for (p, o), b, t in zip(
            worst.index, worst["batch"].to_numpy(), worst["tokens"].to_numpy(), strict=True
        )
    }


def precision_kind(ctx: Context, model: str, precision: str) -> PrecisionKind | None:
    """checkpoint: the model's own weights (first catalog precision) or a listed checkpoint of it."""
    source = precision_source_of(ctx, model, precision)
    return None if source is None else ("checkpoint" if source == "checkpoint" else "quantized")


def precision_source_of(ctx: Context, model: str, precision: str) -> PrecisionSource | None:
    """``checkpoint`` or ``on_the_fly`` (``planner.perf.precisions``); None for a model not in the catalog."""
    spec = ctx.catalog.models.get(model)
    return None if spec is None else precision_source(spec, precision)


def with_request_shapes(ctx: Context, lines: dict[int, list[WorkloadLine]]) -> dict[int, list[WorkloadLine]]:
    """Each workload line with its demand row's mean input and output tokens."""
    rows = ctx.options.rows
    shapes = {
        (int(p), str(w)): (float(i), float(o))
        for p, w, i, o in zip(
            rows["period_index"].to_numpy(),
            rows["workload"].to_numpy(),
            rows["input_tokens"].to_numpy(float),
            rows["output_tokens"].to_numpy(float),
            strict=True,
        )
    }
    return {
        p: [
            line.model_copy(
                update=dict(
                    zip(
                        ("input_tokens", "output_tokens"),
                        shapes.get((p, line.workload), (None, None)),
                        strict=True,
                    )
                )
            )
            for line in group
        ]
        for p, group in lines.items()
    }
