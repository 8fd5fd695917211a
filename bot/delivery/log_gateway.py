"""``LEGALBOT_DELIVERY=log``: messages are "delivered" to a log file, so the demo and tests can see them."""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from pathlib import Path

log = logging.getLogger(__name__)


class LogGateway:
    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()

    def send_text(self, openid: str, text: str) -> None:
        record = {"at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "to": openid, "text": text}
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        log.info("delivered to log: outbound message for %s… (%d chars)", openid[:6], len(text))
