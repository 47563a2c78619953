"""plan report: a self-contained page, byte-identical reruns, opened in headless Chromium offline.

The browser test drives Debian's ``chromium`` (``/usr/bin/chromium``) through Playwright without
downloading a browser, blocks every request that is not a file, and asserts no console errors, no
failed requests, the expected charts and a non-blank screenshot. Where chromium is missing it skips
with the reason, except under ``CI=true`` (``.ci/run`` installs it), where it fails.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

import planner
from planner.html_report import render_report
from planner.planfile import read_plan
from tests.export_cases import EXAMPLES, ROOT, cloud_plan, example_plan

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
CHARTS = ["cost", "fleet", "utilization", "split", "shadow", "baselines"]
SCREENSHOT = os.environ.get("FLEETPLAN_REPORT_SCREENSHOT")  # set to refresh docs/report.png


def test_reruns_are_byte_identical(tmp_path: Path) -> None:
    plan_file = ROOT / "tests" / "data" / "exports" / "chat-fleet.plan.json"
    for name in ("a.html", "b.html"):
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                "from planner.cli import main; main()",
                "report",
                plan_file,
                "-o",
                tmp_path / name,
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        assert done.returncode == 0, done.stderr
    assert (tmp_path / "a.html").read_bytes() == (tmp_path / "b.html").read_bytes()
    assert (tmp_path / "a.html").read_text(encoding="utf-8") == render_report(read_plan(plan_file))


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_page_is_self_contained_and_templated(name: str, tmp_path: Path) -> None:
    path = planner.report(example_plan(name), tmp_path / "report.html")
    html = path.read_text(encoding="utf-8")
    assert "<script" not in html
    assert "<link" not in html
    assert "url(" not in html
    assert re.findall(r'(?:src|href)="([^"]+)"', html) == []
    assert set(re.findall(r"https?://[^\s\"'<>]+", html)) <= {"http://www.w3.org/2000/svg"}
    assert re.findall(r'data-chart="([a-z]+)"', html) == CHARTS
    for table in ("periods", "chips", "deployments", "placements", "workloads", "baselines"):
        assert f'id="table-{table}"' in html


def test_report_values_come_from_the_plan(tmp_path: Path) -> None:
    plan = example_plan("chat-fleet")
    html = render_report(plan)
    assert f"${plan.objective_usd:,.0f}" in html
    for d in plan.periods[-1].deployments:
        assert d.id in html
    bars = re.findall(r"<title>2027-12 API ([^:]+): \$([\d,.]+)</title>", html)
    api = {r.target: r.usd for r in plan.periods[-1].routing if r.kind == "api"}
    by_target: dict[str, float] = {}
    for target, usd in api.items():
        by_target[target] = by_target.get(target, 0.0) + usd
    assert {t: float(v.replace(",", "")) for t, v in bars} == pytest.approx(
        {t: round(v) for t, v in by_target.items()}, abs=1
    )


def test_a_report_that_is_not_html_is_exit_2(tmp_path: Path) -> None:
    plan_file = ROOT / "tests" / "data" / "exports" / "chat-fleet.plan.json"
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from planner.cli import main; main()",
            "report",
            plan_file,
            "-o",
            tmp_path / "r.pdf",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 2
    assert "HTML" in done.stderr
    assert not (tmp_path / "r.pdf").exists()


def _png_pixels(data: bytes) -> bytes:
    """The decompressed image data of a PNG (filter bytes included)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat = 8, b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        if kind == b"IDAT":
            idat += data[pos + 8 : pos + 8 + length]
        pos += 12 + length
    return zlib.decompress(idat)


def _chromium_or_skip() -> Path:
    if CHROMIUM.is_file() and shutil.which(str(CHROMIUM)):
        return CHROMIUM
    reason = f"Debian's chromium is not installed at {CHROMIUM} (apt-get install -y chromium)"
    if os.environ.get("CI") == "true":
        pytest.fail(reason + "; under CI=true the browser test must run")
    pytest.skip(reason)


@pytest.mark.parametrize("plan_name", ["chat-fleet", "cloud"])
def test_the_report_opens_in_headless_chromium_offline(plan_name: str, tmp_path: Path) -> None:
    chromium = _chromium_or_skip()
    from playwright.sync_api import Route, sync_playwright

    plan = cloud_plan() if plan_name == "cloud" else example_plan(plan_name)
    page_file = planner.report(plan, tmp_path / "report.html")
    errors: list[str] = []
    failed: list[str] = []
    blocked: list[str] = []

    def gate(route: Route) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1100})
            page.route("**/*", gate)
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("requestfailed", lambda r: failed.append(r.url))
            page.goto(page_file.resolve().as_uri(), wait_until="load")
            charts = page.eval_on_selector_all("figure[data-chart]", "els => els.map(e => e.dataset.chart)")
            bars = page.eval_on_selector_all(
                "figure[data-chart] svg",
                "els => els.map(s => [s.closest('figure').dataset.chart, "
                "s.querySelectorAll('rect.bar').length])",
            )
            visible = page.eval_on_selector_all(
                "rect.bar", "els => els.filter(r => r.getBoundingClientRect().width > 0).length"
            )
            shot = page.screenshot(full_page=False)
            if SCREENSHOT and plan_name == "chat-fleet":
                Path(SCREENSHOT).write_bytes(shot)
        finally:
            browser.close()
    assert errors == []
    assert failed == []
    assert blocked == []
    assert charts == CHARTS
    assert all(n > 0 for _, n in bars), bars
    assert {c for c, _ in bars} == set(CHARTS)
    assert visible >= 2 * len(CHARTS)
    pixels = _png_pixels(shot)
    assert len(set(pixels[::7])) > 40  # a blank page has a handful of byte values
