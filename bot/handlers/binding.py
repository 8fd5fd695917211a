"""Binding a villager to a village (QR or "绑定 村名"), and an adviser to their roster entry."""

from __future__ import annotations

from bot import texts
from bot.context import Context
from bot.handlers.commands import normalize
from bot.ledger import repo
from bot.ledger.tables import InboundMessage, Village
from bot.messages import Incoming, Reply


def bind_by_text(msg: Incoming, ctx: Context) -> Reply | None:
    """ "绑定 村名" or "绑定 村代码"; several villages of that name → ask which one."""
    if ctx.villager is None or msg.msg_type != "text":
        return None
    plain = normalize(msg.text)
    if not plain.startswith(("绑定", "綁定")):
        return None
    query = normalize(plain[2:]).removeprefix(":").strip()
    if not query:
        return Reply(texts.ASK_VILLAGE)
    village = repo.village_by_code(ctx.session, query) if query.isdigit() else None
    candidates = [village] if village else repo.villages_named(ctx.session, query)
    if not candidates:
        return Reply(texts.UNKNOWN_VILLAGE.format(name=query))
    if len(candidates) == 1:
        return bind_villager(ctx, candidates[0])
    ctx.villager.pending_choices = ",".join(v.code for v in candidates[:9])
    options = "\n".join(f"{i}. {v.name}（{v.town.county}{v.town.name}）" for i, v in enumerate(candidates[:9], 1))
    return Reply(texts.CHOOSE_VILLAGE.format(options=options))


def choose_village(msg: Incoming, ctx: Context) -> Reply | None:
    """The villager answers the "which one?" question with a number."""
    if ctx.villager is None or not ctx.villager.pending_choices or msg.msg_type != "text":
        return None
    choice = normalize(msg.text)
    codes = ctx.villager.pending_choices.split(",")
    if not choice.isdigit() or not 1 <= int(choice) <= len(codes):
        return None
    village = repo.village_by_code(ctx.session, codes[int(choice) - 1])
    return bind_villager(ctx, village) if village else None


def require_binding(msg: Incoming, ctx: Context) -> Reply | None:
    """An unbound villager's question is kept and answered once they name their village."""
    villager = ctx.villager
    if villager is None or villager.village_id is not None or msg.is_event:
        return None
    if msg.text.strip() and ctx.decide(msg.text).action == "smalltalk":
        return Reply(texts.WELCOME + "\n" + texts.ASK_VILLAGE)
    villager.pending_inbound_id = ctx.inbound_id
    return Reply(texts.ASK_VILLAGE_KEPT)


def bind_villager(ctx: Context, village: Village) -> Reply:
    from bot.consultations import adviser_title, forward
    from bot.handlers import dispatch_question

    villager = ctx.villager
    villager.village_id, villager.village, villager.bound_at = village.id, village, ctx.now
    villager.pending_choices = None
    ctx.session.flush()
    hours = f"驻村时间：{village.office_hours}。" if village.office_hours else ""
    parts = [
        texts.BOUND.format(
            village=village.name, town=village.town.name, adviser=adviser_title(village.adviser_a), hours=hours
        )
    ]
    # An alert raised before binding now reaches the village's adviser.
    open_case = repo.open_consultation(ctx.session, villager.id)
    if open_case is not None and open_case.village_id is None:
        open_case.village_id, open_case.village = village.id, village
        forward(ctx, open_case, "village bound")
    kept_id, villager.pending_inbound_id = villager.pending_inbound_id, None
    if kept_id:
        kept = ctx.session.get(InboundMessage, kept_id)
        reply = dispatch_question(Incoming.from_stored(kept), ctx, kept_id)
        if reply is not None and reply.text:
            parts.append(reply.text)
    return Reply("\n\n".join(parts))


def bind_adviser(ctx: Context, phone: str) -> Reply:
    adviser = repo.adviser_by_phone(ctx.session, phone)
    if adviser is None:
        return Reply(texts.ADVISER_UNKNOWN.format(phone=phone))
    sender = ctx.incoming.sender
    previous = repo.adviser_by_openid(ctx.session, sender)
    if previous is not None and previous.id != adviser.id:
        previous.openid = None
        ctx.session.flush()
    adviser.openid = sender
    ctx.adviser = adviser
    ctx.session.flush()
    repo.release_adviser_notices(ctx.session, adviser, ctx.now)
    villages = "、".join(v.name for v in repo.villages_of(ctx.session, adviser.id)) or "（暂无）"
    return Reply(texts.ADVISER_BOUND.format(name=adviser.name, villages=villages))
