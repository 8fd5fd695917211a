"""Commands from advisers: "#57 答复…" relays an answer, "待办" lists open consultations."""

from __future__ import annotations

import re
import unicodedata

from bot import texts
from bot.consultations import relay_answer
from bot.context import Context
from bot.handlers.commands import normalize
from bot.ledger import repo
from bot.ledger.tables import Consultation
from bot.messages import Incoming, Reply

REPLY_RE = re.compile(r"^(?:回复|答复|回覆)?\s*[#＃]\s*([0-9０-９]{1,12})\s*[:：]?\s*(.*)$", re.S)
TODO_WORDS = ("待办", "待辦", "待答复", "todo")


def adviser_commands(msg: Incoming, ctx: Context) -> Reply | None:
    adviser = ctx.adviser
    if adviser is None or msg.is_event:
        return None
    match = REPLY_RE.match(msg.text.strip())
    if match:
        # The answer is relayed exactly as the adviser wrote it; only the number is normalised.
        number, answer = int(unicodedata.normalize("NFKC", match.group(1))), match.group(2).strip()
        consultation = ctx.session.get(Consultation, number)
        if consultation is None:
            return Reply(texts.ADVISER_NOT_FOUND.format(number=number))
        if consultation.village is None or not consultation.village.serves(adviser.id):
            return Reply(texts.ADVISER_NOT_ASSIGNED.format(number=number))
        if not answer:
            return Reply(texts.ADVISER_EMPTY_ANSWER.format(number=number))
        return Reply(relay_answer(ctx, consultation, adviser, answer))
    if normalize(msg.text).lower() in TODO_WORDS:
        return Reply(list_pending(ctx))
    return Reply(texts.ADVISER_HELP)


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
