"""One message per signed callback URL: a captured plaintext-mode URL cannot carry a forged body.

WeChat signs the Official Account callback URL over (token, timestamp, nonce) only; in plaintext mode the
body is not covered, so anyone who saw one URL (a proxy log, plain http) could post any message from any
openid with it until the timestamp window closes. Each signature is remembered with the message it first
came with, in the database so every gunicorn worker sees it: the same message again is a WeChat retry
(served the stored reply by the pipeline), another message under the same signature is refused.
"""

from __future__ import annotations

import datetime as dt
import functools

from sqlalchemy import Connection, bindparam, delete, select

from bot.channels.official import BodyClaim
from bot.db import insert_skipping_duplicates
from bot.fastsql import Prepared
from bot.ledger.tables import SeenSignature

PURGE_EVERY = dt.timedelta(minutes=1)
_SEEN = SeenSignature.__table__
_PURGE = delete(_SEEN).where(_SEEN.c.expires_at < bindparam("now"))
_FIRST_BODY = select(_SEEN.c.body_sha256).where(
    _SEEN.c.channel == bindparam("channel"), _SEEN.c.signature == bindparam("signature")
)


@functools.cache
def _insert(dialect: str) -> Prepared:
    return Prepared(insert_skipping_duplicates(_SEEN, ["channel", "signature"], dialect).returning(_SEEN.c.id))


class ReplayCache:
    """Binds URL signatures to messages inside the transaction that stores the message (bot.intake)."""

    def __init__(self) -> None:
        self._next_purge: dt.datetime | None = None

    def claim(self, conn: Connection, channel: str, body: BodyClaim, now: dt.datetime) -> bool:
        """False when the signature already came with another message."""
        if self._next_purge is None or now >= self._next_purge:
            # Expired signatures can never pass the timestamp check again; once a minute keeps the table small.
            self._next_purge = now + PURGE_EVERY
            conn.execute(_PURGE, {"now": now})
        values = {
            "channel": channel,
            "signature": body.signature,
            "body_sha256": body.body_sha256,
            "expires_at": body.expires_at,
        }
        if _insert(conn.dialect.name).first(conn, values) is not None:
            return True
        seen = conn.execute(_FIRST_BODY, {"channel": channel, "signature": body.signature}).scalar()
        # None: the first claim expired and was removed in between, so this one is as good as new.
        return seen is None or seen == body.body_sha256
