"""The simulator page in real headless Chromium: it signs and encrypts in the browser, the webhook answers."""

from __future__ import annotations

import pytest

from bot.app import create_app
from bot.clock import SystemClock
from tests.browser import browser_page, live_server, screenshot  # noqa: F401


@pytest.fixture
def clock():
    """The browser signs with the real time, so the server must use it too."""
    return SystemClock()


@pytest.fixture
def app(services, settings):
    services.settings = settings.with_overrides(simulator=True)
    return create_app(services=services, warm=False)


def test_villager_scans_asks_and_gets_an_answer(roster, live_server, browser_page):  # noqa: F811
    page = browser_page
    page.goto(live_server + "/simulator/")
    page.wait_for_selector("#village-qr option", state="attached")
    page.click("#scan")
    page.wait_for_selector("#villager-chat .msg.bot")
    assert "河东村" in page.inner_text("#villager-chat")
    page.fill("#villager-text", "离婚冷静期多久")
    page.click("#villager-form button[type=submit]")
    page.wait_for_function("document.querySelectorAll('#villager-chat .msg.bot').length >= 2")
    assert "第一千零七十七条" in page.inner_text("#villager-chat")
    screenshot(page, "simulator-villager")
