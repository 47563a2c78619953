"""Map the model and hardware names a benchmark file gives to catalog ids.

A model name (``meta-llama/Llama-3.2-3B-Instruct``, ``neuralmagic/Meta-Llama-3.1-8B-FP8``, a served
alias such as ``llama-3-2-3b``, a local path) matches a catalog model when, ignoring case, it is
the model's id, its ``hf_repo_id`` or one of its ``hf_checkpoints`` (which also gives the
precision), or when its last path part, without an organisation prefix (``Meta-``), a role suffix
(``-Instruct``, ``-chat``, ``-it``) and a precision suffix (``-FP8``: the precision), equals the id
with punctuation ignored (``llama-3-2-3b`` = ``llama-3.2-3b``). A hardware label
(``4xNVIDIA_L40S``, ``H100-80GB-SXM``, ``L4``) matches the accelerator whose id equals it with the
chip count, the vendor and punctuation ignored, with or without a memory size; a label that is a
prefix of several ids (``H100``) is ambiguous. ``--model`` and ``--accelerator`` take ``NAME=ID`` for
the runs whose file says ``NAME`` (this wins over the matching above), or a plain ``ID`` for the runs
whose file names nothing that matches.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from planner.catalog.schema import PRECISIONS, Catalog, Model
from planner.errors import InputError, Location
from planner.ids import close_matches, unknown_id_hint

_VENDORS = ("nvidia", "amd", "google", "aws", "intel")
_ROLE = re.compile(r"[-_.](instruct|chat|it|hf|base)$")
_PRECISION_TOKENS = {
    "fp8": "fp8", "int8": "int8", "w8a8": "int8", "int4": "int4", "awq": "int4", "gptq": "int4",
    "w4a16": "int4", "mxfp4": "mxfp4", "bf16": "bf16", "fp16": "fp16",
}  # fmt: skip


@dataclass(frozen=True)
class Choice:
    """A user's ``--model``/``--accelerator`` values: one id for all runs, and ids by file name."""

    default: str | None
    by_name: Mapping[str, str]

    def by(self, names: Iterable[str]) -> str | None:
        """The id chosen by ``NAME=ID`` for a run whose file gives ``names`` (``None``: no such choice)."""
        lowered = {k.lower(): v for k, v in self.by_name.items()}
        return next((lowered[n.lower()] for n in names if n.lower() in lowered), None)


def parse_choice(values: Sequence[str], option: str, valid: Mapping[str, object], what: str) -> Choice:
    """Read ``ID`` / ``NAME=ID`` values of an option; every id must be in the catalog.

    Raises:
        InputError: An unknown id (close matches listed), two plain ids, or an empty part.
    """
    default: str | None = None
    by_name: dict[str, str] = {}
    for value in values:
        name, sep, chosen = value.rpartition("=")
        chosen, name = chosen.strip(), name.strip()
        if not chosen or (sep and not name):
            raise InputError(f"expected ID or NAME=ID, got {value!r}", Location(column=option))
        if chosen not in valid:
            raise InputError(
                f"unknown {what[:-1]} '{chosen}'",
                Location(column=option),
                unknown_id_hint(chosen, valid, what),
            )
        if not sep:
            if default is not None and default != chosen:
                raise InputError(
                    f"two ids for every run: '{default}' and '{chosen}'",
                    Location(column=option),
                    f"use NAME=ID to choose per name in the files, e.g. {option} H100={chosen}",
                )
            default = chosen
        else:
            by_name[name] = chosen
    return Choice(default, by_name)


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _base(name: str) -> tuple[str, str | None]:
    """A model name's last path part without org prefix and role suffix, and a precision suffix."""
    base = name.strip().rstrip("/").split("/")[-1].lower()
    base = re.sub(r"^(meta|mistralai|google|openai)[-_]", "", base)
    precision = None
    for _ in range(3):
        base = _ROLE.sub("", base)
        match = re.search(r"[-_.]([a-z0-9]+)$", base)
        if match and match.group(1) in _PRECISION_TOKENS:
            precision = precision or _PRECISION_TOKENS[match.group(1)]
            base = base[: match.start()]
    return base, precision


def match_model(names: Sequence[str], catalog: Catalog) -> tuple[Model, str | None] | None:
    """The catalog model (and a precision the name implies) that one of ``names`` denotes."""
    for name in names:
        lowered = name.strip().lower()
        for model in catalog.models.values():
            if lowered == model.id or (model.hf_repo_id or "").lower() == lowered:
                return model, None
            for checkpoint, repo in model.hf_checkpoints.items():
                if repo.lower() == lowered:
                    return model, checkpoint
    for name in names:
        base, precision = _base(name)
        for model in catalog.models.values():
            if _squash(base) == _squash(model.id) or _squash(base) == _squash(
                _base(model.hf_repo_id or "")[0]
            ):
                return model, precision
    return None


def model_hint(names: Sequence[str], catalog: Catalog) -> str:
    """Close catalog ids for a name that matched none, and how to choose one."""
    base = _base(names[0])[0] if names else ""
    near = close_matches(base, catalog.models) if base else []
    close = f"close ids: {', '.join(near)}; " if near else ""
    label = f"'{names[0]}=ID'" if names else "ID"
    return (
        f"{close}pass --model {label} to count it as a catalog model, or add the model to a --catalog "
        "folder with its hf_repo_id"
    )


def match_accelerator(label: str, catalog: Catalog) -> tuple[str | None, int | None, list[str]]:
    """``(id, chips)`` for a hardware label, with the candidates when it is ambiguous.

    ``chips`` is the count a label such as ``4xNVIDIA_L40S`` starts with (``None`` when absent).
    """
    text = label.strip()
    count = re.match(r"^(\d+)\s*[x×*]\s*(.+)$", text, flags=re.IGNORECASE)
    chips = int(count.group(1)) if count else None
    body = (count.group(2) if count else text).lower().replace("_", "-")
    body = re.sub(rf"^({'|'.join(_VENDORS)})[-\s]*", "", body)
    forms = {_squash(body), _squash(re.sub(r"[-\s]?\d+\s*gb\b", "", body))}
    ids = {_squash(a): a for a in catalog.accelerators}
    exact = [ids[f] for f in forms if f in ids]
    if exact:
        return exact[0], chips, []
    prefixed = sorted({a for f in forms for s, a in ids.items() if f and s.startswith(f)})
    if len(prefixed) == 1:
        return prefixed[0], chips, []
    return None, chips, prefixed


def precision_for(model: Model, implied: str | None, chosen: str | None, where: Location) -> str:
    """The precision of the profile rows: ``--precision``, else the name's, else the model's first.

    Raises:
        InputError: The precision is unknown or not listed for the model.
    """
    precision = chosen or implied or (model.precisions[0] if model.precisions else None)
    if precision is None:
        raise InputError(f"model '{model.id}' lists no precision", where, "pass --precision")
    if precision not in PRECISIONS:
        raise InputError(
            f"unknown precision '{precision}'", where, unknown_id_hint(precision, PRECISIONS, "precisions")
        )
    if precision not in model.precisions:
        raise InputError(
            f"precision '{precision}' is not listed for model '{model.id}'",
            where,
            f"listed: {', '.join(model.precisions)}; pass --precision",
        )
    return precision
