"""Browsing the ledger (工作台账) with filters, within a user's scope, one page at a time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields

from sqlalchemy import func, select
from sqlalchemy.orm import Session, lazyload

from bot.categories import category_label
from bot.clock import fmt_local
from bot.ledger import states
from bot.ledger.tables import Consultation, Village
from bot.privacy import mask_personal
from bot.stats.cube import route_condition
from bot.stats.periods import Period
from bot.stats.report import ROUTES
from bot.stats.scope import Scope

PAGE_SIZE = 50


@dataclass(frozen=True)
class LedgerFilter:
    village: str | None = None  # village code
    adviser_id: int | None = None
    category: str | None = None
    route: str | None = None  # bot | adviser | pending | escalated
    status: str | None = None
    overdue: bool = False
    alerts: bool = False

    def as_args(self) -> dict[str, str]:
        """The filter as query-string arguments (for links to other pages of the same list)."""
        result = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value not in (None, False, ""):
                result[f.name] = "1" if value is True else str(value)
        return result


NOT_COUNTED = "未计入统计（顾问判断为非法律问题）"


def route_label(c: Consultation) -> str:
    """The route shown for a record: chatter an adviser closed is listed (the bureau can check such
    closures) but is on no route of the statistics."""
    return NOT_COUNTED if c.status == states.NOT_LEGAL else ROUTES[route_of(c)]


def route_of(c: Consultation) -> str:
    """Which route of the partition a consultation is on (the same rule as the statistics)."""
    if c.status == states.BOT_ANSWERED:
        return "bot"
    if c.escalation_level > 0:
        return "escalated"
    return "adviser" if c.status == states.ADVISER_ANSWERED else "pending"


def browse(
    session: Session, scope: Scope, period: Period, wanted: LedgerFilter, now: dt.datetime, page: int = 1
) -> tuple[list[dict], int]:
    """One page of consultations (newest first) with masked text, and the number matching in all."""
    c = Consultation
    clauses = [c.created_at >= period.start, c.created_at < period.end]
    in_scope = scope.covers_village(c.village_id)
    if in_scope is not None:
        clauses.append(in_scope)
    if wanted.village:
        clauses.append(c.village_id.in_(select(Village.id).where(Village.code == wanted.village).scalar_subquery()))
    if wanted.adviser_id:
        clauses.append(c.adviser_id == wanted.adviser_id)
    if wanted.category:
        clauses.append(c.category.is_(None) if wanted.category == "none" else c.category == wanted.category)
    if wanted.route in ROUTES:
        clauses.append(route_condition(wanted.route))
    if wanted.status:
        clauses.append(c.status == wanted.status)
    if wanted.overdue:
        clauses.extend([c.status.in_(states.OPEN), c.deadline_at < now])
    if wanted.alerts:
        clauses.append(c.alert_kind.is_not(None))
    total = session.scalar(select(func.count()).select_from(c).where(*clauses)) or 0
    query = (
        select(c)
        .options(lazyload(c.messages), lazyload(c.events))
        .where(*clauses)
        .order_by(c.created_at.desc(), c.id.desc())
        .limit(PAGE_SIZE)
        .offset(max(0, page - 1) * PAGE_SIZE)
    )
    rows = [
        {
            "id": item.id,
            "created": fmt_local(item.created_at),
            "town": item.village.town.name if item.village else "",
            "village": item.village.name if item.village else "",
            "category": category_label(item.category),
            "route": route_label(item),
            "status": states.LABELS.get(item.status, item.status),
            "adviser": item.adviser.name if item.adviser else "",
            "overdue": item.status in states.OPEN and item.deadline_at is not None and item.deadline_at < now,
            "alert": states.ALERT_LABELS.get(item.alert_kind, item.alert_kind) if item.alert_kind else "",
            "question": _short(mask_personal(item.question)),
        }
        for item in session.scalars(query)
    ]
    return rows, total


def _short(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
