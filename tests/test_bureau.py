"""The bureau dashboard and API: authentication everywhere, town scope (403 across towns), masking,
the audited full-text view, exports and the audit log."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.auth import hash_secret, issue_login_code
from bot.ledger import repo
from bot.ledger.tables import ApiToken, AuditLog, Consultation, Village
from bot.stats.periods import parse_month, parse_week
from bot.stats.report import build_stats
from bot.stats.scope import Scope
from tests.stats_ledger import NOW, SH, counted, generate
from tests.test_bureau_support import PASSWORD, csrf, logged_in, login, make_user, token_for

PAGES = [
    "/bureau/",
    "/bureau/ledger",
    "/bureau/consultations/1",
    "/bureau/villages/370303001/volume",
    "/bureau/villages/370303001/volume.xlsx",
    "/bureau/stats.xlsx",
    "/bureau/stats.csv",
    "/bureau/reports",
    "/bureau/audit",
    "/bureau/volume?village=370303001&month=2026-11",
]


@pytest.fixture
def ledger(roster, clock):
    clock.at = NOW
    return generate(roster)


def audit_entries(services, action: str | None = None) -> list[AuditLog]:
    with services.sessions() as session:
        query = select(AuditLog).order_by(AuditLog.id)
        if action:
            query = query.where(AuditLog.action == action)
        return list(session.scalars(query))


def first_consultation_in(services, town: str) -> Consultation:
    with services.sessions() as session:
        return session.scalar(
            select(Consultation).join(Village).where(Village.town.has(name=town)).order_by(Consultation.id).limit(1)
        )


@pytest.mark.parametrize("url", PAGES)
def test_every_page_needs_a_login(client, roster, url):
    resp = client.get(url)
    assert resp.status_code == 303 and "/login" in resp.headers["Location"]


def test_the_api_needs_a_valid_bearer_token(client, roster):
    assert client.get("/api/stats").status_code == 401
    assert client.get("/api/stats", headers={"Authorization": "Basic abc"}).status_code == 401
    resp = client.get("/api/stats", headers={"Authorization": "Bearer lbt_not-a-real-token"})
    assert resp.status_code == 401 and "令牌" in resp.json["error"]


def test_password_login_logout_and_session_expiry(client, roster, clock):
    make_user(roster, "bureau.zhang")
    assert login(client, "bureau.zhang", "wrong-password-1").status_code == 401
    resp = logged_in(client, "bureau.zhang")
    assert client.get("/bureau/").status_code == 200
    assert client.get("/login").status_code == 303  # already logged in
    clock.advance(hours=7, minutes=59)
    assert client.get("/bureau/").status_code == 200
    clock.advance(minutes=2)  # past 8 hours
    resp = client.get("/bureau/")
    assert resp.status_code == 303 and "/login" in resp.headers["Location"]
    logged_in(client, "bureau.zhang")
    client.post("/logout", data={"csrf_token": csrf(client)})
    assert client.get("/bureau/").status_code == 303
    actions = [(e.actor, e.action) for e in audit_entries(roster) if e.action.startswith("login")]
    assert actions == [
        ("user:bureau.zhang", "login_failed"),
        ("user:bureau.zhang", "login"),
        ("user:bureau.zhang", "login"),
    ]


def test_login_post_without_the_csrf_token_is_refused(client, roster):
    make_user(roster, "bureau.zhang")
    client.get("/login")
    resp = client.post("/login", data={"username": "bureau.zhang", "password": PASSWORD})
    assert resp.status_code == 400


def test_five_failures_lock_the_name_for_fifteen_minutes(client, roster, clock):
    make_user(roster, "bureau.zhang")
    for _ in range(5):
        assert login(client, "bureau.zhang", "not-the-password-9").status_code == 401
    assert login(client, "bureau.zhang").status_code == 401  # right password, but locked
    clock.advance(minutes=16)
    assert login(client, "bureau.zhang").status_code == 303


def test_one_time_wechat_link_logs_in_once(client, roster, clock):
    user_id = make_user(roster, "town.li", role="town", town="城关镇", password=None)
    with roster.sessions.begin() as session:
        code = issue_login_code(session, clock.now(), user_id=user_id)
    page = client.get(f"/login/code/{code}")
    assert page.status_code == 200 and "确认登录" in page.get_data(as_text=True)
    assert client.get("/bureau/").status_code == 303  # opening the link alone does not log in
    resp = client.post(f"/login/code/{code}", data={"csrf_token": csrf(client)})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/bureau/")
    assert client.get("/bureau/").status_code == 200
    client.post("/logout", data={"csrf_token": csrf(client)})
    client.get(f"/login/code/{code}")
    again = client.post(f"/login/code/{code}", data={"csrf_token": csrf(client)})
    assert again.status_code == 303 and "/login" in again.headers["Location"]
    assert client.get("/bureau/").status_code == 303


def test_an_adviser_code_does_not_open_the_dashboard_and_is_not_used_up(client, roster, clock):
    with roster.sessions.begin() as session:
        adviser = repo.adviser_by_phone(session, "13800000001")
        code = issue_login_code(session, clock.now(), adviser_id=adviser.id)
    client.get(f"/login/code/{code}")
    resp = client.post(f"/login/code/{code}", data={"csrf_token": csrf(client)})
    assert "/login" in resp.headers["Location"] and client.get("/bureau/").status_code == 303
    client.get("/adviser/login")
    resp = client.post("/adviser/login", data={"code": code, "csrf_token": csrf(client)})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/adviser/")


def test_a_town_office_sees_only_its_town(client, roster, ledger):
    make_user(roster, "town.li", role="town", town="城关镇")
    logged_in(client, "town.li")
    page = client.get("/bureau/?week=2026-W47").get_data(as_text=True)
    assert "城关镇" in page and "河口镇" not in page and "新安镇" not in page
    assert client.get("/bureau/?week=2026-W47&town=城关镇").status_code == 200
    for url in [
        "/bureau/?week=2026-W47&town=河口镇",
        "/bureau/ledger?town=河口镇",
        "/bureau/ledger?village=370304001",
        f"/bureau/consultations/{first_consultation_in(roster, '河口镇').id}",
        "/bureau/villages/370304001/volume?month=2026-11",
        "/bureau/villages/370304001/volume.xlsx?month=2026-11",
        "/bureau/stats.xlsx?week=2026-W47&town=河口镇",
        "/bureau/audit",
    ]:
        assert client.get(url).status_code == 403, url
    assert client.get(f"/bureau/consultations/{first_consultation_in(roster, '城关镇').id}").status_code == 200
    assert client.get("/bureau/villages/370303002/volume?month=2026-11").status_code == 200
    ledger_page = client.get("/bureau/ledger?month=2026-11").get_data(as_text=True)
    assert "河口镇" not in ledger_page.split('id="ledger"')[1].split("</table>")[0]


def test_the_api_honours_the_town_scope(client, roster, ledger):
    make_user(roster, "town.li", role="town", town="城关镇")
    token = token_for(roster, "town.li")
    auth = {"Authorization": f"Bearer {token}"}
    own = client.get("/api/stats?week=2026-W47", headers=auth)
    assert own.status_code == 200 and [t["town"] for t in own.json["by_town"]] == ["城关镇"]
    assert client.get("/api/stats?week=2026-W47&town=河口镇", headers=auth).status_code == 403
    assert client.get("/api/stats?week=2026-W47&town=东关镇", headers=auth).status_code == 403
    assert client.get("/api/stats?week=2026-W47&town=没有这个镇", headers=auth).status_code == 404
    assert client.get("/api/stats?week=47", headers=auth).status_code == 400
    denied = audit_entries(roster, "denied")
    assert [(e.actor, e.target) for e in denied] == [("user:town.li", "stats:河口镇"), ("user:town.li", "stats:东关镇")]


def test_a_bureau_user_sees_its_county_not_another(client, roster, ledger):
    make_user(roster, "bureau.zhang")
    token = token_for(roster, "bureau.zhang")
    auth = {"Authorization": f"Bearer {token}"}
    data = client.get("/api/stats?week=2026-W47", headers=auth).json
    assert {t["town"] for t in data["by_town"]} == {"城关镇", "河口镇", "新安镇"}
    assert client.get("/api/stats?week=2026-W47&town=河口镇", headers=auth).json["scope"]["town"] == "河口镇"
    assert client.get("/api/stats?week=2026-W47&town=东关镇", headers=auth).status_code == 403
    logged_in(client, "bureau.zhang")
    assert client.get(f"/bureau/consultations/{first_consultation_in(roster, '东关镇').id}").status_code == 403
    assert client.get("/bureau/villages/371101001/volume").status_code == 403


def test_api_json_has_the_public_keys_and_the_numbers(client, roster, ledger):
    make_user(roster, "bureau.zhang")
    token = token_for(roster, "bureau.zhang")
    data = client.get("/api/stats?week=2026-W47", headers={"Authorization": f"Bearer {token}"}).json
    assert {"total", "by_category", "by_village", "by_town", "by_adviser", "by_route"} <= set(data)
    period = parse_week("2026-W47")
    expected = sum(
        1
        for r in ledger.records
        if period.first_day <= r["created_at"].astimezone(SH).date() <= period.last_day
        and ledger.town_county[ledger.village_town[r["village_id"]]] == "示范县"
        and counted(r)
    )
    assert data["total"] == expected
    month = client.get("/api/stats?month=2026-11", headers={"Authorization": f"Bearer {token}"}).json
    assert month["period"] == {
        "kind": "month",
        "label": "2026-11",
        "first_day": "2026-11-01",
        "last_day": "2026-11-30",
        "timezone": "Asia/Shanghai",
    }
    custom = client.get("/api/stats?from=2026-11-16&to=2026-11-22", headers={"Authorization": f"Bearer {token}"})
    assert custom.json["total"] == data["total"]
    with roster.sessions() as session:
        stored = session.scalar(select(ApiToken))
        assert stored.token_hash == hash_secret(token) and token not in stored.token_hash
        assert stored.last_used_at is not None


def test_lists_mask_personal_numbers_and_the_full_view_is_audited(client, roster, ledger):
    make_user(roster, "bureau.zhang")
    logged_in(client, "bureau.zhang")
    listing = client.get("/bureau/ledger?week=2026-W47").get_data(as_text=True)
    assert "139****5678" in listing and "13912345678" not in listing
    number = first_consultation_in(roster, "城关镇").id
    full = client.get(f"/bureau/consultations/{number}").get_data(as_text=True)
    assert "13912345678" in full and "审计日志" in full
    views = [(e.actor, e.target) for e in audit_entries(roster, "view")]
    assert ("user:bureau.zhang", f"consultation:{number}") in views
    assert ("user:bureau.zhang", "ledger:2026-W47:示范县") in views


def test_ledger_filters(client, roster, ledger):
    make_user(roster, "bureau.zhang")
    logged_in(client, "bureau.zhang")
    period = parse_month("2026-11")
    in_month = [
        r
        for r in ledger.records
        if period.first_day <= r["created_at"].astimezone(SH).date() <= period.last_day
        and ledger.village_code[r["village_id"]] == "370303001"
    ]
    page = client.get("/bureau/ledger?month=2026-11&village=370303001").get_data(as_text=True)
    assert f"共 {len(in_month)} 件" in page
    pending = [r for r in in_month if r["status"] in ("waiting_adviser", "alert") and r["escalation_level"] == 0]
    page = client.get("/bureau/ledger?month=2026-11&village=370303001&route=pending").get_data(as_text=True)
    assert f"共 {len(pending)} 件" in page


def test_stats_xlsx_and_csv_downloads(client, roster, ledger):
    make_user(roster, "bureau.zhang")
    logged_in(client, "bureau.zhang")
    resp = client.get("/bureau/stats.xlsx?week=2026-W47")
    assert resp.status_code == 200 and "filename*=UTF-8''" in resp.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(resp.data))
    assert book.sheetnames == [
        "总览",
        "按办理方式",
        "按县",
        "按镇",
        "按村",
        "按顾问",
        "按类别",
        "预警",
        "法律援助",
        "驻点时长",
    ]
    with roster.sessions() as session:
        stats = build_stats(session, parse_week("2026-W47"), Scope("示范县"), roster.settings, NOW)
    villages = book["按村"]
    assert [c.value for c in villages[2]][:6] == ["镇", "村代码", "村名", "负责顾问", "咨询量", "机器人答复"]
    assert {row[1]: row[4] for row in villages.iter_rows(min_row=3, values_only=True)} == {
        v["village_code"]: v["total"] for v in stats["by_village"]
    }
    assert book["总览"]["B3"].value == stats["total"]
    text = client.get("/bureau/stats.csv?week=2026-W47").data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0].startswith("法律咨询统计 示范县")
    assert ["【按类别】"] in rows and ["【按顾问】"] in rows
    exports = [e.target for e in audit_entries(roster, "export")]
    assert exports == ["stats:2026-W47:示范县", "stats:2026-W47:示范县"]


def test_village_volume_print_page_and_xlsx(client, roster, ledger):
    make_user(roster, "bureau.zhang")
    logged_in(client, "bureau.zhang")
    period = parse_month("2026-11")
    expected = [
        r
        for r in ledger.records
        if ledger.village_code[r["village_id"]] == "370303001"
        and period.first_day <= r["created_at"].astimezone(SH).date() <= period.last_day
        and counted(r)
    ]
    page = client.get("/bureau/villages/370303001/volume?month=2026-11").get_data(as_text=True)
    assert "示范县城关镇河东村 法律咨询台账（一村一卷） 2026年11月" in page
    assert f"共 {len(expected)} 件" in page and "13912345678" not in page
    book = load_workbook(io.BytesIO(client.get("/bureau/villages/370303001/volume.xlsx?month=2026-11").data))
    sheet = book.active
    assert sheet.max_row - 2 == len(expected)
    assert (
        client.get("/bureau/volume?village=370303001&month=2026-11&as=xlsx")
        .headers["Location"]
        .endswith("/bureau/villages/370303001/volume.xlsx?month=2026-11")
    )
    assert [e.target for e in audit_entries(roster, "export")] == ["volume:370303001:2026-11"] * 2


def test_dashboard_shows_the_numbers_and_the_lists_that_need_action(client, roster, ledger):
    make_user(roster, "bureau.zhang")
    logged_in(client, "bureau.zhang")
    page = client.get("/bureau/?week=2026-W47").get_data(as_text=True)
    with roster.sessions() as session:
        stats = build_stats(session, parse_week("2026-W47"), Scope("示范县"), roster.settings, NOW)
    assert f'<span class="value" id="total">{stats["total"]}</span>' in page
    assert 'id="overdue"' in page and 'id="alerts"' in page and 'id="onsite"' in page
    data = json.loads(page.split('id="dashboard-data">')[1].split("</script>")[0])
    assert data["trend"]["weeks"][-1] == "2026-W47" and len(data["trend"]["weeks"]) == 12
    week47 = {s["category"]: s["counts"][-1] for s in data["trend"]["series"]}
    assert week47 == {c["category"]: c["total"] for c in stats["by_category"] if c["total"]}
    drawn = {
        (week, s["category"]): n
        for s in data["trend"]["series"]
        for week, n in zip(data["trend"]["weeks"], s["counts"], strict=True)
        if n
    }
    trend = Counter(
        (f"2026-W{r['created_at'].astimezone(SH).isocalendar()[1]:02d}", r["category"])
        for r in ledger.records
        if ledger.town_county[ledger.village_town[r["village_id"]]] == "示范县"
        and r["created_at"].astimezone(SH).isocalendar()[1] <= 47
        and counted(r)
    )
    assert drawn == dict(trend)  # every week of the trend, the Monday 00:00 edges included
    assert "https://" not in page.split("<body>")[1]  # nothing from a CDN
    resp = client.get("/bureau/?week=2026-W47")
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
    script = client.get("/static/vendor/chartjs/chart.umd.min.js")
    assert script.status_code == 200 and b"Chart.js v4" in script.data
    script.close()


def test_audit_page_lists_who_did_what(client, roster, ledger):
    make_user(roster, "bureau.zhang")
    make_user(roster, "town.li", role="town", town="城关镇")
    logged_in(client, "town.li")
    client.get(f"/bureau/consultations/{first_consultation_in(roster, '城关镇').id}")
    client.post("/logout", data={"csrf_token": csrf(client)})
    logged_in(client, "bureau.zhang")
    page = client.get("/bureau/audit").get_data(as_text=True)
    assert "user:town.li" in page and "consultation:" in page and "查看" in page
