"""Shared steps for the adviser console tests: realistic consultations through the WeChat webhook, login
with a real one-time code, and posting forms with the session's CSRF token."""

from __future__ import annotations

from sqlalchemy import select

from bot.auth import issue_login_code
from bot.ledger import repo
from bot.ledger.tables import Consultation, Villager

PERSONAL = (
    "我家和邻居因为宅基地边界吵了好几年，他家新盖的墙占了我家一尺多地，村里调解也不管用，"
    "上个月他还把我家院里的树砍了，现在咋办"
)
WANG, LI, ZHANG = "13800000001", "13800000002", "13800000003"
CHENGGUAN_HEDONG, HEKOU_HEDONG = "370303001", "370304001"


def ask(wechat, services, openid: str, village_code: str, text: str = PERSONAL) -> Consultation:
    """A villager scans the village QR code and asks; returns the consultation the message created."""
    wechat.event(openid, "subscribe", f"qrscene_{village_code}")
    wechat.text(openid, text)
    with services.sessions() as session:
        villager = session.scalar(select(Villager).where(Villager.openid == openid))
        return session.scalar(
            select(Consultation).where(Consultation.villager_id == villager.id).order_by(Consultation.id.desc())
        )


def login_code(services, phone: str) -> str:
    """A fresh one-time code, as the WeChat "登录" command would issue it."""
    with services.sessions.begin() as session:
        adviser = repo.adviser_by_phone(session, phone)
        return issue_login_code(session, services.clock.now(), adviser_id=adviser.id)


def csrf(client) -> str:
    """The session's CSRF token (a console page must have been opened first)."""
    with client.session_transaction() as session:
        return session["csrf_token"]


def login(client, services, phone: str):
    """Log in through the typed-code form, exactly as an adviser would."""
    client.get("/adviser/login")
    resp = client.post("/adviser/login", data={"code": login_code(services, phone), "csrf_token": csrf(client)})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/adviser/"), resp.get_data(as_text=True)
    return resp


def post(client, url: str, follow: bool = False, **data: str):
    """POST a console form with the session's CSRF token."""
    return client.post(url, data={"csrf_token": csrf(client), **data}, follow_redirects=follow)


def reload(services, number: int) -> Consultation:
    with services.sessions() as session:
        return session.get(Consultation, number)
