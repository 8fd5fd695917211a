"""Flood control per sender in the webhook path, so a flood from one openid cannot starve everyone else.

Counted in the database — the sender's stored inbound messages of the last minute, read through the
(sender, received_at) index — so the limit holds across gunicorn workers. A message over the limit is still
stored (nothing is lost) but not processed further: no classifier, no ledger record, no adviser notice. The
sender is told once to slow down (in private); the rest of the flood gets WeChat's empty ``success``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from sqlalchemy import func, select

from bot.ledger.tables import InboundMessage
from bot.messages import Incoming, Reply

log = logging.getLogger(__name__)

LIMITED = "limited"  # inbound_messages.status: stored, answered at most with SLOW_DOWN, never processed
WINDOW = dt.timedelta(minutes=1)
SLOW_DOWN = (
    "您发得太快了，请歇一分钟再发。这一分钟里多发的消息我们收到了，但不会处理，请稍后把问题再发一遍。"
    "有急事请拨打12348法律服务热线，遇到危险请拨打110。"
)


def refuse_if_flooding(services, incoming: Incoming, inbound_id: int, render: Callable[[Reply], bytes]) -> bytes | None:
    """None while the sender is within the limit; otherwise mark the stored message limited and return the answer."""
    limit = services.settings.rate_limit_per_minute
    since = services.clock.now() - WINDOW
    of_sender = (InboundMessage.sender == incoming.sender, InboundMessage.received_at > since)
    # Rank of this message among the sender's last minute. LIMIT keeps the cost flat however big the flood;
    # ORDER BY keeps PostgreSQL on the (sender, received_at) index when it expects many rows.
    earlier = (
        select(InboundMessage.id)
        .where(*of_sender, InboundMessage.id <= inbound_id)
        .order_by(InboundMessage.received_at.desc())
        .limit(limit + 1)
    )
    with services.sessions.begin() as session:
        if session.scalar(select(func.count()).select_from(earlier.subquery())) <= limit:
            return None
        told = session.scalar(select(InboundMessage.id).where(*of_sender, InboundMessage.status == LIMITED).limit(1))
        # Once per flood, and never into a group chat, where it would read as a rebuke in front of the village.
        body = render(Reply() if told or incoming.chat_type == "group" else Reply(SLOW_DOWN))
        row = session.get(InboundMessage, inbound_id)
        row.status, row.response_body = LIMITED, body
    if not told:
        log.warning(
            "%s sender %s… sent over %d messages a minute; the rest is stored, not processed",
            incoming.channel,
            incoming.sender[:6],
            limit,
        )
    return body
