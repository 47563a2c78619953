"""Load the shipped catalogs and the user's catalog folders, merge them and validate the result.

A catalog folder holds any of ``accelerators.yaml``, ``models.yaml`` and ``apis.yaml``, each a YAML
list of entries with an ``id``; any other YAML file in it (``accelerator.yaml``, ``apis.yml``) is an
error with the close match, never silently ignored. Folders are applied in order over the shipped
catalogs: an entry whose id exists is merged over it field by field (price offers by ``provider``
and ``tier``), and the merged entry is validated again; a new id adds an entry.
"""

from __future__ import annotations

import importlib.resources
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from planner.catalog.schema import Accelerator, ApiOffering, Catalog, Model
from planner.errors import InputError, InputErrors, Location
from planner.ids import unknown_id_hint

KINDS: dict[str, type[BaseModel]] = {
    "accelerators": Accelerator,
    "models": Model,
    "apis": ApiOffering,
}
RawEntries = dict[str, dict[str, Any]]


def shipped_catalog_dir() -> Path:
    """The folder of the catalogs shipped with the package."""
    return Path(str(importlib.resources.files("catalogs")))


def load_yaml(text: str) -> Any:
    """``yaml.safe_load`` with libyaml's parser where PyYAML has it (about 6x faster, same results)."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def read_catalog_file(path: Path) -> list[dict[str, Any]]:
    """Parse one catalog YAML file into a list of entry mappings, with errors naming the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text ({exc.reason})", Location(file=str(path))) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", Location(file=str(path))) from None
    try:
        data = load_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        row = mark.line + 1 if mark is not None else None
        raise InputError(
            f"not valid YAML: {getattr(exc, 'problem', exc)}", Location(str(path), row)
        ) from None
    return _entries(data, path)


def _entries(data: object, path: Path) -> list[dict[str, Any]]:
    if data is None:
        return []
    if not isinstance(data, list):
        raise InputError("expected a YAML list of entries, each with an 'id'", Location(file=str(path)))
    entries: list[dict[str, Any]] = []
    for number, entry in enumerate(data, start=1):
        if not isinstance(entry, dict) or "id" not in entry:
            where = Location(file=str(path), entry=f"#{number}")
            raise InputError("each entry must be a mapping with an 'id'", where)
        entries.append(entry)
    return entries


def _merge_prices(base: list[Any], overlay: list[Any]) -> list[Any]:
    """Merge price offers by (provider, tier): an overlay offer replaces the base one field by field."""
    merged = [dict(p) if isinstance(p, dict) else p for p in base]
    for offer in overlay:
        key = (offer.get("provider"), offer.get("tier")) if isinstance(offer, dict) else None
        match = next(
            (
                i
                for i, p in enumerate(merged)
                if isinstance(p, dict) and key == (p.get("provider"), p.get("tier"))
            ),
            None,
        )
        if match is None:
            merged.append(offer)
        else:
            merged[match] = {**merged[match], **offer}
    return merged


#: Mapping fields an overlay merges key by key (a one-line overlay changes one image or label).
_MERGED_BLOCKS = ("kubernetes", "hf_checkpoints")


def merge_entry(base: Mapping[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    """Merge one overlay entry over a base entry, field by field."""
    merged = dict(base)
    for key, value in overlay.items():
        if key == "prices" and isinstance(value, list) and isinstance(base.get("prices"), list):
            merged[key] = _merge_prices(base["prices"], value)
        elif key in _MERGED_BLOCKS and isinstance(value, dict) and isinstance(base.get(key), dict):
            merged[key] = {**base[key], **value}
        else:
            merged[key] = value
    return merged


def _apply_file(raw: RawEntries, origin: dict[str, str], path: Path) -> None:
    seen: set[str] = set()
    for entry in read_catalog_file(path):
        entry_id = str(entry["id"])
        if entry_id in seen:
            raise InputError(
                "the same id appears twice in one file", Location(file=str(path), entry=entry_id)
            )
        seen.add(entry_id)
        raw[entry_id] = merge_entry(raw[entry_id], entry) if entry_id in raw else dict(entry)
        origin[entry_id] = str(path)


def _validation_errors(kind: str, entry_id: str, path: str, exc: ValidationError) -> list[InputError]:
    errors = []
    for err in exc.errors():
        field = ".".join(str(part) for part in err["loc"]) or None
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            valid = ", ".join(KINDS[kind].model_fields)
            message = f"unknown field (valid fields: {valid})"
        errors.append(InputError(message, Location(file=path, entry=entry_id, column=field)))
    return errors


def _validate(kind: str, raw: RawEntries, origin: dict[str, str]) -> dict[str, Any]:
    schema = KINDS[kind]
    records: dict[str, Any] = {}
    errors: list[InputError] = []
    for entry_id, entry in raw.items():
        try:
            records[entry_id] = schema.model_validate(entry)
        except ValidationError as exc:
            errors.extend(_validation_errors(kind, entry_id, origin[entry_id], exc))
    if errors:
        raise InputErrors(errors[:20])
    return records


def _user_dir(folder: str | os.PathLike[str]) -> Path:
    path = Path(folder)
    if not path.is_dir():
        raise InputError(
            "catalog folder not found (expected a folder with accelerators.yaml, models.yaml or apis.yaml)",
            Location(file=str(path)),
        )
    known = {f"{kind}.yaml" for kind in KINDS}
    for unknown in _unknown_files(path, known):
        hint = unknown_id_hint(unknown.lower(), known, "files")
        raise InputError(
            "not a catalog file: a catalog folder holds accelerators.yaml, models.yaml and apis.yaml",
            Location(file=str(path / unknown)),
            hint,
        )
    if not any((path / name).is_file() for name in known):
        raise InputError(
            "catalog folder holds none of accelerators.yaml, models.yaml, apis.yaml", Location(file=str(path))
        )
    return path


def _unknown_files(path: Path, known: set[str]) -> list[str]:
    """YAML files of a user's catalog folder that are not catalog files (they would be ignored)."""
    try:
        names = sorted(entry.name for entry in path.iterdir())
    except OSError as exc:
        raise InputError(f"cannot read the folder: {exc.strerror or exc}", Location(file=str(path))) from None
    yaml_names = [n for n in names if n.lower().endswith((".yaml", ".yml")) and not n.startswith(".")]
    return [n for n in yaml_names if n not in known]


def load_catalog(
    user_dirs: Sequence[str | os.PathLike[str]] = (), *, include_shipped: bool = True
) -> Catalog:
    """Load the shipped catalogs, apply the user's folders in order, validate and cross-check.

    Args:
        user_dirs: catalog folders to apply over the shipped catalogs; later folders win.
        include_shipped: start from the shipped catalogs (False: only the user's folders).

    Raises:
        InputError: with the file, entry and field of every problem found.
    """
    folders = ([shipped_catalog_dir()] if include_shipped else []) + [_user_dir(d) for d in user_dirs]
    parts: dict[str, dict[str, Any]] = {}
    for kind in KINDS:
        raw: RawEntries = {}
        origin: dict[str, str] = {}
        for folder in folders:
            path = folder / f"{kind}.yaml"
            if path.is_file():
                _apply_file(raw, origin, path)
        parts[kind] = _validate(kind, raw, origin)
    catalog = Catalog(accelerators=parts["accelerators"], models=parts["models"], apis=parts["apis"])
    check_catalog(catalog)
    return catalog


def check_catalog(catalog: Catalog) -> None:
    """Cross-entry checks: an API's ``model`` must be a catalog model.

    An API with neither ``model`` nor ``quality`` is listed (as unscored) but serves no workload.
    """
    errors: list[InputError] = []
    for api in catalog.apis.values():
        where = Location(file="apis.yaml", entry=api.id, column="model")
        if api.model is not None and api.model not in catalog.models:
            hint = unknown_id_hint(api.model, catalog.models, "models")
            errors.append(InputError(f"unknown model '{api.model}'", where, hint))
    if errors:
        raise InputErrors(errors[:20])
