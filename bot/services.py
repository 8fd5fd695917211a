"""The composition root: everything a process needs, built once from Settings."""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.classifier.answerer import Answerer
from bot.clock import SystemClock
from bot.config import Settings
from bot.db import build_engine, build_session_factory
from bot.ratelimit import FloodHint
from bot.replay_cache import ReplayCache

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    clock: object = field(default_factory=SystemClock)
    replay_cache: ReplayCache = field(default_factory=ReplayCache)
    flood_hint: FloodHint = field(default_factory=FloodHint)
    _answerer: Answerer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def build(cls, settings: Settings, clock: object | None = None) -> Services:
        engine = build_engine(settings.database_url)
        return cls(settings, engine, build_session_factory(engine), clock or SystemClock())

    @property
    def answerer(self) -> Answerer:
        """The classifier, FAQ index and lexicon, loaded (or trained) once per process on first use."""
        if self._answerer is None:
            with self._lock:
                if self._answerer is None:
                    from bot.classifier.train import load_answerer

                    self._answerer = load_answerer(self.settings.knowledge_dir, self.settings.model_dir)
        return self._answerer

    def pseudonym(self, openid: str) -> str:
        """A stable pseudonymous villager id for the ledger: no openid leaves the database."""
        digest = hmac.new(self.settings.secret_key.encode(), openid.encode(), hashlib.sha256).hexdigest()
        return "V" + digest[:9].upper()

    def dispose(self) -> None:
        self.engine.dispose()
