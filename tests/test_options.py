"""The options of ``plan solve``: one definition for the command line, options.yaml and the Python API.

options.yaml must be as good as the CSV readers: every error names the file and the key (never a
flag), unknown keys get close matches, types are strict, relative paths are relative to the folder.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import planner
from planner.api import make_settings, prepare_solve
from planner.errors import EXIT_INPUT, InputError, InputErrors
from planner.optionsfile import read_options_yaml, resolve_demand_path
from planner.optionspec import BY_KEY, BY_SETTING, SOLVE_OPTIONS, coerce
from planner.settings import PriceTrend, SolveSettings
from tests.conftest import OPTIMIZER_DATA

Run = Callable[..., Any]
BASE = "accelerators: [tgpu-a]\napis: []\nno-baselines: true\n"


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    folder = tmp_path / "tiny"
    shutil.copytree(OPTIMIZER_DATA / "tiny", folder)
    return folder


def options_error(folder: Path, text: str) -> str:
    (folder / "options.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        resolve_demand_path(folder)
    assert info.value.exit_code == EXIT_INPUT
    return info.value.render()


# --- one table ----------------------------------------------------------------------------------


def test_every_setting_is_set_by_exactly_one_option() -> None:
    assert set(BY_SETTING) == set(SolveSettings.model_fields)
    assert len(BY_SETTING) == len([s for s in SOLVE_OPTIONS if s.setting])


def test_defaults_and_bounds_come_from_the_settings() -> None:
    defaults = SolveSettings()
    for spec in SOLVE_OPTIONS:
        if spec.setting and not spec.invert:
            assert spec.default_value() == getattr(defaults, spec.setting), spec.name
    assert BY_KEY["no_baselines"].default_value() is False
    assert BY_KEY["target_utilization"].value_bounds().describe() == "at least 0.01 and at most 1"
    assert BY_KEY["mip_gap"].value_bounds().describe() == "at least 0 and below 1"
    assert BY_KEY["commitment_cost"].value_choices() == ("term", "horizon")
    assert BY_KEY["time_limit"].setting == "time_limit_s"


def test_every_option_is_a_flag_of_plan_solve(run_cli: Run) -> None:
    result = run_cli("solve", "--help")
    assert result.returncode == 0
    for spec in SOLVE_OPTIONS:
        assert f"--{spec.name}" in result.stdout, spec.name
    assert "[default: 60]" in result.stdout


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("threads", "0", "must be at least 1 and at most 1024, got 0"),
        ("threads", "2.5", "expected a whole number, got 2.5"),
        ("target-utilization", "1.5", "at least 0.01 and at most 1, got 1.5"),
        ("target-utilization", "80", "write 0.8 for 80%"),
        ("time-limit", "nan", "NaN and infinity are not allowed"),
        ("time-limit", "30s", "expected a number"),
        ("budget-usd", "-1", "must be above 0"),
        ("max-chips", "tgpu-a=many", "must be a whole number of 0 or more"),
        ("max-chips", "tgpu-a", "expected ACC=N"),
    ],
)
def test_cli_text_and_python_values_get_the_same_message(name: str, value: str, fragment: str) -> None:
    spec = next(s for s in SOLVE_OPTIONS if s.name == name)
    with pytest.raises(ValueError, match=fragment):
        coerce(spec, value)


def test_strict_types() -> None:
    with pytest.raises(ValueError, match="got true"):
        coerce(BY_KEY["target_utilization"], True)
    with pytest.raises(ValueError, match="expected true or false, got 1"):
        coerce(BY_KEY["whole_nodes"], 1)
    assert coerce(BY_KEY["budget_usd"], "1e6") == 1e6  # YAML reads 1e6 as text: the number grammar
    assert coerce(BY_KEY["catalog"], "prices") == ("prices",)  # one folder, not letters
    assert coerce(BY_KEY["accelerators"], "a, b") == ("a", "b")
    assert coerce(BY_KEY["apis"], "") == ()
    assert coerce(BY_KEY["max_chips"], {"a": 2}) == {"a": 2}
    assert coerce(BY_KEY["max_chips"], ["a=2", "b=0"]) == {"a": 2, "b": 0}


# --- options.yaml -------------------------------------------------------------------------------

YAML_ERRORS = [
    ("threads: 0\n", "threads", ["must be at least 1 and at most 1024, got 0"]),
    ("time-limit-s: 5\n", "time-limit-s", ["unknown option", "did you mean 'time-limit'"]),
    ("target-utilization: yes\n", "target-utilization", ["expected a number, got true"]),
    ("whole-nodes: maybe\n", "whole-nodes", ["expected true or false"]),
    ("commitment-cost: horizn\n", "commitment-cost", ["did you mean 'horizon'"]),
    ("mip-gap: .nan\n", "mip-gap", ["NaN and infinity"]),
    ("time-limit:\n", "time-limit", ["no value", "remove the key"]),
    ("debug: true\n", "debug", ["not an option of plan solve", "--debug on the command line"]),
    ("o: plan.json\n", "o", ["the long name: 'output'"]),
    ("apis: [1, 2]\n", "apis", ["one item is 1"]),
    ("profiles: 3\n", "profiles", ["expected a file path"]),
    ("max-chips: {tgpu-a: -1}\n", "max-chips", ["whole number of 0 or more, got -1"]),
    (
        "catalog: prices\n",
        "catalog",
        ["prices does not exist", "relative to the folder holding options.yaml"],
    ),
    ("profiles: nope.csv\n", "profiles", ["nope.csv does not exist"]),
    ("time_limit: 3\ntime-limit: 4\n", "time-limit", ["given twice"]),
]


@pytest.mark.parametrize(("text", "key", "fragments"), YAML_ERRORS)
def test_options_yaml_errors_name_the_file_and_key(
    tiny: Path, text: str, key: str, fragments: list[str]
) -> None:
    base = "".join(line + "\n" for line in BASE.splitlines() if not text.startswith(line.split(":")[0]))
    message = options_error(tiny, base + text)
    assert message.startswith(f"{tiny / 'options.yaml'}, key '{key}': "), message
    assert "--" not in message.split("\n")[0]
    for fragment in fragments:
        assert fragment in message, message


def test_all_bad_keys_are_reported_together(tiny: Path) -> None:
    (tiny / "options.yaml").write_text("threads: 0\ntime-limt: 3\nsolver: gurobi\n", encoding="utf-8")
    with pytest.raises(InputErrors) as info:
        resolve_demand_path(tiny)
    assert [e.location.key for e in info.value.errors] == ["threads", "time-limt", "solver"]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("threads: [1\n", "not valid YAML"),
        ("threads: 1\nthreads: 2\n", "the key 'threads' appears twice"),
        ("- time-limit\n", "expected a mapping of option names"),
        ("just text\n", "expected a mapping"),
    ],
)
def test_malformed_options_files(tiny: Path, text: str, fragment: str) -> None:
    message = options_error(tiny, text)
    assert message.startswith(str(tiny / "options.yaml"))
    assert fragment in message


def test_options_yaml_not_utf8_or_a_folder(tiny: Path) -> None:
    (tiny / "options.yaml").write_bytes(b"time-limit: \xff\n")
    with pytest.raises(InputError, match="not UTF-8"):
        resolve_demand_path(tiny)
    (tiny / "options.yaml").unlink()
    (tiny / "options.yaml").mkdir()
    with pytest.raises(InputError, match="is a directory"):
        resolve_demand_path(tiny)


def test_options_yml_is_named_not_ignored(tiny: Path) -> None:
    (tiny / "options.yaml").rename(tiny / "options.yml")
    with pytest.raises(InputError, match=r"options\.yml") as info:
        resolve_demand_path(tiny)
    assert "rename it options.yaml" in info.value.render()


def test_an_unknown_id_in_options_yaml_names_the_file_and_key(tiny: Path) -> None:
    (tiny / "options.yaml").write_text("accelerators: [tgpu-c]\napis: []\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        planner.solve(tiny)
    text = info.value.render()
    assert text.startswith(f"{tiny / 'options.yaml'}, key 'accelerators': unknown id 'tgpu-c'")
    assert "did you mean 'tgpu-a'" in text or "did you mean 'tgpu-b'" in text


def test_relative_paths_are_relative_to_the_folder(
    tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tiny / "measured").mkdir()
    (tiny / "profiles.csv").rename(tiny / "measured" / "p.csv")
    (tiny / "catalog").rename(tiny / "prices")
    (tiny / "options.yaml").write_text(
        BASE + "profiles: measured/p.csv\ncatalog: prices\noutput: out.json\nsave-model: model.lp\n",
        encoding="utf-8",
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    _, found = resolve_demand_path(tiny)
    assert found["profiles"] == str(tiny / "measured" / "p.csv")
    assert found["catalog"] == [str(tiny / "prices")]
    solved = planner.solve(tiny)
    assert solved.plan.objective_usd == pytest.approx(100.0)
    assert json.loads((tiny / "out.json").read_text(encoding="utf-8"))["objective_usd"] == pytest.approx(
        100.0
    )
    assert (tiny / "model.lp").is_file()
    assert list(elsewhere.iterdir()) == []


def test_catalog_list_comes_after_the_folders_own(tiny: Path) -> None:
    (tiny / "more").mkdir()
    (tiny / "more" / "accelerators.yaml").write_text(
        "- {id: tgpu-a, on_demand_usd_per_chip_hour: 1.0}\n",
        encoding="utf-8",
    )
    (tiny / "options.yaml").write_text(BASE + "catalog: [more]\n", encoding="utf-8")
    _, found = resolve_demand_path(tiny)
    assert found["catalog"] == [str(tiny / "catalog"), str(tiny / "more")]
    assert planner.solve(tiny).plan.objective_usd == pytest.approx(50.0)  # the later folder's price wins


def test_read_options_yaml_returns_typed_values(tmp_path: Path) -> None:
    path = tmp_path / "options.yaml"
    path.write_text(
        "time-limit: 30\nbudget-usd: 1e6\napis: ''\nmax-chips: [a=4]\nno-baselines: yes\nformat: json\n",
        encoding="utf-8",
    )
    assert read_options_yaml(path) == {
        "time_limit": 30.0,
        "budget_usd": 1e6,
        "apis": (),
        "max_chips": {"a": 4},
        "no_baselines": True,
        "format": "json",
    }


def test_format_in_options_yaml_is_used_and_a_flag_wins(run_cli: Run, tiny: Path) -> None:
    (tiny / "options.yaml").write_text(BASE + "format: json\n", encoding="utf-8")
    result = run_cli("solve", tiny)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["objective_usd"] == pytest.approx(100.0)
    table = run_cli("solve", tiny, "--format", "table")
    assert table.returncode == 0
    assert table.stdout.startswith("Plan:")


def test_cli_errors_in_options_yaml_exit_2_naming_the_key(run_cli: Run, tiny: Path) -> None:
    (tiny / "options.yaml").write_text(BASE + "threads: 0\n", encoding="utf-8")
    result = run_cli("solve", tiny)
    assert result.returncode == 2
    assert f"{tiny / 'options.yaml'}, key 'threads': must be at least 1" in result.stderr
    assert "--threads" not in result.stderr
    assert "Traceback" not in result.stderr
    flag = run_cli("solve", tiny, "--threads", "0")
    assert flag.returncode == 2
    assert "'--threads'" in flag.stderr
    assert "must be at least 1" in flag.stderr


# --- the Python API -----------------------------------------------------------------------------


def test_api_keywords_are_checked_like_the_command_line(tiny: Path) -> None:
    with pytest.raises(InputError, match=r"option 'threads': must be at least 1 and at most 1024, got 0"):
        planner.solve(tiny, threads=0)
    with pytest.raises(InputError) as info:
        planner.solve(tiny, time_limt=3)
    assert "did you mean 'time-limit'" in info.value.render()
    with pytest.raises(InputError, match="got true"):
        planner.solve(tiny, target_utilization=True)


def test_api_keywords_win_over_options_yaml(tiny: Path) -> None:
    run = prepare_solve(tiny, (), {"accelerators": ["tgpu-a", "tgpu-b"], "time_limit": 7})
    assert run.options["accelerators"] == ("tgpu-a", "tgpu-b")
    assert run.settings.time_limit_s == 7.0
    assert run.settings.apis == ()  # from options.yaml


def test_make_settings_reads_option_and_setting_names() -> None:
    settings = make_settings({"time_limit": 5, "no_baselines": True, "max_chips": {"a": 1}, "profiles": "x"})
    assert (settings.time_limit_s, settings.baselines, settings.max_chips) == (5.0, False, {"a": 1})
    trends = (PriceTrend(target="apis", rate_per_year=-0.9),)
    settings = SolveSettings(target_utilization=0.5, reductions=False, price_trends=trends)
    assert make_settings(settings.model_dump(mode="json")) == settings
    with pytest.raises(InputError, match="did you mean 'threads'"):
        make_settings({"thread": 2})


SAMPLE_VALUES = {
    "number": "0.5",
    "integer": "2",
    "flag": "true",
    "ids": "[tgpu-a]",
    "chips": "{tgpu-a: 4}",
    "trends": "{apis: -0.9/yr}",
    "path": "profiles.csv",
    "paths": "[catalog]",
    "text": "p90",
}


@pytest.mark.parametrize("spec", SOLVE_OPTIONS, ids=lambda s: s.name)
def test_every_long_option_is_accepted_in_options_yaml(tiny: Path, spec: Any) -> None:
    value = spec.value_choices()[-1] if spec.kind == "choice" else SAMPLE_VALUES[spec.kind]
    if spec.name in ("output", "save-model"):
        value = "out.json" if spec.name == "output" else "model.lp"
    (tiny / "options.yaml").write_text(f"{spec.name}: {value}\n", encoding="utf-8")
    _, found = resolve_demand_path(tiny)
    assert spec.key in found
