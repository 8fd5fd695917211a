"""Platform-neutral messages: what every channel parses into and what handlers return."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Incoming:
    """One inbound message or event, whatever channel it came from."""

    channel: str  # official | simulator | wecom | bridge
    sender: str  # openid (or the channel's sender id)
    msg_type: str  # text | voice | image | event | …
    dedupe_key: str
    text: str = ""
    media_id: str | None = None
    event: str | None = None  # subscribe | subscribe_scan | scan | unsubscribe | click …
    event_key: str | None = None  # QR scene or menu key, prefix "qrscene_" already stripped
    sent_at: dt.datetime | None = None
    chat_type: str = "private"
    raw_type: str | None = None  # the platform's own type name when we do not handle it

    @property
    def is_event(self) -> bool:
        return self.msg_type == "event"


@dataclass
class Reply:
    """What the bot says back right now (the passive reply); empty text means say nothing."""

    text: str = ""
    extras: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.text
