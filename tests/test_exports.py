"""plan export: every format on every shipped example (goldens), totals, determinism, safety, exit 2."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import planner
from planner.catalog import load as catalog_load
from planner.exports import FORMATS, ExportError
from planner.exports.base import dns_label, label_value, path_part, select_periods
from planner.plan import Plan
from tests.export_cases import (
    EXAMPLES,
    GOLDEN,
    REGEN,
    ROOT,
    cloud_plan,
    example_catalogs,
    example_plan,
    tpu_neuron_plan,
)


@pytest.fixture(autouse=True)
def real_catalogs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(catalog_load, "shipped_catalog_dir", lambda: ROOT / "catalogs")


def _tree(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): p.read_text(encoding="utf-8")
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.startswith(".fleetplan-export-")
    }


def _export(plan: Plan, fmt: str, out: Path, **kwargs: object) -> list[Path]:
    return planner.export(plan, fmt, out, **kwargs)  # type: ignore[no-any-return]


@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize("name", EXAMPLES)
def test_every_format_matches_its_golden_files(name: str, fmt: str, tmp_path: Path) -> None:
    written = _export(example_plan(name), fmt, tmp_path, catalog_dirs=example_catalogs(name))
    assert written
    tree = _tree(tmp_path)
    assert sorted(tree) == sorted(str(p.relative_to(tmp_path)) for p in written)
    golden = GOLDEN / name / fmt
    if REGEN:
        for rel, text in tree.items():
            (golden / rel).parent.mkdir(parents=True, exist_ok=True)
            (golden / rel).write_text(text, encoding="utf-8")
    assert tree == _tree(golden)


def test_the_registry_lists_the_formats_in_order_of_priority() -> None:
    assert list(FORMATS) == [
        "kubernetes",
        "routing",
        "procurement",
        "csv",
        "yaml",
        "helm",
        "kserve",
        "terraform",
    ]


def test_export_help_lists_every_format() -> None:
    out = subprocess.run(
        [sys.executable, "-c", "from planner.cli import main; main()", "export", "--help"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout
    positions = [out.index(f"  {fmt} ") for fmt in FORMATS]
    assert positions == sorted(positions)


def _cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from planner.cli import main; main()", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )


def test_cli_export_prints_the_files_written_as_json(tmp_path: Path) -> None:
    plan = ROOT / "tests" / "data" / "exports" / "self-host-vs-api.plan.json"
    done = _cli(
        "export", plan, "--to", "kubernetes", "-o", tmp_path / "k", "--period", "all", "--format", "json"
    )
    assert done.returncode == 0, done.stderr
    listed = json.loads(done.stdout)
    assert listed["format"] == "kubernetes"
    assert sorted(listed["files"]) == sorted(str(p) for p in (tmp_path / "k").rglob("*.yaml"))
    placements = sum(len(p.placements) for p in example_plan("self-host-vs-api").periods)
    assert len(listed["files"]) == placements == 12


def test_cli_export_of_an_unknown_format_or_period_is_exit_2_without_traceback(tmp_path: Path) -> None:
    plan = ROOT / "tests" / "data" / "exports" / "self-host-vs-api.plan.json"
    for args in (("--to", "ansible"), ("--to", "kubernetes", "--period", "2031-01")):
        done = _cli("export", plan, *args, "-o", tmp_path / "x")
        assert done.returncode == 2
        assert done.stderr.startswith("error: ")
        assert "Traceback" not in done.stderr
        assert not (tmp_path / "x").exists()
    bad = tmp_path / "bad.json"
    bad.write_text("{}", encoding="utf-8")
    done = _cli("export", bad, "--to", "csv", "-o", tmp_path / "y")
    assert done.returncode == 2
    assert "not a fleetplan plan" in done.stderr


def test_peak_is_the_period_with_most_chips_first_on_ties() -> None:
    plan = cloud_plan()  # 2027-01: 32 chips, 2027-02: 22
    assert [p.period for p in select_periods(plan, "peak")] == ["2027-01"]
    tied = plan.model_copy(
        update={"periods": (plan.periods[0], plan.periods[0].model_copy(update={"period": "b"}))}
    )
    assert [p.period for p in select_periods(tied, "peak")] == ["2027-01"]
    assert len(select_periods(plan, "all")) == 2


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_reruns_are_byte_identical(fmt: str, tmp_path: Path) -> None:
    _export(cloud_plan(), fmt, tmp_path / "a", period="all")
    _export(cloud_plan(), fmt, tmp_path / "b", period="all")
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")


def test_a_second_export_replaces_its_own_files_and_leaves_others(tmp_path: Path) -> None:
    _export(cloud_plan(), "kubernetes", tmp_path, period="all")
    mine = tmp_path / "notes.txt"
    mine.write_text("keep", encoding="utf-8")
    before = set(_tree(tmp_path))
    assert any(p.startswith("2027-02/") for p in before)
    _export(cloud_plan(), "kubernetes", tmp_path, period="2027-01")
    after = set(_tree(tmp_path))
    assert not any(p.startswith("2027-02/") for p in after)
    assert not (tmp_path / "2027-02").exists()
    assert mine.read_text(encoding="utf-8") == "keep"
    assert {p for p in before if p.startswith("2027-01/")} <= after


def test_a_target_that_cannot_express_the_plan_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(ExportError, match="llm-d-modelservice has no accelerator type for trainium1"):
        _export(tpu_neuron_plan(), "helm", out)
    with pytest.raises(ExportError, match="names no GCE machine type"):
        _export(tpu_neuron_plan(), "terraform", out)
    assert not out.exists()


def test_cli_exit_2_when_the_target_cannot_express_the_plan(tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(tpu_neuron_plan().model_dump_json(), encoding="utf-8")
    done = _cli("export", plan_file, "--to", "helm", "-o", tmp_path / "out")
    assert done.returncode == 2
    assert "trainium1" in done.stderr
    assert not (tmp_path / "out").exists()


def test_names_are_dns_labels_with_a_hash_where_shortened() -> None:
    long = "deepseek-r1-0528:h100-sxm:tp8:pp2:fp8-runpod-community-committed_3y-and-more"
    name = dns_label(long)
    assert len(name) <= 63
    assert name != dns_label(long + "x")
    assert dns_label("llama-3.1-8b:l4:tp1:pp1:fp8") == "llama-3-1-8b-l4-tp1-pp1-fp8"
    assert dns_label("3b:x")[0].isalpha()
    assert len(label_value("a" * 80)) == 63
    assert path_part("2027/01") != "2027/01"
    assert "/" not in path_part("../../etc")


def test_never_writes_outside_the_output_folder(tmp_path: Path) -> None:
    plan = cloud_plan()
    evil = plan.model_copy(
        update={
            "periods": tuple(
                p.model_copy(update={"period": f"../../escape{i}"}) for i, p in enumerate(plan.periods)
            )
        }
    )
    out = tmp_path / "deep" / "out"
    _export(evil, "kubernetes", out, period="all")
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert written
    assert all(out in p.parents for p in written)


def test_deployment_annotation_and_placements_per_provider(tmp_path: Path) -> None:
    files = _export(cloud_plan(), "kubernetes", tmp_path)
    providers = {p.parent.name for p in files}
    assert providers == {"aws", "gcp"}
    docs = [d for f in files for d in yaml.safe_load_all(f.read_text(encoding="utf-8"))]
    deployments = [d for d in docs if d["kind"] == "Deployment"]
    ids = {d["metadata"]["annotations"]["fleetplan.io/deployment"] for d in deployments}
    assert ids == {"llama-3.3-70b:h100-sxm:tp2:pp1:fp8", "llama-3.3-70b:h200:tp1:pp1:fp8"}
    assert sum(d["spec"]["replicas"] for d in deployments) == sum(
        d.replicas for d in cloud_plan().periods[0].deployments
    )
    spot = next(d for d in deployments if d["metadata"]["annotations"]["fleetplan.io/tier"] == "spot")
    pod = spot["spec"]["template"]["spec"]
    assert pod["nodeSelector"]["eks.amazonaws.com/capacityType"] == "SPOT"
    assert pod["nodeSelector"]["node.kubernetes.io/instance-type"] == "p5en.48xlarge"


def test_neuron_counts_neuroncores_and_tpu_selects_its_topology(tmp_path: Path) -> None:
    files = _export(tpu_neuron_plan(), "kubernetes", tmp_path, namespace="llm", image=None)
    docs = {f.parent.name: list(yaml.safe_load_all(f.read_text(encoding="utf-8"))) for f in files}
    neuron = docs["aws"][0]["spec"]["template"]["spec"]
    args = neuron["containers"][0]["args"]
    assert args[args.index("--tensor-parallel-size") + 1] == "4"  # 2 chips x 2 NeuronCores
    assert neuron["containers"][0]["resources"]["limits"] == {"aws.amazon.com/neuron": 2}
    tpu = docs["gcp"][0]["spec"]["template"]["spec"]
    assert tpu["nodeSelector"]["cloud.google.com/gke-tpu-topology"] == "2x2"
    assert tpu["nodeSelector"]["cloud.google.com/gke-tpu-accelerator"] == "tpu-v6e-slice"
    assert docs["gcp"][0]["metadata"]["namespace"] == "llm"


def test_image_and_token_options(tmp_path: Path) -> None:
    files = _export(
        cloud_plan(), "kubernetes", tmp_path, image="registry.example/vllm:v9", hf_token_secret=""
    )
    doc = next(yaml.safe_load_all(files[0].read_text(encoding="utf-8")))
    c = doc["spec"]["template"]["spec"]["containers"][0]
    assert c["image"] == "registry.example/vllm:v9"
    assert "env" not in c


def _csv_rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


@pytest.mark.parametrize("name", EXAMPLES)
def test_procurement_usd_sums_to_the_plans_accelerator_cost_to_the_cent(name: str, tmp_path: Path) -> None:
    plan = example_plan(name)
    _export(plan, "procurement", tmp_path, catalog_dirs=example_catalogs(name))
    rows = _csv_rows(tmp_path / "bom.csv")
    assert round(sum(float(r["usd"]) * 100 for r in rows)) == round(plan.cost_usd.accelerators * 100)
    assert sum(int(r["chips"]) for r in rows) == sum(a.chips for p in plan.periods for a in p.accelerators)
    for r in rows:
        assert int(r["instances"]) * int(r["chips_per_instance"]) >= int(r["chips"])


def test_procurement_warns_where_chips_do_not_fill_whole_instances(tmp_path: Path) -> None:
    _export(cloud_plan(), "procurement", tmp_path)
    rows = _csv_rows(tmp_path / "bom.csv")
    partial = next(r for r in rows if r["period"] == "2027-02" and r["accelerator"] == "h100-sxm")
    assert (partial["instances"], partial["chips_per_instance"], partial["instance_type"]) == (
        "2",
        "8",
        "p5.48xlarge",
    )
    assert float(partial["whole_instance_usd"]) == pytest.approx(16 * 6.88 * 730, abs=0.01)
    assert "6 of 2 x 8-chip instances unused" in partial["warning"]
    full = next(r for r in rows if r["period"] == "2027-01" and r["accelerator"] == "h100-sxm")
    assert (full["whole_instance_usd"], full["warning"]) == ("", "")


@pytest.mark.parametrize("name", EXAMPLES)
def test_routing_shares_sum_to_one_and_match_the_plan(name: str, tmp_path: Path) -> None:
    plan = example_plan(name)
    _export(plan, "routing", tmp_path, period="all", catalog_dirs=example_catalogs(name))
    rows = _csv_rows(tmp_path / "routing.csv")
    totals: dict[tuple[str, str], float] = {}
    for r in rows:
        totals[(r["period"], r["workload"])] = totals.get((r["period"], r["workload"]), 0.0) + float(
            r["share"]
        )
    assert totals
    assert all(t == pytest.approx(1.0, abs=1e-9) for t in totals.values())
    planned = sum(r.requests_per_s for p in plan.periods for r in p.routing)
    assert sum(float(r["requests_per_s"]) for r in rows) == pytest.approx(planned, rel=1e-9)


@pytest.mark.parametrize("fmt", ["csv", "yaml"])
def test_flat_tables_carry_each_cost_once(fmt: str, tmp_path: Path) -> None:
    plan = example_plan("chat-fleet")
    _export(plan, fmt, tmp_path)
    if fmt == "csv":
        tables = {p.stem: _csv_rows(p) for p in (tmp_path / "tables").glob("*.csv")}
    else:
        tables = yaml.safe_load((tmp_path / "tables.yaml").read_text(encoding="utf-8"))
    assert set(tables) == {"chips", "placements", "deployments", "routing", "workloads"}
    chips_usd = sum(float(r["usd"]) for r in tables["chips"])
    api_usd = sum(float(r["api_usd"]) for r in tables["routing"] if r["api_usd"] not in ("", None))
    assert chips_usd == pytest.approx(plan.cost_usd.accelerators, abs=0.01)
    assert api_usd == pytest.approx(plan.cost_usd.api, abs=0.01)
    for name, rows in tables.items():
        if name not in ("chips", "routing"):
            assert not any("usd" in k and "marginal" not in k for k in rows[0]), name
    assert sum(int(r["replicas"]) for r in tables["placements"]) == sum(
        d.replicas for p in plan.periods for d in p.deployments
    )


def test_a_plan_without_placements_is_placed_on_export(tmp_path: Path) -> None:
    plan = cloud_plan()
    old = plan.model_copy(
        update={"periods": tuple(p.model_copy(update={"placements": ()}) for p in plan.periods)}
    )
    _export(old, "kubernetes", tmp_path / "old")
    _export(plan, "kubernetes", tmp_path / "new")
    assert _tree(tmp_path / "old") == _tree(tmp_path / "new")


@pytest.mark.parametrize("name", EXAMPLES)
def test_a_fresh_solve_of_each_example_exports_in_every_format_and_reports(name: str, tmp_path: Path) -> None:
    from planner.placement import placement_problems

    plan = planner.solve(ROOT / "examples" / name).plan
    for p in plan.periods:
        assert placement_problems(p.period, p.accelerators, p.deployments, p.placements) == []
    for fmt in FORMATS:
        assert _export(plan, fmt, tmp_path / fmt, period="all", catalog_dirs=example_catalogs(name))
    assert planner.report(plan, tmp_path / "report.html").stat().st_size > 10_000


def test_the_readme_shows_an_exported_manifest_and_bom_as_written() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    manifest = next((GOLDEN / "self-host-vs-api" / "kubernetes").rglob("*.yaml")).read_text(encoding="utf-8")
    assert manifest.split("---\n")[0] in readme
    bom = (GOLDEN / "chat-fleet" / "procurement" / "bom.csv").read_text(encoding="utf-8").splitlines()
    assert "\n".join(bom[:5]) in readme
    assert "](docs/report.png)" in readme
    assert (ROOT / "docs" / "report.png").read_bytes()[:4] == b"\x89PNG"


def test_no_planner_submodule_shares_a_public_names_spelling() -> None:
    import importlib.util

    assert {"export", "report"} <= set(planner.__all__)
    clashes = [name for name in planner.__all__ if importlib.util.find_spec(f"planner.{name}") is not None]
    # a package may share a public name only when the package itself is that function
    # (planner.whatif: ``planner.whatif(...)`` runs a what-if, ``planner.whatif.changes`` imports)
    assert [name for name in clashes if not callable(importlib.import_module(f"planner.{name}"))] == []
    assert clashes == ["whatif"]
    assert callable(planner.export)
    assert callable(planner.report)


@pytest.mark.parametrize(
    ("option", "value"),
    [("namespace", "Inference_NS"), ("image", "vllm/vllm-openai"), ("hf_token_secret", "HF token")],
)
def test_options_kubernetes_would_reject_are_input_errors(option: str, value: str, tmp_path: Path) -> None:
    with pytest.raises(ExportError):
        _export(cloud_plan(), "kubernetes", tmp_path / "out", **{option: value})
    assert not (tmp_path / "out").exists()


def test_replicas_that_do_not_fit_one_providers_chips_are_exit_2(tmp_path: Path) -> None:
    from planner.placement import place_period

    plan = cloud_plan()
    p = plan.periods[0]
    # 8 H200 chips per line, but 9 single-chip replicas placed on the Spot line: one too many
    moved = tuple(
        pl.model_copy(update={"replicas": pl.replicas + 1})
        if pl.provider == "aws" and pl.accelerator == "h200"
        else pl.model_copy(update={"replicas": pl.replicas - 1})
        if pl.accelerator == "h200"
        else pl
        for pl in p.placements
    )
    assert place_period(p.period, p.accelerators, p.deployments)[1] == ()
    broken = plan.model_copy(
        update={"periods": (p.model_copy(update={"placements": moved}), *plan.periods[1:])}
    )
    with pytest.raises(ExportError, match="9 chips placed on h200/aws/spot, which has 8"):
        _export(broken, "kubernetes", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_an_output_that_is_a_file_is_exit_2(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.write_text("x", encoding="utf-8")
    with pytest.raises(ExportError, match="not a folder"):
        _export(cloud_plan(), "csv", target)
    assert target.read_text(encoding="utf-8") == "x"
