"""Commands from advisers in WeChat: "#57 答复…", "#57 收到", "#57 处置 …", "#57 可作为常见问题",
"#57 非法律问题",
"待办", "登录", and the duty ledger ("签到 村名", "签退", "讲座 村名 主题", "调解 村名 情况", "台账")."""

from __future__ import annotations

import re
import unicodedata

from bot import texts
from bot.advisers import (
    ActionError,
    acknowledge_alert,
    close_not_legal,
    ensure_assigned,
    propose_faq,
    record_disposal,
)
from bot.auth import issue_login_code
from bot.consultations import relay_answer
from bot.context import Context
from bot.handlers.commands import normalize
from bot.handlers.duty import duty_command
from bot.ledger import repo
from bot.ledger.tables import Consultation
from bot.messages import Incoming, Reply

REPLY_RE = re.compile(r"^(?:回复|答复|回覆)?\s*[#＃]\s*([0-9０-９]{1,12})\s*[:：]?\s*(.*)$", re.S)
TODO_WORDS = ("待办", "待辦", "待答复", "todo")
ACK_WORDS = ("收到", "已收到", "确认", "收到了")
DISPOSAL_RE = re.compile(r"^处置\s*[:：]?\s*(.*)$", re.S)
FAQ_WORDS = ("可作为常见问题", "作为常见问题", "入库", "常见问题")
NOT_LEGAL_WORDS = ("非法律问题", "不是法律问题", "非法律咨询", "不是法律咨询", "闲聊")


def wecom_members_only(msg: Incoming, ctx: Context) -> Reply | None:
    """The WeCom app is the advisers' channel; other members are told so."""
    if msg.channel == "wecom" and ctx.adviser is None:
        return Reply() if msg.is_event else Reply(texts.WECOM_NOT_ADVISER)
    return None


def adviser_commands(msg: Incoming, ctx: Context) -> Reply | None:
    adviser = ctx.adviser
    if adviser is None or msg.is_event:
        return None
    match = REPLY_RE.match(msg.text.strip())
    if match:
        # The answer is relayed exactly as the adviser wrote it; only the number is normalised.
        number, rest = int(unicodedata.normalize("NFKC", match.group(1))), match.group(2).strip()
        try:
            return Reply(numbered_command(ctx, ctx.session.get(Consultation, number), number, rest))
        except ActionError as exc:
            return Reply(str(exc))
    plain = normalize(msg.text)
    if plain.lower() in TODO_WORDS:
        return Reply(list_pending(ctx))
    if plain in ("登录", "登陆", "工作台"):
        code = issue_login_code(ctx.session, ctx.now, adviser_id=adviser.id)
        return Reply(texts.LOGIN_LINK.format(url=f"{ctx.settings.public_url}/adviser/login/{code}"))
    reply = duty_command(ctx, plain)
    return Reply(reply if reply is not None else texts.ADVISER_HELP)


def numbered_command(ctx: Context, consultation: Consultation | None, number: int, rest: str) -> str:
    """ "#57 …": acknowledge, dispose, propose as FAQ, close as not legal, or answer (the default)."""
    if consultation is None:
        return texts.ADVISER_NOT_FOUND.format(number=number)
    adviser = ctx.adviser
    ensure_assigned(consultation, adviser)
    if not rest:
        return texts.ADVISER_EMPTY_ANSWER.format(number=number)
    if rest in ACK_WORDS:
        acknowledge_alert(ctx, consultation, adviser.name)
        return texts.ALERT_ACKED.format(number=number)
    disposal = DISPOSAL_RE.match(rest)
    if consultation.alert_kind and disposal:
        record_disposal(ctx, consultation, adviser.name, disposal.group(1))
        return texts.ALERT_DISPOSED.format(number=number)
    if rest in FAQ_WORDS:
        propose_faq(ctx, consultation, adviser)
        return texts.FAQ_PROPOSED.format(number=number)
    if rest.rstrip("。.！!") in NOT_LEGAL_WORDS:
        close_not_legal(ctx, consultation, adviser)
        return texts.NOT_LEGAL_CLOSED.format(number=number)
    return relay_answer(ctx, consultation, adviser, rest)


def list_pending(ctx: Context) -> str:
    pending = repo.pending_for_adviser(ctx.session, ctx.adviser.id)
    if not pending:
        return texts.ADVISER_TODO_EMPTY
    lines = [texts.ADVISER_TODO_HEAD.format(count=len(pending))]
    for c in pending[:15]:
        waited = ctx.now - c.created_at
        hours = int(waited.total_seconds() // 3600)
        shown = f"{hours}小时" if hours else f"{int(waited.total_seconds() // 60)}分钟"
        question = c.question if len(c.question) <= 30 else c.question[:30] + "…"
        lines.append(
            texts.ADVISER_TODO_LINE.format(number=c.id, village=c.village.name, waited=shown, question=question)
        )
    if len(pending) > 15:
        lines.append(f"……另有{len(pending) - 15}条，请到顾问工作台查看。")
    return "\n".join(lines)
