"""Catalog checks of a demand frame: known models, reachable quality floors, fitting contexts."""

from __future__ import annotations

import pandas as pd

from planner.catalog.schema import Catalog
from planner.ids import unknown_id_hint
from planner.table import ErrorLog


class Candidates:
    """What the catalog offers a demand row: models by id, and every quality-scored candidate."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        #: (quality, context tokens or None, description) of each scored model and API.
        self.scored: list[tuple[float, int | None, str]] = [
            (model.quality, model.max_context_tokens, f"model '{model.id}'")
            for model in catalog.models.values()
            if model.quality is not None
        ]
        for api in catalog.apis.values():
            quality = catalog.api_quality(api)
            if quality is not None:
                self.scored.append((quality, api.max_context_tokens, f"API '{api.id}'"))
        self._contexts: dict[float, int | None] = {}

    def best(self) -> tuple[float, str] | None:
        """The highest quality score and who has it; None when nothing is scored."""
        if not self.scored:
            return None
        quality, _, who = max(self.scored, key=lambda item: item[0])
        return quality, who

    def context_at(self, floor: float) -> int | None:
        """The longest known context among candidates scoring ``floor`` or more; None if none is known."""
        if floor not in self._contexts:
            known = [
                context for quality, context, _ in self.scored if quality >= floor and context is not None
            ]
            self._contexts[floor] = max(known, default=None)
        return self._contexts[floor]

    def model_hint(self, model_id: str) -> str:
        """A hint for an unknown model id: an API of that name, a close match, or the valid ids."""
        api = self.catalog.apis.get(model_id)
        if api is None:
            return unknown_id_hint(model_id, self.catalog.models, "models")
        if api.model is not None:
            return f"'{model_id}' is an API offering; pin the model it serves, '{api.model}'"
        return f"'{model_id}' is an API offering; give a 'min_quality' instead so that it may be used"


def check_rows(frame: pd.DataFrame, catalog: Catalog, log: ErrorLog) -> None:
    """Log every row whose model is unknown, whose quality floor no one reaches, or that fits no context.

    Args:
        frame: the typed demand frame; only ``source_row``, ``model``, ``min_quality``,
            ``input_tokens`` and ``output_tokens`` are read.
        catalog: the models and APIs that may serve the demand.
        log: where errors go.
    """
    candidates = Candidates(catalog)
    tokens = (frame["input_tokens"] + frame["output_tokens"]).tolist()
    rows = zip(
        frame["source_row"].tolist(),
        frame["model"].tolist(),
        frame["min_quality"].tolist(),
        tokens,
        strict=True,
    )
    for number, model_id, floor, size in rows:
        if model_id is not None:
            _check_model(number, model_id, size, candidates, log)
        else:
            _check_floor(number, floor, size, candidates, log)


def _check_model(number: int, model_id: str, size: float, candidates: Candidates, log: ErrorLog) -> None:
    """Log an unknown pinned model, or requests longer than its context."""
    model = candidates.catalog.models.get(model_id)
    if model is None:
        log.add(f"unknown model '{model_id}'", number, "model", hint=candidates.model_hint(model_id))
        return
    limit = model.max_context_tokens
    if limit is not None and size > limit:
        message = f"input_tokens + output_tokens = {size:.10g} is more than the {limit}-token context"
        log.add(f"{message} of model '{model_id}'", number, "input_tokens")


def _check_floor(number: int, floor: float, size: float, candidates: Candidates, log: ErrorLog) -> None:
    """Log a quality floor no candidate reaches, or requests longer than every candidate's context."""
    best = candidates.best()
    if best is None:
        message = "no model or API in the catalog has a quality score, so no 'min_quality' can be met"
        log.add(message, number, "min_quality", hint="pin a 'model' instead")
        return
    if floor > best[0]:
        message = f"min_quality {floor:g} is above every model and API in the catalog"
        log.add(message, number, "min_quality", hint=f"the best score is {best[0]:g} ({best[1]})")
        return
    limit = candidates.context_at(floor)
    if limit is not None and size > limit:
        message = f"input_tokens + output_tokens = {size:.10g} is more than the context of every"
        log.add(
            f"{message} model and API with quality >= {floor:g} (largest: {limit} tokens)",
            number,
            "input_tokens",
        )
