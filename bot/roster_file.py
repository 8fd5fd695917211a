"""The roster file (花名册): its columns with their Chinese headers, read from CSV or XLSX into rows.

What the rows mean and how they are stored is bot.roster.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from bot import village_groups

COLUMNS = (
    "county",
    "town",
    "village_code",
    "village_name",
    "adviser_a_name",
    "adviser_a_phone",
    "adviser_a_openid",
    "adviser_b_name",
    "adviser_b_phone",
    "adviser_b_openid",
    "office_hours",
    "town_office_name",
    "town_office_phone",
    "town_office_openid",
    "adviser_a_wecom",
    "adviser_b_wecom",
    village_groups.COLUMN,
)
REQUIRED = ("county", "town", "village_code", "village_name", "adviser_a_name", "adviser_a_phone")
ALIASES = {
    "county": ("县", "县区", "区县", "县(区)", "县（区）", "县市区"),
    "town": ("镇", "乡镇", "镇街", "乡镇(街道)", "乡镇（街道）", "街道"),
    "village_code": ("村代码", "村编码", "村居代码", "村(社区)代码", "村（社区）代码"),
    "village_name": ("村名", "村", "村居", "村(社区)", "村（社区）", "村名称"),
    "adviser_a_name": ("A岗顾问", "A岗顾问姓名", "A岗", "A岗姓名", "法律顾问"),
    "adviser_a_phone": ("A岗电话", "A岗顾问电话", "A岗手机", "A岗联系电话", "法律顾问电话"),
    "adviser_a_openid": ("A岗openid", "A岗OpenID", "A岗微信"),
    "adviser_b_name": ("B岗顾问", "B岗顾问姓名", "B岗", "B岗姓名"),
    "adviser_b_phone": ("B岗电话", "B岗顾问电话", "B岗手机", "B岗联系电话"),
    "adviser_b_openid": ("B岗openid", "B岗OpenID", "B岗微信"),
    "adviser_a_wecom": ("A岗企业微信", "A岗企业微信账号"),
    "adviser_b_wecom": ("B岗企业微信", "B岗企业微信账号"),
    "office_hours": ("驻村时间", "坐班时间", "值班时间", "驻点时间"),
    "town_office_name": ("司法所", "司法所联系人"),
    "town_office_phone": ("司法所电话", "司法所联系电话"),
    "town_office_openid": ("司法所openid", "司法所OpenID"),
    village_groups.COLUMN: village_groups.ALIASES,
}
LABELS = {
    "county": "县",
    "town": "镇",
    "village_code": "村代码",
    "village_name": "村名",
    "adviser_a_name": "A岗顾问",
    "adviser_a_phone": "A岗电话",
    "adviser_a_openid": "A岗openid",
    "adviser_b_name": "B岗顾问",
    "adviser_b_phone": "B岗电话",
    "adviser_b_openid": "B岗openid",
    "adviser_a_wecom": "A岗企业微信",
    "adviser_b_wecom": "B岗企业微信",
    "office_hours": "驻村时间",
    "town_office_name": "司法所",
    "town_office_phone": "司法所电话",
    "town_office_openid": "司法所openid",
    village_groups.COLUMN: village_groups.LABEL,
}


class RosterError(ValueError):
    """The roster file cannot be imported; ``problems`` names each bad row and why."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def read_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    """(line number, row by canonical column) from CSV (UTF-8 or GB18030, as Excel saves it) or XLSX."""
    if not path.exists():
        raise RosterError([f"文件不存在：{path}"])
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        table = _read_xlsx(path)
    elif path.suffix.lower() in (".csv", ".txt"):
        table = _read_csv(path)
    else:
        raise RosterError([f"不支持的文件类型 {path.suffix}：请使用 .csv 或 .xlsx"])
    if not table:
        raise RosterError(["文件是空的：第1行应为表头"])
    header = [_canonical(h) for h in table[0]]
    unknown = [raw for raw, canon in zip(table[0], header, strict=True) if raw and str(raw).strip() and canon is None]
    if unknown:
        raise RosterError([f"第1行：不认识的列 {', '.join(map(str, unknown))}；可用列：{', '.join(COLUMNS)}"])
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise RosterError([f"第1行：缺少必需的列 {', '.join(f'{c}（{LABELS[c]}）' for c in missing)}"])
    rows = []
    for n, values in enumerate(table[1:], start=2):
        if not any(str(v).strip() for v in values if v is not None):
            continue
        row = {col: _cell(values[i]) if i < len(values) else "" for i, col in enumerate(header) if col}
        rows.append((n, row))
    return rows


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _canonical(name: object) -> str | None:
    text = str(name or "").strip().lstrip("\ufeff")
    if text.lower() in COLUMNS:
        return text.lower()
    for column, aliases in ALIASES.items():
        if text in aliases or text.replace(" ", "") in aliases:
            return column
    return None


def _read_csv(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes nearly anything
        raise RosterError(["文件编码无法识别：请另存为 UTF-8 编码的 CSV"])
    return [row for row in csv.reader(io.StringIO(text))]


def _read_xlsx(path: Path) -> list[list[object]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zip/xml errors from a damaged or mislabelled file
        raise RosterError([f"无法读取 Excel 文件（{type(exc).__name__}）：请确认是 .xlsx 格式"]) from exc
    sheet = workbook.worksheets[0]
    table = [list(row) for row in sheet.iter_rows(values_only=True)]
    workbook.close()
    return table
