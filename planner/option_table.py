"""The table of ``plan solve``'s options: one :class:`OptionSpec` per option, in ``--help`` order.

Every option is one :class:`OptionSpec` in :data:`SOLVE_OPTIONS`: its long name, its kind, its
help and the :class:`~planner.settings.SolveSettings` field it sets. A setting's type, bounds,
choices and default are read from that field (they are written once, there); options that are not
settings (files, the output format) carry their own. How values are read is
:mod:`planner.option_values`; how a set of values is checked and made settings,
:mod:`planner.option_checks`; :mod:`planner.optionspec` gathers the three.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from typing import Any, Literal

import annotated_types

from planner.settings import SolveSettings

Kind = Literal["number", "integer", "choice", "flag", "ids", "chips", "trends", "path", "paths", "text"]


@dataclass(frozen=True)
class Bounds:
    """A closed or open interval a number must lie in (None: unbounded on that side)."""

    low: float | None = None
    low_open: bool = False
    high: float | None = None
    high_open: bool = False

    def describe(self) -> str:
        """``above 0 and at most 1``, ``at least 1``."""
        parts = []
        if self.low is not None:
            parts.append(f"{'above' if self.low_open else 'at least'} {self.low:g}")
        if self.high is not None:
            parts.append(f"{'below' if self.high_open else 'at most'} {self.high:g}")
        return " and ".join(parts)

    def holds(self, value: float) -> bool:
        """True when ``value`` lies in the interval."""
        low_ok = self.low is None or (value > self.low if self.low_open else value >= self.low)
        high_ok = self.high is None or (value < self.high if self.high_open else value <= self.high)
        return low_ok and high_ok


@dataclass(frozen=True)
class OptionSpec:
    """One option of ``plan solve``.

    Attributes:
        name: the long name (``time-limit``); ``options.yaml`` keys are this name.
        kind: how values are read (see :func:`planner.option_values.coerce`).
        help: the ``--help`` line.
        setting: the SolveSettings field it sets; None for an option that is not a setting.
        invert: a ``no-*`` flag: true sets the setting to False.
        short: a one-letter flag (``-o``).
        choices, bounds, default: for options that are not settings (settings read theirs).
        metavar: what the value looks like in ``--help``.
        multiple: the flag may be repeated on the command line.
    """

    name: str
    kind: Kind
    help: str
    setting: str | None = None
    invert: bool = False
    short: str | None = None
    choices: tuple[str, ...] = ()
    bounds: Bounds = Bounds()
    default: Any = None
    metavar: str | None = None
    multiple: bool = False

    @property
    def key(self) -> str:
        """The Python name: ``time_limit`` (keyword of ``planner.solve``, click parameter)."""
        return self.name.replace("-", "_")

    def value_choices(self) -> tuple[str, ...]:
        """Valid values of a ``choice`` option (a setting's come from its ``Literal`` type)."""
        if self.setting is None:
            return self.choices
        return tuple(str(a) for a in typing.get_args(_field(self.setting).annotation))

    def value_bounds(self) -> Bounds:
        """The interval of a number option (a setting's come from its field's constraints)."""
        if self.setting is None:
            return self.bounds
        low = high = None
        low_open = high_open = False
        for item in _field(self.setting).metadata:
            if isinstance(item, annotated_types.Gt | annotated_types.Ge):
                low_open = isinstance(item, annotated_types.Gt)
                low = float(item.gt if isinstance(item, annotated_types.Gt) else item.ge)  # type: ignore[arg-type]
            elif isinstance(item, annotated_types.Lt | annotated_types.Le):
                high_open = isinstance(item, annotated_types.Lt)
                high = float(item.lt if isinstance(item, annotated_types.Lt) else item.le)  # type: ignore[arg-type]
        return Bounds(low, low_open, high, high_open)

    def default_value(self) -> Any:
        """The value taken when the option is not given."""
        if self.setting is None:
            return self.default
        field = _field(self.setting)
        value = field.get_default(call_default_factory=True)
        return (not value) if self.invert else value


def _field(name: str) -> Any:
    return SolveSettings.model_fields[name]


#: Every option of ``plan solve``, in ``--help`` order.
SOLVE_OPTIONS: tuple[OptionSpec, ...] = (
    OptionSpec(
        "catalog",
        "paths",
        "A catalog folder to add or override entries (repeatable; later wins).",
        metavar="DIR",
        multiple=True,
    ),
    OptionSpec("profiles", "path", "Measured profiles CSV.", metavar="FILE"),
    OptionSpec(
        "fleet",
        "path",
        "Chips you already have, at no cost (CSV: accelerator,provider,tier,chips,until).",
        metavar="FILE",
    ),
    OptionSpec(
        "start",
        "path",
        "Start the search from an earlier plan file of the same periods (a MIP start; never a bound).",
        metavar="PLAN",
    ),
    OptionSpec("output", "path", "Write the plan (.json, .yaml, .csv).", short="-o", metavar="FILE"),
    OptionSpec(
        "workloads",
        "path",
        "DEMAND is a forecast (Prophet or Nixtla CSV); this CSV gives each series' attributes.",
        metavar="FILE",
    ),
    OptionSpec(
        "series-column", "text", "Forecast column naming the series (default: found).", metavar="NAME"
    ),
    OptionSpec(
        "provision-for",
        "text",
        "Forecast column to plan for (yhat_upper, AutoETS-hi-95) or pNN (p90).",
        metavar="COLUMN|pNN",
        default="p50",
    ),
    OptionSpec("forecast-model", "text", "The forecast's model to plan for, of several.", metavar="NAME"),
    OptionSpec(
        "interval-width",
        "number",
        "Prophet's interval_width (the file does not record it): 0.8 makes yhat_upper p90.",
        bounds=Bounds(0, True, 1, True),
    ),
    OptionSpec(
        "forecast-unit",
        "choice",
        "Unit of the forecast's values.",
        choices=("requests_per_s", "requests_per_hour", "requests_per_day"),
        default="requests_per_s",
    ),
    OptionSpec(
        "accelerators", "ids", "Only these accelerators (comma-separated ids).", "accelerators", metavar="IDS"
    ),
    OptionSpec(
        "apis", "ids", "Only these API offerings (comma-separated ids; '' for none).", "apis", metavar="IDS"
    ),
    OptionSpec(
        "target-utilization",
        "number",
        "Planned load as a share of what a replica sustains.",
        "target_utilization",
    ),
    OptionSpec(
        "max-spot-share", "number", "Largest share of an accelerator's chips on spot.", "max_spot_share"
    ),
    OptionSpec(
        "commitment-cost",
        "choice",
        "term: charge commitments for their whole term; horizon: within the plan.",
        "commitment_cost",
    ),
    OptionSpec(
        "max-chips",
        "chips",
        "ACC=N: chips of ACC per period (repeatable).",
        "max_chips",
        metavar="ACC=N",
        multiple=True,
    ),
    OptionSpec(
        "price-trend",
        "trends",
        "TARGET=RATE/yr: prices of apis, accelerators or one KIND.ID change by RATE a year (repeatable).",
        "price_trends",
        metavar="TARGET=RATE",
        multiple=True,
    ),
    OptionSpec("budget-usd", "number", "Limit on the total cost over the horizon, USD.", "budget_usd"),
    OptionSpec("whole-nodes", "flag", "Buy node-sold offers by whole nodes.", "whole_nodes"),
    OptionSpec(
        "unmet-penalty-usd-per-request",
        "number",
        "USD charged per request left unmet.",
        "unmet_penalty_usd_per_request",
    ),
    OptionSpec("solver", "choice", "The MILP solver.", "solver"),
    OptionSpec("time-limit", "number", "Wall-clock budget of the whole run, s.", "time_limit_s"),
    OptionSpec("mip-gap", "number", "Relative gap at which a plan counts as optimal.", "mip_gap"),
    OptionSpec("threads", "integer", "Solver threads (default: the solver's choice).", "threads"),
    OptionSpec("save-model", "path", "Write the MILP as built (.lp or .mps).", metavar="FILE"),
    OptionSpec("no-baselines", "flag", "Skip the baseline fleets.", "baselines", invert=True),
    OptionSpec(
        "no-reductions", "flag", "Solve the unreduced model (no pruning at all).", "reductions", invert=True
    ),
    OptionSpec(
        "work-limit",
        "integer",
        "Per MILP: N nodes and 10,000 N simplex iterations; reruns then agree whatever the load.",
        "work_limit",
    ),
    OptionSpec(
        "sensitivity",
        "flag",
        "Report each used (or nearly used) price's range over which the fleet stays the same, by re-solves.",
    ),
    OptionSpec(
        "format",
        "choice",
        "table for people; json: one JSON document on stdout.",
        choices=("table", "json"),
        default="table",
    ),
)

#: Options by their Python name (``time_limit``).
BY_KEY: dict[str, OptionSpec] = {spec.key: spec for spec in SOLVE_OPTIONS}
#: Options by the SolveSettings field they set (``time_limit_s``, ``baselines``).
BY_SETTING: dict[str, OptionSpec] = {spec.setting: spec for spec in SOLVE_OPTIONS if spec.setting}
#: Names that look like options but are not options of ``plan solve``, with the reason.
NOT_OPTIONS: dict[str, str] = {
    "debug": "'debug' is an option of 'plan' itself: give --debug on the command line",
    "help": "'help' is not an option: run 'plan solve --help'",
    "version": "'version' is not an option: run 'plan --version'",
    "o": "give the long name: 'output'",
    "demand": "the demand is the DEMAND argument (a folder's demand.csv), not an option",
}
