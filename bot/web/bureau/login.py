"""Staff login: username and password at /login, or the one-time link /login/code/<code> sent in WeChat.

The link shows a button; the code is redeemed by the POST behind it, so a link preview cannot use it up.
Codes issued for advisers are left alone (they belong to the adviser console).
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select

from bot.auth import hash_secret, redeem_login_code
from bot.bureau.audit import record_audit
from bot.bureau.users import authenticate
from bot.ledger.tables import LoginCode, User
from bot.web import services
from bot.web.bureau import bp
from bot.web.bureau.access import end_session, logged_in_user_id, start_session

BAD_LOGIN = "用户名或密码不对（连续输错 5 次将锁定 15 分钟）。忘记密码请联系县司法局管理员重设。"
BAD_CODE = "登录链接无效、已过期或已经用过。请在公众号里重新获取登录链接（15 分钟内有效）。"


def _safe_next(target: str | None) -> str:
    """Only a path on this site (no scheme, no //host) is followed after login."""
    if target and target.startswith("/bureau") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("bureau.dashboard")


@bp.get("/login")
def login_form():
    """The password form (straight on to the dashboard when already logged in)."""
    if logged_in_user_id(services().clock.now()) is not None:
        return redirect(_safe_next(request.args.get("next")), 303)
    return render_template("bureau/login.html", next=request.args.get("next", ""))


@bp.post("/login")
def login():
    """Check the password (Argon2id); failures are audited and count towards the lockout."""
    svc = services()
    now = svc.clock.now()
    username, password = request.form.get("username", "").strip(), request.form.get("password", "")
    with svc.sessions.begin() as db:
        user = authenticate(db, username, password, now, request.remote_addr) if username and password else None
        user_id = user.id if user else None
    if user_id is None:
        flash(BAD_LOGIN, "error")
        return render_template("bureau/login.html", next=request.form.get("next", ""), username=username), 401
    start_session(user_id, now)
    return redirect(_safe_next(request.form.get("next")), 303)


@bp.get("/login/code/<code>")
def login_link(code: str):
    """The link from WeChat: a page with one button."""
    return render_template("bureau/login_confirm.html", code=code)


@bp.post("/login/code/<code>")
def login_with_code(code: str):
    """Redeem a staff login code (single use, 15 minutes) and start an 8-hour session."""
    svc = services()
    now = svc.clock.now()
    user_id = None
    with svc.sessions.begin() as db:
        issued = db.scalar(select(LoginCode).where(LoginCode.code_hash == hash_secret(code.strip())))
        if issued is not None and issued.user_id is not None:
            redeemed = redeem_login_code(db, code, now)
            user = db.get(User, redeemed.user_id) if redeemed is not None else None
            if user is not None and user.active:
                user_id = user.id
                record_audit(db, f"user:{user.username}", "login", "wechat_link", now, ip=request.remote_addr)
    if user_id is None:
        flash(BAD_CODE, "error")
        return redirect(url_for("bureau.login_form"), 303)
    start_session(user_id, now)
    return redirect(url_for("bureau.dashboard"), 303)


@bp.post("/logout")
def logout():
    """Forget the session in this browser."""
    end_session()
    flash("已退出登录。", "info")
    return redirect(url_for("bureau.login_form"), 303)
