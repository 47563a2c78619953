"""Write outputs atomically: a plan (JSON, YAML or CSV), the model as built (LP or MPS).

Every file is written to a temporary file in the target folder, fsynced and renamed over the
target, so a failure never leaves a half-written file behind. Files get the mode the umask gives;
a symlink at the target is kept and the file it points at replaced. :func:`check_output_paths`
checks the paths before a solve, so a bad ``-o`` fails at once (exit 2), not after the solve.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from planner.errors import InputError, Location

if TYPE_CHECKING:
    from planner.plan import Plan
    from solvers.arrays import ArrayModel

PLAN_FORMATS = ("json", "yaml", "csv")


def _target(path: str | os.PathLike[str]) -> Path:
    """The file a write to ``path`` replaces: through symlinks, to the file a link points at."""
    target = Path(path)
    return Path(os.path.realpath(target)) if target.is_symlink() else target


def _umask_mode() -> int:
    """The mode a new file gets under the process's umask (``0o666 & ~umask``)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write(path: str | os.PathLike[str], write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` on a temporary file beside ``path``, fsync it, and rename it over ``path``.

    The file gets the mode the umask gives (not the temporary file's 0600); a symlink at ``path``
    is kept and the file it points at is replaced; on any error the temporary file is removed and
    ``path`` is left as it was.
    """
    target = _target(path)
    folder = target.parent
    if not folder.is_dir():
        raise InputError("output folder does not exist", Location(file=str(path)))
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror or exc}", Location(file=str(path))) from None
    os.close(fd)
    try:
        write(Path(tmp))
        with open(tmp, "rb+") as handle:
            os.fchmod(handle.fileno(), _umask_mode())
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise InputError(f"cannot write: {exc.strerror or exc}", Location(file=str(path))) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_folder(folder)


def _fsync_folder(folder: Path) -> None:
    """Make the rename durable (best effort: not every system can open a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def check_writable(path: str | os.PathLike[str], what: str) -> None:
    """Raise unless a file can be written at ``path`` (checked by creating a probe file beside it).

    Raises:
        InputError: ``path`` is a folder, its folder does not exist or cannot be written in, or it
            is an existing read-only file.
    """
    given, target = Path(path), _target(path)
    where = Location(file=str(given))
    if target.is_dir():
        raise InputError(f"is a folder: {what} needs a file name", where, _file_hint(what))
    if not target.parent.is_dir():
        problem = "is not a folder" if target.parent.exists() else "does not exist"
        raise InputError(f"cannot write {what}: the folder {str(target.parent)!r} {problem}", where)
    if target.exists() and not os.access(target, os.W_OK):
        raise InputError(f"cannot write {what}: the file is read-only", where)
    try:
        fd, probe = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".probe", dir=target.parent)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise InputError(f"cannot write {what} in {str(target.parent)!r}: {reason}", where) from None
    os.close(fd)
    os.unlink(probe)


def _file_hint(what: str) -> str:
    return "for example: plan.json, plan.yaml or plan.csv" if what == "the plan" else "for example: model.lp"


def check_output_paths(
    output: str | os.PathLike[str] | None,
    save_model: str | os.PathLike[str] | None,
    inputs: Sequence[str | os.PathLike[str]] = (),
) -> None:
    """Check, before a solve, that the plan and the model can be written where asked.

    Raises:
        InputError: an unknown plan format or model suffix, a path that cannot be written, the
            same file for both, or a file that is one of the run's inputs.
    """
    outputs = [(p, what) for p, what in ((output, "the plan"), (save_model, "the model")) if p is not None]
    for path, what in outputs:
        if _target(path).is_dir():
            raise InputError(
                f"is a folder: {what} needs a file name", Location(file=str(path)), _file_hint(what)
            )
    if output is not None:
        plan_format(output)
    if save_model is not None:
        model_format(save_model)
    for path, what in outputs:
        check_writable(path, what)
        for source in inputs:
            if _same_file(path, source):
                raise InputError(f"would overwrite an input file with {what}", Location(file=str(path)))
    if output is not None and save_model is not None and _same_file(output, save_model):
        raise InputError("-o and --save-model name the same file", Location(file=str(output)))


def _same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    return os.path.realpath(a) == os.path.realpath(b)


def write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write text atomically (UTF-8)."""

    def write(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")

    atomic_write(path, write)


def model_format(path: str | os.PathLike[str]) -> str:
    """``.lp`` or ``.mps``: the model format a path asks for.

    Raises:
        InputError: any other suffix.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in (".lp", ".mps"):
        raise InputError("--save-model takes a .lp or .mps file", Location(file=str(path)))
    return suffix


def write_model(
    arrays: ArrayModel, col_names: Sequence[str], row_names: Sequence[str], path: str | os.PathLike[str]
) -> None:
    """Write the model as built, as an LP or MPS file by its suffix (through the PuLP writer)."""
    from solvers.pulp_writer import write_file

    suffix = model_format(path)
    atomic_write(path, lambda tmp: write_file(arrays, col_names, row_names, tmp, suffix.lstrip(".")))


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """The plan as plain JSON-ready data."""
    return plan.model_dump(mode="json")


def plan_json(plan: Plan, *, timings: bool = True) -> str:
    """The plan as indented JSON text."""
    data = plan_to_dict(plan)
    if not timings:
        data.pop("timings", None)
    return json.dumps(data, indent=2) + "\n"


#: Columns of the CSV plan. ``usd`` holds every charge exactly once (accelerator lines, API routes,
#: commitments' charge beyond the horizon, unmet penalties): its sum is ``objective_usd``.
CSV_COLUMNS = (
    "period",
    "kind",
    "id",
    "detail",
    "quantity",
    "unit",
    "usd",
    "allocated_usd",
    "within_horizon_usd",
    "obligation_usd",
)


def plan_csv(plan: Plan) -> str:
    """A flat CSV of the plan's lines, for spreadsheets (not read back: use JSON or YAML for that).

    One row per period and line. Only the ``usd`` column holds charges, each once, so its sum is
    ``objective_usd``: accelerator rows (committed chips' share of the period included), API route
    rows, one row per commitment (period ``horizon``) with its charge beyond the horizon, and one
    row per unmet workload with its penalty. Deployment and self-hosted route rows carry their share
    of the accelerator cost as ``allocated_usd`` (already in the accelerator rows); commitment rows
    also carry ``within_horizon_usd`` (in the accelerator rows) and ``obligation_usd``.
    """
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    out.writerow(CSV_COLUMNS)

    def row(period: str, kind: str, ident: str, detail: str, qty: object, unit: str, **usd: object) -> None:
        out.writerow([period, kind, ident, detail, qty, unit, *(usd.get(c, "") for c in CSV_COLUMNS[6:])])

    penalty = _penalty_usd_per_request(plan)
    for p in plan.periods:
        for a in p.accelerators:
            row(p.period, "accelerator", a.accelerator, f"{a.provider}/{a.tier}", a.chips, "chips", usd=a.usd)
        for d in p.deployments:
            detail = f"utilization {d.utilization}"
            row(p.period, "deployment", d.id, detail, d.replicas, "replicas", allocated_usd=d.usd)
        for r in p.routing:
            figure = {"usd": r.usd} if r.kind == "api" else {"allocated_usd": r.usd}
            row(p.period, f"route-{r.kind}", r.workload, r.target, r.requests_per_s, "requests/s", **figure)
        for w in p.workloads:
            if w.unmet_requests_per_s > 0:
                charge = round(w.unmet_requests_per_s * 3600.0 * p.hours * penalty, 6)
                row(
                    p.period,
                    "unmet",
                    w.workload,
                    "unmet penalty",
                    w.unmet_requests_per_s,
                    "requests/s",
                    usd=charge,
                )
    for c in plan.commitments:
        row(
            "horizon",
            "commitment",
            c.accelerator,
            f"{c.provider}/{c.tier}: charged beyond the horizon",
            c.chips,
            "chips",
            usd=round(c.usd - c.usd_within_horizon, 6),
            within_horizon_usd=c.usd_within_horizon,
            obligation_usd=c.usd_obligation,
        )
    return buf.getvalue()


def _penalty_usd_per_request(plan: Plan) -> float:
    """The unmet-demand penalty the plan was priced with (its recorded setting)."""
    from planner.settings import DEFAULT_UNMET_PENALTY_USD_PER_REQUEST

    value = plan.inputs.settings.get("unmet_penalty_usd_per_request")
    return float(value) if isinstance(value, int | float) else DEFAULT_UNMET_PENALTY_USD_PER_REQUEST


def plan_yaml(plan: Plan) -> str:
    """The plan as YAML."""
    import yaml

    return str(yaml.safe_dump(plan_to_dict(plan), sort_keys=False))


def plan_format(path: str | os.PathLike[str], fmt: str | None = None) -> str:
    """The plan format a path asks for (``fmt``, else the suffix); a folder is refused."""
    fmt = fmt or Path(path).suffix.lstrip(".").lower().replace("yml", "yaml")
    if Path(path).is_dir():
        raise InputError(
            "is a folder: the plan needs a file name", Location(file=str(path)), _file_hint("the plan")
        )
    if fmt not in PLAN_FORMATS:
        shown = f"unknown plan format '{fmt}'" if fmt else "the plan file needs a suffix"
        raise InputError(
            shown, Location(file=str(path)), f"valid: {', '.join('.' + f for f in PLAN_FORMATS)}"
        )
    return fmt


def write_plan(plan: Plan, path: str | os.PathLike[str], fmt: str | None = None) -> None:
    """Write a plan atomically; the format comes from ``fmt`` or the file's suffix."""
    render = {"json": plan_json, "yaml": plan_yaml, "csv": plan_csv}[plan_format(path, fmt)]
    write_text(path, render(plan))
