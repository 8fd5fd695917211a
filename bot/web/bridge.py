"""``POST /bridge/v1/messages``: the HMAC-signed JSON bridge (only when ``LEGALBOT_BRIDGE_KEYS`` is set)."""

from __future__ import annotations

import json
import logging

from flask import Blueprint, Response, abort, request
from sqlalchemy.exc import DBAPIError

from bot import pipeline
from bot.channels import ChannelError
from bot.channels.bridge import BridgeChannel, NonceStore, Request
from bot.web import services

log = logging.getLogger(__name__)
bp = Blueprint("bridge", __name__)


def _channel() -> BridgeChannel:
    s = services().settings
    if not s.bridge_keys:
        abort(404)
    # A nonce is useless once its timestamp is out of the window on either side: keep it twice as long.
    nonces = NonceStore(services().sessions, keep_seconds=2 * s.timestamp_window + 60)
    return BridgeChannel(s.bridge_keys, nonces, s.timestamp_window, s.bridge_max_body_bytes)


def _json(payload: dict | bytes, status: int = 200) -> Response:
    body = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return Response(body, status=status, mimetype="application/json")


def _read_body(limit: int) -> bytes | None:
    """At most ``limit`` bytes; None when the body is larger (checked before reading it all)."""
    if request.content_length is not None and request.content_length > limit:
        return None
    body = request.get_data(cache=False)  # bounded by MAX_CONTENT_LENGTH when no length was sent (chunked)
    return None if len(body) > limit else body


@bp.post("/bridge/v1/messages")
def receive():
    channel = _channel()
    body = _read_body(channel.max_body)
    if body is None:
        return _json({"error": f"body larger than {channel.max_body} bytes"}, 413)
    try:
        parsed = channel.parse(Request(headers=request.headers, body=body, now=services().clock.now()))
        reply = pipeline.handle(services(), parsed.incoming, parsed.render)
    except ChannelError as exc:
        log.warning("bridge request refused (%s): %s", exc.status, exc.reason)
        return _json({"error": exc.reason}, exc.status)
    except DBAPIError as exc:
        log.error("database unavailable for a bridge request: %s", type(exc).__name__)
        return _json({"error": "database unavailable, retry with a new nonce"}, 503)
    return _json(reply)
