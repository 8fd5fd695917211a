"""``GET/POST /wecom/bot``: the WeCom AI bot callback (only when ``LEGALBOT_WECOM_BOT_*`` is configured)."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, abort, request
from sqlalchemy.exc import DBAPIError

from bot import pipeline
from bot.channels import ChannelError
from bot.channels.official import Request
from bot.channels.wecom_bot import PayloadError, WeComBotChannel
from bot.web import services

log = logging.getLogger(__name__)
bp = Blueprint("wecom_bot", __name__)


def _channel() -> WeComBotChannel:
    s = services().settings
    if not s.wecom_bot_configured:
        abort(404)
    return WeComBotChannel(s.wecom_bot_token, s.wecom_bot_aes_key, s.timestamp_window)


def _request() -> Request:
    return Request(args=request.args, body=request.get_data(cache=False), now=services().clock.now())


def _plain(body: bytes | str, status: int = 200) -> Response:
    return Response(body, status=status, mimetype="text/plain")


@bp.get("/wecom/bot")
def verify():
    try:
        return _plain(_channel().verify_url(_request()))
    except ChannelError as exc:
        log.warning("wecom bot verification refused: %s", exc.reason)
        return _plain(exc.reason, exc.status)


@bp.post("/wecom/bot")
def receive():
    try:
        parsed = _channel().parse(_request())
    except ChannelError as exc:
        log.warning("wecom bot callback refused (%s): %s", exc.status, exc.reason)
        return _plain(exc.reason, exc.status)
    except PayloadError as exc:
        # After a valid signature WeCom gets an empty 200 ("直接回复空包"), never an error it would retry.
        log.error("unreadable wecom bot message after a valid signature: %s", exc)
        return _plain(b"")
    if parsed is None:
        return _plain(b"")  # a stream refresh: our streams finish in the first reply
    try:
        body = pipeline.handle(services(), parsed.incoming, parsed.render)
    except DBAPIError as exc:
        log.error("database unavailable for %s: %s", parsed.incoming.dedupe_key, type(exc).__name__)
        return _plain("database unavailable", 503)
    return Response(body, mimetype="application/json") if body else _plain(b"")
