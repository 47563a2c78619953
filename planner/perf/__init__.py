"""Performance model: what one replica of a model sustains on an accelerator.

A roofline (bytes over bandwidth, FLOPs over peak, with efficiency factors calibrated on
published benchmarks) turned into the largest batch that fits in memory and meets TTFT/TPOT
targets, and from it the sustainable requests/s under continuous batching with chunked prefill.
See ``docs/performance-model.md``.
"""

from __future__ import annotations

from planner.perf.estimate import Estimate, estimate
from planner.perf.grid import estimate_grid
from planner.perf.layouts import parallel_layouts

__all__ = ["Estimate", "estimate", "estimate_grid", "parallel_layouts"]
