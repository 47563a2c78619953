"""Reuse across a sweep's scenarios: the performance model once per distinct input, options by scenario.

:class:`OptionsCache` builds a run's options as :func:`planner.options.build_options` does, with
two memos keyed on content hashes:

* the performance-model stage (:class:`planner.options.PerfStage`: configs and every (shape,
  config) estimate), keyed on the request shapes (model or quality floor, tokens, targets), the
  models, the accelerators' specs without their prices, the allowed accelerators and the profiles.
  Scenarios that change prices, demand levels or API offers reuse it;
* the finished options, keyed on that plus the whole catalog and the settings. Scenarios that
  change only demand levels reuse them, with their own demand rows.

Both are exact: every input the stage reads is in its key, and what a hit returns is what the
stage computes (the tests compare them frame by frame).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections import OrderedDict
from typing import TypeVar

from planner.catalog.schema import Catalog
from planner.demand import Demand
from planner.options import (
    Options,
    PerfStage,
    allowed_accelerators,
    build_shapes,
    evaluate_perf,
    options_from,
)
from planner.profiles import ProfileTable
from planner.settings import SolveSettings

#: Entries each memo keeps (least recently used dropped first).
CACHE_ENTRIES = 32
V = TypeVar("V")


def _digest(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def perf_key(catalog: Catalog, demand: Demand, profiles: ProfileTable, settings: SolveSettings) -> str:
    """A hash of everything the performance-model stage reads (nothing price- or level-dependent)."""
    _rows, shapes = build_shapes(demand)
    specs = {
        "models": {k: m.model_dump(mode="json") for k, m in sorted(catalog.models.items())},
        "accelerators": {
            k: a.model_dump(mode="json", exclude={"prices", "kubernetes"})
            for k, a in sorted(catalog.accelerators.items())
        },
        "allowed": allowed_accelerators(catalog, settings),
    }
    return _digest(
        shapes.to_csv(index=False),
        json.dumps(specs, sort_keys=True),
        profiles.sha256,
        profiles.frame.to_csv(),
    )


class OptionsCache:
    """Options of many near-identical runs, each stage computed once per distinct input."""

    def __init__(self, entries: int = CACHE_ENTRIES) -> None:
        self.entries = entries
        self._perf: OrderedDict[str, PerfStage] = OrderedDict()
        self._options: OrderedDict[str, Options] = OrderedDict()
        self.perf_runs = 0
        self.option_builds = 0

    def build_options(
        self,
        catalog: Catalog,
        demand: Demand,
        profiles: ProfileTable,
        settings: SolveSettings,
        owned: frozenset[str] = frozenset(),
    ) -> Options:
        """What ``build_options(catalog, demand, profiles, settings, owned)`` returns."""
        rows, _shapes = build_shapes(demand)
        stage_key = perf_key(catalog, demand, profiles, settings)
        settings_text = json.dumps(
            settings.model_dump(mode="json", exclude={"time_limit_s", "threads", "work_limit"}),
            sort_keys=True,
        )
        catalog_text = json.dumps(catalog.model_dump(mode="json"), sort_keys=True)
        full_key = _digest(stage_key, catalog_text, settings_text, ",".join(sorted(owned)))
        built = self._get(self._options, full_key)
        if built is not None:
            return dataclasses.replace(built, rows=rows)
        perf = self._get(self._perf, stage_key)
        if perf is None:
            perf = evaluate_perf(catalog, demand, profiles, settings)
            self.perf_runs += 1
            self._put(self._perf, stage_key, perf)
        options = options_from(dataclasses.replace(perf, rows=rows), catalog, settings, owned)
        self.option_builds += 1
        self._put(self._options, full_key, options)
        return options

    @staticmethod
    def _get(memo: OrderedDict[str, V], key: str) -> V | None:
        if key in memo:
            memo.move_to_end(key)
            return memo[key]
        return None

    def _put(self, memo: OrderedDict[str, V], key: str, value: V) -> None:
        memo[key] = value
        while len(memo) > self.entries:
            memo.popitem(last=False)
