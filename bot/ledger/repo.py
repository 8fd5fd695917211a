"""Repository functions: take the session first, never commit (the use case owns the transaction)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from bot.ledger import states
from bot.ledger.tables import (
    Adviser,
    Consultation,
    ConsultationEvent,
    ConsultationMessage,
    OutboxMessage,
    ServiceWindow,
    Village,
    Villager,
)


def villager_by_openid(session: Session, openid: str) -> Villager | None:
    return session.scalar(select(Villager).where(Villager.openid == openid))


def get_or_create_villager(session: Session, openid: str, pseudonym: str, now: dt.datetime) -> Villager:
    villager = villager_by_openid(session, openid)
    if villager is None:
        villager = Villager(openid=openid, pseudonym=pseudonym, created_at=now, subscribed=True)
        session.add(villager)
        session.flush()
    return villager


def adviser_by_openid(session: Session, openid: str) -> Adviser | None:
    return session.scalar(select(Adviser).where(Adviser.openid == openid))


def adviser_by_wecom(session: Session, userid: str) -> Adviser | None:
    return session.scalar(select(Adviser).where(Adviser.wecom_userid == userid))


def adviser_by_phone(session: Session, phone: str) -> Adviser | None:
    return session.scalar(select(Adviser).where(Adviser.phone == phone))


def villages_of(session: Session, adviser_id: int) -> list[Village]:
    return list(
        session.scalars(
            select(Village)
            .where(or_(Village.adviser_a_id == adviser_id, Village.adviser_b_id == adviser_id))
            .order_by(Village.code)
        )
    )


def village_by_code(session: Session, code: str) -> Village | None:
    return session.scalar(select(Village).where(Village.code == code))


def villages_named(session: Session, name: str) -> list[Village]:
    """Exact name first; otherwise villages whose name contains it (村民常省略"村"字)."""
    exact = list(session.scalars(select(Village).where(Village.name == name).order_by(Village.code)))
    if exact:
        return exact
    stem = name.removesuffix("村") or name
    return list(session.scalars(select(Village).where(Village.name.contains(stem)).order_by(Village.code)))


def open_window(session: Session, openid: str, now: dt.datetime) -> None:
    """The user wrote to us: WeChat's customer-service window restarts (5 messages, 48 h)."""
    window = session.get(ServiceWindow, openid)
    if window is None:
        session.add(ServiceWindow(openid=openid, opened_at=now, sent=0))
    else:
        window.opened_at, window.sent = now, 0


def enqueue(
    session: Session,
    recipient: str,
    text: str,
    now: dt.datetime,
    consultation_id: int | None = None,
    purpose: str = "notice",
    status: str = "pending",
    kind: str = "text",
) -> OutboxMessage:
    msg = OutboxMessage(
        recipient=recipient,
        kind=kind,
        text=text,
        status=status,
        created_at=now,
        next_attempt_at=now,
        consultation_id=consultation_id,
        purpose=purpose,
        attempts=0,
    )
    session.add(msg)
    return msg


def add_event(session: Session, consultation: Consultation, kind: str, now: dt.datetime, detail: str = "") -> None:
    session.add(ConsultationEvent(consultation_id=consultation.id, kind=kind, detail=detail or None, created_at=now))


def add_message(
    session: Session,
    consultation: Consultation,
    author: str,
    text: str | None,
    now: dt.datetime,
    msg_type: str = "text",
    media_id: str | None = None,
    inbound_id: int | None = None,
) -> None:
    session.add(
        ConsultationMessage(
            consultation_id=consultation.id,
            author=author,
            text=text,
            msg_type=msg_type,
            media_id=media_id,
            inbound_id=inbound_id,
            created_at=now,
        )
    )


def open_consultation(session: Session, villager_id: int) -> Consultation | None:
    """The villager's consultation still waiting for a person, if any (follow-ups join it)."""
    return session.scalar(
        select(Consultation)
        .where(Consultation.villager_id == villager_id, Consultation.status.in_(states.OPEN))
        .order_by(Consultation.id.desc())
        .limit(1)
    )


def recent_bot_answer(session: Session, villager_id: int, since: dt.datetime) -> Consultation | None:
    return session.scalar(
        select(Consultation)
        .where(
            Consultation.villager_id == villager_id,
            Consultation.status == states.BOT_ANSWERED,
            Consultation.created_at >= since,
        )
        .order_by(Consultation.id.desc())
        .limit(1)
    )


def pending_for_adviser(session: Session, adviser_id: int) -> list[Consultation]:
    village_ids = [v.id for v in villages_of(session, adviser_id)]
    if not village_ids:
        return []
    return list(
        session.scalars(
            select(Consultation)
            .where(Consultation.village_id.in_(village_ids), Consultation.status.in_(states.OPEN))
            .order_by(Consultation.created_at)
        )
    )


def take_held(session: Session, recipient: str, now: dt.datetime) -> list[OutboxMessage]:
    """Messages kept because WeChat's window was closed; they go out as this passive reply."""
    held = list(
        session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.recipient == recipient, OutboxMessage.status == "held")
            .order_by(OutboxMessage.id)
        )
    )
    for msg in held:
        msg.status, msg.sent_at = "sent_passive", now
    return held


def release_adviser_notices(session: Session, adviser: Adviser, now: dt.datetime) -> int:
    """Notices queued for an adviser before they bound WeChat now go to their openid."""
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.recipient == f"adviser:{adviser.phone}", OutboxMessage.status == "unbound")
        .values(recipient=adviser.openid, status="pending", next_attempt_at=now)
    )
    return result.rowcount or 0
