"""Adviser console: login by one-time link or code, session expiry, permissions, CSRF, the pending list
and the audited consultation page."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.app import create_app
from bot.auth import issue_login_code
from bot.clock import fmt_local
from bot.config import ConfigError, Settings
from bot.ledger import states
from bot.ledger.tables import AuditLog, LoginCode, User
from tests.helpers import outbox
from tests.test_console_support import (
    CHENGGUAN_HEDONG,
    HEKOU_HEDONG,
    PERSONAL,
    WANG,
    ZHANG,
    ask,
    csrf,
    login,
    login_code,
    post,
    reload,
)

V1, V2, V3 = "oVillagerConsole00001", "oVillagerConsole00002", "oVillagerConsole00003"


def logged_in_as(client) -> int | None:
    with client.session_transaction() as session:
        return session.get("adviser_id")


def test_login_link_shows_a_button_and_the_post_logs_in(client, roster):
    code = login_code(roster, WANG)
    page = client.get(f"/adviser/login/{code}")
    assert page.status_code == 200 and "进入工作台" in page.get_data(as_text=True)
    with roster.sessions() as session:
        assert session.scalar(select(LoginCode.used_at)) is None  # opening the link alone uses nothing
    resp = client.post("/adviser/login", data={"code": code, "csrf_token": csrf(client)})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/adviser/")
    assert logged_in_as(client) is not None
    home = client.get("/adviser/")
    assert home.status_code == 200 and "王明 律师" in home.get_data(as_text=True)
    with roster.sessions() as session:
        [entry] = session.scalars(select(AuditLog)).all()
    assert (entry.actor, entry.action, entry.target) == (f"adviser:{WANG}", "login", "console")


def test_typed_code_or_pasted_link_logs_in(client, roster, settings):
    client.get("/adviser/login")
    pasted = f"{settings.public_url}/adviser/login/{login_code(roster, WANG)}"
    resp = client.post("/adviser/login", data={"code": f"  {pasted}\n", "csrf_token": csrf(client)})
    assert resp.status_code == 303 and logged_in_as(client) is not None


@pytest.mark.parametrize("case", ["used", "expired", "unknown", "staff"])
def test_bad_codes_are_refused(client, roster, clock, case):
    code = login_code(roster, WANG)
    if case == "used":
        login(client, roster, WANG)  # another code works …
        client.post("/adviser/logout", data={"csrf_token": csrf(client)})
        client.get("/adviser/login")
        client.post("/adviser/login", data={"code": code, "csrf_token": csrf(client)})
        client.post("/adviser/logout", data={"csrf_token": csrf(client)})
    elif case == "expired":
        clock.advance(minutes=16)
    elif case == "unknown":
        code = "not-a-real-code-0123456789abcdef"
    else:
        with roster.sessions.begin() as session:
            user = User(username="clerk", display_name="县局 王科员", role="bureau", county="示范县")
            session.add(user)
            session.flush()
            code = issue_login_code(session, clock.now(), user_id=user.id)
    client.get("/adviser/login")
    resp = client.post("/adviser/login", data={"code": code, "csrf_token": csrf(client)}, follow_redirects=True)
    body = resp.get_data(as_text=True)
    assert "登录码无效、已过期或已经用过" in body
    assert logged_in_as(client) is None
    assert client.get("/adviser/").status_code == 303


def test_session_expires_after_the_configured_hours(client, roster, clock):
    login(client, roster, WANG)
    clock.advance(hours=7, minutes=59)
    assert client.get("/adviser/").status_code == 200
    clock.advance(minutes=2)
    resp = client.get("/adviser/")
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/adviser/login")
    assert "登录已过期" in client.get("/adviser/login").get_data(as_text=True)
    assert logged_in_as(client) is None


def test_session_hours_come_from_the_setting(client, roster, clock, services, settings):
    services.settings = settings.with_overrides(console_session_hours=0.5)
    login(client, roster, WANG)
    clock.advance(minutes=31)
    assert client.get("/adviser/duty").status_code == 303


@pytest.mark.parametrize(("raw", "hours"), [("", 8.0), ("12", 12.0), ("0.5", 0.5)])
def test_console_session_hours_setting(settings, raw, hours):
    env = {"LEGALBOT_DATABASE_URL": settings.database_url, "LEGALBOT_SECRET_KEY": "x"}
    assert Settings.from_env({**env, "LEGALBOT_CONSOLE_SESSION_HOURS": raw}).console_session_hours == hours


@pytest.mark.parametrize("raw", ["0", "-1", "eight"])
def test_bad_console_session_hours_fail_naming_the_variable(settings, raw):
    env = {"LEGALBOT_DATABASE_URL": settings.database_url, "LEGALBOT_SECRET_KEY": "x"}
    with pytest.raises(ConfigError, match="LEGALBOT_CONSOLE_SESSION_HOURS"):
        Settings.from_env({**env, "LEGALBOT_CONSOLE_SESSION_HOURS": raw})


def test_logout_ends_the_session(client, roster):
    login(client, roster, WANG)
    resp = post(client, "/adviser/logout")
    assert resp.status_code == 303 and logged_in_as(client) is None
    assert client.get("/adviser/ledger").status_code == 303


@pytest.mark.parametrize("path", ["/adviser/", "/adviser/consultations/1", "/adviser/ledger", "/adviser/duty"])
def test_every_page_needs_login(client, roster, path):
    resp = client.get(path)
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/adviser/login")


def test_actions_need_login_too(client, roster, wechat):
    case = ask(wechat, roster, V1, CHENGGUAN_HEDONG)
    client.get("/adviser/login")
    resp = post(client, f"/adviser/consultations/{case.id}/answer", answer="您好")
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/adviser/login")
    assert reload(roster, case.id).status == states.WAITING


def test_pending_list_oldest_first_with_deadline_overdue_and_masked_numbers(client, roster, wechat, clock):
    with_phone = "我电话13912345678，" + PERSONAL
    older = ask(wechat, roster, V1, CHENGGUAN_HEDONG, with_phone)
    clock.advance(hours=1)
    newer = ask(wechat, roster, V2, CHENGGUAN_HEDONG)
    other_village = ask(wechat, roster, V3, HEKOU_HEDONG)
    login(client, roster, WANG)
    body = client.get("/adviser/").get_data(as_text=True)
    assert f"#{other_village.id}" not in body  # 王明 does not serve 河口镇河东村
    assert body.index(f"#{older.id}") < body.index(f"#{newer.id}")
    assert "139****5678" in body and "13912345678" not in body
    assert "已等 <b>1小时</b>" in body and fmt_local(older.deadline_at, "%m月%d日 %H:%M") in body
    assert "已超时" not in body
    clock.advance(hours=5)  # Friday 16:00, past the 15:30 deadline (the 8-hour session still holds)
    body = client.get("/adviser/").get_data(as_text=True)
    assert "已超时" in body and 'class="card overdue"' in body


def test_consultation_page_shows_the_full_thread_and_is_audited(client, roster, wechat):
    case = ask(wechat, roster, V1, CHENGGUAN_HEDONG, "我电话13912345678，" + PERSONAL)
    wechat.image(V1)
    login(client, roster, WANG)
    body = client.get(f"/adviser/consultations/{case.id}").get_data(as_text=True)
    assert "13912345678" in body and "[图片]" in body and "转给顾问" in body
    assert "机器人没有把握回答" in body and "not confident" not in body  # the timeline speaks Chinese
    assert "发送答复" in body and "记为线下答复" in body and "转交给李芳" in body and "可作为常见问题" not in body
    with roster.sessions() as session:
        views = session.scalars(select(AuditLog).where(AuditLog.action == "view")).all()
    assert [(v.actor, v.target) for v in views] == [(f"adviser:{WANG}", f"consultation:{case.id}")]


def test_an_adviser_cannot_open_or_act_on_another_villages_consultation(client, roster, wechat):
    theirs = ask(wechat, roster, V1, CHENGGUAN_HEDONG)
    mine = ask(wechat, roster, V2, HEKOU_HEDONG)
    login(client, roster, ZHANG)
    home = client.get("/adviser/").get_data(as_text=True)
    assert f"#{mine.id}" in home and f"#{theirs.id}" not in home
    assert client.get(f"/adviser/consultations/{mine.id}").status_code == 200
    missing = client.get("/adviser/consultations/99999")
    refused = client.get(f"/adviser/consultations/{theirs.id}")
    assert refused.status_code == missing.status_code == 404
    assert refused.get_data() == missing.get_data()  # the answer does not tell "exists" from "not yours"
    forms = {
        "answer": {"answer": "您好"},
        "category": {"category": "land"},
        "hand-over": {},
        "offline": {"note": "已电话联系"},
        "acknowledge": {},
        "disposal": {"disposal": "已处置"},
        "faq": {},
    }
    for action, data in forms.items():
        assert post(client, f"/adviser/consultations/{theirs.id}/{action}", **data).status_code == 404, action
    after = reload(roster, theirs.id)
    assert (after.status, after.category, after.adviser.name) == (states.WAITING, theirs.category, "王明")
    assert [e.kind for e in after.events] == [e.kind for e in theirs.events]
    assert [m for m in outbox(roster, V1) if m.purpose == "answer"] == []
    with roster.sessions() as session:
        assert session.scalars(select(AuditLog).where(AuditLog.target == f"consultation:{theirs.id}")).all() == []


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_posts_without_the_sessions_csrf_token_are_rejected(client, roster, wechat, token):
    case = ask(wechat, roster, V1, CHENGGUAN_HEDONG)
    login(client, roster, WANG)
    data = {"answer": "您好，可以先申请调解。"}
    if token is not None:
        data["csrf_token"] = token
    resp = client.post(f"/adviser/consultations/{case.id}/answer", data=data)
    assert resp.status_code == 400 and "页面已过期" in resp.get_data(as_text=True)
    assert reload(roster, case.id).status == states.WAITING
    assert client.post("/adviser/logout", data={"csrf_token": "x"}).status_code == 400
    assert logged_in_as(client) is not None


def test_login_form_needs_the_csrf_token(client, roster):
    client.get("/adviser/login")
    resp = client.post("/adviser/login", data={"code": login_code(roster, WANG)})
    assert resp.status_code == 400 and logged_in_as(client) is None


def test_legal_aid_priority_is_badged_with_its_group(client, roster, wechat):
    elderly = "我今年七十多岁了，" + PERSONAL
    case = ask(wechat, roster, V1, CHENGGUAN_HEDONG, elderly)
    assert case.legal_aid_group == "elderly"
    login(client, roster, WANG)
    assert "法律援助优先·老年人" in client.get("/adviser/").get_data(as_text=True)
    assert "法律援助优先·老年人" in client.get(f"/adviser/consultations/{case.id}").get_data(as_text=True)


def test_pages_are_not_cached_framed_or_scripted(client, roster):
    login(client, roster, WANG)
    resp = client.get("/adviser/")
    assert resp.headers["Cache-Control"] == "no-store" and resp.headers["X-Frame-Options"] == "DENY"
    assert "script-src" not in resp.headers["Content-Security-Policy"]  # default-src 'none' forbids scripts
    assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["Referrer-Policy"] == "no-referrer"  # the login link carries the code


@pytest.mark.parametrize(
    ("public_url", "secure"), [("http://127.0.0.1:5000", False), ("https://fl.example.gov.cn", True)]
)
def test_session_cookie_is_http_only_same_site_and_secure_behind_https(roster, public_url, secure):
    roster.settings = roster.settings.with_overrides(public_url=public_url)
    client = create_app(services=roster, warm=False).test_client()
    page = client.get("/adviser/login", base_url=public_url)  # the login form puts a CSRF token in the session
    [cookie] = [h for h in page.headers.getlist("Set-Cookie") if h.startswith("legalbot_session=")]
    parts = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert "httponly" in parts and "samesite=lax" in parts
    assert ("secure" in parts) is secure
