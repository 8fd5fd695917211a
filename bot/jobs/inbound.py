"""Messages whose processing failed: the worker processes them again and sends the reply.

The webhook answered such a message with an apology ("您的消息已保存，我们会尽快处理") and stored it
as failed (bot.pipeline). WeChat does not retry after that answer, so the worker does, once WeChat's own
retries are over: the same handlers run, and the reply goes out through the outbox after a line saying
that it comes late. A message stored but never processed (received) is taken the same way.

Only the private channels (the Official Account, the WeCom app) are retried: a stored row does not say
whether a bridge or WeCom-bot message came from a group, and a group message handled as a private one
could open a case nobody asked for. Those, and messages that failed MAX_ATTEMPTS times, stay failed and
are logged as errors for a person to look at; the message itself is never lost.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import bindparam, select, text

from bot import intake, pipeline, texts
from bot.context import Context
from bot.ledger import repo
from bot.ledger.tables import InboundMessage
from bot.messages import Incoming, Reply

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
RETRY_AFTER = dt.timedelta(seconds=30)  # WeChat's retries of one callback are over within 15 s
RETRY_WITHIN = dt.timedelta(hours=48)  # WeChat's service window: an older message cannot be answered by push
RETRIED_CHANNELS = ("official", "wecom")
BATCH = 20

_INBOUND = InboundMessage.__table__
_DUE = (
    select(_INBOUND)
    .where(
        text("status IN ('received', 'failed')"),  # the partial index's own condition (migration 0007)
        _INBOUND.c.received_at.between(bindparam("since"), bindparam("before")),
        _INBOUND.c.attempts < MAX_ATTEMPTS,
    )
    .order_by(_INBOUND.c.received_at)
    .limit(BATCH)
)
_COUNT_ATTEMPT = (
    _INBOUND.update()
    .where(_INBOUND.c.id == bindparam("inbound_id"), _INBOUND.c.attempts == bindparam("seen"))
    .values(attempts=_INBOUND.c.attempts + 1)
)


def retry_unfinished(services) -> int:
    """Process the due unfinished messages once more; returns how many were answered."""
    now = services.clock.now()
    with services.engine.connect() as conn:
        rows = conn.execute(_DUE, {"since": now - RETRY_WITHIN, "before": now - RETRY_AFTER}).all()
    answered = 0
    for row in rows:
        answered += _retry(services, row)
    return answered


def _retry(services, row) -> bool:
    with services.engine.begin() as conn:
        # Counted before the attempt, so an attempt that kills the worker counts too; another worker that
        # counted it first has taken it.
        if conn.execute(_COUNT_ATTEMPT, {"inbound_id": row.id, "seen": row.attempts}).rowcount != 1:
            return False
        if row.channel not in RETRIED_CHANNELS:
            # Never taken again: the attempts are used up at once, the message stays failed.
            conn.execute(_INBOUND.update().where(_INBOUND.c.id == row.id).values(attempts=MAX_ATTEMPTS))
    if row.channel not in RETRIED_CHANNELS:
        log.error("inbound %s (%s) failed; not retried on this channel, a person must read it", row.id, row.channel)
        return False
    incoming = Incoming.from_stored(row)
    if pipeline.process_late(services, incoming, row.id, row.received_at, _send_late_reply):
        log.info("inbound %s answered late by the worker (attempt %d)", row.id, row.attempts + 1)
        return True
    if row.attempts + 1 >= MAX_ATTEMPTS:
        log.error("inbound %s failed %d times; it stays stored as failed for a person to read", row.id, MAX_ATTEMPTS)
    return False


def retry_one(services, inbound_id: int) -> str:
    """An operator's retry of one unfinished message (``legalbot inbound retry``), whatever its age and
    attempts: "answered", or why not (Chinese, for the command's output)."""
    with services.engine.connect() as conn:
        row = conn.execute(select(_INBOUND).where(_INBOUND.c.id == inbound_id)).first()
    if row is None:
        return f"没有编号为 {inbound_id} 的消息"
    if row.status not in (intake.RECEIVED, intake.FAILED):
        return f"消息 #{inbound_id} 的状态是 {row.status}，不需要重试"
    if row.channel not in RETRIED_CHANNELS:
        return f"消息 #{inbound_id} 来自 {row.channel}，无法判断是否群消息，不能自动重试：请人工阅读后处理"
    with services.engine.begin() as conn:
        conn.execute(_INBOUND.update().where(_INBOUND.c.id == row.id).values(attempts=_INBOUND.c.attempts + 1))
    if pipeline.process_late(services, Incoming.from_stored(row), row.id, row.received_at, _send_late_reply):
        return "answered"
    with services.engine.connect() as conn:
        error = conn.execute(select(_INBOUND.c.error).where(_INBOUND.c.id == row.id)).scalar()
    return f"消息 #{inbound_id} 又失败了：{error}"


def _send_late_reply(ctx: Context, reply: Reply) -> None:
    """The reply the villager (or adviser) did not get, through the outbox: WeCom for the WeCom app."""
    if not reply.text:
        return
    kind = "wecom" if ctx.incoming.channel == "wecom" else "text"
    repo.enqueue(ctx.session, ctx.incoming.sender, texts.LATE_REPLY + reply.text, ctx.now, purpose="answer", kind=kind)
