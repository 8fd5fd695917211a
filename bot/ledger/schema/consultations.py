"""The ledger proper ("一次一记、一村一卷"): consultations, their thread and events, FAQ candidates and
the advisers' duty records."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.ledger.schema.base import Base, utcnow

if TYPE_CHECKING:  # resolved through the mapper registry at run time
    from bot.ledger.schema.roster import Adviser, Village, Villager


UNDELIVERED = "status = 'adviser_answered' AND delivered_at IS NULL"


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
        # Answers not delivered yet (bot/jobs/undelivered.py): a few rows however long the ledger grows.
        Index(
            "ix_consultations_undelivered",
            "answered_at",
            sqlite_where=text(UNDELIVERED),
            postgresql_where=text(UNDELIVERED),
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
