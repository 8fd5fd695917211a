"""``GET/POST /wechat``: the Official Account callback."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, request
from sqlalchemy.exc import DBAPIError

from bot import pipeline
from bot.channels import ChannelError
from bot.channels.official import SUCCESS, OfficialChannel, Request
from bot.channels.wechat_xml import XmlError
from bot.intake import SignatureReused
from bot.web import services

log = logging.getLogger(__name__)
bp = Blueprint("wechat", __name__)


def _channel() -> OfficialChannel:
    s = services().settings
    if not s.wechat_token:
        raise ChannelError(503, "LEGALBOT_WECHAT_TOKEN is not configured")
    return OfficialChannel(s.wechat_token, s.wechat_appid, s.wechat_aes_key, s.timestamp_window)


def _request() -> Request:
    return Request(args=request.args, body=request.get_data(cache=False), now=services().clock.now())


def _plain(body: bytes | str, status: int = 200, xml: bool = False) -> Response:
    return Response(body, status=status, mimetype="application/xml" if xml else "text/plain")


@bp.get("/wechat")
def verify():
    try:
        return _plain(_channel().verify_url(_request()))
    except ChannelError as exc:
        log.warning("wechat verification refused: %s", exc.reason)
        return _plain(exc.reason, exc.status)


@bp.post("/wechat")
def receive():
    try:
        parsed = _channel().parse(_request())
    except ChannelError as exc:
        log.warning("wechat callback refused (%s): %s", exc.status, exc.reason)
        return _plain(exc.reason, exc.status)
    except XmlError as exc:
        # After a valid signature WeChat must get 200 "success", or it retries and shows an error.
        log.error("malformed wechat message after a valid signature: %s", exc)
        return _plain(SUCCESS)
    try:
        body = pipeline.handle(services(), parsed.incoming, parsed.render, parsed.claim)
    except SignatureReused:
        log.warning("refused a callback URL signature replayed with a different message")
        return _plain("signature already used for another message", 403)
    except DBAPIError as exc:
        # The message could not even be stored: 503 makes WeChat retry, so nothing is lost.
        log.error("database unavailable, asking WeChat to retry %s: %s", parsed.incoming.dedupe_key, type(exc).__name__)
        return _plain("database unavailable", 503)
    return _plain(body, xml=body != SUCCESS)
