"""``GET/POST /wecom``: the WeCom app callback (only when ``LEGALBOT_WECOM_*`` is configured)."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, abort, request
from sqlalchemy.exc import DBAPIError

from bot import pipeline
from bot.channels import ChannelError
from bot.channels.official import Request
from bot.channels.wechat_xml import XmlError
from bot.channels.wecom import WeComChannel
from bot.web import services

log = logging.getLogger(__name__)
bp = Blueprint("wecom", __name__)


def _channel() -> WeComChannel:
    s = services().settings
    if not s.wecom_configured:
        abort(404)
    return WeComChannel(s.wecom_token, s.wecom_aes_key, s.wecom_corp_id, s.timestamp_window)


def _request() -> Request:
    return Request(args=request.args, body=request.get_data(cache=False), now=services().clock.now())


@bp.get("/wecom")
def verify():
    try:
        return Response(_channel().verify_url(_request()), mimetype="text/plain")
    except ChannelError as exc:
        log.warning("wecom verification refused: %s", exc.reason)
        return Response(exc.reason, status=exc.status, mimetype="text/plain")


@bp.post("/wecom")
def receive():
    try:
        parsed = _channel().parse(_request())
    except ChannelError as exc:
        log.warning("wecom callback refused (%s): %s", exc.status, exc.reason)
        return Response(exc.reason, status=exc.status, mimetype="text/plain")
    except XmlError as exc:
        log.error("malformed wecom message after a valid signature: %s", exc)
        return Response(b"", mimetype="text/plain")
    try:
        body = pipeline.handle(services(), parsed.incoming, parsed.render)
    except DBAPIError as exc:
        log.error("database unavailable for %s: %s", parsed.incoming.dedupe_key, type(exc).__name__)
        return Response("database unavailable", status=503, mimetype="text/plain")
    return Response(body, mimetype="application/xml" if body else "text/plain")
