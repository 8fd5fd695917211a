"""What a handler gets besides the message: the open session, the sender, settings, the time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from bot.config import Settings
from bot.ledger.tables import Adviser, Villager
from bot.messages import Incoming


@dataclass
class Context:
    session: Session
    services: object  # bot.services.Services (kept loose to avoid an import cycle)
    incoming: Incoming | None  # None when the actor is a web page or a scheduled job
    inbound_id: int | None
    now: dt.datetime
    villager: Villager | None = None
    adviser: Adviser | None = None
    held_waiting: bool | None = None  # messages held for the sender (None: not looked up yet)
    _decisions: dict = field(default_factory=dict)

    @classmethod
    def for_action(cls, services, session: Session, adviser: Adviser | None = None) -> Context:
        """A context for use cases started outside a message (adviser console, scheduled jobs)."""
        return cls(
            session=session,
            services=services,
            incoming=None,
            inbound_id=None,
            now=services.clock.now(),
            adviser=adviser,
        )

    @property
    def channel(self) -> str:
        return self.incoming.channel if self.incoming else "console"

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def answerer(self):
        return self.services.answerer

    def decide(self, text: str):
        """The answerer's decision for this text, computed once per message however many handlers ask."""
        if text not in self._decisions:
            self._decisions[text] = self.services.answerer.decide(text)
        return self._decisions[text]
