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

    def _write(self, record: dict) -> None:
        record = {"at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), **record}
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        log.info("delivered to log: %s message for %s…", record["kind"], record["to"][:6])

    def send_text(self, openid: str, text: str) -> None:
        self._write({"kind": "text", "to": openid, "text": text})

    def send_template(self, openid: str, template_id: str, fields: dict[str, str]) -> None:
        self._write({"kind": "template", "to": openid, "template_id": template_id, "fields": fields})

    def send_wecom_text(self, userid: str, text: str) -> None:
        self._write({"kind": "wecom", "to": userid, "text": text})
