"""Login by the one-time link or code an adviser gets in WeChat (by sending "登录"), and logout.

The link only shows a confirmation button; the code is redeemed by the POST behind it, so a link checker
or preview fetching the URL cannot use up the code.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from bot.auth import redeem_login_code
from bot.ledger.tables import Adviser
from bot.web import services
from bot.web.adviser import bp
from bot.web.adviser.access import end_session, logged_in_id, start_session
from bot.web.adviser.queries import audit

INVALID_CODE = '登录码无效、已过期或已经用过。请在公众号里发送"登录"，获取新的登录链接（15分钟内有效）。'


@bp.get("/login")
def login_form():
    """The page where a code can be typed (or pasted together with the link)."""
    if logged_in_id(services().clock.now()) is not None:
        return redirect(url_for("adviser.pending"), 303)
    return render_template("adviser/login.html")


@bp.get("/login/<code>")
def login_link(code: str):
    """The link from WeChat: one tap on the button logs in."""
    return render_template("adviser/login_confirm.html", code=code)


@bp.post("/login")
def login():
    """Redeem the code (single use) and start a session of LEGALBOT_CONSOLE_SESSION_HOURS."""
    code = _code_from(request.form.get("code", ""))
    svc = services()
    now = svc.clock.now()
    adviser_id = None
    if code:
        with svc.sessions.begin() as db:
            redeemed = redeem_login_code(db, code, now)
            if redeemed is not None and redeemed.adviser_id is not None:
                adviser = db.get(Adviser, redeemed.adviser_id)
                adviser_id = adviser.id
                audit(db, adviser, "login", "console", request.remote_addr, now)
    if adviser_id is None:
        flash(INVALID_CODE, "error")
        return redirect(url_for("adviser.login_form"), 303)
    start_session(adviser_id, now, svc.settings.console_session_hours)
    return redirect(url_for("adviser.pending"), 303)


@bp.post("/logout")
def logout():
    """Forget the session on this phone."""
    end_session()
    flash("已退出工作台。", "info")
    return redirect(url_for("adviser.login_form"), 303)


def _code_from(typed: str) -> str:
    """Accept the bare code or the whole link pasted from WeChat."""
    typed = typed.strip()
    if "/adviser/login/" in typed:
        typed = typed.rsplit("/adviser/login/", 1)[1]
    return typed.split("?", 1)[0].strip().strip("/")
