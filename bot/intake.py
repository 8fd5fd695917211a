"""Storing an inbound message: the first statements of the transaction that handles it.

Before anything else happens: the callback URL's signature is bound to this message (bot.replay_cache),
the message row is inserted under its unique dedupe key, and the sender's rate is checked (bot.ratelimit).
bot.pipeline then processes the message in the same transaction, so a message costs one commit: that
matters on SQLite, where every writing transaction waits for the database's single write lock, and on
PostgreSQL, where every commit waits for its WAL flush (bench/load.py). When processing fails, that
transaction rolls back and ``keep_failed`` stores the message on its own, so it is never lost.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection

from bot import ratelimit
from bot.channels.official import BodyClaim
from bot.db import insert_skipping_duplicates
from bot.fastsql import Prepared
from bot.ledger.tables import InboundMessage
from bot.messages import Incoming, Reply

RECEIVED = "received"  # inbound_messages.status of a message stored and not yet processed
FAILED = "failed"  # processing failed: stored with the apology that was sent, for the worker to retry
_INBOUND = InboundMessage.__table__


class SignatureReused(Exception):
    """The callback URL's signature already came with another message: refuse (403), store nothing."""


@dataclass(frozen=True)
class Stored:
    inbound_id: int | None  # None: a retry, the message was stored before
    answer: bytes | None = None  # set when the sender is over the rate limit: stored, answered, not processed


@functools.cache
def _insert(dialect: str) -> Prepared:
    """Built once per process (building a statement costs more than running it); a retry inserts nothing."""
    return Prepared(insert_skipping_duplicates(_INBOUND, ["dedupe_key"], dialect).returning(_INBOUND.c.id))


def _row(incoming: Incoming, now, status: str, response_body: bytes | None = None, error: str | None = None):
    return {
        "channel": incoming.channel,
        "dedupe_key": incoming.dedupe_key,
        "sender": incoming.sender,
        "msg_type": incoming.raw_type or incoming.msg_type,
        "text": incoming.text or None,
        "media_id": incoming.media_id,
        "event": incoming.event,
        "event_key": incoming.event_key,
        "sent_at": incoming.sent_at,
        "received_at": now,
        "status": status,
        "response_body": response_body,
        "error": error,
    }


def store_in(
    conn: Connection,
    services,
    incoming: Incoming,
    render: Callable[[Reply], bytes],
    claim: BodyClaim | None,
    now,
    status: str = RECEIVED,
) -> Stored:
    """Store the message (or recognise a retry) as the transaction's first writes.

    Raises SignatureReused for a forged body under a used URL; the caller's transaction must roll back.
    ``status`` is what the row says if this transaction commits without changing it.
    """
    if claim is not None and not services.replay_cache.claim(conn, incoming.channel, claim, now):
        raise SignatureReused()
    # A concurrent first attempt holding the same key makes this wait for its commit, then skip.
    inbound_id = _insert(conn.dialect.name).scalar(conn, _row(incoming, now, status))
    if inbound_id is None:
        return Stored(None)
    answer = ratelimit.answer_if_flooding(conn, services.settings, incoming, inbound_id, now, render)
    return Stored(inbound_id, answer)


def store(services, incoming: Incoming, render: Callable[[Reply], bytes], claim: BodyClaim | None = None) -> Stored:
    """Store the message in a transaction of its own (received, not yet processed)."""
    with services.engine.begin() as conn:
        return store_in(conn, services, incoming, render, claim, services.clock.now())


def keep_failed(services, incoming: Incoming, claim: BodyClaim | None, body: bytes, error: str) -> bool:
    """After a failed attempt rolled everything back: store the message as failed, with the apology sent.

    False when another attempt stored it meanwhile (the caller serves that one's reply). Raises the
    database's error when it is still unreachable: the webhook then answers 503 and WeChat retries.
    """
    now = services.clock.now()
    with services.engine.begin() as conn:
        if claim is not None and not services.replay_cache.claim(conn, incoming.channel, claim, now):
            raise SignatureReused()
        row = _row(incoming, now, FAILED, body, error)
        return _insert(conn.dialect.name).scalar(conn, row) is not None
