"""Group chats (JSON bridge, WeCom AI bot): the bot's etiquette in a village group.

Speak only when addressed (@-mention or a prefix such as 问律师) or when a clear general legal question
is asked; answer general FAQ entries in the group; never discuss a personal case there, but point the
sender to a private chat and open the consultation for them; a sensitive matter reaches a person at once
and is not debated in the group. Everything posted to a group has phone and ID numbers masked.
"""

from __future__ import annotations

import dataclasses
import logging
import re

from bot import texts
from bot.categories import SMALLTALK
from bot.classifier.answerer import Decision
from bot.consultations import (
    add_follow_up,
    adviser_title,
    forward_new,
    raise_alert,
)
from bot.context import Context
from bot.handlers.commands import human_request
from bot.ledger import repo
from bot.messages import Incoming, Reply
from bot.opening import answer_by_bot, legal_aid_of
from bot.privacy import mask_personal
from bot.village_groups import village_for_group

log = logging.getLogger(__name__)
ADDRESS_PREFIXES = ("请问律师", "问法律顾问", "问律师", "问顾问", "咨询律师", "法律咨询")
_LEADING = re.compile(r"^[\s:：，,。！!？?、~～]+")
MENTION_RE = re.compile(r"@[^\s\u2005@]+[\s\u2005]*")
# Marks of a question (not a remark) in everyday Chinese; unaddressed remarks are never answered.
QUESTION_RE = re.compile(
    r"[?？]|吗|么|怎么|怎样|咋|如何|能不能|能否|可不可以|可以不|是否|多久|多长时间|多少|哪里|哪儿|什么|啥|谁"
)
HUMAN_PLACEHOLDER = "（群里请求人工咨询，尚未说明具体问题）"

OFFICIAL_ACCOUNT = "县司法局“一村一法律顾问”服务号"
GROUP_HELLO = (
    "您好！我是县司法局的法律咨询助手。在群里@我，可以问土地、婚姻家庭、欠薪、借款这类一般法律问题；"
    "涉及个人情况，请私信我。法律服务热线12348。"
)
GROUP_HUMAN_HINT = "想找律师细问，请私信我。"
GROUP_PRIVATE = (
    "涉及个人情况，请私信。已请{village}的法律顾问{adviser}单独答复您：请私信我（发一句话即可）查看答复，"
    "也可以关注" + OFFICIAL_ACCOUNT + "咨询。"
)
GROUP_PRIVATE_NO_VILLAGE = (
    "涉及个人情况，请私信。请私信我并告诉我您是哪个村的（如“绑定 河东村”），我会转给您村的法律顾问；"
    "也可以关注" + OFFICIAL_ACCOUNT + "咨询，或拨打12348法律服务热线。"
)
GROUP_ALERT = "收到。已请法律顾问尽快和您单独联系，请留意私信。如有危险，请立即拨打110。"


def answer_in_group(msg: Incoming, ctx: Context) -> Reply | None:
    """Every group message ends here: the private-chat handlers never see one."""
    if msg.chat_type != "group":
        return None
    if ctx.villager is None:  # an adviser's own account in a group: nothing for the bot to do
        return Reply()
    village = village_for_group(ctx.session, msg.chat_id)
    if village is not None and ctx.villager.village_id is None:
        ctx.villager.village_id, ctx.villager.village, ctx.villager.bound_at = village.id, village, ctx.now
    addressed, text = addressed_text(msg)
    if not text:
        return Reply(GROUP_HELLO) if addressed else Reply()
    decision = ctx.decide(text)
    if decision.action == "alert":
        # A person is told at once, even when the bot was not addressed; nothing is discussed in the group.
        raise_alert(ctx, text, decision)
        if ctx.villager.village_id is None:
            log.warning("sensitive message in group chat %s, which no roster row maps to a village", msg.chat_id)
        return _post(GROUP_ALERT) if addressed else Reply()
    wanted, rest = human_request(text)
    if not wanted and decision.action == "answer" and _general(ctx, decision) and (addressed or asks(text)):
        posted = decision.answer.replace(texts.HUMAN_HINT, GROUP_HUMAN_HINT)
        answer_by_bot(ctx, text, dataclasses.replace(decision, answer=posted))
        return _post(posted)
    if not addressed or (chitchat(ctx, text, decision) and not wanted):
        return Reply(GROUP_HELLO) if addressed else Reply()
    if wanted:
        return _post(go_private(ctx, rest or HUMAN_PLACEHOLDER, ctx.decide(rest) if rest else None))
    return _post(go_private(ctx, text, decision))


def addressed_text(msg: Incoming) -> tuple[bool, str]:
    """(was the bot addressed?, the text without @-mentions and the address prefix, otherwise as written)."""
    text = _LEADING.sub("", MENTION_RE.sub(" ", msg.text)).strip()
    for prefix in ADDRESS_PREFIXES:
        if text.startswith(prefix):
            return True, _LEADING.sub("", text[len(prefix) :]).strip()
    return msg.mentioned, text


def chitchat(ctx: Context, text: str, decision: Decision) -> bool:
    """Greetings and thanks: in a group a private consultation needs a legal question, not a hello."""
    if decision.action == "smalltalk":
        return True
    return (
        decision.action == "forward"
        and ctx.answerer.classify(text)[2] == SMALLTALK
        and ctx.answerer.could_be_smalltalk(text)
    )


def asks(text: str) -> bool:
    """A question rather than a remark: only questions are answered when nobody addressed the bot."""
    return bool(QUESTION_RE.search(text))


def go_private(ctx: Context, question: str, decision: Decision | None) -> str:
    """Open (or add to) the sender's private consultation, forwarded to the adviser; say so without details.

    The adviser's answer waits in the outbox for the sender's next private message on the same channel.
    """
    villager = ctx.villager
    village = villager.village
    if village is None:
        # Kept like an unbound villager's question: handled once they name their village in private.
        villager.pending_inbound_id = ctx.inbound_id
        return GROUP_PRIVATE_NO_VILLAGE
    consultation = repo.open_consultation(ctx.session, villager.id)
    if consultation is not None:
        add_follow_up(ctx, consultation, question)
    else:
        reason = "asked in a group chat; the answer goes to the sender privately"
        consultation = forward_new(ctx, question, decision, reason, legal_aid_of(ctx, question))
    adviser = consultation.adviser or village.adviser_a
    return GROUP_PRIVATE.format(village=village.name, adviser=adviser_title(adviser))


def _general(ctx: Context, decision: Decision) -> bool:
    """FAQ entries marked ``general: false`` are never answered in a group."""
    index = ctx.answerer.faq_index
    position = index.by_id.get(decision.faq_id or "")
    return position is not None and index.entries[position].general


def _post(text: str) -> Reply:
    return Reply(mask_personal(text))
