"""Statistics as printable files: XLSX with one sheet per breakdown, or CSV sections, Chinese headers."""

from __future__ import annotations

import csv
import io

from bot.stats.periods import Period

# Columns shared by every breakdown (field → header); None values print as "—".
METRIC_HEADERS = {
    "total": "咨询量",
    "bot": "机器人答复",
    "adviser": "顾问答复",
    "pending": "待答复",
    "escalated": "已升级",
    "overdue": "超时未答",
    "completion_rate": "办结率",
    "in_time_rate": "按时答复率",
    "response_median_minutes": "答复用时中位数(分钟)",
    "response_p90_minutes": "答复用时90分位(分钟)",
    "rated": "评价数",
    "satisfaction_rate": "满意率",
    "rating_3": "不满意",
    "reopened": "重新打开",
    "alerts": "预警",
    "alerts_acked": "预警已确认",
    "legal_aid": "法律援助转介",
}
RATES = {"completion_rate", "in_time_rate", "satisfaction_rate"}
# breakdown → (sheet title, leading columns, with the metric columns?, trailing columns)
SHEETS: dict[str, tuple[str, dict[str, str], bool, dict[str, str]]] = {
    "summary": ("总览", {}, False, {}),
    "by_route": ("按办理方式", {"label": "办理方式", "total": "咨询量"}, False, {}),
    "by_county": ("按县", {"county": "县"}, True, {}),
    "by_town": ("按镇", {"county": "县", "town": "镇"}, True, {}),
    "by_village": (
        "按村",
        {"town": "镇", "village_code": "村代码", "village": "村名", "adviser_a": "负责顾问"},
        True,
        {},
    ),
    "by_adviser": (
        "按顾问",
        {"name": "顾问"},
        True,
        {"answered_by": "本人答复", "onsite_hours": "驻点时长(小时)", "onsite_below_minimum": "驻点未达标村数"},
    ),
    "by_category": ("按类别", {"label": "类别"}, True, {}),
    "alerts": ("预警", {"label": "预警类型", "total": "预警数", "acked": "已确认"}, False, {}),
    "legal_aid": ("法律援助", {"group": "援助对象", "total": "转介数"}, False, {}),
    "onsite": (
        "驻点时长",
        {
            "month": "月份",
            "town": "镇",
            "village_code": "村代码",
            "village": "村名",
            "adviser": "顾问",
            "post": "岗位",
            "hours": "驻点时长(小时)",
            "minimum": "最低要求(小时)",
            "below_minimum": "未达标",
        },
        False,
        {},
    ),
}


def tables(stats: dict) -> dict[str, tuple[str, list[str], list[list[object]]]]:
    """breakdown → (sheet title, headers, rows) ready to print."""
    result = {}
    for key, (title, lead, with_metrics, trail) in SHEETS.items():
        if key == "summary":
            result[key] = (title, ["指标", "数值"], _summary_rows(stats))
            continue
        columns = {**lead, **(METRIC_HEADERS if with_metrics else {}), **trail}
        if key == "by_village":  # response times are reported per adviser, town and county, not per village
            columns = {k: v for k, v in columns.items() if not k.startswith("response_")}
        items = {
            "alerts": stats["alerts"]["by_kind"],
            "legal_aid": stats["legal_aid"]["by_group"],
            "onsite": stats["onsite"]["rows"],
        }.get(key, stats.get(key, []))
        rows = [[_cell(name, item.get(name)) for name in columns] for item in items]
        result[key] = (title, list(columns.values()), rows)
    return result


def _summary_rows(stats: dict) -> list[list[object]]:
    alerts = stats["alerts"]
    rows = [[header, _cell(name, stats["summary"][name])] for name, header in METRIC_HEADERS.items()]
    return [
        *rows,
        ["预警确认用时中位数(分钟)", _cell("", alerts["ack_median_minutes"])],
        ["预警确认用时90分位(分钟)", _cell("", alerts["ack_p90_minutes"])],
        ["未确认预警", alerts["unacked"]],
        ["驻点未达标(村·月)", stats["onsite"]["below_minimum"]],
    ]


def _cell(name: str, value: object) -> object:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "是" if value else ""
    if name in RATES:
        return f"{value * 100:.1f}%"
    return value


def heading(stats: dict, period: Period | None = None) -> str:
    """法律咨询统计 示范县 2026年第47周（…）."""
    scope = stats["scope"]
    where = f"{scope['county'] or '全部'}{scope['town'] or ''}"
    when = period.title if period else stats["period"]["label"]
    return f"法律咨询统计 {where} {when}"


def to_csv(stats: dict, title: str, only: str | None = None) -> str:
    """One CSV: a title row, then each breakdown as a section (its name, headers, rows, a blank line);
    ``only`` gives a single plain table instead (machine-friendly)."""
    out = io.StringIO()
    writer = csv.writer(out)
    sections = tables(stats)
    if only is not None:
        _title, headers, rows = sections[only]
        writer.writerow(headers)
        writer.writerows(rows)
        return out.getvalue()
    writer.writerow([title])
    for name, headers, rows in sections.values():
        writer.writerow([])
        writer.writerow([f"【{name}】"])
        writer.writerow(headers)
        writer.writerows(rows)
    return out.getvalue()


def to_xlsx(stats: dict, title: str) -> bytes:
    """A workbook with one sheet per breakdown: title row, bold headers, frozen panes, landscape A4."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, headers, rows in tables(stats).values():
        sheet = workbook.create_sheet(name)
        sheet.append([f"{title} · {name}"])
        sheet["A1"].font = Font(bold=True, size=13)
        sheet.append(headers)
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(row)
        for index, header in enumerate(headers, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = max(8, min(24, len(header) * 2 + 2))
        sheet.freeze_panes = "A3"
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
        sheet.page_setup.fitToWidth = 1
        sheet.print_title_rows = "2:2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def summary_lines(stats: dict) -> list[str]:
    """Numbers first, then what needs action (the bureau's reading order), as short plain lines."""
    s, alerts = stats["summary"], stats["alerts"]
    lines = [
        f"咨询量 {s['total']} 件：机器人答复 {s['bot']}，顾问答复 {s['adviser']}，"
        f"待答复 {s['pending']}，已升级 {s['escalated']}。",
        f"办结率 {_pct(s['completion_rate'])}，按时答复率 {_pct(s['in_time_rate'])}，"
        f"满意率 {_pct(s['satisfaction_rate'])}（评价 {s['rated']} 件）。",
        f"答复用时中位数 {_num(s['response_median_minutes'])} 分钟，90分位 {_num(s['response_p90_minutes'])} 分钟。",
        f"预警 {alerts['total']} 起（未确认 {alerts['unacked']}），法律援助转介 {s['legal_aid']} 件。",
        f"需处理：超时未答 {s['overdue']} 件，驻点未达标 {stats['onsite']['below_minimum']} 村·月。",
    ]
    top = [f"{c['label']} {c['total']}" for c in sorted(stats["by_category"], key=lambda c: -c["total"]) if c["total"]]
    if top:
        lines.append("类别前三：" + "，".join(top[:3]) + "。")
    return lines
