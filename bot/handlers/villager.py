"""What villagers send once bound: alerts, "人工", follow-ups, media, and questions."""

from __future__ import annotations

import datetime as dt

from bot import texts
from bot.consultations import (
    add_follow_up,
    adviser_title,
    forward,
    forward_new,
    forwarded_reply,
    raise_alert,
)
from bot.context import Context
from bot.handlers.commands import human_request
from bot.ledger import repo, states
from bot.messages import Incoming, Reply
from bot.opening import answer_by_bot, legal_aid_of, legal_aid_paragraph

MEDIA_NAMES = {
    "voice": "语音",
    "image": "图片",
    "video": "视频",
    "shortvideo": "小视频",
    "location": "位置",
    "link": "链接",
    "file": "文件",
}
REOPEN_WINDOW = dt.timedelta(hours=24)  # "人工" within a day of a bot answer reopens that answer
HUMAN_PLACEHOLDER = "（村民请求人工咨询，尚未说明具体问题）"


def raise_alert_if_sensitive(msg: Incoming, ctx: Context) -> Reply | None:
    """Sensitive matters go to a person at once, before anything else (even before binding)."""
    if ctx.villager is None or not msg.text.strip():
        return None
    decision = ctx.decide(msg.text)
    if decision.action != "alert":
        return None
    raise_alert(ctx, msg.text, decision)
    reply = decision.answer
    if ctx.villager.village_id is None:
        reply += "\n" + texts.ASK_VILLAGE
    return Reply(reply)


def ask_for_human(msg: Incoming, ctx: Context) -> Reply | None:
    """ "人工" / "找律师" always reaches a person: reopen the last bot answer or open a new case."""
    if ctx.villager is None or msg.msg_type not in ("text", "voice"):
        return None
    wanted, rest = human_request(msg.text)
    if not wanted:
        return None
    waiting = repo.open_consultation(ctx.session, ctx.villager.id)
    if waiting is not None:
        if rest:
            add_follow_up(ctx, waiting, rest)
        return Reply(texts.FOLLOW_UP_JOINED.format(number=waiting.id, adviser=_adviser_of(waiting)))
    recent = repo.recent_bot_answer(ctx.session, ctx.villager.id, ctx.now - REOPEN_WINDOW)
    if recent is not None and not rest:
        recent.status = states.WAITING
        repo.add_event(ctx.session, recent, "reopened", ctx.now, "villager asked for a person")
        forward(ctx, recent, "villager asked for a person")
        return Reply(forwarded_reply(ctx, recent, human=True))
    decision = ctx.decide(rest) if rest else None
    question = rest or HUMAN_PLACEHOLDER
    consultation = forward_new(ctx, question, decision, "villager asked for a person", legal_aid_of(ctx, rest))
    aid = legal_aid_paragraph(ctx, consultation)
    return Reply(_join(forwarded_reply(ctx, consultation, human=True), aid))


def join_open_consultation(msg: Incoming, ctx: Context) -> Reply | None:
    """While a person is on the case, the bot does not answer with the FAQ: messages join the case."""
    if ctx.villager is None or msg.is_event:
        return None
    consultation = repo.open_consultation(ctx.session, ctx.villager.id)
    if consultation is None:
        return None
    if msg.text.strip():
        add_follow_up(ctx, consultation, msg.text, msg.msg_type)
        return Reply(texts.FOLLOW_UP_JOINED.format(number=consultation.id, adviser=_adviser_of(consultation)))
    add_follow_up(ctx, consultation, "", msg.msg_type)
    kind = MEDIA_NAMES.get(msg.msg_type, "消息")
    return Reply(texts.MEDIA_JOINED.format(kind=kind, number=consultation.id))


def answer_media(msg: Incoming, ctx: Context) -> Reply | None:
    """Voice without recognition, images and the rest: kept (already stored), answered politely."""
    if msg.is_event or msg.text.strip():
        return None
    kind = MEDIA_NAMES.get(msg.msg_type)
    if kind is None:
        return Reply(texts.UNSUPPORTED)
    return Reply(texts.MEDIA_NO_CONSULTATION.format(kind=kind))


def answer_question(msg: Incoming, ctx: Context) -> Reply | None:
    """Classify; answer from the FAQ when confident, otherwise forward to the village's adviser."""
    if ctx.villager is None or not msg.text.strip():
        return None
    decision = ctx.decide(msg.text)
    if decision.action == "smalltalk":
        return Reply(decision.answer)
    legal_aid = legal_aid_of(ctx, msg.text)
    if decision.action == "answer":
        consultation = answer_by_bot(ctx, msg.text, decision, legal_aid)
        return Reply(_join(decision.answer, legal_aid_paragraph(ctx, consultation), texts.RATE_PROMPT))
    consultation = forward_new(ctx, msg.text, decision, "not confident enough to answer", legal_aid)
    return Reply(_join(forwarded_reply(ctx, consultation), legal_aid_paragraph(ctx, consultation)))


def _join(*parts: str) -> str:
    return "\n".join(p for p in parts if p)


def fallback(msg: Incoming, ctx: Context) -> Reply | None:
    return Reply(texts.UNSUPPORTED)


def _adviser_of(consultation) -> str:
    return adviser_title(consultation.adviser) if consultation.adviser else "顾问"
