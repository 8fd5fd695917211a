"""The per-village volume (一村一卷): one row per consultation, Chinese headers, Asia/Shanghai times."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.categories import category_label
from bot.clock import SHANGHAI, fmt_local
from bot.ledger import states
from bot.ledger.tables import Consultation, Village
from bot.privacy import mask_personal

HEADERS = (
    "编号",
    "村代码",
    "村名",
    "镇",
    "负责顾问",
    "答复人",
    "村民编号",
    "渠道",
    "类别",
    "置信度",
    "办理方式",
    "状态",
    "问题",
    "补充内容",
    "答复",
    "提问时间",
    "转交时间",
    "答复时间",
    "送达时间",
)
# A cell starting with one of these is run as a formula by Excel and WPS (CSV/formula injection, OWASP):
# villagers' text is shown as text, never evaluated.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CHANNELS = {"official": "公众号", "simulator": "模拟器", "wecom": "企业微信", "bridge": "群聊桥接"}


def consultations_for(session: Session, village: Village, start: dt.date, end: dt.date) -> list[Consultation]:
    """Consultations of a village asked between two local dates, inclusive."""
    lower = dt.datetime.combine(start, dt.time.min, SHANGHAI)
    upper = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, SHANGHAI)
    return list(
        session.scalars(
            select(Consultation)
            .where(
                Consultation.village_id == village.id,
                Consultation.created_at >= lower,
                Consultation.created_at < upper,
                Consultation.status != states.NOT_LEGAL,  # chatter an adviser closed is not a consultation
            )
            .order_by(Consultation.created_at, Consultation.id)
        )
    )


def ledger_rows(consultations: Iterable[Consultation]) -> list[list[object]]:
    rows = []
    for c in consultations:
        follow_ups = [m.text or f"[{m.msg_type}]" for m in c.messages[1:] if m.author == "villager"]
        rows.append(
            [
                c.id,
                c.village.code if c.village else "",
                c.village.name if c.village else "",
                c.village.town.name if c.village else "",
                c.adviser.name if c.adviser else "",
                c.answered_by.name if c.answered_by else ("机器人" if c.route == states.ROUTE_BOT else ""),
                c.villager.pseudonym,
                CHANNELS.get(c.channel, c.channel),
                category_label(c.category),
                round(c.confidence, 2) if c.confidence is not None else "",
                states.ROUTE_LABELS.get(c.route, c.route),
                states.LABELS.get(c.status, c.status),
                mask_personal(c.question),
                mask_personal("\n".join(follow_ups)),
                mask_personal(c.answer or ""),
                fmt_local(c.created_at),
                fmt_local(c.forwarded_at),
                fmt_local(c.answered_at),
                fmt_local(c.delivered_at),
            ]
        )
    return rows


def to_csv(rows: list[list[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    writer.writerows([_csv_text(value) for value in row] for row in rows)
    return out.getvalue()


def _csv_text(value: object) -> object:
    """Text that a spreadsheet would run as a formula gets OWASP's leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def to_xlsx(rows: list[list[object]], title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "台账"
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(list(HEADERS))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # openpyxl would store it as a live formula; keep the villager's text
    widths = {"M": 40, "N": 30, "O": 40}
    for col, width in widths.items():
        sheet.column_dimensions[col].width = width
    for row in sheet.iter_rows(min_row=3):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A3"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
