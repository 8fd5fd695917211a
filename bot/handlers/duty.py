"""The duty ledger from WeChat: "签到 [村名]", "签退", "讲座 村名 主题", "调解 村名 情况", "台账"."""

from __future__ import annotations

from bot import texts
from bot.clock import fmt_local
from bot.context import Context
from bot.duty import check_in, check_out, hours, minimum_hours, month_summary, record_activity
from bot.handlers.commands import normalize
from bot.ledger import repo
from bot.ledger.tables import Village

ACTIVITIES = {"讲座": "talk", "法治讲座": "talk", "普法讲座": "talk", "调解": "mediation"}


def duty_command(ctx: Context, text: str) -> str | None:
    """The reply to a duty command, or None when the text is not one."""
    word, _, rest = text.partition(" ")
    if not rest and len(text) > 2 and text[:2] in ("签到", "签退", "讲座", "调解"):
        word, rest = text[:2], text[2:]
    rest = normalize(rest)
    villages = repo.villages_of(ctx.session, ctx.adviser.id)
    if word == "签到":
        village = _which(villages, rest)
        if village is None:
            names = "、".join(v.name for v in villages) or "（暂无）"
            return texts.CHECK_IN_WHICH.format(villages=names, example=villages[0].name if villages else "河东村")
        check_in(ctx, ctx.adviser, village)
        return texts.CHECKED_IN.format(village=village.name, time=fmt_local(ctx.now, "%H:%M"))
    if word == "签退":
        record = check_out(ctx, ctx.adviser)
        if record is None:
            return texts.NOT_CHECKED_IN
        village = record.village or ctx.session.get(Village, record.village_id)
        summary = _month_for(ctx, [village])[0]
        return texts.CHECKED_OUT.format(
            village=village.name,
            hours=f"{hours(record):.1f}",
            month_hours=f"{summary.onsite_hours:g}",
            minimum=f"{summary.minimum:g}",
        )
    if word in ACTIVITIES:
        name, _, note = rest.partition(" ")
        village = _which(villages, name)
        if village is None:
            village, note = _which(villages, ""), rest
        if village is None:
            return f"请写明村名，例如：{word} {villages[0].name if villages else '河东村'} 内容"
        record_activity(ctx, ctx.adviser, village, ACTIVITIES[word], note)
        return texts.ACTIVITY_RECORDED.format(
            kind="法治讲座" if ACTIVITIES[word] == "talk" else "调解", village=village.name, note=note or "（无说明）"
        )
    if text in ("台账", "驻点", "本月驻点"):
        lines = [texts.DUTY_SUMMARY_HEAD.format(minimum=f"{minimum_hours(ctx.settings, _county(villages)):g}")]
        for month in _month_for(ctx, villages):
            flag = "（不足）" if month.below_minimum else ""
            lines.append(
                f"{month.village.name}：驻点{month.onsite_hours:g}小时{flag}，讲座{month.talks}次，调解{month.mediations}次"
            )
        return "\n".join(lines)
    return None


def _which(villages: list[Village], name: str) -> Village | None:
    if not name:
        return villages[0] if len(villages) == 1 else None
    for village in villages:
        if name in (village.name, village.code) or village.name.removesuffix("村") == name.removesuffix("村"):
            return village
    return None


def _county(villages: list[Village]) -> str:
    return villages[0].town.county if villages else ""


def _month_for(ctx: Context, villages: list[Village]):
    minimum = minimum_hours(ctx.settings, _county(villages))
    return month_summary(ctx, ctx.adviser, villages, fmt_local_date(ctx), minimum)


def fmt_local_date(ctx: Context):
    from bot.clock import local

    return local(ctx.now).date()
