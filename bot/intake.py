"""Storing an inbound message: one short transaction before anything else happens.

In it, and only in it: the callback URL's signature is bound to this message (bot.replay_cache), the
message row is inserted under its unique dedupe key, and the sender's rate is checked (bot.ratelimit).
One commit instead of three matters on SQLite, where every writing transaction waits for the database's
single write lock, and on PostgreSQL, where every commit waits for its WAL flush (bench/load.py).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from bot import ratelimit
from bot.channels.official import BodyClaim
from bot.db import insert_skipping_duplicates
from bot.ledger.tables import InboundMessage
from bot.messages import Incoming, Reply

RECEIVED = "received"  # inbound_messages.status of a message stored and not yet processed
_INBOUND = InboundMessage.__table__


class SignatureReused(Exception):
    """The callback URL's signature already came with another message: refuse (403), store nothing."""


@dataclass(frozen=True)
class Stored:
    inbound_id: int | None  # None: a retry, the message was stored before
    answer: bytes | None = None  # set when the sender is over the rate limit: stored, answered, not processed


@functools.cache
def _insert(dialect: str):
    """Built once per process (building a statement costs more than running it); a retry inserts nothing."""
    return insert_skipping_duplicates(_INBOUND, ["dedupe_key"], dialect).returning(_INBOUND.c.id)


def store(services, incoming: Incoming, render: Callable[[Reply], bytes], claim: BodyClaim | None = None) -> Stored:
    """Store the message (or recognise a retry); raises SignatureReused for a forged body under a used URL."""
    now = services.clock.now()
    values = {
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
        "status": RECEIVED,
        "response_body": None,
        "error": None,
    }
    with services.engine.begin() as conn:
        if claim is not None and not services.replay_cache.claim(conn, incoming.channel, claim, now):
            raise SignatureReused()  # leaving the block rolls the transaction back: nothing is kept
        # A concurrent first attempt holding the same key makes this wait for its commit, then skip.
        inbound_id = conn.execute(_insert(conn.dialect.name), values).scalar()
        if inbound_id is None:
            return Stored(None)
        answer = ratelimit.answer_if_flooding(conn, services.settings, incoming, inbound_id, now, render)
        return Stored(inbound_id, answer)
