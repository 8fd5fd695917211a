"""Small query helpers shared by tests."""

from __future__ import annotations

from sqlalchemy import select

from bot.ledger.tables import Consultation, OutboxMessage, Villager

ADVISER_WANG = "oDemoAdviserWangMing"  # A post of 河东村 (370303001) in the sample roster
ADVISER_LI = "oDemoAdviserLiFang"  # B post
ADVISER_ZHANG_PHONE = "13800000003"  # A post of 河口镇河东村, no openid in the roster


def consultations(services) -> list[Consultation]:
    with services.sessions() as session:
        return list(session.scalars(select(Consultation).order_by(Consultation.id)))


def outbox(services, recipient: str | None = None) -> list[OutboxMessage]:
    with services.sessions() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if recipient:
            query = query.where(OutboxMessage.recipient == recipient)
        return list(session.scalars(query))


def villager(services, openid: str) -> Villager:
    with services.sessions() as session:
        return session.scalar(select(Villager).where(Villager.openid == openid))
