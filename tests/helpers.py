"""Small query helpers shared by tests."""

from __future__ import annotations

from sqlalchemy import select

from bot.ledger.tables import Consultation, OutboxMessage, Villager

ADVISER_WANG = "oDemoAdviserWangMing"  # A post of 河东村 (370303001) in the sample roster
ADVISER_LI = "oDemoAdviserLiFang"  # B post
ADVISER_ZHANG_PHONE = "13800000003"  # A post of 河口镇河东村, no openid in the roster

# A personal dispute no FAQ entry settles: the bot must forward it to the village's adviser.
PERSONAL_CASE = (
    "我家和邻居因为宅基地边界吵了好几年，他家新盖的墙占了我家一尺多地，"
    "村里调解也不管用，上个月他还把我家院里的树砍了，现在咋办"
)


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
