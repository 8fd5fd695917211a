"""Typed SQLAlchemy 2.0 tables. Times are stored in UTC; the ledger is "一次一记、一村一卷"."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on every engine (SQLite would otherwise hand back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the ledger; use aware UTC times")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict] = {dt.datetime: UTCDateTime()}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Town(Base):
    __tablename__ = "towns"
    __table_args__ = (UniqueConstraint("county", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    county: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(64))
    office_name: Mapped[str | None] = mapped_column(String(64))
    office_phone: Mapped[str | None] = mapped_column(String(32))
    office_openid: Mapped[str | None] = mapped_column(String(64))


class Adviser(Base):
    __tablename__ = "advisers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str] = mapped_column(String(32), unique=True)
    openid: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The adviser's member id in the county's WeCom (企业微信), where notices go when WeCom is configured.
    wecom_userid: Mapped[str | None] = mapped_column(String(64), unique=True)


class Village(Base):
    __tablename__ = "villages"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    town_id: Mapped[int] = mapped_column(ForeignKey("towns.id"))
    adviser_a_id: Mapped[int] = mapped_column(ForeignKey("advisers.id"))
    adviser_b_id: Mapped[int | None] = mapped_column(ForeignKey("advisers.id"))
    office_hours: Mapped[str | None] = mapped_column(String(200))

    town: Mapped[Town] = relationship(lazy="joined")
    adviser_a: Mapped[Adviser] = relationship(foreign_keys=[adviser_a_id], lazy="joined")
    adviser_b: Mapped[Adviser | None] = relationship(foreign_keys=[adviser_b_id], lazy="joined")

    def serves(self, adviser_id: int) -> bool:
        return adviser_id in (self.adviser_a_id, self.adviser_b_id)


class Villager(Base):
    """A follower of the Official Account; only the openid and a pseudonym are kept, no profile."""

    __tablename__ = "villagers"

    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), unique=True)
    pseudonym: Mapped[str] = mapped_column(String(32), unique=True)
    village_id: Mapped[int | None] = mapped_column(ForeignKey("villages.id"))
    bound_at: Mapped[dt.datetime | None]
    subscribed: Mapped[bool] = mapped_column(Boolean, default=True)
    # A question asked before binding, kept until the villager names a village.
    pending_inbound_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_messages.id"))
    # Candidate villages offered after an ambiguous "绑定 村名" (comma-separated codes).
    pending_choices: Mapped[str | None] = mapped_column(String(400))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    village: Mapped[Village | None] = relationship(lazy="joined")


class ServiceWindow(Base):
    """WeChat's customer-service window per openid: 5 messages within 48 h of the user's last message."""

    __tablename__ = "service_windows"

    openid: Mapped[str] = mapped_column(String(64), primary_key=True)
    opened_at: Mapped[dt.datetime]
    sent: Mapped[int] = mapped_column(Integer, default=0)


class InboundMessage(Base):
    """Every inbound message, stored before anything else happens; the dedupe key makes retries harmless."""

    __tablename__ = "inbound_messages"
    # The per-sender flood check counts a sender's messages of the last minute (bot.ratelimit).
    __table_args__ = (Index("ix_inbound_sender_received", "sender", "received_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    sender: Mapped[str] = mapped_column(String(64), index=True)
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


class Consultation(Base):
    """One consultation = one ledger record (一次一记)."""

    __tablename__ = "consultations"
    __table_args__ = (
        Index("ix_consultations_village_created", "village_id", "created_at"),
        Index("ix_consultations_adviser_status", "adviser_id", "status"),
        # The bureau's statistics: one period by created_at, grouped in SQL (migration 0006, bench/stats.py).
        Index(
            "ix_consultations_stats",
            "created_at",
            "village_id",
            "adviser_id",
            "category",
            "status",
            "escalation_level",
            postgresql_include=[
                "answered_by_id",
                "alert_kind",
                "legal_aid_group",
                "rating",
                "reopened_count",
                "deadline_at",
                "forwarded_at",
                "answered_at",
                "alert_acked_at",
            ],
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int | None] = mapped_column(ForeignKey("villages.id"))
    villager_id: Mapped[int] = mapped_column(ForeignKey("villagers.id"), index=True)
    adviser_id: Mapped[int | None] = mapped_column(ForeignKey("advisers.id"))
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("advisers.id"))
    channel: Mapped[str] = mapped_column(String(16))
    category: Mapped[str | None] = mapped_column(String(32))
    confidence: Mapped[float | None] = mapped_column(Float)
    route: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(24), index=True)
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str | None] = mapped_column(Text)
    faq_id: Mapped[str | None] = mapped_column(String(64))
    alert_kind: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    forwarded_at: Mapped[dt.datetime | None]
    answered_at: Mapped[dt.datetime | None]
    delivered_at: Mapped[dt.datetime | None]
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # AB posts and escalation: 0 = A post, 1 = B post, 2 = town justice office (司法所).
    deadline_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    escalated_at: Mapped[dt.datetime | None]
    # Legal-aid triage: a special group (老年人、残疾人、未成年人、农民工欠薪、家暴受害人、军人军属).
    legal_aid_group: Mapped[str | None] = mapped_column(String(32))
    # Satisfaction: 1 满意, 2 基本满意, 3 不满意 (which reopens the consultation).
    rating: Mapped[int | None] = mapped_column(Integer)
    rated_at: Mapped[dt.datetime | None]
    reopened_count: Mapped[int] = mapped_column(Integer, default=0)
    # Sensitive alerts must be acknowledged by a person; the disposal is recorded.
    alert_acked_at: Mapped[dt.datetime | None]
    alert_acked_by: Mapped[str | None] = mapped_column(String(64))
    alert_disposal: Mapped[str | None] = mapped_column(Text)
    answered_offline: Mapped[bool] = mapped_column(Boolean, default=False)
    faq_candidate: Mapped[bool] = mapped_column(Boolean, default=False)

    village: Mapped[Village | None] = relationship(lazy="joined")
    villager: Mapped[Villager] = relationship(lazy="joined")
    adviser: Mapped[Adviser | None] = relationship(foreign_keys=[adviser_id], lazy="joined")
    answered_by: Mapped[Adviser | None] = relationship(foreign_keys=[answered_by_id], lazy="joined")
    messages: Mapped[list[ConsultationMessage]] = relationship(
        order_by="ConsultationMessage.id", back_populates="consultation", lazy="selectin"
    )
    events: Mapped[list[ConsultationEvent]] = relationship(order_by="ConsultationEvent.id", lazy="selectin")


class ConsultationMessage(Base):
    """The thread of a consultation: the question, follow-ups, the answers."""

    __tablename__ = "consultation_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"), index=True)
    author: Mapped[str] = mapped_column(String(16))  # villager | bot | adviser
    msg_type: Mapped[str] = mapped_column(String(32), default="text")
    text: Mapped[str | None] = mapped_column(Text)
    media_id: Mapped[str | None] = mapped_column(String(200))
    inbound_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_messages.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    consultation: Mapped[Consultation] = relationship(back_populates="messages")


class ConsultationEvent(Base):
    """Each step of a consultation with its time (forwarded, answered, relayed …), for the audit."""

    __tablename__ = "consultation_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


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


class DutyRecord(Base):
    """驻点与讲座台账: on-site service (签到/签退), legal talks and mediations by an adviser in a village."""

    __tablename__ = "duty_records"
    __table_args__ = (
        Index("ix_duty_adviser_started", "adviser_id", "started_at"),
        Index("ix_duty_kind_started", "kind", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    adviser_id: Mapped[int] = mapped_column(ForeignKey("advisers.id"))
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"))
    kind: Mapped[str] = mapped_column(String(16))  # onsite | talk | mediation
    started_at: Mapped[dt.datetime]
    ended_at: Mapped[dt.datetime | None]
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    adviser: Mapped[Adviser] = relationship(lazy="joined")
    village: Mapped[Village] = relationship(lazy="joined")


class FaqCandidate(Base):
    """An adviser's answer proposed as a new FAQ entry; a bureau reviewer edits and publishes it."""

    __tablename__ = "faq_candidates"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"))
    adviser_id: Mapped[int] = mapped_column(ForeignKey("advisers.id"))
    category: Mapped[str | None] = mapped_column(String(32))
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="proposed")  # proposed | published | rejected
    faq_id: Mapped[str | None] = mapped_column(String(64))
    reviewed_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    reviewed_at: Mapped[dt.datetime | None]


class User(Base):
    """Bureau (county) and town justice office (司法所) staff who use the dashboard and the API."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))  # bureau | town
    county: Mapped[str] = mapped_column(String(64))
    town_id: Mapped[int | None] = mapped_column(ForeignKey("towns.id"))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    openid: Mapped[str | None] = mapped_column(String(64), unique=True)
    subscribed_reports: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    town: Mapped[Town | None] = relationship(lazy="joined")


class ApiToken(Base):
    """Bearer tokens for ``/api`` (only a hash is stored)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[dt.datetime | None]
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)

    user: Mapped[User] = relationship(lazy="joined")


class LoginCode(Base):
    """One-time login links/codes sent through WeChat, for advisers (console) and staff (dashboard)."""

    __tablename__ = "login_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    adviser_id: Mapped[int | None] = mapped_column(ForeignKey("advisers.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AuditLog(Base):
    """Who viewed or exported which ledger data, and when."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_created", "created_at"),
        Index("ix_audit_target_action", "target", "action", "created_at"),  # the login lockout's count
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    actor: Mapped[str] = mapped_column(String(80))  # "user:<username>" or "adviser:<phone>"
    action: Mapped[str] = mapped_column(String(32))  # view | export | login | …
    target: Mapped[str] = mapped_column(String(200))
    detail: Mapped[str | None] = mapped_column(Text)
    ip: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Report(Base):
    """A generated weekly report or monthly ranking, kept on disk under the instance folder."""

    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("kind", "period", "county"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # weekly | monthly
    period: Mapped[str] = mapped_column(String(16))  # 2026-W47 | 2026-11
    county: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(400))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class JobRun(Base):
    """Idempotency for scheduled steps: a (job, key) pair runs once even across restarts and workers."""

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class VillageGroup(Base):
    """A group chat (bridge or WeCom bot) mapped to its village in the roster (column 群ID / group_ids)."""

    __tablename__ = "village_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(128), unique=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), index=True)

    village: Mapped[Village] = relationship(lazy="joined")


class BridgeNonce(Base):
    """Nonces the bridge has used, so a captured request cannot be replayed within the timestamp window."""

    __tablename__ = "bridge_nonces"
    __table_args__ = (UniqueConstraint("key", "nonce"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(32))
    nonce: Mapped[str] = mapped_column(String(64))
    seen_at: Mapped[dt.datetime] = mapped_column(index=True)


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
