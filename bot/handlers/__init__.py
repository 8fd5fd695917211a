"""Handlers, each ``handler(msg, ctx) -> Reply | None``, tried in the order listed here; the first reply wins."""

from __future__ import annotations

from bot.context import Context
from bot.handlers.adviser import adviser_commands, wecom_members_only
from bot.handlers.binding import bind_by_text, choose_village, require_binding
from bot.handlers.events import handle_event
from bot.handlers.group import answer_in_group
from bot.handlers.rating import rate_answer
from bot.handlers.villager import (
    answer_media,
    answer_question,
    ask_for_human,
    fallback,
    join_open_consultation,
    raise_alert_if_sensitive,
)
from bot.messages import Incoming, Reply

# A villager's question, once we know their village (also used for a question kept before binding).
QUESTION_HANDLERS = (ask_for_human, rate_answer, join_open_consultation, answer_media, answer_question, fallback)

HANDLERS = (
    answer_in_group,  # group chats end here: private-chat handlers never see a group message
    wecom_members_only,
    handle_event,
    adviser_commands,
    raise_alert_if_sensitive,
    choose_village,
    bind_by_text,
    require_binding,
    *QUESTION_HANDLERS,
)


def dispatch(msg: Incoming, ctx: Context, handlers=HANDLERS) -> Reply:
    for handler in handlers:
        reply = handler(msg, ctx)
        if reply is not None:
            return reply
    return Reply()


def dispatch_question(msg: Incoming, ctx: Context, inbound_id: int) -> Reply:
    """Run a kept question through the question handlers, recorded against its own inbound message."""
    saved_msg, saved_id = ctx.incoming, ctx.inbound_id
    ctx.incoming, ctx.inbound_id = msg, inbound_id
    try:
        return dispatch(msg, ctx, QUESTION_HANDLERS)
    finally:
        ctx.incoming, ctx.inbound_id = saved_msg, saved_id
