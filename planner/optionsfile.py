"""A planning folder: ``demand.csv``; optionally profiles.csv, fleet.csv, catalog/ and options.yaml.

``options.yaml`` is a YAML mapping of ``plan solve`` options by their long names (``time-limit: 30``;
``time_limit`` is the same key). Every option is accepted there, checked as strictly as on the command
line (:mod:`planner.optionspec`), and every error names the file and the key. Relative paths
(``profiles``, ``fleet``, ``catalog``, ``output``, ``save-model``) are relative to the folder
holding the file.
The folder's own ``catalog/`` comes first, then the folders ``catalog:`` lists, then ``--catalog``
flags (later folders win); ``profiles:`` replaces the folder's ``profiles.csv``. Flags on the
command line win over the file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from planner.errors import InputError, Location
from planner.ids import close_matches
from planner.option_checks import validate_options
from planner.option_table import BY_KEY


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a key that appears twice in one mapping."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                repeated = key in seen
            except TypeError:
                repeated = False  # unhashable: the base class reports it
            if repeated:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key {key!r} appears twice", key_node.start_mark
                )
            if not isinstance(key, list | dict):
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


def resolve_demand_path(path: str | os.PathLike[str]) -> tuple[Path, dict[str, object]]:
    """A demand file, or a folder with ``demand.csv`` (+ profiles.csv, catalog/, options.yaml).

    Returns:
        The demand file, and the options the folder supplies, by Python name (``time_limit``),
        validated, with paths made absolute; ``catalog`` is a list of folders.

    Raises:
        InputError: the folder has no demand.csv, or its options.yaml is unreadable or wrong.
    """
    folder = Path(path)
    if not folder.is_dir():
        return folder, {}
    demand = folder / "demand.csv"
    if not demand.exists():
        raise InputError(
            "folder has no demand.csv", Location(file=str(folder)), _misnamed(folder, "demand.csv")
        )
    found: dict[str, object] = {}
    if (folder / "profiles.csv").exists():
        found["profiles"] = str(folder / "profiles.csv")
    if (folder / "fleet.csv").exists():
        found["fleet"] = str(folder / "fleet.csv")
    catalog = folder / "catalog"
    if catalog.exists() and not catalog.is_dir():
        raise InputError("expected a catalog folder, found a file", Location(file=str(catalog)))
    catalogs = [str(catalog)] if catalog.is_dir() else []
    options = folder / "options.yaml"
    if not options.exists() and (folder / "options.yml").exists():
        hint = "rename it options.yaml"
        raise InputError(
            "options are read from options.yaml, not options.yml", Location(str(folder / "options.yml")), hint
        )
    if options.exists():
        given = read_options_yaml(options)
        catalogs += list(given.pop("catalog", ()))  # type: ignore[call-overload]
        found.update(given)
    if catalogs:
        found["catalog"] = catalogs
    return demand, found


def _misnamed(folder: Path, name: str) -> str | None:
    """A hint naming a file of the folder close to ``name``, if there is one."""
    try:
        files = [entry.name for entry in folder.iterdir()]
    except OSError:
        return None
    matches = close_matches(name, files, n=1)
    return f"did you mean {matches[0]!r}? (the file must be named {name})" if matches else None


def read_options_yaml(path: str | os.PathLike[str]) -> dict[str, object]:
    """The options in ``path``, validated, by Python name; relative paths resolved against its folder.

    Raises:
        InputError: the file is unreadable, not YAML, not a mapping, or has a bad key or value
            (every bad key at once).
    """
    file = Path(path)
    data = _load(file)
    if data is None:
        return {}
    if not isinstance(data, dict):
        hint = "for example:\n  time-limit: 30\n  accelerators: [h100-sxm, l40s]"
        raise InputError("expected a mapping of option names to values", Location(file=str(file)), hint)
    values = validate_options(
        data, lambda key: Location(file=str(file), key=key), none_is_default=False, setting_names=False
    )
    resolved = {key: _relative(file.parent, key, value) for key, value in values.items()}
    _check_inputs_exist(file, data, resolved)
    return resolved


def _check_inputs_exist(file: Path, data: dict[Any, Any], values: dict[str, Any]) -> None:
    """The profiles file and catalog folders options.yaml names must exist (named with their key)."""
    spelled = {str(key).strip().replace("-", "_"): str(key) for key in data}
    wanted: list[tuple[str, Any, str]] = [
        (key, values[key], "file") for key in ("profiles", "fleet") if key in values
    ]
    wanted += [("catalog", path, "folder") for path in values.get("catalog", ())]
    for key, path, what in wanted:
        found = Path(path).is_file() if what == "file" else Path(path).is_dir()
        if not found:
            problem = f"is not a {what}" if Path(path).exists() else "does not exist"
            raise InputError(
                f"the {what} {path} {problem}",
                Location(file=str(file), key=spelled.get(key, key)),
                f"relative paths are relative to the folder holding {file.name}",
            )


def read_yaml(path: str | os.PathLike[str]) -> Any:
    """The YAML document in a file (a key twice in one mapping is an error), or one clear InputError."""
    return _load(Path(path))


def _load(file: Path) -> Any:
    """The YAML document in ``file``."""
    try:
        text = file.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", Location(file=str(file))) from None
    except IsADirectoryError:
        raise InputError("is a directory, not an options file", Location(file=str(file))) from None
    except OSError as exc:
        raise InputError(f"cannot be read: {exc.strerror or exc}", Location(file=str(file))) from None
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        row = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or exc
        raise InputError(f"not valid YAML: {problem}", Location(file=str(file), row=row)) from None
    except RecursionError:
        raise InputError("not valid YAML: nested too deeply", Location(file=str(file))) from None


def _relative(folder: Path, key: str, value: Any) -> Any:
    """A path option's value resolved against ``folder`` (others unchanged)."""
    kind = BY_KEY[key].kind
    if kind == "path":
        return _resolve(folder, value)
    if kind == "paths":
        return tuple(_resolve(folder, item) for item in value)
    return value


def _resolve(folder: Path, value: str) -> str:
    path = Path(value).expanduser()
    return str(path if path.is_absolute() else folder / path)
