"""The HMAC-signed JSON bridge (``POST /bridge/v1/messages``) for operators who connect a group source.

Contract (docs/bridge.md): headers ``X-Bridge-Key``, ``X-Bridge-Timestamp`` (unix seconds, within the
window), ``X-Bridge-Nonce`` (never reused) and ``X-Bridge-Signature`` = hex HMAC-SHA256 with the key's
secret over ``timestamp + "\\n" + nonce + "\\n" + body``. The order of the checks matters: size (413),
then signature, timestamp and nonce (401), and only then the JSON (400), so nothing unsigned is parsed,
stored or answered.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from bot.channels import ChannelError
from bot.ledger.tables import BridgeNonce
from bot.messages import Incoming, Reply, scoped_id

log = logging.getLogger(__name__)

CHANNEL = "bridge"
NONCE_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
TIMESTAMP_RE = re.compile(r"^[0-9]{1,12}$")
SIGNATURE_RE = re.compile(r"^[0-9a-fA-F]{64}$")
LIMITS = {"msg_id": 128, "chat_id": 128, "chat_name": 200, "sender_id": 128, "sender_name": 100, "text": 4000}


class PayloadError(ValueError):
    """A correctly signed body that is not a valid message; answered 400 with the reason."""


@dataclass
class Request:
    """What the view hands over: the headers, the raw body, and when it arrived."""

    headers: Mapping[str, str]
    body: bytes
    now: dt.datetime


@dataclass
class Parsed:
    incoming: Incoming
    render: Callable[[Reply], bytes]


def signature(secret: str, timestamp: str, nonce: str, body: bytes) -> str:
    """hex HMAC-SHA256 over ``timestamp \\n nonce \\n body``: what the bridge signs and we check."""
    message = timestamp.encode("ascii") + b"\n" + nonce.encode("ascii") + b"\n" + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


class NonceStore:
    """Remembers used nonces in the database (shared by every gunicorn worker) for twice the window."""

    def __init__(self, sessions, keep_seconds: int):
        self.sessions = sessions
        self.keep = dt.timedelta(seconds=keep_seconds)

    def claim(self, key: str, nonce: str, now: dt.datetime) -> bool:
        """True the first time a (key, nonce) pair is seen; the unique constraint decides races."""
        try:
            with self.sessions.begin() as session:
                session.execute(delete(BridgeNonce).where(BridgeNonce.seen_at < now - self.keep))
                session.add(BridgeNonce(key=key, nonce=nonce, seen_at=now))
        except IntegrityError:
            return False
        return True


class BridgeChannel:
    def __init__(self, keys: Mapping[str, str], nonces: NonceStore, timestamp_window: int = 300, max_body: int = 65536):
        self.keys = dict(keys)
        self.nonces = nonces
        self.window = timestamp_window
        self.max_body = max_body

    def parse(self, req: Request) -> Parsed:
        """Check size, signature, timestamp and nonce, then the JSON; raises ChannelError (413/401/400)."""
        if len(req.body) > self.max_body:
            raise ChannelError(413, f"body larger than {self.max_body} bytes")
        key = self.authenticate(req)
        try:
            data = decode_json(req.body)
            incoming = to_incoming(key, data)
        except PayloadError as exc:
            raise ChannelError(400, str(exc)) from exc
        # Mentions use the bridge's own sender id, not our scoped one.
        mention = [data["sender_id"]] if incoming.chat_type == "group" else []

        def render(reply: Reply) -> bytes:
            payload = {"reply": None if reply.empty else {"text": reply.text, "mention": mention}}
            return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

        return Parsed(incoming, render)

    def authenticate(self, req: Request) -> str:
        """The key id of a correctly signed, fresh, never-seen request; ChannelError(401) otherwise."""
        key = req.headers.get("X-Bridge-Key", "")
        timestamp = req.headers.get("X-Bridge-Timestamp", "")
        nonce = req.headers.get("X-Bridge-Nonce", "")
        given = req.headers.get("X-Bridge-Signature", "")
        secret = self.keys.get(key)
        if secret is None:
            raise ChannelError(401, "unknown or missing X-Bridge-Key")
        if not TIMESTAMP_RE.match(timestamp) or not NONCE_RE.match(nonce) or not SIGNATURE_RE.match(given):
            raise ChannelError(401, "X-Bridge-Timestamp, X-Bridge-Nonce or X-Bridge-Signature missing or malformed")
        expected = signature(secret, timestamp, nonce, req.body)
        if not hmac.compare_digest(expected.encode("ascii"), given.lower().encode("ascii")):
            raise ChannelError(401, "bad X-Bridge-Signature")
        if abs(req.now.timestamp() - int(timestamp)) > self.window:
            raise ChannelError(401, f"X-Bridge-Timestamp is more than {self.window} s away from the server's clock")
        if not self.nonces.claim(key, nonce, req.now):
            raise ChannelError(401, "X-Bridge-Nonce was used before (replay); sign every request with a new nonce")
        return key


def decode_json(body: bytes) -> dict:
    """Strict UTF-8 JSON object; NaN/Infinity, deep nesting and lone surrogates are refused, never crash."""
    try:
        data = json.loads(body.decode("utf-8"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise PayloadError(f"body is not UTF-8 JSON: {type(exc).__name__}") from None
    if not isinstance(data, dict):
        raise PayloadError("body must be a JSON object")
    return data


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON")


def to_incoming(key: str, data: dict) -> Incoming:
    """Validate the documented fields and build the platform-neutral message."""
    msg_id = _text(data, "msg_id", required=True, allow_int=True)
    chat_type = data.get("chat_type")
    if chat_type not in ("group", "private"):
        raise PayloadError('chat_type must be "group" or "private"')
    chat_id = _text(data, "chat_id", required=chat_type == "group")
    sender_id = _text(data, "sender_id", required=True)
    mentioned = data.get("mentioned_bot", False)
    if not isinstance(mentioned, bool):
        raise PayloadError("mentioned_bot must be true or false")
    _text(data, "chat_name")
    text = _text(data, "text")
    return Incoming(
        CHANNEL,
        scoped_id(f"{CHANNEL}:{key}", sender_id),
        "text",
        f"{CHANNEL}:{key}:{msg_id}",
        text=text,
        sent_at=_sent_at(data.get("sent_at")),
        chat_type=chat_type,
        chat_id=chat_id or None,
        mentioned=mentioned,
        sender_name=_text(data, "sender_name") or None,
    )


def _text(data: dict, name: str, required: bool = False, allow_int: bool = False) -> str:
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise PayloadError(f"{name} is required")
        return ""
    if allow_int and isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise PayloadError(f"{name} must be a string")
    if len(value) > LIMITS[name]:
        raise PayloadError(f"{name} is longer than {LIMITS[name]} characters")
    if "\x00" in value:
        raise PayloadError(f"{name} contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise PayloadError(f"{name} contains an unpaired surrogate") from None
    if required and not value.strip():
        raise PayloadError(f"{name} is required")
    return value


def _sent_at(value: object) -> dt.datetime | None:
    """Unix seconds, or an ISO 8601 time with its offset."""
    if value is None or value == "":
        return None
    try:
        if isinstance(value, bool):
            raise TypeError
        if isinstance(value, int | float):
            return dt.datetime.fromtimestamp(value, dt.UTC)
        if isinstance(value, str):
            parsed = dt.datetime.fromisoformat(value)
            if parsed.tzinfo is not None:
                return parsed.astimezone(dt.UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        pass
    raise PayloadError("sent_at must be unix seconds or an ISO 8601 time with its offset")
