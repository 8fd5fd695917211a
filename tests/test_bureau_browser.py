"""The dashboard in real headless Chromium (Debian's package): login, charts drawn by the vendored
Chart.js under the page's Content-Security-Policy, the ledger, a consultation and the printable volume.
Screenshots go to test-artifacts/ (the README shows the dashboard one)."""

from __future__ import annotations

import pytest

from tests.browser import browser_page, live_server, screenshot  # noqa: F401
from tests.stats_ledger import NOW, generate
from tests.test_bureau_support import PASSWORD, make_user

DESKTOP = {"width": 1366, "height": 900}


@pytest.fixture
def ledger(roster, clock):
    clock.at = NOW
    return generate(roster)


@pytest.fixture
def page(browser_page):  # noqa: F811
    """A desktop-sized page that remembers console errors and CSP violations."""
    browser_page.set_viewport_size(DESKTOP)
    browser_page.problems = []
    browser_page.on("console", lambda m: m.type == "error" and browser_page.problems.append(m.text))
    browser_page.on("pageerror", lambda e: browser_page.problems.append(str(e)))
    return browser_page


def log_in(page, base: str, username: str, target: str) -> None:
    page.goto(base + target)
    assert "/login" in page.url  # no data before login
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def test_bureau_dashboard_draws_its_charts(roster, ledger, live_server, page):  # noqa: F811
    make_user(roster, "bureau.zhang")
    log_in(page, live_server, "bureau.zhang", "/bureau/?week=2026-W47")
    page.wait_for_selector("body[data-charts=ready]")
    drawn = page.evaluate(
        """() => ['chart-trend', 'chart-villages', 'chart-towns', 'chart-histogram'].map(id => {
            const c = document.getElementById(id);
            return c.chart ? c.chart.data.datasets.reduce((n, d) => n + d.data.length, 0) : -1;
        })"""
    )
    assert all(n > 0 for n in drawn), drawn
    # the canvas really has pixels on it (not a blank box)
    inked = page.evaluate(
        """() => { const c = document.getElementById('chart-trend');
                   const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                   let n = 0; for (let i = 3; i < d.length; i += 4) { if (d[i] > 0) n++; } return n; }"""
    )
    assert inked > 1000
    assert "示范县" in page.inner_text(".scopebar") and page.inner_text("#total").strip().isdigit()
    assert page.problems == []
    screenshot(page, "bureau-dashboard")
    page.screenshot(path=str(screenshot(page, "bureau-dashboard").with_name("bureau-dashboard-top.png")))

    page.click("header nav >> text=台账")
    page.wait_for_selector("#ledger")
    page.goto(live_server + "/bureau/ledger?week=2026-W47")
    assert "139****5678" in page.inner_text("#ledger") and "13912345678" not in page.content()
    screenshot(page, "bureau-ledger")
    page.click("#ledger tbody tr:first-child a")
    page.wait_for_selector("dl.facts")
    assert "13912345678" in page.inner_text("main")
    page.goto(live_server + "/bureau/villages/370303001/volume?month=2026-11")
    page.emulate_media(media="print")
    assert page.is_hidden("header.top")  # the print view drops the navigation
    screenshot(page, "bureau-volume-print")
    assert page.problems == []


def test_town_office_dashboard_is_limited_to_its_town(roster, ledger, live_server, page):  # noqa: F811
    make_user(roster, "town.li", role="town", town="城关镇")
    log_in(page, live_server, "town.li", "/bureau/?week=2026-W47")
    page.wait_for_selector("body[data-charts=ready]")
    towns = page.evaluate("() => document.getElementById('chart-towns').chart.data.labels")
    assert towns == ["城关镇"]
    assert page.locator("select[name=town]").count() == 0
    screenshot(page, "bureau-town-dashboard")
    response = page.goto(live_server + "/bureau/?week=2026-W47&town=河口镇")
    assert response.status == 403 and "无权查看" in page.inner_text("main")
