"""One inbound message, end to end: store it, claim it once, dispatch, record, render the reply.

The inbound row is written in its own transaction before anything else, so nothing is lost; its unique
dedupe key makes WeChat's retries (and the same retry reaching several gunicorn workers) harmless: they
get the stored reply bytes and change nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from bot import ratelimit, texts
from bot.channels.wechat_xml import MAX_REPLY_BYTES
from bot.context import Context
from bot.handlers import dispatch
from bot.ledger import repo
from bot.ledger.tables import Consultation, InboundMessage
from bot.messages import Incoming, Reply

log = logging.getLogger(__name__)

Render = Callable[[Reply], bytes]
RETRY_WAIT_SECONDS = 4.0  # WeChat gives up after 5 s; answer a concurrent retry before that.
# Channels we cannot push through (no customer-service API): answers wait for the sender's next message.
NO_PUSH_CHANNELS = ("bridge", "wecom_bot")


def handle(services, incoming: Incoming, render: Render) -> bytes:
    """Process one message exactly once and return the bytes to answer with."""
    inbound_id = store_inbound(services, incoming)
    if inbound_id is None:
        return replay(services, incoming, render)
    limited = ratelimit.refuse_if_flooding(services, incoming, inbound_id, render)  # stored, not processed
    if limited is not None:
        return limited
    return process(services, incoming, inbound_id, render)


def store_inbound(services, incoming: Incoming) -> int | None:
    """Insert the inbound row; None when the dedupe key exists already (a retry)."""
    try:
        with services.sessions.begin() as session:
            row = InboundMessage(
                channel=incoming.channel,
                dedupe_key=incoming.dedupe_key,
                sender=incoming.sender,
                msg_type=incoming.raw_type or incoming.msg_type,
                text=incoming.text or None,
                media_id=incoming.media_id,
                event=incoming.event,
                event_key=incoming.event_key,
                sent_at=incoming.sent_at,
                received_at=services.clock.now(),
                status="processing",
            )
            session.add(row)
            session.flush()
            return row.id
    except IntegrityError:
        return None


def replay(services, incoming: Incoming, render: Render) -> bytes:
    """A retry: wait for the first attempt's stored reply; retake a message whose first attempt failed."""
    deadline = time.monotonic() + RETRY_WAIT_SECONDS
    while True:
        with services.sessions() as session:
            row = session.query(InboundMessage).filter_by(dedupe_key=incoming.dedupe_key).one()
            status, body, row_id = row.status, row.response_body, row.id
        if status in ("done", ratelimit.LIMITED) and body is not None:
            return body
        if status == "failed" and _reclaim(services, row_id):
            log.info("retrying inbound %s after an earlier failure", row_id)
            return process(services, incoming, row_id, render)
        if time.monotonic() > deadline:
            return body if body is not None else b"success"
        time.sleep(0.05)


def _reclaim(services, row_id: int) -> bool:
    with services.sessions.begin() as session:
        result = session.execute(
            update(InboundMessage)
            .where(InboundMessage.id == row_id, InboundMessage.status == "failed")
            .values(status="processing")
        )
        return result.rowcount == 1


def process(services, incoming: Incoming, inbound_id: int, render: Render) -> bytes:
    """Dispatch in one transaction; on any error roll back, keep the message, answer a fixed apology."""
    try:
        with services.sessions.begin() as session:
            now = services.clock.now()
            ctx = build_context(services, session, incoming, inbound_id, now)
            reply = dispatch(incoming, ctx)
            reply = with_held_messages(ctx, reply)
            body = render(reply)
            row = session.get(InboundMessage, inbound_id)
            row.status, row.response_body, row.error = "done", body, None
        return body
    except Exception as exc:
        log.exception("inbound %s (%s) failed; kept for retry", inbound_id, incoming.dedupe_key)
        body = render(Reply(texts.SORRY))
        with services.sessions.begin() as session:
            row = session.get(InboundMessage, inbound_id)
            row.status, row.response_body, row.error = "failed", body, f"{type(exc).__name__}: {exc}"[:2000]
        return body


def build_context(services, session, incoming: Incoming, inbound_id: int, now) -> Context:
    ctx = Context(session=session, services=services, incoming=incoming, inbound_id=inbound_id, now=now)
    if incoming.channel == "wecom":
        # WeCom members are identified by their userid; only advisers use the WeCom app.
        ctx.adviser = repo.adviser_by_wecom(session, incoming.sender)
        return ctx
    ctx.adviser = repo.adviser_by_openid(session, incoming.sender)
    if ctx.adviser is None:
        ctx.villager = repo.get_or_create_villager(session, incoming.sender, services.pseudonym(incoming.sender), now)
    if not incoming.is_event and incoming.channel not in NO_PUSH_CHANNELS:
        repo.open_window(session, incoming.sender, now)
    return ctx


def with_held_messages(ctx: Context, reply: Reply) -> Reply:
    """Answers WeChat would not let us push (window closed) ride on this passive reply.

    What does not fit in one reply goes back to the outbox: the user just wrote, so the window is open.
    """
    if ctx.incoming.is_event or ctx.incoming.chat_type == "group":
        return reply  # never post someone's answer into a group chat
    held = repo.take_held(ctx.session, ctx.incoming.sender, ctx.now)
    if not held:
        return reply
    parts: list[str] = []
    budget = MAX_REPLY_BYTES - len(texts.HELD_NOTICE.encode())
    for msg in held:
        size = len(msg.text.encode()) + 2
        if size <= budget:
            parts.append(msg.text)
            budget -= size
            if msg.purpose == "answer" and msg.consultation_id:
                consultation = ctx.session.get(Consultation, msg.consultation_id)
                consultation.delivered_at = ctx.now
                repo.add_event(ctx.session, consultation, "delivered", ctx.now, "passive reply")
        else:
            msg.status, msg.sent_at, msg.next_attempt_at = "pending", None, ctx.now
    if reply.text:
        if len(reply.text.encode()) + 2 <= budget:
            parts.append(reply.text)
        else:
            repo.enqueue(ctx.session, ctx.incoming.sender, reply.text, ctx.now, purpose="overflow")
    return Reply(texts.HELD_NOTICE + "\n\n".join(parts))
