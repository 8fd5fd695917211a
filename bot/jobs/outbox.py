"""Delivering the stored outbox with retries and backoff, within WeChat's customer-service window.

Window rule (https://developers.weixin.qq.com/doc/service/en/guide/product/kf/intro.html): after a user's
message we may send 5 messages within 48 hours. A message that cannot be sent is kept ("held") and goes
out as the passive reply to the user's next message. Claiming a row is a conditional UPDATE, so several
workers never send the same message twice while they are alive; a claim expires if a worker dies.
"""

from __future__ import annotations

import datetime as dt
import json
import logging

from sqlalchemy import and_, or_, select, update

from bot.clock import fmt_local
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
NOTIFY_WHEN_HELD = {
    "answer": "您的法律咨询已有答复",
    "progress": "您的法律咨询有新进展",
    "adviser_notice": "有村民咨询等您答复",
    "office_notice": "有村民咨询需要协调",
    "alert_office": "有紧急事项请处理",
}


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


def hold(services, session, msg: OutboxMessage, now: dt.datetime, reason: str) -> None:
    """Keep the message for the recipient's next message, and tell them by template notice that it waits.

    Template notices carry no content (fields of 20 characters, https://developers.weixin.qq.com/doc/
    offiaccount/Message_Management/Template_Message_Interface.html): one per recipient per 12 hours.
    """
    msg.status, msg.last_error, msg.claimed_until = "held", reason, None
    template_id = services.settings.wechat_template_id
    if not template_id or msg.purpose not in NOTIFY_WHEN_HELD or ":" in msg.recipient:
        return  # bridge / WeCom-bot senders ("bridge:…") have no Official Account to notify
    recent = session.scalar(
        select(OutboxMessage.id)
        .where(
            OutboxMessage.recipient == msg.recipient,
            OutboxMessage.kind == "template",
            OutboxMessage.created_at >= now - dt.timedelta(hours=12),
        )
        .limit(1)
    )
    if recent is None:
        fields = {"thing1": NOTIFY_WHEN_HELD[msg.purpose], "time2": fmt_local(now)}
        repo.enqueue(
            session,
            msg.recipient,
            json.dumps(fields, ensure_ascii=False),
            now,
            msg.consultation_id,
            purpose="template_notice",
            kind="template",
        )


def deliver_due(services, gateway: Gateway, limit: int = 50) -> int:
    """Send what is due; returns how many messages were sent."""
    now = services.clock.now()
    with services.sessions() as session:
        ids = due_ids(session, now, limit)
    sent = 0
    for msg_id in ids:
        with services.sessions.begin() as session:
            # The time of this claim, not of the batch: a claim dated back by slow earlier sends could expire
            # while its send is still in flight and let another worker send the message again.
            if not claim(session, msg_id, services.clock.now()):
                continue
        sent += deliver_one(services, gateway, msg_id)
    return sent


def deliver_one(services, gateway: Gateway, msg_id: int) -> int:
    now = services.clock.now()
    with services.sessions.begin() as session:
        msg = session.get(OutboxMessage, msg_id)
        if msg.kind == "text" and not window_open(session, msg.recipient, now):
            hold(services, session, msg, now, "outside the 48-hour window or over 5 messages")
            return 0
        recipient, text, kind = msg.recipient, msg.text, msg.kind
    try:
        if kind == "template":
            gateway.send_template(recipient, services.settings.wechat_template_id, json.loads(text))
        elif kind == "wecom":
            gateway.send_wecom_text(recipient, text)
        else:
            gateway.send_text(recipient, text)
    except DeliveryError as exc:
        record_failure(services, msg_id, exc)
        return 0
    with services.sessions.begin() as session:
        msg = session.get(OutboxMessage, msg_id)
        msg.status, msg.sent_at, msg.last_error, msg.claimed_until = "sent", now, None, None
        window = session.get(ServiceWindow, recipient) if kind == "text" else None
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
        if exc.code in HOLD_CODES and msg.kind == "text":
            hold(services, session, msg, now, str(exc)[:500])
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
