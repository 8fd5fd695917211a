"""Staff sessions: the signed session cookie holds the user id and an expiry (8 hours, from the services
clock so tests can freeze it); every page checks both and reloads the user, so a disabled account or a
moved town takes effect at once. Out-of-scope requests get 403, unknown places 404."""

from __future__ import annotations

import datetime as dt
import functools
import hmac
import secrets
from dataclasses import dataclass

from flask import abort, flash, g, redirect, render_template, request, session, url_for
from markupsafe import Markup
from sqlalchemy.orm import Session

from bot.bureau.access import AccessDenied, UnknownPlace
from bot.bureau.audit import actor_of, record_audit
from bot.bureau.users import ROLES
from bot.clock import fmt_local
from bot.ledger.tables import User
from bot.web import services
from bot.web.bureau import bp

USER_KEY = "staff_user_id"
EXPIRES_KEY = "staff_expires"
CSRF_KEY = "csrf_token"  # shared with the adviser console: one random token per browser session
SESSION_HOURS = 8
# Everything is served by the app itself (Chart.js is vendored): no CDN, no inline script.
CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'"


def start_session(user_id: int, now: dt.datetime) -> None:
    """A fresh session after login (cleared first: nothing from before the login survives)."""
    session.clear()
    session[USER_KEY] = user_id
    session[EXPIRES_KEY] = (now + dt.timedelta(hours=SESSION_HOURS)).timestamp()
    session[CSRF_KEY] = secrets.token_urlsafe(32)


def end_session() -> None:
    """Log out: forget the user and the token."""
    session.clear()


def logged_in_user_id(now: dt.datetime) -> int | None:
    """The staff user id while the session is unexpired, else None."""
    user_id, expires = session.get(USER_KEY), session.get(EXPIRES_KEY)
    if not isinstance(user_id, int) or not isinstance(expires, int | float):
        return None
    return user_id if now.timestamp() < expires else None


def login_required(view):
    """Dashboard pages need an unexpired staff login; otherwise to /login (and back after it)."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        user_id = logged_in_user_id(services().clock.now())
        if user_id is None:
            if session.get(USER_KEY) is not None:
                end_session()
                flash("登录已过期，请重新登录。", "error")
            return redirect(url_for("bureau.login_form", next=request.full_path.rstrip("?")), 303)
        g.user_id = user_id
        return view(*args, **kwargs)

    return wrapped


@dataclass(frozen=True)
class Staff:
    """What pages show about the logged-in user (kept apart from the ORM row, which dies with its session)."""

    username: str
    display_name: str
    role: str
    county: str
    town_name: str | None


def current_user(db: Session) -> User:
    """The logged-in user, loaded in the view's session; disabled or deleted → logged out."""
    user = db.get(User, g.user_id)
    if user is None or not user.active:
        end_session()
        flash("账号已停用，如有疑问请联系县司法局管理员。", "error")
        abort(redirect(url_for("bureau.login_form"), 303))
    g.staff = Staff(user.username, user.display_name, user.role, user.county, user.town.name if user.town else None)
    return user


def audit(db: Session, user: User, action: str, target: str, detail: str | None = None) -> None:
    """Record who viewed or exported what, from which address."""
    record_audit(db, actor_of(user), action, target, services().clock.now(), detail=detail, ip=request.remote_addr)


def csrf_token() -> str:
    """The per-session token every form posts back (created on first use)."""
    token = session.get(CSRF_KEY)
    if not token:
        token = session[CSRF_KEY] = secrets.token_urlsafe(32)
    return token


def csrf_input() -> Markup:
    """The hidden field every dashboard form includes."""
    return Markup('<input type="hidden" name="csrf_token" value="{}">').format(csrf_token())


@bp.before_request
def check_csrf():
    """Every POST must carry the session's token (a page from another site cannot know it)."""
    if request.method != "POST":
        return None
    expected, sent = session.get(CSRF_KEY, ""), request.form.get("csrf_token", "")
    if not expected or not sent or not hmac.compare_digest(expected.encode(), sent.encode()):
        message = "页面已过期或不是从本系统打开的，没有提交。请刷新页面后再试。"
        return render_template("bureau/error.html", title="页面已过期", message=message), 400
    return None


@bp.after_request
def security_headers(response):
    """CSP (nothing but this site's own files), no sniffing, no referrer, no caching of data pages."""
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    if request.endpoint != "static":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


@bp.errorhandler(AccessDenied)
def forbidden(error: AccessDenied):
    """Another town's or county's data: 403 with the reason."""
    return render_template("bureau/error.html", title="无权查看", message=str(error)), 403


@bp.errorhandler(UnknownPlace)
def unknown_place(error: UnknownPlace):
    """A town or village that does not exist: 404."""
    return render_template("bureau/error.html", title="没有找到", message=str(error)), 404


@bp.context_processor
def template_helpers() -> dict:
    """Names every dashboard template may use."""
    return {
        "csrf_input": csrf_input,
        "local": fmt_local,
        "roles": ROLES,
        "user": g.get("staff"),
        "pct": lambda v: "—" if v is None else f"{v * 100:.1f}%",
        "num": lambda v: "—" if v is None else f"{v:g}",
    }


@bp.errorhandler(400)
def bad_request(error):
    """A malformed period or form: 400 with what to write instead."""
    return render_template("bureau/error.html", title="请求有误", message=error.description), 400
