"""One inbound message, end to end: store it, claim it once, dispatch, record, render the reply.

One transaction per message: its first writes store the inbound row (bot.intake), then the handlers run
and the reply is stored with it. The row's unique dedupe key makes WeChat's retries (and the same retry
reaching several gunicorn workers or servers) harmless: they wait for the first attempt's commit, then get
its stored reply bytes and change nothing. Nothing is lost: when processing fails, the transaction rolls
back and the message is stored on its own as failed (the worker retries it, bot.jobs.inbound); when even
that fails, the database is gone and the webhook answers 503, so WeChat retries; and a process killed
mid-way commits nothing, so WeChat's retry finds the message new.

Per-message cost (bench/load.py): one commit; the text is classified before the transaction opens (on
SQLite that transaction holds the database's single write lock); statements are built once per process,
and the reply is stored without reading the row back.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable

from sqlalchemy import bindparam, select

from bot import intake, ratelimit, senders, texts
from bot.channels.official import BodyClaim
from bot.channels.wechat_xml import MAX_REPLY_BYTES
from bot.context import Context
from bot.db import upsert
from bot.fastsql import Prepared, connection_of
from bot.handlers import dispatch
from bot.ledger import repo
from bot.ledger.tables import Adviser, Consultation, InboundMessage, OutboxMessage, ServiceWindow
from bot.messages import Incoming, Reply

log = logging.getLogger(__name__)

Render = Callable[[Reply], bytes]
RETRY_WAIT_SECONDS = 4.0  # WeChat gives up after 5 s; answer a concurrent retry before that.
# inbound_messages.status: stored → (taken, inside the processing transaction only) → done | failed.
STORED, TAKEN, DONE, FAILED = intake.RECEIVED, "processing", "done", intake.FAILED
# Channels we cannot push through (no customer-service API): answers wait for the sender's next message.
NO_PUSH_CHANNELS = ("bridge", "wecom_bot")


def handle(services, incoming: Incoming, render: Render, claim: BodyClaim | None = None) -> bytes:
    """Store and process one message exactly once and return the bytes to answer with.

    Raises intake.SignatureReused when ``claim``'s URL signature already came with another message, and
    the database's error when the message could not be stored at all (the caller answers 503).
    """
    now = services.clock.now()
    try:
        decisions = classify_first(services, incoming, now)
        with services.sessions.begin() as session:
            # Inserted as taken: it commits as done (or limited), or not at all.
            stored = intake.store_in(session.connection(), services, incoming, render, claim, now, TAKEN)
            if stored.answer is not None:  # over the sender's rate limit: stored, not processed
                return stored.answer
            if stored.inbound_id is not None:
                return _dispatch(services, session, incoming, stored.inbound_id, now, decisions, render)
    except intake.SignatureReused:
        raise
    except Exception as exc:
        log.exception("inbound %s failed; keeping it for a retry", incoming.dedupe_key)
        body = render(Reply(texts.SORRY))
        if intake.keep_failed(services, incoming, claim, body, _error_text(exc)):
            return body
    return replay(services, incoming, render)  # a retry, or another attempt stored it first


def _error_text(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:2000]


_INBOUND = InboundMessage.__table__  # Core statements on the hot path: a fraction of the ORM's cost


def replay(services, incoming: Incoming, render: Render) -> bytes:
    """A retry: the stored reply; or, when no attempt has finished the message, process it now.

    An attempt that died mid-way (its worker killed, the database gone) committed nothing, so its retry
    arrives as a new message; one that failed stored the message as failed, and the retry takes it over.
    A retry that comes while the first attempt is still inside its transaction waits for its commit (the
    unique key's lock on PostgreSQL, the write lock on SQLite) and then finds it done.
    """
    deadline = time.monotonic() + RETRY_WAIT_SECONDS
    while True:
        with services.engine.connect() as conn:
            row = _STORED.first(conn, {"dedupe_key": incoming.dedupe_key})
        if row is None:  # only after a store that reported the row as there: the database lost it
            raise LookupError(f"inbound {incoming.dedupe_key} is not stored")
        status, body, row_id = row
        if status in (DONE, ratelimit.LIMITED) and body is not None:
            return body
        if status in (STORED, FAILED):
            if status == FAILED:
                log.info("retrying inbound %s after an earlier failure", row_id)
            return process(services, incoming, row_id, render)
        if time.monotonic() > deadline:  # "processing" committed by an older version: wait, then give up
            return body if body is not None else b"success"
        time.sleep(0.05)


_STORED = Prepared(
    select(_INBOUND.c.status, _INBOUND.c.response_body, _INBOUND.c.id).where(
        _INBOUND.c.dedupe_key == bindparam("dedupe_key")
    )
)


def _take(session, inbound_id: int) -> bool:
    """Mark the message taken inside the processing transaction: exactly one attempt gets it.

    Never committed as "processing": on success it becomes "done" in the same transaction; on a crash the
    transaction rolls back and the message is "received" again, for WeChat's retry to take over.
    """
    return session.connection().execute(_TAKE, {"inbound_id": inbound_id}).rowcount == 1


# The processing transaction's own statements, built once (building one costs about as much as running it).
_THIS_INBOUND = _INBOUND.c.id == bindparam("inbound_id")
_TAKE = _INBOUND.update().where(_THIS_INBOUND, _INBOUND.c.status.in_((STORED, FAILED))).values(status=TAKEN)
_DONE = Prepared(
    _INBOUND.update().where(_THIS_INBOUND).values(status=DONE, response_body=bindparam("body"), error=None)
)
_FINISHED = _INBOUND.update().where(_THIS_INBOUND).values(status=DONE, error=None)
_NOW = object()  # build_context's default window time: the message's own processing time
_OUTBOX = OutboxMessage.__table__.c
_HAS_HELD = Prepared(
    select(_OUTBOX.id).where(_OUTBOX.recipient == bindparam("openid"), _OUTBOX.status == "held").limit(1)
)


def process(services, incoming: Incoming, inbound_id: int, render: Render) -> bytes:
    """A stored message that no attempt finished (failed before, or stored by an older version): take it
    and dispatch; on any error roll back, keep it failed, answer a fixed apology."""
    try:
        now = services.clock.now()
        decisions = classify_first(services, incoming, now)
        body = None
        with services.sessions.begin() as session:
            if _take(session, inbound_id):
                body = _dispatch(services, session, incoming, inbound_id, now, decisions, render)
        return body if body is not None else replay(services, incoming, render)  # another attempt finished it
    except Exception as exc:
        log.exception("inbound %s (%s) failed; kept for retry", inbound_id, incoming.dedupe_key)
        body = render(Reply(texts.SORRY))
        with services.engine.begin() as conn:
            unfinished = _INBOUND.update().where(_INBOUND.c.id == inbound_id, _INBOUND.c.status.in_((STORED, FAILED)))
            failed = conn.execute(unfinished.values(status=FAILED, response_body=body, error=_error_text(exc)))
        return body if failed.rowcount == 1 else replay(services, incoming, render)


def process_late(services, incoming: Incoming, inbound_id: int, received_at, deliver) -> bool:
    """The worker's attempt at a message no webhook attempt finished (bot.jobs.inbound).

    The same handlers in one transaction; the reply cannot be the callback's answer any more, so
    ``deliver(ctx, reply)`` queues it, in that transaction. The stored answer bytes stay those the webhook
    sent. False when the attempt failed (the message stays failed, with the error) or was not needed.
    """
    try:
        now = services.clock.now()
        decisions = classify_first(services, incoming, now)
        with services.sessions.begin() as session:
            if not _take(session, inbound_id):
                return False
            ctx = build_context(services, session, incoming, inbound_id, now, window_at=received_at)
            ctx._decisions.update(decisions)
            deliver(ctx, dispatch(incoming, ctx))
            session.connection().execute(_FINISHED, {"inbound_id": inbound_id})
        return True
    except Exception as exc:
        log.exception("inbound %s failed again in the worker", inbound_id)
        with services.engine.begin() as conn:
            unfinished = _INBOUND.update().where(_INBOUND.c.id == inbound_id, _INBOUND.c.status.in_((STORED, FAILED)))
            conn.execute(unfinished.values(status=FAILED, error=_error_text(exc)))
        return False


def _dispatch(services, session, incoming: Incoming, inbound_id: int, now, decisions: dict, render: Render) -> bytes:
    """The handlers, then the reply rendered and stored with the message (status done)."""
    ctx = build_context(services, session, incoming, inbound_id, now)
    ctx._decisions.update(decisions)
    reply = with_held_messages(ctx, dispatch(incoming, ctx))
    body = render(reply)
    _DONE.execute(session, {"inbound_id": inbound_id, "body": body})
    return body


def classify_first(services, incoming: Incoming, now) -> dict:
    """The answerer's decision on a villager's text, made before the transaction opens (pure CPU work).

    Every villager text is classified (the sensitive-matter check comes first), so this is rarely wasted:
    only on retries, and not on a flood, which this process's own count recognises (the database's count
    decides; a message it lets through is classified inside the transaction, when a handler asks).
    WeCom members are advisers, whose commands are not classified.
    """
    if incoming.is_event or incoming.channel == "wecom" or not incoming.text.strip():
        return {}
    if services.flood_hint.over(incoming.sender, now, services.settings.rate_limit_per_minute):
        return {}
    return {incoming.text: services.answerer.decide(incoming.text)}


def build_context(services, session, incoming: Incoming, inbound_id: int, now, window_at=_NOW) -> Context:
    """The handlers' context; the sender's WeChat service window opens at ``window_at`` (default: now)."""
    ctx = Context(session=session, services=services, incoming=incoming, inbound_id=inbound_id, now=now)
    if incoming.channel == "wecom":
        # WeCom members are identified by their userid; only advisers use the WeCom app.
        ctx.adviser = repo.adviser_by_wecom(session, incoming.sender)
        return ctx
    sender = senders.look_up(session, incoming.sender)
    ctx.held_waiting = sender.has_held
    ctx.adviser = session.get(Adviser, sender.adviser_id) if sender.adviser_id is not None else None
    if ctx.adviser is None:
        ctx.villager = sender.villager or repo.get_or_create_villager(
            session, incoming.sender, services.pseudonym(incoming.sender), now
        )
    if not incoming.is_event and incoming.channel not in NO_PUSH_CHANNELS:
        if window_at is _NOW:
            open_window(session, incoming.sender, now)
        else:
            repo.open_window_since(session, incoming.sender, window_at)
    return ctx


@functools.cache
def _upsert_window(dialect: str) -> Prepared:
    return Prepared(upsert(ServiceWindow.__table__, ["openid"], dialect, ["opened_at", "sent"]))


def open_window(session, openid: str, now) -> None:
    """``repo.open_window`` in one statement (an upsert) on every message: the window row is never read here."""
    conn = connection_of(session)
    _upsert_window(conn.dialect.name).execute(conn, {"openid": openid, "opened_at": now, "sent": 0})


def with_held_messages(ctx: Context, reply: Reply) -> Reply:
    """Answers WeChat would not let us push (window closed) ride on this passive reply.

    What does not fit in one reply goes back to the outbox: the user just wrote, so the window is open.
    """
    if ctx.incoming.is_event or ctx.incoming.chat_type == "group":
        return reply  # never post someone's answer into a group chat
    # Held messages are rare: bot.senders asked at the start (nothing in this transaction holds a message);
    # otherwise one plain statement (no ORM loading, no flush of the pending ledger rows).
    if ctx.held_waiting is False:
        return reply
    if ctx.held_waiting is None:
        held_any = _HAS_HELD.first(ctx.session, {"openid": ctx.incoming.sender})
        if held_any is None:
            return reply
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
