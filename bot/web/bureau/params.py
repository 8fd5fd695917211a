"""Reading the period and scope a request asks for (shared by the dashboard and ``/api/stats``)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from flask import abort
from sqlalchemy.orm import Session

from bot.bureau.access import requested_scope
from bot.ledger.tables import User
from bot.stats.periods import Period, PeriodError, resolve_period
from bot.stats.scope import Scope

PERIOD_ARGS = ("week", "month", "quarter", "from", "to")


def period_from(args, now: dt.datetime) -> Period:
    """``week=2026-W47`` | ``month=2026-11`` | ``quarter=2026-Q4`` | ``from=…&to=…``; default this week.
    Raises PeriodError with a message saying the expected form."""
    return resolve_period(
        now,
        week=args.get("week") or None,
        month=args.get("month") or None,
        quarter=args.get("quarter") or None,
        start=args.get("from") or None,
        end=args.get("to") or None,
    )


def page_period(args, now: dt.datetime) -> Period:
    """The period for an HTML page; a malformed one is a 400 page that says how to write it."""
    try:
        return period_from(args, now)
    except PeriodError as exc:
        abort(400, description=str(exc))


def scope_from(db: Session, user: User, args) -> Scope:
    """The user's scope, narrowed to ``town=`` when given (another town → AccessDenied → 403)."""
    return requested_scope(db, user, (args.get("town") or "").strip() or None)


def period_args(period: Period) -> dict[str, str]:
    """Query arguments naming a period (for links)."""
    if period.kind == "custom":
        return {"from": period.first_day.isoformat(), "to": period.last_day.isoformat()}
    return {period.kind: period.label}


def attachment(filename: str) -> str:
    """Content-Disposition for a download with a Chinese file name (RFC 6266 / 5987)."""
    fallback = quote(filename.encode("ascii", "replace").decode().replace("?", "_"))
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
