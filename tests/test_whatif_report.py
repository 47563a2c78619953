"""``plan report A B``: the two-plan page is self-contained, reruns byte-identical, and opens offline."""

from __future__ import annotations

import re
from pathlib import Path

import planner
from planner.html_report import charts, render_comparison
from planner.planfile import read_plan
from tests.export_cases import DATA
from tests.test_report import CHROMIUM_ARGS, _chromium_or_skip

A, B = DATA / "chat-fleet.plan.json", DATA / "self-host-vs-api.plan.json"


def test_two_plan_page_is_self_contained_and_from_the_plans(tmp_path: Path) -> None:
    page = planner.report(A, tmp_path / "two.html", B)
    html = page.read_text(encoding="utf-8")
    assert html == render_comparison(
        read_plan(A), read_plan(B), ("chat-fleet.plan.json", "self-host-vs-api.plan.json")
    )
    assert "<script" not in html
    assert re.findall(r'(?:src|href)="([^"]+)"', html) == []
    a, b = read_plan(A), read_plan(B)
    shown = re.findall(r'data-chart="([a-z-]+)"', html)
    assert shown == [f"{side}-{c.id}" for c in charts(a) for side in ("a", "b")]
    assert f"-${a.objective_usd - b.objective_usd:,.0f}" in html
    for d in a.periods[-1].deployments:
        assert d.id in html


def test_two_plan_page_opens_in_headless_chromium_offline(tmp_path: Path) -> None:
    chromium = _chromium_or_skip()
    from playwright.sync_api import Route, sync_playwright

    page_file = planner.report(A, tmp_path / "two.html", B)
    errors: list[str] = []
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
            page.goto(page_file.resolve().as_uri(), wait_until="load")
            lefts = page.eval_on_selector_all(
                "#side-by-side figure", "els => els.map(e => Math.round(e.getBoundingClientRect().left))"
            )
            tables = page.eval_on_selector_all("table[id]", "els => els.map(e => e.id)")
        finally:
            browser.close()
    assert errors == []
    assert blocked == []
    assert len(set(lefts)) == 2  # two columns: each plan's chart next to the other's
    assert tables == ["table-totals", "table-split", "table-chips", "table-deployments", "table-workloads"]
