"""The audit log: who viewed or exported which ledger data, and every login."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.ledger.tables import AuditLog, User


def actor_of(user: User) -> str:
    """How a staff user is named in the audit log."""
    return f"user:{user.username}"


def record_audit(
    session: Session,
    actor: str,
    action: str,
    target: str,
    now: dt.datetime,
    *,
    detail: str | None = None,
    ip: str | None = None,
) -> None:
    """Append one entry (part of the caller's transaction, so it is kept only if the work is)."""
    session.add(
        AuditLog(actor=actor[:80], action=action[:32], target=target[:200], detail=detail, ip=ip, created_at=now)
    )


def recent_audit(session: Session, county: str, limit: int = 200) -> list[AuditLog]:
    """The latest entries by the county's users (what a bureau user may review)."""
    actors = select(User.username).where(User.county == county)
    names = [f"user:{name}" for name in session.scalars(actors)]
    if not names:
        return []
    return list(
        session.scalars(select(AuditLog).where(AuditLog.actor.in_(names)).order_by(AuditLog.id.desc()).limit(limit))
    )
