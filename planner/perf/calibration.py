"""Predicted vs published throughput for the calibration cases; run ``python -m planner.perf.calibration``.

Each case fixes what the publication fixed (model, precision, KV-cache precision, layout, request
shape, the engine, and the batch when the publication fixed the concurrency) and compares the
replica's output tokens/s, in sample (the shipped profiles) and held out (``planner.perf.fit``:
profiles refitted without the case's publication, model or shape). The table printed here is the
one in ``docs/performance-model.md``.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from planner.perf.cases import PUBLISHED, Case, measured_cases
from planner.perf.fit import GROUPS, fit_all, held_out, predict, profile_fields
from planner.perf.profiles import family_for

#: Largest accepted relative error of a calibration case in sample (the test enforces it).
ERROR_BOUND = 0.35
#: Targets for the held-out median |error| per family (the doc reports whether they are met).
HELD_OUT_TARGETS = {"nvidia": 0.15, "amd": 0.25, "neuron": 0.25, "tpu": 0.25}
#: Every case: the published ones and, where the shared peer data is present, the measured ones.
CASES: tuple[Case, ...] = PUBLISHED + measured_cases()

__all__ = ["CASES", "ERROR_BOUND", "calibration_table", "markdown", "predict", "summary"]


def calibration_table(cases: tuple[Case, ...] = CASES) -> pd.DataFrame:
    """Published and predicted throughput, in sample and held out, for every case.

    Args:
        cases: Cases to evaluate.

    Returns:
        One row per case: ``case``, ``family``, ``accelerator``, ``engine``, ``tp``, ``precision``,
        ``isl``, ``osl``, ``batch``, ``published``, ``predicted``, ``error_pct``, ``held_out_pct``,
        ``validation``, ``source``.
    """
    outside = held_out(cases)
    rows = []
    for case in cases:
        predicted = predict(case)
        method, held = outside[case.name]
        rows.append(
            {
                "case": case.name,
                "family": family_for(case.accelerator),
                "accelerator": case.accelerator.id,
                "engine": case.engine,
                "tp": case.tensor_parallel,
                "precision": f"{case.precision}/kv-{case.kv_cache_precision}",
                "isl": case.input_tokens,
                "osl": case.output_tokens,
                "batch": "max" if case.batch is None else str(case.batch),
                "published": case.published_tokens_per_s,
                "predicted": predicted,
                "error_pct": 100.0 * (predicted / case.published_tokens_per_s - 1.0),
                "held_out_pct": 100.0 * (held / case.published_tokens_per_s - 1.0),
                "validation": method,
                "source": case.source,
            }
        )
    return pd.DataFrame(rows)


def bound_violations(table: pd.DataFrame, bound: float = ERROR_BOUND) -> list[str]:
    """Cases whose in-sample relative error exceeds ``bound`` (or that predict no fit).

    Args:
        table: Output of ``calibration_table``.
        bound: Largest accepted relative error.

    Returns:
        Names of the offending cases, with their errors.
    """
    bad = table[~(table["error_pct"].abs() <= 100.0 * bound)]
    return [f"{row.case}: {row.error_pct:+.1f}%" for row in bad.itertuples(index=False)]


def summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per family: cases, median and max |error| in sample and held out, and the held-out target."""
    rows = []
    for family, group in table.groupby("family", sort=True):
        inside, outside = group["error_pct"].abs(), group["held_out_pct"].abs()
        target = 100.0 * HELD_OUT_TARGETS[str(family)]
        rows.append(
            {
                "family": family,
                "cases": len(group),
                "median_in": float(np.median(inside)),
                "max_in": float(inside.max()),
                "median_out": float(np.median(outside)),
                "max_out": float(outside.max()),
                "target": target,
                "met": bool(np.median(outside) <= target),
            }
        )
    return pd.DataFrame(rows)


def markdown(table: pd.DataFrame) -> str:
    """Render the calibration table and the per-family summary as Markdown.

    Args:
        table: Output of ``calibration_table``.

    Returns:
        Two Markdown tables, the summary first.
    """
    lines = [
        "| family | cases | median / max error in sample | median / max error held out | held-out target |",
        "|---|---|---|---|---|",
    ]
    for s in summary(table).itertuples(index=False):
        verdict = "met" if s.met else "**not met**"
        lines.append(
            f"| {s.family} | {s.cases} | {s.median_in:.1f}% / {s.max_in:.1f}% "
            f"| {s.median_out:.1f}% / {s.max_out:.1f}% | <= {s.target:.0f}%: {verdict} |"
        )
    lines += [
        "",
        "| case | engine | TP | weights/KV | ISL/OSL | batch | published tok/s | predicted tok/s "
        "| error | held out | left out |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in table.itertuples(index=False):
        lines.append(
            f"| {row.case} | {row.engine} | {row.tp} | {row.precision} | {row.isl}/{row.osl} | {row.batch} "
            f"| {row.published:,.1f} | {row.predicted:,.1f} | {row.error_pct:+.1f}% "
            f"| {row.held_out_pct:+.1f}% | {row.validation} |"
        )
    return "\n".join(lines)


def fitted_profiles(cases: tuple[Case, ...] = CASES) -> str:
    """The profiles fitted on every case, one line per group (to copy into ``constants.py``)."""
    fitted = fit_all(cases)
    lines = []
    for group in GROUPS:
        names = (*group.free, "kv_bandwidth_efficiency")
        values = ", ".join(f"{k}={v:.3g}" for k, v in profile_fields(fitted[group.name], names).items())
        lines.append(f"{group.name}: {values}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Print the calibration tables (Markdown), optionally with the sources or the fitted profiles.

    Args:
        argv: Command-line arguments (``--sources`` lists each case's source, ``--fit`` the fit).
    """
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sources", action="store_true", help="also list each case's source")
    parser.add_argument("--fit", action="store_true", help="also print the profiles fitted on all cases")
    args = parser.parse_args(argv)
    table = calibration_table()
    print(markdown(table))
    errors = table["error_pct"].abs()
    print(f"\nmean |error| {errors.mean():.1f}%, max |error| {errors.max():.1f}% (bound {ERROR_BOUND:.0%})")
    if args.fit:
        print("\n" + fitted_profiles())
    if args.sources:
        for row in table.itertuples(index=False):
            print(f"- {row.case}: {row.source}")


if __name__ == "__main__":
    main()
