"""Who is logged in to the console, until when, and the CSRF token every form posts back.

The signed session cookie holds the adviser id, the expiry (Unix seconds from the services clock, so tests
can freeze it) and a random per-session CSRF token. Nothing about the adviser is trusted beyond the id.
"""

from __future__ import annotations

import datetime as dt
import functools
import hmac
import secrets

from flask import abort, flash, g, redirect, render_template, request, session, url_for
from markupsafe import Markup
from sqlalchemy.orm import Session

from bot.advisers import ActionError, ensure_assigned
from bot.clock import fmt_local
from bot.ledger.tables import Adviser, Consultation
from bot.web import services
from bot.web.adviser import bp

ADVISER_KEY = "adviser_id"
EXPIRES_KEY = "adviser_expires"
CSRF_KEY = "csrf_token"
CSRF_FIELD = "csrf_token"


def start_session(adviser_id: int, now: dt.datetime, hours: float) -> None:
    """A fresh session after login (cleared first, so nothing from before the login survives)."""
    session.clear()
    session[ADVISER_KEY] = adviser_id
    session[EXPIRES_KEY] = (now + dt.timedelta(hours=hours)).timestamp()
    session[CSRF_KEY] = secrets.token_urlsafe(32)


def end_session() -> None:
    """Log out: forget the adviser and the token."""
    session.clear()


def logged_in_id(now: dt.datetime) -> int | None:
    """The adviser id while the session is unexpired, else None."""
    adviser_id, expires = session.get(ADVISER_KEY), session.get(EXPIRES_KEY)
    if not isinstance(adviser_id, int) or not isinstance(expires, int | float):
        return None
    return adviser_id if now.timestamp() < expires else None


def login_required(view):
    """Every console page needs an unexpired login; otherwise back to the login page."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        adviser_id = logged_in_id(services().clock.now())
        if adviser_id is None:
            if session.get(ADVISER_KEY) is not None:
                end_session()
                flash("登录已过期，请重新登录。", "error")
            return redirect(url_for("adviser.login_form"), 303)
        g.adviser_id = adviser_id
        return view(*args, **kwargs)

    return wrapped


def current_adviser(db: Session) -> Adviser:
    """The logged-in adviser, loaded in the view's transaction; gone from the roster → logged out."""
    adviser = db.get(Adviser, g.adviser_id)
    if adviser is None:
        end_session()
        flash("您的顾问账号已不在名册中，如有疑问请联系司法局。", "error")
        abort(redirect(url_for("adviser.login_form"), 303))
    return adviser


def csrf_token() -> str:
    """The per-session token put into every form (created on first use, e.g. on the login page)."""
    token = session.get(CSRF_KEY)
    if not token:
        token = session[CSRF_KEY] = secrets.token_urlsafe(32)
    return token


@bp.before_request
def check_csrf():
    """Every POST must carry the session's token (a page from another site cannot know it)."""
    if request.method != "POST":
        return None
    expected, sent = session.get(CSRF_KEY, ""), request.form.get(CSRF_FIELD, "")
    if not expected or not sent or not hmac.compare_digest(expected.encode(), sent.encode()):
        return render_template("adviser/error.html", title="页面已过期", message=CSRF_MESSAGE), 400
    return None


CSRF_MESSAGE = "这个页面已过期或不是从工作台打开的，没有提交。请返回工作台刷新后再试。"


def csrf_input() -> Markup:
    """The hidden field every console form includes."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, csrf_token())


@bp.context_processor
def template_helpers() -> dict:
    return {"csrf_input": csrf_input, "local": lambda value: fmt_local(value, "%m月%d日 %H:%M")}


# No script at all, nothing from elsewhere, never inside a frame (the buttons act on the ledger).
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


@bp.after_request
def protect(response):
    """Security headers; pages hold villagers' words, so browsers must not cache them or leak the URL."""
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(404)
def not_found(_error):
    """One answer for "no such consultation" and "not your village", so numbers reveal nothing."""
    message = "没有找到：编号可能不对，或者这条咨询不属于您服务的村。"
    return render_template("adviser/error.html", title="没有找到", message=message), 404


def assigned(db: Session, number: int, adviser: Adviser, lock: bool = False) -> Consultation:
    """The consultation if a village the adviser serves asked it; unknown and not-yours are both 404.

    ``lock`` takes a row lock (PostgreSQL) so two posts acting at once are applied one after the other.
    """
    consultation = db.get(Consultation, number, with_for_update={"of": Consultation} if lock else None)
    try:
        return ensure_assigned(consultation, adviser)
    except ActionError:
        abort(404)
