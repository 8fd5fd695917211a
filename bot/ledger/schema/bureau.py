"""The bureau's side: users, API tokens, one-time login codes, the audit log, stored reports."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.ledger.schema.base import Base, utcnow

if TYPE_CHECKING:  # resolved through the mapper registry at run time
    from bot.ledger.schema.roster import Town


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
