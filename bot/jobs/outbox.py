"""Delivering the stored outbox with retries and backoff, within WeChat's customer-service window.

Window rule (https://developers.weixin.qq.com/doc/service/en/guide/product/kf/intro.html): after a user's
message we may send 5 messages within 48 hours. A message that cannot be sent is kept ("held") and goes
out as the passive reply to the user's next message. Claiming a row is a conditional UPDATE, so several
workers never send the same message twice while they are alive; a claim expires if a worker dies.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import and_, or_, select, update

from bot.delivery import DeliveryError, Gateway
from bot.ledger import repo
from bot.ledger.tables import Consultation, OutboxMessage, ServiceWindow

log = logging.getLogger(__name__)

WINDOW = dt.timedelta(hours=48)
WINDOW_QUOTA = 5
CLAIM_FOR = dt.timedelta(seconds=60)
MAX_ATTEMPTS = 8
HOLD_CODES = {45015, 45047}  # outside the window / over the quota: deliver on the next message instead
DROP_CODES = {40003, 43004, 48001, 40164}  # bad openid, unfollowed, not authorised, IP not whitelisted


def backoff(attempts: int) -> dt.timedelta:
    """5 s, 10 s, 20 s … capped at 30 minutes."""
    return dt.timedelta(seconds=min(5 * 2 ** max(attempts - 1, 0), 1800))


def due_ids(session, now: dt.datetime, limit: int) -> list[int]:
    return list(
        session.scalars(
            select(OutboxMessage.id)
            .where(
                or_(
                    and_(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now),
                    and_(OutboxMessage.status == "sending", OutboxMessage.claimed_until < now),
                )
            )
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
    )


def claim(session, msg_id: int, now: dt.datetime) -> bool:
    """Atomically take one row; only one worker's UPDATE can match it."""
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == msg_id,
            or_(
                and_(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now),
                and_(OutboxMessage.status == "sending", OutboxMessage.claimed_until < now),
            ),
        )
        .values(status="sending", claimed_until=now + CLAIM_FOR, attempts=OutboxMessage.attempts + 1)
    )
    return result.rowcount == 1


def window_open(session, recipient: str, now: dt.datetime) -> bool:
    window = session.get(ServiceWindow, recipient)
    return window is not None and now - window.opened_at <= WINDOW and window.sent < WINDOW_QUOTA


def deliver_due(services, gateway: Gateway, limit: int = 50) -> int:
    """Send what is due; returns how many messages were sent."""
    now = services.clock.now()
    with services.sessions() as session:
        ids = due_ids(session, now, limit)
    sent = 0
    for msg_id in ids:
        with services.sessions.begin() as session:
            if not claim(session, msg_id, now):
                continue
        sent += deliver_one(services, gateway, msg_id)
    return sent


def deliver_one(services, gateway: Gateway, msg_id: int) -> int:
    now = services.clock.now()
    with services.sessions.begin() as session:
        msg = session.get(OutboxMessage, msg_id)
        if not window_open(session, msg.recipient, now):
            msg.status, msg.last_error = "held", "outside the 48-hour window or over 5 messages"
            return 0
        recipient, text = msg.recipient, msg.text
    try:
        gateway.send_text(recipient, text)
    except DeliveryError as exc:
        record_failure(services, msg_id, exc)
        return 0
    with services.sessions.begin() as session:
        msg = session.get(OutboxMessage, msg_id)
        msg.status, msg.sent_at, msg.last_error, msg.claimed_until = "sent", now, None, None
        window = session.get(ServiceWindow, recipient)
        if window is not None:
            window.sent += 1
        if msg.purpose == "answer" and msg.consultation_id:
            consultation = session.get(Consultation, msg.consultation_id)
            consultation.delivered_at = now
            repo.add_event(session, consultation, "delivered", now, "customer-service message")
    return 1


def record_failure(services, msg_id: int, exc: DeliveryError) -> None:
    now = services.clock.now()
    with services.sessions.begin() as session:
        msg = session.get(OutboxMessage, msg_id)
        msg.last_error, msg.claimed_until = str(exc)[:500], None
        if exc.code in HOLD_CODES:
            msg.status = "held"
            if exc.code == 45047:
                window = session.get(ServiceWindow, msg.recipient)
                if window is not None:
                    window.sent = WINDOW_QUOTA
        elif exc.code in DROP_CODES or msg.attempts >= MAX_ATTEMPTS:
            msg.status = "failed"
            log.error("outbox %s failed for good: %s", msg_id, exc)
        else:
            msg.status, msg.next_attempt_at = "pending", now + backoff(msg.attempts)
            log.warning("outbox %s will be retried: %s", msg_id, exc)
