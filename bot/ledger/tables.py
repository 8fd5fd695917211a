"""Typed SQLAlchemy 2.0 tables. Times are stored in UTC; the ledger is "一次一记、一村一卷".

The tables live in ``bot.ledger.schema`` by area; everything imports them from here, so every mapped class
is registered before the first query (relationships name each other across modules).
"""

from bot.ledger.schema.base import Base, UTCDateTime, utcnow
from bot.ledger.schema.bureau import ApiToken, AuditLog, LoginCode, Report, User
from bot.ledger.schema.consultations import (
    Consultation,
    ConsultationEvent,
    ConsultationMessage,
    DutyRecord,
    FaqCandidate,
)
from bot.ledger.schema.messaging import BridgeNonce, InboundMessage, JobRun, OutboxMessage, SeenSignature, ServiceWindow
from bot.ledger.schema.roster import Adviser, Town, Village, VillageGroup, Villager

__all__ = [
    "Adviser",
    "ApiToken",
    "AuditLog",
    "Base",
    "BridgeNonce",
    "Consultation",
    "ConsultationEvent",
    "ConsultationMessage",
    "DutyRecord",
    "FaqCandidate",
    "InboundMessage",
    "JobRun",
    "LoginCode",
    "OutboxMessage",
    "Report",
    "SeenSignature",
    "ServiceWindow",
    "Town",
    "UTCDateTime",
    "User",
    "Village",
    "VillageGroup",
    "Villager",
    "utcnow",
]
