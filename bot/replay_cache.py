"""One message per signed callback URL: a captured plaintext-mode URL cannot carry a forged body.

WeChat signs the Official Account callback URL over (token, timestamp, nonce) only; in plaintext mode the
body is not covered, so anyone who saw one URL (a proxy log, plain http) could post any message from any
openid with it until the timestamp window closes. Each signature is remembered with the message it first
came with, in the database so every gunicorn worker sees it: the same message again is a WeChat retry
(served the stored reply by the pipeline), another message under the same signature is refused.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select, text
from sqlalchemy.exc import IntegrityError

from bot.channels.official import BodyClaim
from bot.ledger.tables import SeenSignature


def claim(services, channel: str, body: BodyClaim) -> bool:
    """Bind the message to its URL signature; False when the signature already came with another message."""
    now: dt.datetime = services.clock.now()
    try:
        with services.sessions.begin() as session:
            if session.get_bind().dialect.name == "postgresql":
                # Losing the last few claims in a crash only reopens a window of minutes: no WAL flush to wait for.
                session.execute(text("SET LOCAL synchronous_commit TO OFF"))
            # Expired signatures can never pass the timestamp check again: forgetting them keeps the table small.
            session.execute(delete(SeenSignature).where(SeenSignature.expires_at < now))
            session.add(
                SeenSignature(
                    channel=channel,
                    signature=body.signature,
                    body_sha256=body.body_sha256,
                    expires_at=body.expires_at,
                )
            )
        return True
    except IntegrityError:
        pass
    with services.sessions() as session:
        seen = session.scalar(
            select(SeenSignature.body_sha256).where(
                SeenSignature.channel == channel, SeenSignature.signature == body.signature
            )
        )
    # None: the first claim expired and was removed in between, so this one is as good as new.
    return seen is None or seen == body.body_sha256
