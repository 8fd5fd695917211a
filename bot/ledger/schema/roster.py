"""The roster: towns, advisers (A and B posts), villages and their group chats, villagers."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.ledger.schema.base import Base, utcnow


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


class VillageGroup(Base):
    """A group chat (bridge or WeCom bot) mapped to its village in the roster (column 群ID / group_ids)."""

    __tablename__ = "village_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(128), unique=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), index=True)

    village: Mapped[Village] = relationship(lazy="joined")
