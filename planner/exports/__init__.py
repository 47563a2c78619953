"""``plan export``: the plan in the formats of the systems that apply it, one module per format.

``FORMATS`` is the registry, in order of priority (importing it loads nothing else, so ``plan
--help`` stays fast); ``export_plan`` (``planner.exports.run``) renders one format completely
in memory (a target that cannot express the plan raises ``ExportError``: exit 2, nothing written)
and then writes its files atomically inside the output folder.
"""

from __future__ import annotations

import importlib
from typing import Any

#: name -> (module, one line for ``plan export --help``), in order of priority.
FORMATS: dict[str, tuple[str, str]] = {
    "kubernetes": ("planner.exports.kubernetes", "vLLM Deployment + Service per placement"),
    "routing": ("planner.exports.routing", "routing table CSV + LiteLLM proxy config"),
    "procurement": ("planner.exports.procurement", "bill of materials per period (CSV)"),
    "csv": ("planner.exports.tables", "flat tables as CSV files"),
    "yaml": ("planner.exports.tables", "flat tables as one YAML file"),
    "helm": ("planner.exports.helm", "values for vLLM production-stack and llm-d-modelservice"),
    "kserve": ("planner.exports.kserve", "KServe InferenceService (Standard mode)"),
    "terraform": ("planner.exports.terraform", "node pools (.tfvars.json) + variables.tf"),
}


_LAZY = {
    "ExportContext": "planner.exports.base",
    "ExportError": "planner.exports.base",
    "ExportFile": "planner.exports.base",
    "ExportOptions": "planner.exports.base",
    "export_plan": "planner.exports.run",
    "render_files": "planner.exports.run",
    "with_placements": "planner.exports.run",
}

__all__ = ["FORMATS", *sorted(_LAZY)]


def __getattr__(name: str) -> Any:
    """Import the heavier names on first use."""
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'planner.exports' has no attribute {name!r}")
