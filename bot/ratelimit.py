"""Flood control per sender in the webhook path, so a flood from one openid cannot starve everyone else.

Counted in the database — the sender's stored inbound messages of the last minute, read through the
(sender, received_at) index — so the limit holds across gunicorn workers. A message over the limit is still
stored (nothing is lost) but not processed further: no classifier, no ledger record, no adviser notice. The
sender is told once to slow down (in private); the rest of the flood gets WeChat's empty ``success``.
The check runs in the transaction that stores the message (bot.intake).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Callable

from sqlalchemy import Connection, bindparam, func, select

from bot.config import Settings
from bot.fastsql import Prepared
from bot.ledger.tables import InboundMessage
from bot.messages import Incoming, Reply

log = logging.getLogger(__name__)

LIMITED = "limited"  # inbound_messages.status: stored, answered at most with SLOW_DOWN, never processed
WINDOW = dt.timedelta(minutes=1)
SLOW_DOWN = (
    "您发得太快了，请歇一分钟再发。这一分钟里多发的消息我们收到了，但不会处理，请稍后把问题再发一遍。"
    "有急事请拨打12348法律服务热线，遇到危险请拨打110。"
)
_INBOUND = InboundMessage.__table__
_OF_SENDER = (_INBOUND.c.sender == bindparam("sender"), _INBOUND.c.received_at > bindparam("since"))
_TOLD = select(_INBOUND.c.id).where(*_OF_SENDER, _INBOUND.c.status == LIMITED).limit(1)
_MARK = _INBOUND.update().where(_INBOUND.c.id == bindparam("inbound_id"))


@functools.cache
def _rank(limit: int) -> Prepared:
    """How many of the sender's messages of the last minute came up to this one, counted to limit + 1.

    LIMIT keeps the cost flat however big the flood; ORDER BY keeps PostgreSQL on the (sender,
    received_at) index when it expects many rows.
    """
    earlier = (
        select(_INBOUND.c.id)
        .where(*_OF_SENDER, _INBOUND.c.id <= bindparam("inbound_id"))
        .order_by(_INBOUND.c.received_at.desc())
        .limit(limit + 1)
    )
    return Prepared(select(func.count()).select_from(earlier.subquery()))


def answer_if_flooding(
    conn: Connection,
    settings: Settings,
    incoming: Incoming,
    inbound_id: int,
    now: dt.datetime,
    render: Callable[[Reply], bytes],
) -> bytes | None:
    """None while the sender is within the limit; otherwise mark the stored message limited and return the answer."""
    limit = settings.rate_limit_per_minute
    params = {"sender": incoming.sender, "since": now - WINDOW, "inbound_id": inbound_id}
    if _rank(limit).scalar(conn, params) <= limit:
        return None
    told = conn.execute(_TOLD, params).first() is not None
    # Once per flood, and never into a group chat, where it would read as a rebuke in front of the village.
    body = render(Reply() if told or incoming.chat_type == "group" else Reply(SLOW_DOWN))
    conn.execute(_MARK.values(status=LIMITED, response_body=body), {"inbound_id": inbound_id})
    if not told:
        log.warning(
            "%s sender %s… sent over %d messages a minute; the rest is stored, not processed",
            incoming.channel,
            incoming.sender[:6],
            limit,
        )
    return body


class FloodHint:
    """This process's count of each sender's messages in the current minute: a hint, not the limit.

    The pipeline classifies a text before its transaction opens; a sender this process alone has seen
    over the limit is flooding, and its messages are not worth that work (the database's count, across all
    workers, still decides). Cleared every minute, so it holds at most one minute's senders.
    """

    def __init__(self) -> None:
        self._minute: dt.datetime | None = None
        self._counts: dict[str, int] = {}

    def over(self, sender: str, now: dt.datetime, limit: int) -> bool:
        minute = now.replace(second=0, microsecond=0)
        if minute != self._minute:
            self._minute, self._counts = minute, {}
        count = self._counts.get(sender, 0) + 1
        self._counts[sender] = count
        return count > limit
