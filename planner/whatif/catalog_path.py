"""``--set KIND.ID.FIELD=VALUE``: resolve a catalog field path and build the changed entry.

Ids contain dots, so the id is the longest catalog id the path starts with; price offers are
``prices.PROVIDER.TIER`` (the tier as the catalog spells it: ``on_demand``, ``spot``,
``committed_1y``, ``committed_3y``), the provider again the longest that matches; a nested block
(``kubernetes``) is entered by its field name. The path must end at a scalar field. A bad path
names the valid keys at the level where it went wrong, with close matches.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from planner.catalog.schema import Accelerator, ApiOffering, Catalog, Model, PriceOffer
from planner.ids import close_matches

KIND_MODELS: dict[str, type[BaseModel]] = {"accelerators": Accelerator, "models": Model, "apis": ApiOffering}
_WHAT = {"accelerators": "accelerator", "models": "model", "apis": "API offering"}
#: Fields that name an entry or an offer: changing them is not a what-if of a price or a figure.
_FIXED = frozenset({"id"})
_FIXED_OFFER = frozenset({"provider", "tier"})


class PathError(ValueError):
    """A path does not lead to a scalar field: the message, and the valid keys as a hint."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message, self.hint = message, hint


@dataclass(frozen=True)
class FieldPath:
    """A resolved path: catalog kind, entry id, and the steps inside the entry.

    ``steps`` are field names, except that a price offer is the step ``("prices", provider, tier)``.
    """

    kind: str
    entry: str
    steps: tuple[str | tuple[str, str, str], ...]


def _choices_hint(value: str, valid: Iterable[str], what: str) -> str:
    valid = sorted(set(valid))
    matches = close_matches(value, valid) if value else []
    shown = ", ".join(valid[:20]) + (", ..." if len(valid) > 20 else "")
    head = "did you mean " + " or ".join(repr(m) for m in matches) + "? " if matches else ""
    return f"{head}valid {what}: {shown}" if valid else f"no {what} here"


def _longest(rest: str, ids: Iterable[str]) -> str | None:
    """The longest id that ``rest`` is, or starts with followed by a dot."""
    found = [i for i in ids if rest == i or rest.startswith(i + ".")]
    return max(found, key=len) if found else None


def _unwrap(annotation: Any) -> Any:
    """The type inside ``X | None`` and ``Annotated[X, ...]``."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation


def _nested(annotation: Any) -> type[BaseModel] | None:
    inner = _unwrap(annotation)
    return inner if isinstance(inner, type) and issubclass(inner, BaseModel) else None


def _is_scalar(annotation: Any) -> bool:
    inner = _unwrap(annotation)
    return typing.get_origin(inner) not in (tuple, list, dict, set) and _nested(annotation) is None


def _fields(schema: type[BaseModel]) -> list[str]:
    fixed = _FIXED | (_FIXED_OFFER if schema is PriceOffer else frozenset())
    return [name for name in schema.model_fields if name not in fixed]


def resolve(path: str, catalog: Catalog) -> FieldPath:
    """Resolve ``KIND.ID.FIELD...`` against the catalog.

    Raises:
        PathError: the first part that matches nothing, with the valid keys there.
    """
    kind, _, rest = path.partition(".")
    if kind not in KIND_MODELS:
        raise PathError(f"unknown catalog '{kind}'", _choices_hint(kind, KIND_MODELS, "catalogs"))
    entries: Mapping[str, BaseModel] = getattr(catalog, kind)
    schema = KIND_MODELS[kind]
    entry_id = _longest(rest, entries)
    if entry_id is None:
        guess = _guess_id(rest, schema)
        raise PathError(
            f"unknown {_WHAT[kind]} '{guess}'", _choices_hint(guess, entries, f"{_WHAT[kind]} ids")
        )
    tail = rest[len(entry_id) + 1 :]
    if not tail:
        raise PathError(
            f"the path ends at the {_WHAT[kind]} '{entry_id}': name a field",
            _choices_hint("", _fields(schema), "fields"),
        )
    steps = _steps(tail, entries[entry_id], schema, f"{kind}.{entry_id}")
    return FieldPath(kind, entry_id, steps)


def _guess_id(rest: str, schema: type[BaseModel]) -> str:
    """The id part of a path that matched no id: up to the first field name (or the whole rest)."""
    parts = rest.split(".")
    for i in range(1, len(parts)):
        if parts[i] in schema.model_fields:
            return ".".join(parts[:i])
    return rest


def _steps(
    tail: str, record: BaseModel, schema: type[BaseModel], where: str
) -> tuple[str | tuple[str, str, str], ...]:
    name, _, rest = tail.partition(".")
    if name not in _fields(schema):
        raise PathError(f"'{where}' has no field '{name}'", _choices_hint(name, _fields(schema), "fields"))
    annotation = schema.model_fields[name].annotation
    if name == "prices" and schema is Accelerator:
        assert isinstance(record, Accelerator)
        return _price_steps(rest, record, f"{where}.prices")
    nested = _nested(annotation)
    if nested is not None:
        value = getattr(record, name)
        if value is None:
            raise PathError(f"'{where}' has no '{name}' block to change")
        if not rest:
            raise PathError(
                f"'{where}.{name}' is a block: name a field", _choices_hint("", _fields(nested), "fields")
            )
        return (name, *_steps(rest, value, nested, f"{where}.{name}"))
    if not _is_scalar(annotation):
        raise PathError(f"'{where}.{name}' is a list or mapping, not a scalar field")
    if rest:
        raise PathError(f"'{where}.{name}' is a scalar field: the path ends there, not at '.{rest}'")
    return (name,)


def _price_steps(rest: str, acc: Accelerator, where: str) -> tuple[str | tuple[str, str, str], ...]:
    providers = sorted({p.provider for p in acc.prices})
    if not providers:
        raise PathError(f"'{where[: -len('.prices')]}' has no price offers")
    if not rest:
        raise PathError(
            f"'{where}' is a list of offers: name one as PROVIDER.TIER.FIELD",
            _choices_hint("", [f"{p.provider}.{p.tier}" for p in acc.prices], "offers"),
        )
    provider = _longest(rest, providers)
    if provider is None:
        guess = rest.split(".", 1)[0]
        raise PathError(
            f"no offer of provider '{guess}' at '{where}'", _choices_hint(guess, providers, "providers")
        )
    tiers = [p.tier for p in acc.prices if p.provider == provider]
    tier, _, field = rest[len(provider) + 1 :].partition(".")
    if tier not in tiers:
        raise PathError(
            f"no '{tier}' offer of '{provider}' at '{where}'"
            if tier
            else f"'{where}.{provider}': name a tier",
            _choices_hint(tier, tiers, "tiers"),
        )
    offer_where = f"{where}.{provider}.{tier}"
    if not field:
        raise PathError(
            f"'{offer_where}' is an offer: name a field", _choices_hint("", _fields(PriceOffer), "fields")
        )
    offer = next(p for p in acc.prices if p.provider == provider and p.tier == tier)
    inner = _steps(field, offer, PriceOffer, offer_where)
    return (("prices", provider, tier), *inner)


def changed_entry(record: BaseModel, steps: tuple[str | tuple[str, str, str], ...], value: Any) -> BaseModel:
    """``record`` with the field at ``steps`` set to ``value``, validated again.

    Raises:
        PathError: the catalog's schema refuses the value (its message).
    """
    data = record.model_dump()
    _put(data, steps, _as_text(value) if _is_text(record, steps) else value)
    try:
        return type(record).model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        return_msg = str(first["msg"])
        raise PathError(f"the catalog refuses {value!r}: {return_msg}") from None


def _is_text(record: BaseModel, steps: tuple[str | tuple[str, str, str], ...]) -> bool:
    """True when the field at ``steps`` holds text (a number given for it is meant as its text)."""
    schema: type[BaseModel] = type(record)
    for step in steps[:-1]:
        name = step[0] if isinstance(step, tuple) else step
        schema = _nested(schema.model_fields[name].annotation) or PriceOffer
    last = steps[-1]
    return _unwrap(schema.model_fields[str(last)].annotation) is str


def _as_text(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value if isinstance(value, str) or value is None else str(value)


def _put(data: dict[str, Any], steps: tuple[str | tuple[str, str, str], ...], value: Any) -> None:
    step, rest = steps[0], steps[1:]
    if isinstance(step, tuple):
        _, provider, tier = step
        offer = next(p for p in data["prices"] if p["provider"] == provider and p["tier"] == tier)
        _put(offer, rest, value)
    elif rest:
        _put(data[step], rest, value)
    else:
        data[step] = value
