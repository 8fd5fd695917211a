"""Importing the roster (花名册): villages, their A/B-post advisers and town offices, from CSV or XLSX.

The import is an idempotent upsert in one transaction: a file with any bad row changes nothing, and the
error lists every bad row with its line number and what is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import village_groups
from bot.ledger.tables import Adviser, Town, Village
from bot.roster_file import LABELS, REQUIRED, RosterError, read_rows

PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")
CODE_RE = re.compile(r"^[0-9A-Za-z_-]{1,32}$")
OPENID_RE = re.compile(r"^[0-9A-Za-z_-]{6,64}$")


@dataclass
class ImportResult:
    rows: int = 0
    created: dict[str, int] = field(default_factory=lambda: {"towns": 0, "advisers": 0, "villages": 0})
    updated: dict[str, int] = field(default_factory=lambda: {"towns": 0, "advisers": 0, "villages": 0})
    groups: int = 0  # group chats mapped to villages by the file's 群ID column


def validate(rows: Iterable[tuple[int, dict[str, str]]]) -> list[str]:
    """Every problem in the file, one line each, naming the row."""
    rows = list(rows)
    problems: list[str] = []
    seen_codes: dict[str, int] = {}
    phone_names: dict[str, tuple[str, int]] = {}
    for n, row in rows:
        where = f"第{n}行"
        for col in REQUIRED:
            if not row.get(col):
                problems.append(f"{where}：缺少{LABELS[col]}（{col}）")
        code = row.get("village_code", "")
        if code and not CODE_RE.match(code):
            problems.append(f"{where}：村代码“{code}”只能包含数字和字母")
        if code in seen_codes:
            problems.append(f"{where}：村代码 {code} 与第{seen_codes[code]}行重复")
        elif code:
            seen_codes[code] = n
        for post in ("a", "b", "town_office"):
            prefix = f"adviser_{post}" if post in ("a", "b") else post
            name, phone, openid = (
                row.get(f"{prefix}_name", ""),
                row.get(f"{prefix}_phone", ""),
                row.get(f"{prefix}_openid", ""),
            )
            if phone and not PHONE_RE.match(phone.replace(" ", "")):
                problems.append(f"{where}：{LABELS[prefix + '_phone']}“{phone}”不是有效的手机或座机号码")
            if (name or openid) and not phone and post != "a":
                problems.append(f"{where}：填了{LABELS[prefix + '_name']}但缺少{LABELS[prefix + '_phone']}")
            if phone and not name:
                problems.append(f"{where}：填了{LABELS[prefix + '_phone']}但缺少姓名")
            if openid and not OPENID_RE.match(openid):
                problems.append(f"{where}：{LABELS[prefix + '_openid']}“{openid}”格式不对")
            if post in ("a", "b") and phone and name:
                known = phone_names.get(phone)
                if known and known[0] != name:
                    problems.append(f"{where}：电话 {phone} 在第{known[1]}行是“{known[0]}”，这里却是“{name}”")
                phone_names.setdefault(phone, (name, n))
        if row.get("adviser_b_phone") and row.get("adviser_b_phone") == row.get("adviser_a_phone"):
            problems.append(f"{where}：A岗和B岗不能是同一个人")
    return problems + village_groups.validate_group_ids(rows)


def import_roster(session: Session, path: Path, progress: Callable[[int, int], None] | None = None) -> ImportResult:
    """Validate the whole file, then upsert towns, advisers and villages (caller commits)."""
    rows = read_rows(path)
    problems = validate(rows) or village_groups.conflicts_with_database(session, rows)
    if problems:
        raise RosterError(problems)
    result = ImportResult(rows=len(rows))
    towns = {(t.county, t.name): t for t in session.scalars(select(Town))}
    advisers = {a.phone: a for a in session.scalars(select(Adviser))}
    villages = {v.code: v for v in session.scalars(select(Village))}
    openid_owner = {a.openid: a for a in advisers.values() if a.openid}
    for i, (n, row) in enumerate(rows, start=1):
        town = _upsert_town(session, towns, row, result)
        adviser_a = _upsert_adviser(session, advisers, openid_owner, row, "a", n, result)
        adviser_b = _upsert_adviser(session, advisers, openid_owner, row, "b", n, result)
        village = villages.get(row["village_code"])
        values = dict(
            name=row["village_name"],
            town=town,
            adviser_a=adviser_a,
            adviser_b=adviser_b,
            office_hours=row.get("office_hours") or None,
        )
        if village is None:
            village = Village(code=row["village_code"], **values)
            session.add(village)
            villages[village.code] = village
            result.created["villages"] += 1
        elif _changed(village, values):
            for key, value in values.items():
                setattr(village, key, value)
            result.updated["villages"] += 1
        if progress and (i % 500 == 0 or i == len(rows)):
            progress(i, len(rows))
    session.flush()
    result.groups = village_groups.sync_groups(session, rows, villages)
    return result


def _changed(obj: object, values: dict) -> bool:
    return any(getattr(obj, k) is not v and getattr(obj, k) != v for k, v in values.items())


def _upsert_town(session: Session, towns: dict, row: dict[str, str], result: ImportResult) -> Town:
    key = (row["county"], row["town"])
    town = towns.get(key)
    if town is None:
        town = Town(county=key[0], name=key[1])
        session.add(town)
        towns[key] = town
        result.created["towns"] += 1
    office = {k: row.get(f"town_office_{k}") or None for k in ("name", "phone", "openid")}
    if any(office.values()):
        values = {f"office_{k}": v for k, v in office.items() if v}
        if _changed(town, values):
            for k, v in values.items():
                setattr(town, k, v)
            result.updated["towns"] += 1 if town.id else 0
    return town


def _upsert_adviser(session, advisers, openid_owner, row, post, n, result) -> Adviser | None:
    phone = row.get(f"adviser_{post}_phone", "").replace(" ", "")
    if not phone:
        return None
    name, openid = row[f"adviser_{post}_name"], row.get(f"adviser_{post}_openid") or None
    wecom = row.get(f"adviser_{post}_wecom") or None
    adviser = advisers.get(phone)
    if openid and openid in openid_owner and openid_owner[openid].phone != phone:
        raise RosterError(
            [f"第{n}行：openid {openid} 已属于顾问 {openid_owner[openid].name}（{openid_owner[openid].phone}）"]
        )
    if adviser is None:
        adviser = Adviser(name=name, phone=phone, openid=openid, wecom_userid=wecom)
        session.add(adviser)
        advisers[phone] = adviser
        result.created["advisers"] += 1
    else:
        values = {"name": name, **({"openid": openid} if openid else {}), **({"wecom_userid": wecom} if wecom else {})}
        if _changed(adviser, values):
            for k, v in values.items():
                setattr(adviser, k, v)
            result.updated["advisers"] += 1
    if openid:
        openid_owner[openid] = adviser
    return adviser
