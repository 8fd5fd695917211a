"""Repository functions: take the session first, never commit (the use case owns the transaction)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam, insert, or_, select, update
from sqlalchemy.orm import Session, lazyload, make_transient_to_detached

from bot.fastsql import Prepared
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

_VILLAGER_BY_OPENID = select(Villager).where(Villager.openid == bindparam("openid"))


def villager_by_openid(session: Session, openid: str) -> Villager | None:
    return session.scalar(_VILLAGER_BY_OPENID, {"openid": openid})


def attach_loaded(session: Session, model: type, values: dict):
    """An object built from a row this session just read, attached as if the ORM had loaded it.

    Columns not in ``values`` are expired: the ORM loads them on first access. An object already in the
    session's identity map is returned as it is. The values go straight into the instance's dict, as the
    ORM's own loading does (the constructor's attribute events cost twice as much, bench/load.py).
    """
    mapper = model.__mapper__
    key = mapper.identity_key_from_primary_key([values[c.key] for c in mapper.primary_key])
    existing = session.identity_map.get(key)
    if existing is not None:
        return existing
    obj = mapper.class_manager.new_instance()
    obj.__dict__.update(values)
    make_transient_to_detached(obj)  # committed as they are; anything missing is expired
    session.add(obj)
    return obj


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


def open_window_since(session: Session, openid: str, at: dt.datetime) -> None:
    """The user wrote at ``at`` (a message processed late): the window opens then, unless it opened later."""
    window = session.get(ServiceWindow, openid)
    if window is None:
        session.add(ServiceWindow(openid=openid, opened_at=at, sent=0))
    elif window.opened_at < at:
        window.opened_at, window.sent = at, 0


def open_window(session: Session, openid: str, now: dt.datetime) -> None:
    """The user wrote to us: WeChat's customer-service window restarts (5 messages, 48 h)."""
    window = session.get(ServiceWindow, openid)
    if window is None:
        session.add(ServiceWindow(openid=openid, opened_at=now, sent=0))
    else:
        window.opened_at, window.sent = now, 0


# The ledger's rows are inserted with Core statements built once: every message writes a few of them, and
# the ORM's unit of work cost several times the statement itself (bench/load.py). They are not added to the
# session, so a relationship list already loaded in it (consultation.events) does not show them.
_INSERT_OUTBOX = Prepared(insert(OutboxMessage.__table__).returning(OutboxMessage.__table__.c.id))
_INSERT_EVENT = Prepared(insert(ConsultationEvent.__table__))
_INSERT_MESSAGE = Prepared(insert(ConsultationMessage.__table__))


def enqueue(
    session: Session,
    recipient: str,
    text: str,
    now: dt.datetime,
    consultation_id: int | None = None,
    purpose: str = "notice",
    status: str = "pending",
    kind: str = "text",
) -> int:
    """Queue a message in the outbox (the worker sends it); returns its id."""
    values = {
        "recipient": recipient,
        "kind": kind,
        "text": text,
        "status": status,
        "created_at": now,
        "next_attempt_at": now,
        "consultation_id": consultation_id,
        "purpose": purpose,
        "attempts": 0,
    }
    return _INSERT_OUTBOX.scalar(session, values)


def add_event(session: Session, consultation: Consultation, kind: str, now: dt.datetime, detail: str = "") -> None:
    values = {"consultation_id": consultation.id, "kind": kind, "detail": detail or None, "created_at": now}
    _INSERT_EVENT.execute(session, values)


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
    values = {
        "consultation_id": consultation.id,
        "author": author,
        "text": text,
        "msg_type": msg_type,
        "media_id": media_id,
        "inbound_id": inbound_id,
        "created_at": now,
    }
    _INSERT_MESSAGE.execute(session, values)


def record(
    session: Session, consultation: Consultation, now: dt.datetime, messages: list[dict], events: list[tuple[str, str]]
) -> None:
    """Several messages (dicts of add_message's arguments) and events (kind, detail): one statement each."""
    if messages:
        rows = [
            {"msg_type": "text", "media_id": None, "inbound_id": None, **m, "consultation_id": consultation.id}
            | {"created_at": now}
            for m in messages
        ]
        _INSERT_MESSAGE.execute_many(session, rows)
    if events:
        rows = [
            {"consultation_id": consultation.id, "kind": kind, "detail": detail or None, "created_at": now}
            for kind, detail in events
        ]
        _INSERT_EVENT.execute_many(session, rows)


def _first_consultation(session: Session, query, params: dict) -> Consultation | None:
    """The id with one plain statement first: mostly there is none, and loading one joins several tables."""
    found = query.scalar(session, params)
    if found is None:
        return None
    # The thread and the events are loaded only if a handler reads them (most never do).
    return session.get(Consultation, found, options=_WITHOUT_LISTS)


_CONSULTATIONS = Consultation.__table__.c
_WITHOUT_LISTS = (lazyload(Consultation.messages), lazyload(Consultation.events))
# OR of equalities rather than IN: an IN list is rendered per execution, which bot.fastsql leaves to SQLAlchemy.
_OPEN_CONSULTATION = Prepared(
    select(_CONSULTATIONS.id)
    .where(
        _CONSULTATIONS.villager_id == bindparam("villager_id"),
        or_(*(_CONSULTATIONS.status == status for status in states.OPEN)),
    )
    .order_by(_CONSULTATIONS.id.desc())
    .limit(1)
)
_RECENT_BOT_ANSWER = Prepared(
    select(_CONSULTATIONS.id)
    .where(
        _CONSULTATIONS.villager_id == bindparam("villager_id"),
        _CONSULTATIONS.status == states.BOT_ANSWERED,
        _CONSULTATIONS.created_at >= bindparam("since"),
    )
    .order_by(_CONSULTATIONS.id.desc())
    .limit(1)
)


def open_consultation(session: Session, villager_id: int) -> Consultation | None:
    """The villager's consultation still waiting for a person, if any (follow-ups join it)."""
    session.flush()  # a consultation opened earlier in this transaction counts
    return _first_consultation(session, _OPEN_CONSULTATION, {"villager_id": villager_id})


def recent_bot_answer(session: Session, villager_id: int, since: dt.datetime) -> Consultation | None:
    session.flush()
    return _first_consultation(session, _RECENT_BOT_ANSWER, {"villager_id": villager_id, "since": since})


def pending_for_adviser(session: Session, adviser_id: int) -> list[Consultation]:
    village_ids = [v.id for v in villages_of(session, adviser_id)]
    if not village_ids:
        return []
    return list(
        session.scalars(
            select(Consultation)
            .where(Consultation.village_id.in_(village_ids), Consultation.status.in_(states.OPEN))
            .order_by(Consultation.created_at, Consultation.id)
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
