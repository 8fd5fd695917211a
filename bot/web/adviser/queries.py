"""Reads the console needs beyond ``bot.ledger.repo``; like repo functions they take the session first
and never commit (the view's transaction does)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from bot.ledger.tables import Adviser, AuditLog, Consultation, DutyRecord


def audit(db: Session, adviser: Adviser, action: str, target: str, ip: str | None, now: dt.datetime) -> None:
    """Record who looked at (or logged in to) what, for the bureau's audit."""
    db.add(AuditLog(actor=f"adviser:{adviser.phone}", action=action, target=target, ip=ip, created_at=now))


def month_consultations(db: Session, adviser_id: int, start: dt.datetime, end: dt.datetime) -> list[Consultation]:
    """Consultations the adviser answered in the month, or was responsible for when they came in."""
    return list(
        db.scalars(
            select(Consultation)
            .where(
                or_(
                    and_(
                        Consultation.answered_by_id == adviser_id,
                        Consultation.answered_at >= start,
                        Consultation.answered_at < end,
                    ),
                    and_(
                        Consultation.adviser_id == adviser_id,
                        Consultation.created_at >= start,
                        Consultation.created_at < end,
                    ),
                )
            )
            .order_by(Consultation.created_at, Consultation.id)
        )
    )


def recent_duty(db: Session, adviser_id: int, since: dt.datetime, limit: int = 20) -> list[DutyRecord]:
    """The adviser's latest duty records (on-site, talks, mediations), newest first."""
    return list(
        db.scalars(
            select(DutyRecord)
            .where(DutyRecord.adviser_id == adviser_id, DutyRecord.started_at >= since)
            .order_by(DutyRecord.started_at.desc(), DutyRecord.id.desc())
            .limit(limit)
        )
    )
