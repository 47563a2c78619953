"""Readers of benchmark result files, one per tool, and the content detection that picks one.

Each module's docstring documents the fields it reads (also tabulated in ``docs/profiles.md``).
"""

from __future__ import annotations

import os

from planner.errors import InputError, Location
from planner.profiles.importers import guidellm, llmperf, melange, nvidia, sglang, vllm
from planner.profiles.importers.base import LATENCY_STATS, Document, Importer, Run, read_document

#: Every importer, in detection order (the more specific content tests first).
IMPORTERS: tuple[Importer, ...] = (
    guidellm.IMPORTER,
    nvidia.AIPERF,
    nvidia.GENAI_PERF,
    llmperf.IMPORTER,
    melange.IMPORTER,
    sglang.IMPORTER,
    vllm.IMPORTER,
)
TOOLS: tuple[str, ...] = tuple(sorted(i.tool for i in IMPORTERS))
_BY_TOOL = {i.tool: i for i in IMPORTERS}


def importer_for(doc: Document, tool: str | None = None) -> Importer:
    """The importer ``tool`` names, else the first whose content test accepts the file.

    Raises:
        InputError: An unknown ``tool``, or a file no importer recognises.
    """
    if tool is not None:
        if tool not in _BY_TOOL:
            raise InputError(
                f"unknown tool {tool!r}", Location(column="--tool"), f"valid: {', '.join(TOOLS)}"
            )
        if not _BY_TOOL[tool].detect(doc):
            found = next((i.tool for i in IMPORTERS if i.detect(doc)), None)
            hint = f"it looks like {found} output" if found else "no importer recognises its content"
            raise InputError(f"does not look like {tool} output", Location(file=doc.path), hint)
        return _BY_TOOL[tool]
    for importer in IMPORTERS:
        if importer.detect(doc):
            return importer
    kind = "CSV" if doc.csv_rows else "JSON/YAML"
    raise InputError(
        f"cannot tell which benchmark tool wrote this {kind} file",
        Location(file=doc.path),
        "importable: "
        + "; ".join(f"{i.tool} ({i.description})" for i in IMPORTERS)
        + "; or force one with --tool",
    )


def read_runs(path: str | os.PathLike[str], tool: str | None = None) -> tuple[Importer, list[Run]]:
    """Read one result file: its importer (``tool`` or detected) and its runs.

    Raises:
        InputError: The file cannot be read or parsed, or is not the tool's output.
    """
    doc = read_document(path)
    importer = importer_for(doc, tool)
    try:
        return importer, importer.read(doc)
    except InputError:
        raise
    except (KeyError, TypeError, AttributeError, IndexError, ValueError) as exc:
        raise InputError(
            f"does not look like {importer.tool} output ({type(exc).__name__}: {exc})",
            Location(file=doc.path),
            f"check the file, or force another tool with --tool ({', '.join(TOOLS)})",
        ) from None


__all__ = [
    "IMPORTERS",
    "LATENCY_STATS",
    "TOOLS",
    "Document",
    "Importer",
    "Run",
    "importer_for",
    "read_document",
    "read_runs",
]
