"""Messages in and out: every inbound message, the outbox, WeChat's service window, replay guards,
and the scheduled jobs' runs."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from bot.ledger.schema.base import Base, utcnow


class InboundMessage(Base):
    """Every inbound message, stored before anything else happens; the dedupe key makes retries harmless."""

    __tablename__ = "inbound_messages"
    # The per-sender flood check counts a sender's messages of the last minute (bot.ratelimit); the worker
    # finds the few unfinished messages (bot.jobs.inbound) through a partial index that holds only them.
    __table_args__ = (
        Index("ix_inbound_sender_received", "sender", "received_at"),
        Index(
            "ix_inbound_unfinished",
            "received_at",
            sqlite_where=text("status IN ('received', 'failed')"),
            postgresql_where=text("status IN ('received', 'failed')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    sender: Mapped[str] = mapped_column(String(64))  # indexed with received_at (ix_inbound_sender_received)
    msg_type: Mapped[str] = mapped_column(String(32))
    text: Mapped[str | None] = mapped_column(Text)
    media_id: Mapped[str | None] = mapped_column(String(200))
    event: Mapped[str | None] = mapped_column(String(64))
    event_key: Mapped[str | None] = mapped_column(String(200))
    sent_at: Mapped[dt.datetime | None]
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="received")
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # the worker's retries


class ServiceWindow(Base):
    """WeChat's customer-service window per openid: 5 messages within 48 h of the user's last message."""

    __tablename__ = "service_windows"

    openid: Mapped[str] = mapped_column(String(64), primary_key=True)
    opened_at: Mapped[dt.datetime]
    sent: Mapped[int] = mapped_column(Integer, default=0)


class OutboxMessage(Base):
    """A stored outbound message; the worker delivers it with retries (the web process never calls WeChat)."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="text")
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    claimed_until: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    consultation_id: Mapped[int | None] = mapped_column(ForeignKey("consultations.id"))
    purpose: Mapped[str] = mapped_column(String(32), default="notice")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None]
    wechat_msgid: Mapped[int | None] = mapped_column(BigInteger)


class SeenSignature(Base):
    """URL signatures of Official Account callbacks, each with the message it first came with.

    WeChat's ``signature`` covers only timestamp and nonce, so within the timestamp window a captured URL
    could carry any plaintext body; binding the first message to it refuses that (bot.replay_cache).
    """

    __tablename__ = "seen_signatures"
    __table_args__ = (UniqueConstraint("channel", "signature"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    signature: Mapped[str] = mapped_column(String(64))
    body_sha256: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)


class BridgeNonce(Base):
    """Nonces the bridge has used, so a captured request cannot be replayed within the timestamp window."""

    __tablename__ = "bridge_nonces"
    __table_args__ = (UniqueConstraint("key", "nonce"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(32))
    nonce: Mapped[str] = mapped_column(String(64))
    seen_at: Mapped[dt.datetime] = mapped_column(index=True)


class JobRun(Base):
    """Idempotency for scheduled steps: a (job, key) pair runs once even across restarts and workers."""

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
