"""``plan profiles import`` and ``plan profiles check``: thin click wrappers of the library calls.

:func:`profiles_group` builds the group; ``planner/cli.py`` registers it. The shared option helpers
come from :mod:`planner.cli_common`.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from planner.cli_common import catalog_option, emit_json, format_option, handle_errors
from planner.errors import EXIT_OK, EXIT_UNMET

#: The importers' tools and latency statistics (tests check them against the library, which this
#: module does not import so that ``plan --help`` stays fast).
_TOOLS = ("aiperf", "genai-perf", "guidellm", "llmperf", "melange", "sglang", "vllm")
_LATENCY_STATS = ("mean", "median", "p90", "p99")


def profiles_group() -> click.Group:
    """The ``plan profiles`` group with its ``import`` and ``check`` commands."""

    @click.group("profiles")
    def profiles() -> None:
        """Measured profiles: import benchmark results, check them against the model."""

    @profiles.command("import")
    @click.argument("files", nargs=-1, required=True, type=click.Path())
    @click.option(
        "-o", "--output", required=True, type=click.Path(dir_okay=False), help="The profiles CSV to write."
    )
    @click.option(
        "--tool", type=click.Choice(_TOOLS), default=None, help="Force the tool (default: from the content)."
    )
    @click.option(
        "--model",
        "model",
        multiple=True,
        help="NAME=ID for a model name in the files, or ID for runs naming no catalog model.",
    )
    @click.option(
        "--accelerator",
        "accelerator",
        multiple=True,
        help="NAME=ID for a hardware name in the files, or ID for runs naming none.",
    )
    @click.option(
        "--tp",
        "tensor_parallel",
        type=click.IntRange(min=1),
        default=None,
        help="Where the file does not say.",
    )
    @click.option(
        "--pp",
        "pipeline_parallel",
        type=click.IntRange(min=1),
        default=None,
        help="Where the file does not say.",
    )
    @click.option(
        "--replicas",
        type=click.IntRange(min=1),
        default=None,
        help="Replicas behind the endpoint (rate is divided).",
    )
    @click.option(
        "--precision", default=None, help="Weight precision (default: from the model name, else its first)."
    )
    @click.option(
        "--ttft-ms", type=float, default=None, help="Keep per sweep the fastest run meeting this TTFT."
    )
    @click.option(
        "--tpot-ms", type=float, default=None, help="Keep per sweep the fastest run meeting this TPOT."
    )
    @click.option("--latency-stat", type=click.Choice(_LATENCY_STATS), default="mean", show_default=True)
    @catalog_option
    @format_option
    @handle_errors
    def import_cmd(
        files: tuple[str, ...], output: str, fmt: str, catalog_dirs: tuple[str, ...], **kwargs: Any
    ) -> None:
        """Turn benchmark result FILES into a --profiles CSV.

        Reads vLLM, SGLang, GuideLLM, genai-perf, AIPerf, LLMPerf and Mélange outputs (docs/profiles.md).
        """
        from planner.profiles.imports import import_profiles
        from planner.terminal import imported_table

        result = import_profiles(files, output, catalog_dirs=catalog_dirs, **kwargs)
        if fmt == "json":
            emit_json(result.to_dict())
        else:
            imported_table(result)

    @profiles.command("check")
    @click.argument("profiles_file", type=click.Path())
    @click.option(
        "--factor", type=float, default=2.0, show_default=True, help="Flag rows more than this far off."
    )
    @catalog_option
    @format_option
    @handle_errors
    def check_cmd(profiles_file: str, factor: float, catalog_dirs: tuple[str, ...], fmt: str) -> None:
        """Compare PROFILES_FILE with the performance model; exit 1 when a row is more than --factor off."""
        from planner.profiles.check import check_profiles
        from planner.terminal import check_table

        report = check_profiles(profiles_file, factor=factor, catalog_dirs=catalog_dirs)
        if fmt == "json":
            emit_json(report.to_dict())
        else:
            check_table(report)
        sys.exit(EXIT_UNMET if report.flagged else EXIT_OK)

    return profiles
