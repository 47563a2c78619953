"""What every export format shares: its context, the files it renders, names, periods and writing.

A format renders all its files in memory first; only when every file rendered are they written,
each atomically (temporary file, then rename), all inside the output folder. A record of the files
one format wrote (``.fleetplan-export-<format>.json``) lets the next export of that format replace
them: files it wrote earlier and no longer writes are removed, files it never wrote are left alone.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from planner.catalog.schema import Accelerator, Catalog, Model, PriceOffer
from planner.errors import InputError, Location
from planner.outputs import write_text
from planner.plan import PeriodPlan, Plan

DNS_LABEL_MAX = 63
_DNS_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_SAFE_PART = re.compile(r"[^A-Za-z0-9._-]+")
ANNOTATION_DEPLOYMENT = "fleetplan.io/deployment"


class ExportError(InputError):
    """The target cannot express the plan (exit 2, nothing written)."""


@dataclass(frozen=True)
class ExportOptions:
    """Options of ``plan export`` that formats read."""

    period: str = "peak"
    namespace: str | None = None
    image: str | None = None
    hf_token_secret: str | None = "hf-token"


@dataclass(frozen=True)
class ExportFile:
    """One rendered file: its path relative to the output folder, and its text."""

    path: str
    text: str


@dataclass(frozen=True)
class ExportContext:
    """The plan, the catalog it was planned with, and the options."""

    plan: Plan
    catalog: Catalog
    options: ExportOptions = field(default_factory=ExportOptions)

    def accelerator(self, acc_id: str) -> Accelerator:
        """A catalog accelerator the plan uses (exit 2 when the catalog has none of that id)."""
        if acc_id not in self.catalog.accelerators:
            raise ExportError(
                f"the plan uses accelerator '{acc_id}', which the catalog lacks (pass --catalog)"
            )
        return self.catalog.accelerators[acc_id]

    def model(self, model_id: str) -> Model:
        """A catalog model the plan deploys."""
        if model_id not in self.catalog.models:
            raise ExportError(
                f"the plan deploys model '{model_id}', which the catalog lacks (pass --catalog)"
            )
        return self.catalog.models[model_id]

    def offer(self, acc_id: str, provider: str, tier: str) -> PriceOffer | None:
        """The price offer a chip line was bought from (None when the catalog no longer has it)."""
        acc = self.accelerator(acc_id)
        return next((o for o in acc.prices if o.provider == provider and o.tier == tier), None)

    def periods(self) -> tuple[PeriodPlan, ...]:
        """The periods ``--period`` selects: one label, ``peak`` (most chips, first on ties) or ``all``."""
        return select_periods(self.plan, self.options.period)


def check_options(*, namespace: str | None, image: str | None, hf_token_secret: str | None) -> None:
    """Reject options Kubernetes would: a namespace or Secret name not a DNS name, an untagged image."""
    if namespace is not None and not (
        len(namespace) <= DNS_LABEL_MAX and re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", namespace)
    ):
        raise ExportError(f"namespace '{namespace}' is not a DNS-1123 label", Location(column="--namespace"))
    if hf_token_secret is not None and not re.fullmatch(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?", hf_token_secret):
        raise ExportError(
            f"secret name '{hf_token_secret}' is not a DNS name", Location(column="--hf-token-secret")
        )
    if image is not None and not re.fullmatch(
        r"[a-z0-9][^\s:]*(:[0-9]+/[^\s:]+)?:[^\s:/]+(@sha256:[0-9a-f]{64})?", image
    ):
        raise ExportError(
            f"image '{image}' needs a registry path and a tag (name:tag)", Location(column="--image")
        )


def select_periods(plan: Plan, which: str) -> tuple[PeriodPlan, ...]:
    """The periods ``which`` names (see ``ExportContext.periods``)."""
    if not plan.periods:
        raise ExportError("the plan has no periods")
    if which == "all":
        return plan.periods
    if which == "peak":
        chips = [sum(a.chips for a in p.accelerators) for p in plan.periods]
        return (plan.periods[chips.index(max(chips))],)
    for p in plan.periods:
        if p.period == which:
            return (p,)
    labels = ", ".join(p.period for p in plan.periods)
    raise ExportError(f"unknown period '{which}'", Location(column="--period"), f"valid: peak, all, {labels}")


def short_hash(text: str, length: int = 6) -> str:
    """A short, stable hash of a string (hex)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def dns_label(text: str, max_length: int = DNS_LABEL_MAX) -> str:
    """A DNS-1035/1123 label for ``text``: lower case, ``-`` for other characters, starting with a letter.

    Where the mapped text must be shortened, it keeps its start and ends in ``-`` plus a hash of
    the whole original text, so distinct ids stay distinct.
    """
    name = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"
    if not name[0].isalpha():
        name = "fp-" + name
    if len(name) <= max_length:
        return name
    suffix = short_hash(text)
    return name[: max_length - len(suffix) - 1].rstrip("-") + "-" + suffix


def label_value(text: str) -> str:
    """A legal label value for ``text`` (at most 63 characters; shortened with a hash suffix)."""
    value = re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-_.")
    if len(value) <= DNS_LABEL_MAX and _LABEL_VALUE.match(value):
        return value
    suffix = short_hash(text)
    return value[: DNS_LABEL_MAX - len(suffix) - 1].rstrip("-_.") + "-" + suffix


def is_label_value(text: str) -> bool:
    """True for a legal Kubernetes label value."""
    return len(text) <= DNS_LABEL_MAX and bool(_LABEL_VALUE.match(text))


def is_dns_label(text: str) -> bool:
    """True for a DNS-1035 label (what Service names must be; also a DNS-1123 label)."""
    return len(text) <= DNS_LABEL_MAX and bool(_DNS_LABEL.match(text))


def instance_type(offer: PriceOffer | None) -> str | None:
    """The instance type an offer names, or None for a description (``H100 SXM, Community Cloud``).

    ``instance`` itself, or its first word before a remark in parentheses (``p5en.48xlarge (spot)``).
    """
    if offer is None or not offer.instance:
        return None
    match = re.fullmatch(r"(\S+)( \(.*\))?", offer.instance)
    return match.group(1) if match and is_label_value(match.group(1)) else None


def path_part(text: str) -> str:
    """A period or provider label as one safe path component (a hash suffix where it was changed)."""
    part = _SAFE_PART.sub("-", text).strip("-.") or "x"
    return part if part == text else f"{part}-{short_hash(text)}"


def yaml_text(data: Any) -> str:
    """One YAML document (``yaml.safe_dump``, keys in the order written)."""
    return str(yaml.safe_dump(data, sort_keys=False, default_flow_style=False, width=1000))


def yaml_documents(docs: Sequence[Any]) -> str:
    """Several YAML documents in one file."""
    return str(yaml.safe_dump_all(list(docs), sort_keys=False, default_flow_style=False, width=1000))


def check_paths(files: Sequence[ExportFile]) -> None:
    """Every path is relative, stays inside the output folder and is written once."""
    seen: set[str] = set()
    for f in files:
        pure = PurePosixPath(f.path)
        if pure.is_absolute() or ".." in pure.parts or not pure.parts or f.path in seen:
            raise ExportError(f"refusing to write '{f.path}': outside the output folder or written twice")
        seen.add(f.path)


def _record_path(out_dir: Path, fmt: str) -> Path:
    return out_dir / f".fleetplan-export-{fmt}.json"


def _earlier_files(out_dir: Path, fmt: str) -> list[str]:
    record = _record_path(out_dir, fmt)
    if not record.is_file():
        return []
    try:
        data = json.loads(record.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    files = data.get("files", []) if isinstance(data, dict) else []
    return [f for f in files if isinstance(f, str)]


def write_files(out_dir: Path, fmt: str, files: Sequence[ExportFile]) -> list[Path]:
    """Write rendered files atomically under ``out_dir``; remove what this format wrote there before."""
    check_paths(files)
    if out_dir.exists() and not out_dir.is_dir():
        raise ExportError("the output is not a folder", Location(file=str(out_dir)))
    root = out_dir.resolve()
    targets = [(root / f.path, f) for f in files]
    for target, _ in targets:
        if root not in target.resolve().parents:
            raise ExportError(f"refusing to write '{target}': outside {root}")
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(
            f"cannot create the output folder: {exc.strerror}", Location(file=str(out_dir))
        ) from None
    written: list[Path] = []
    for target, f in targets:
        target.parent.mkdir(parents=True, exist_ok=True)
        write_text(target, f.text)
        written.append(out_dir / f.path)
    new = {f.path for f in files}
    for old in _earlier_files(root, fmt):
        stale = (root / old).resolve()
        if old not in new and root in stale.parents and stale.is_file():
            stale.unlink()
            _prune_empty(stale.parent, root)
    write_text(_record_path(root, fmt), json.dumps({"format": fmt, "files": sorted(new)}, indent=2) + "\n")
    return written


def _prune_empty(folder: Path, root: Path) -> None:
    while folder != root and root in folder.parents and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


Renderer = Callable[[ExportContext], list[ExportFile]]


@dataclass(frozen=True)
class Format:
    """One export format: its name, what it writes, and its renderer."""

    name: str
    summary: str
    render: Renderer
    all_periods: bool = False
