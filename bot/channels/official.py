"""The Official Account (公众号) callback: verification, plaintext and safe (AES) mode, parsing, replies.

Protocol: https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Access_Overview.html
(URL verification) and .../Message_Management/Receiving_standard_messages.html (message XML).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bot.channels import ChannelError
from bot.channels.wechat_crypto import MessageCipher, sign, signature_matches
from bot.channels.wechat_xml import (
    XmlError,
    parse_xml,
    render_encrypted,
    render_text_reply,
    text_field,
)
from bot.messages import Incoming, Reply

log = logging.getLogger(__name__)

SUCCESS = b"success"
CHANNEL = "official"
# Event names as WeChat sends them → our names.
EVENTS = {
    "subscribe": "subscribe",
    "SCAN": "scan",
    "unsubscribe": "unsubscribe",
    "CLICK": "click",
    "VIEW": "view",
    "LOCATION": "location",
}
# Widths of the inbound_messages columns these fields go to. WeChat's own values are far shorter (an openid
# has 28 characters, a MsgId at most 20 digits); a longer one is malformed input, and PostgreSQL would
# refuse to store it, which the webhook could only answer with a 503 that WeChat keeps retrying.
FIELD_LIMITS = {"FromUserName": 64, "MsgType": 32, "Event": 64, "EventKey": 200, "MediaId": 200}
DEDUPE_KEY_MAX = 200
_MSG_ID = re.compile(r"[0-9]{1,32}")


@dataclass
class Request:
    """What the view hands over: query args, body, and when it arrived."""

    args: Mapping[str, str]
    body: bytes
    now: dt.datetime


@dataclass(frozen=True)
class BodyClaim:
    """The URL ``signature`` covers the timestamp and nonce but never the body, so a captured URL could carry
    a forged body for the rest of the timestamp window: the first body seen is bound to it (bot.replay_cache)."""

    signature: str
    expires_at: dt.datetime  # after this the timestamp check refuses the URL anyway
    body_sha256: str  # of the message XML (decrypted in safe mode)


@dataclass
class Parsed:
    incoming: Incoming
    render: Callable[[Reply], bytes]
    claim: BodyClaim | None = None


class OfficialChannel:
    """Everything between WeChat's HTTP request and the platform-neutral pipeline."""

    def __init__(self, token: str, appid: str = "", aes_key: str = "", timestamp_window: int = 300):
        self.token = token
        self.appid = appid
        self.window = timestamp_window
        self.cipher = MessageCipher(token, aes_key, appid) if aes_key else None

    # --- GET: URL verification -------------------------------------------------------------
    def verify_url(self, req: Request) -> bytes:
        """Answer WeChat's URL check with the echostr (plain even in safe mode for Official Accounts)."""
        self._check_signature(req.args)
        echostr = req.args.get("echostr", "")
        if not echostr:
            raise ChannelError(400, "missing echostr")
        return echostr.encode("utf-8")

    # --- POST: a message or event ----------------------------------------------------------
    def parse(self, req: Request) -> Parsed:
        """Check signature and timestamp, decrypt if needed, parse into an :class:`Incoming`.

        Raises ChannelError(403) for bad signatures or stale timestamps; after a valid signature,
        malformed content raises XmlError, which the view answers with ``success`` (WeChat rule: never 5xx).
        """
        url_signature = self._check_signature(req.args)
        sent = self._check_timestamp(req.args.get("timestamp", ""), req.now)
        encrypted = req.args.get("encrypt_type", "raw").lower() == "aes"
        if encrypted and self.cipher is None:
            raise ChannelError(403, "encrypted message but LEGALBOT_WECHAT_AES_KEY is not configured")
        outer = parse_xml(req.body)
        if encrypted:
            blob = text_field(outer, "Encrypt", required=True)
            if not self.cipher.check(req.args.get("msg_signature"), req.args["timestamp"], req.args["nonce"], blob):
                raise ChannelError(403, "bad msg_signature")
            try:
                message = self.cipher.decrypt(blob).encode("utf-8")
            except ValueError as exc:
                raise XmlError(str(exc)) from exc
            fields = parse_xml(message)
        else:
            fields, message = outer, req.body
        incoming = to_incoming(fields, CHANNEL)
        to_user = text_field(fields, "ToUserName")
        timestamp, nonce = req.args["timestamp"], req.args["nonce"]

        def render(reply: Reply) -> bytes:
            if reply.empty:
                return SUCCESS
            xml = render_text_reply(incoming.sender, to_user, reply.text, int(req.now.timestamp()))
            if not encrypted:
                return xml.encode("utf-8")
            blob, signature = self.cipher.encrypt(xml, timestamp, nonce)
            return render_encrypted(blob, signature, timestamp, nonce).encode("utf-8")

        claim = BodyClaim(
            url_signature,
            dt.datetime.fromtimestamp(sent + self.window, dt.UTC),
            hashlib.sha256(message).hexdigest(),
        )
        return Parsed(incoming, render, claim)

    def _check_signature(self, args: Mapping[str, str]) -> str:
        """The expected signature, once the given one matches it."""
        timestamp, nonce = args.get("timestamp", ""), args.get("nonce", "")
        if not timestamp or not nonce:
            raise ChannelError(403, "missing timestamp or nonce")
        expected = sign(self.token, timestamp, nonce)
        if not signature_matches(expected, args.get("signature")):
            raise ChannelError(403, "bad signature")
        return expected

    def _check_timestamp(self, timestamp: str, now: dt.datetime) -> int:
        try:
            sent = int(timestamp)
        except ValueError:
            raise ChannelError(403, "timestamp is not a number") from None
        if abs(now.timestamp() - sent) > self.window:
            raise ChannelError(403, "stale timestamp")
        return sent


def to_incoming(fields: dict[str, object], channel: str) -> Incoming:
    """Map WeChat's XML fields to the platform-neutral message; unknown types are kept, not dropped."""
    for name, limit in FIELD_LIMITS.items():
        if len(text_field(fields, name)) > limit:
            raise XmlError(f"<{name}> is longer than {limit} characters")
    sender = text_field(fields, "FromUserName", required=True)
    msg_type = text_field(fields, "MsgType", required=True).strip().lower()
    if not sender or not msg_type:
        raise XmlError("empty FromUserName or MsgType")
    create_time = text_field(fields, "CreateTime")
    try:
        sent_at = dt.datetime.fromtimestamp(int(create_time), dt.UTC) if create_time else None
    except (ValueError, OverflowError, OSError):
        raise XmlError("CreateTime is not a unix time") from None
    if msg_type == "event":
        raw_event = text_field(fields, "Event")
        event_key = text_field(fields, "EventKey")
        event = EVENTS.get(raw_event, raw_event.lower() or "unknown")
        if event == "subscribe" and event_key.startswith("qrscene_"):
            event, event_key = "subscribe_scan", event_key[len("qrscene_") :]
        # Events carry no MsgId: dedupe on sender + time + event + key (wechat.md §1.3).
        key = f"{channel}:evt:{sender}:{create_time}:{raw_event}:{event_key}"
        if len(key) > DEDUPE_KEY_MAX:
            key = f"{channel}:evt:#{hashlib.sha256(key.encode()).hexdigest()}"
        return Incoming(channel, sender, "event", key, event=event, event_key=event_key or None, sent_at=sent_at)
    msg_id = text_field(fields, "MsgId")
    if not _MSG_ID.fullmatch(msg_id):
        raise XmlError("MsgId missing or not a number")
    key = f"{channel}:msg:{msg_id}"
    if msg_type == "text":
        return Incoming(channel, sender, "text", key, text=text_field(fields, "Content"), sent_at=sent_at)
    if msg_type == "voice":
        # Recognition only exists when 语音识别 is on; without it the voice goes to a person.
        recognition = text_field(fields, "Recognition").strip()
        return Incoming(
            channel, sender, "voice", key, text=recognition, media_id=text_field(fields, "MediaId"), sent_at=sent_at
        )
    known_media = {"image", "video", "shortvideo", "location", "link", "file"}
    text = ""
    if msg_type == "location":
        text = text_field(fields, "Label")
    elif msg_type == "link":
        text = f"{text_field(fields, 'Title')} {text_field(fields, 'Url')}".strip()
    return Incoming(
        channel,
        sender,
        msg_type if msg_type in known_media else "unknown",
        key,
        text=text,
        media_id=text_field(fields, "MediaId") or None,
        sent_at=sent_at,
        raw_type=msg_type,
    )
