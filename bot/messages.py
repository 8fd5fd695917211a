"""Platform-neutral messages: what every channel parses into and what handlers return."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

SENDER_MAX = 64  # inbound_messages.sender, villagers.openid and outbox.recipient hold 64 characters


@dataclass(frozen=True)
class Incoming:
    """One inbound message or event, whatever channel it came from."""

    channel: str  # official | simulator | wecom | bridge | wecom_bot
    sender: str  # openid (or the channel's sender id)
    msg_type: str  # text | voice | image | event | …
    dedupe_key: str
    text: str = ""
    media_id: str | None = None
    event: str | None = None  # subscribe | subscribe_scan | scan | unsubscribe | click …
    event_key: str | None = None  # QR scene or menu key, prefix "qrscene_" already stripped
    sent_at: dt.datetime | None = None
    chat_type: str = "private"  # private | group
    raw_type: str | None = None  # the platform's own type name when we do not handle it
    chat_id: str | None = None  # the group chat it was posted in (bridge, WeCom bot)
    mentioned: bool = False  # the bot was @-mentioned in the group
    sender_name: str | None = None  # display name from the channel; never stored (privacy)

    @property
    def is_event(self) -> bool:
        return self.msg_type == "event"

    @classmethod
    def from_stored(cls, row) -> Incoming:
        """The message again from its inbound_messages row (a private message: groups are not stored as such)."""
        return cls(
            channel=row.channel,
            sender=row.sender,
            msg_type=row.msg_type,
            dedupe_key=row.dedupe_key,
            text=row.text or "",
            media_id=row.media_id,
            event=row.event,
            event_key=row.event_key,
            sent_at=row.sent_at,
        )


@dataclass
class Reply:
    """What the bot says back right now (the passive reply); empty text means say nothing."""

    text: str = ""
    extras: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.text


def scoped_id(prefix: str, raw: str) -> str:
    """A sender id unique across channels (``bridge:k1:wxid_1``) that fits the 64-character columns.

    Ids too long to fit are replaced by a digest, so one person still maps to one pseudonymous villager.
    """
    candidate = f"{prefix}:{raw}"
    if len(candidate) <= SENDER_MAX:
        return candidate
    digest = hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{prefix}:#{digest[: SENDER_MAX - len(prefix) - 2]}"
