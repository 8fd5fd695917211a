"""What the console pages show, computed without HTTP: waiting times, deadlines, badges, labels, counts."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.categories import CATEGORIES
from bot.clock import SHANGHAI, fmt_local
from bot.ledger import states
from bot.ledger.tables import Consultation, Village
from bot.privacy import mask_personal

PREVIEW_CHARS = 60
# Characters in one answer: with its header and the rating prompt the relayed text stays under WeChat's
# 2,000-byte limit even when it has to go out as the passive reply to the villager's next message.
ANSWER_LIMIT = 500
AUTHORS = {"villager": "村民", "bot": "机器人", "adviser": "顾问"}
MEDIA = {"voice": "语音", "image": "图片", "video": "视频", "file": "文件", "location": "位置"}
EVENTS = {
    "received": "收到咨询",
    "answered_by_bot": "机器人按常见问题答复",
    "forwarded": "转给顾问",
    "reopened": "重新打开",
    "follow_up": "村民补充",
    "alerted": "紧急事项",
    "answered": "顾问答复",
    "supplemented": "顾问补充答复",
    "delivered": "答复已送达村民",
    "handed_over": "转交另一位顾问",
    "answered_offline": "线下答复",
    "category_corrected": "更正类别",
    "alert_acknowledged": "已确认紧急事项",
    "alert_disposed": "记录处置情况",
    "faq_proposed": "提交为常见问题候选",
    "escalated_to_b": "超时转B岗",
    "escalated_to_office": "超时报司法所",
    "reminded": "到期提醒",
    "rated": "村民评价",
    "legal_aid_priority": "法律援助优先",
    "alert_resent": "紧急事项再次提醒",
}
# Details some steps record in English for the log; the adviser reads them in Chinese.
DETAILS = {
    "villager asked for a person": "村民要求找律师",
    "not confident enough to answer": "机器人没有把握回答",
    "village bound": "村民绑定村后转来",
    "sensitive": "涉及敏感事项",
    "villager not satisfied": "村民不满意",
    "customer-service message": "客服消息",
    "passive reply": "村民再发消息时一并回复",
}
CATEGORY_CODE = re.compile(r"\b(" + "|".join(CATEGORIES) + r")\b")
RATINGS = {1: "满意", 2: "基本满意", 3: "不满意"}
MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})$")


def waited(delta: dt.timedelta) -> str:
    """A duration in plain words: 45分钟, 3小时20分, 2天5小时."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}天{hours}小时" if hours else f"{days}天"
    if hours:
        return f"{hours}小时{mins}分" if mins else f"{hours}小时"
    return f"{mins}分钟"


def village_label(village: Village | None) -> str:
    """Village name with its town: two villages may share a name (河东村)."""
    if village is None:
        return "未绑定村"
    return f"{village.name}（{village.town.name}）"


def preview(text: str | None) -> str:
    """The start of a question for lists, with phone and ID numbers masked."""
    masked = mask_personal(text or "")
    return masked if len(masked) <= PREVIEW_CHARS else masked[:PREVIEW_CHARS] + "…"


def badges(c: Consultation, now: dt.datetime, aid_label: Callable[[str], str] = str) -> list[tuple[str, str]]:
    """(text, css class) pairs: alert, legal-aid priority, escalation, overdue, unhappy villager."""
    out = []
    if c.alert_kind:
        label = states.ALERT_LABELS.get(c.alert_kind, "紧急情况")
        out.append((f"紧急·{label}", "alert") if c.alert_acked_at is None else (f"紧急已确认·{label}", "warn"))
    if c.legal_aid_group:
        out.append((f"法律援助优先·{aid_label(c.legal_aid_group)}", "priority"))
    if c.escalation_level == 1:
        out.append(("已转B岗", "warn"))
    elif c.escalation_level >= 2:
        out.append(("已报司法所", "warn"))
    if c.status in states.OPEN and c.deadline_at is not None and now > c.deadline_at:
        out.append((f"已超时{waited(now - c.deadline_at)}", "alert"))
    if c.rating == 3:
        out.append(("村民不满意", "warn"))
    return out


@dataclass(frozen=True)
class PendingRow:
    number: int
    village: str
    waited: str
    deadline: str
    overdue: bool
    preview: str
    badges: list[tuple[str, str]]
    holder: str  # who holds it now, when it is not the viewer


def pending_rows(
    consultations: list[Consultation], viewer_id: int, now: dt.datetime, aid_label: Callable[[str], str] = str
) -> list[PendingRow]:
    """The pending list, oldest first (the repository already orders by arrival)."""
    return [
        PendingRow(
            number=c.id,
            village=village_label(c.village),
            waited=waited(now - c.created_at),
            deadline=fmt_local(c.deadline_at, "%m月%d日 %H:%M") if c.deadline_at else "",
            overdue=c.deadline_at is not None and now > c.deadline_at,
            preview=preview(c.question),
            badges=badges(c, now, aid_label),
            holder=c.adviser.name if c.adviser is not None and c.adviser_id != viewer_id else "",
        )
        for c in consultations
    ]


def thread_text(msg_type: str, text: str | None) -> str:
    """A message as the adviser reads it; media without recognised text is named, not hidden."""
    if msg_type in MEDIA and not text:
        return f"[{MEDIA[msg_type]}]"
    if msg_type in MEDIA:
        return f"[{MEDIA[msg_type]}] {text}"
    return text or ""


def event_label(kind: str) -> str:
    return EVENTS.get(kind, kind)


def event_detail(kind: str, detail: str | None) -> str:
    """An event's detail in words an adviser reads (codes become Chinese labels)."""
    if not detail:
        return ""
    if kind == "follow_up":
        return "文字" if detail == "text" else MEDIA.get(detail, detail)
    if kind == "alerted":
        return states.ALERT_LABELS.get(detail, detail)
    if kind == "rated" and detail.isdigit():
        return RATINGS.get(int(detail), detail)
    if kind == "category_corrected":
        return CATEGORY_CODE.sub(lambda m: CATEGORIES[m.group(1)], detail).replace("None", "未分类")
    return DETAILS.get(detail, detail)


def parse_month(raw: str | None, today: dt.date) -> dt.date:
    """``2026-11`` → the first day of that month; empty → this month (ValueError when malformed)."""
    if not raw:
        return today.replace(day=1)
    match = MONTH_RE.match(raw.strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
        raise ValueError(raw)
    return dt.date(int(match.group(1)), int(match.group(2)), 1)


def shift_month(first: dt.date, months: int) -> dt.date:
    index = first.year * 12 + first.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def local_today(now: dt.datetime) -> dt.date:
    return now.astimezone(SHANGHAI).date()


@dataclass
class MonthCounts:
    responsible: int = 0  # came in that month while the adviser held it
    answered: int = 0  # answered by the adviser that month (online or offline)
    offline: int = 0
    late: int = 0  # answered after the deadline
    still_open: int = 0
    ratings: dict[str, int] = field(default_factory=dict)


def month_counts(
    consultations: list[Consultation], adviser_id: int, start: dt.datetime, end: dt.datetime
) -> MonthCounts:
    """The figures on top of the adviser's monthly ledger."""
    counts = MonthCounts(ratings={label: 0 for label in RATINGS.values()})
    for c in consultations:
        if c.adviser_id == adviser_id and start <= c.created_at < end and c.status != states.NOT_LEGAL:
            counts.responsible += 1  # chatter closed as 非法律问题 is listed, not counted
            counts.still_open += c.status in states.OPEN
        if c.answered_by_id == adviser_id and c.answered_at is not None and start <= c.answered_at < end:
            counts.answered += 1
            counts.offline += bool(c.answered_offline)
            counts.late += c.deadline_at is not None and c.answered_at > c.deadline_at
            if c.rating in RATINGS:
                counts.ratings[RATINGS[c.rating]] += 1
    return counts


def status_label(c: Consultation) -> str:
    label = states.LABELS.get(c.status, c.status)
    return f"{label}（线下）" if c.answered_offline and c.status == states.ADVISER_ANSWERED else label
