"""The adviser console in real headless Chromium (390 px wide): log in by the WeChat link, open the
pending consultation, answer it through the form; the answer is relayed through the outbox."""

from __future__ import annotations

from tests.browser import browser_page, live_server, screenshot  # noqa: F401
from tests.helpers import outbox
from tests.test_console_support import CHENGGUAN_HEDONG, WANG, ask, login_code, reload

V = "oVillagerConsoleWeb001"
ANSWER = "您好，宅基地边界的争议先由村委会调解；调解不成，可以向乡镇人民政府申请处理。带上宅基地使用证和相关照片。"


def test_adviser_logs_in_by_link_and_answers_through_the_form(roster, wechat, clock, live_server, browser_page):  # noqa: F811
    page = browser_page
    case = ask(wechat, roster, V, CHENGGUAN_HEDONG)
    clock.advance(minutes=50)
    ask(wechat, roster, "oVillagerConsoleWeb002", CHENGGUAN_HEDONG, "邻居说要拿刀砍死我全家，我现在很害怕")

    page.goto(f"{live_server}/adviser/login/{login_code(roster, WANG)}")
    page.click("#enter")
    page.wait_for_selector(".card")
    assert "待答复" in page.inner_text("h1")
    assert page.locator(".card .num").all_inner_texts()[0] == f"#{case.id}"  # the longest waiting first
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    tap = page.locator(".card").first.bounding_box()
    assert tap["height"] >= 48
    screenshot(page, "console-pending")

    page.click(f"a[href$='/adviser/consultations/{case.id}']")
    page.wait_for_selector("#answer-text")
    assert "宅基地边界" in page.inner_text("#thread")
    screenshot(page, "console-consultation")

    page.fill("#answer-text", ANSWER)
    page.click("#send-answer")
    page.wait_for_selector(".flash")
    assert f"已把您对 #{case.id} 的答复转给村民" in page.inner_text(".flash")
    assert "发送补充答复" in page.inner_text("#answer")
    screenshot(page, "console-answered")

    [relay] = [m for m in outbox(roster, V) if m.purpose == "answer"]
    assert ANSWER in relay.text and relay.status == "pending"
    assert reload(roster, case.id).answered_by.name == "王明"

    page.click("nav.tabs >> text=待办")
    assert page.locator(".card").count() == 1  # only the alert is left
    page.click(".card")
    page.click("#acknowledge")
    assert "已确认" in page.inner_text(".flash") and "王明 已于" in page.inner_text("#alert")
    screenshot(page, "console-alert")


def test_adviser_checks_in_and_sees_the_month(roster, wechat, clock, live_server, browser_page):  # noqa: F811
    page = browser_page
    page.goto(f"{live_server}/adviser/login/{login_code(roster, WANG)}")
    page.click("#enter")
    page.click("nav.tabs >> text=驻点")
    page.select_option("#check-in-village", label="河东村（城关镇）")
    page.click("#check-in")
    assert "已签到：河东村（城关镇）" in page.inner_text(".flash")
    clock.advance(hours=3)
    page.reload()
    assert "已 3小时" in page.inner_text(".onsite")
    page.click("#check-out")
    assert "本次驻点3.0小时" in page.inner_text(".flash")
    page.check("input[value=talk]")
    page.fill("#activity-note", "讲民法典婚姻家庭编，到场村民30人")
    page.click("#record-activity")
    screenshot(page, "console-duty")
    page.click("nav.tabs >> text=台账")
    row = page.locator("table.duty tr", has_text="河东村（城关镇）")
    assert "3 / 8" in row.inner_text() and "不足" in row.inner_text()
    screenshot(page, "console-ledger")
