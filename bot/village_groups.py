"""Group chats mapped to villages: the roster's optional column ``group_ids`` (群ID) and the lookup.

A group id belongs to one village only; several ids per village are separated by ``;`` or ``,``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.ledger.tables import Village, VillageGroup

COLUMN = "group_ids"
LABEL = "群ID"
ALIASES = ("群ID", "群id", "群聊ID", "群聊id", "群号")
GROUP_ID_RE = re.compile(r"^[0-9A-Za-z_@.:#-]{1,128}$")
_SEPARATORS = re.compile(r"[;,；，\s]+")


def parse_group_ids(cell: str) -> list[str]:
    """``wr1;wr2`` → ["wr1", "wr2"] (full-width separators and spaces accepted)."""
    return [part for part in _SEPARATORS.split(cell or "") if part]


def validate_group_ids(rows: Iterable[tuple[int, dict[str, str]]]) -> list[str]:
    """Problems with the group ids of the file, each naming its row: format and an id used twice."""
    problems: list[str] = []
    seen: dict[str, int] = {}
    for n, row in rows:
        for chat_id in parse_group_ids(row.get(COLUMN, "")):
            if not GROUP_ID_RE.match(chat_id):
                problems.append(f"第{n}行：{LABEL}“{chat_id}”格式不对（只能包含字母、数字和 _@.:#-，最长128位）")
            elif chat_id in seen and seen[chat_id] != n:
                problems.append(f"第{n}行：{LABEL} {chat_id} 已在第{seen[chat_id]}行出现，一个群只能属于一个村")
            elif chat_id in seen:
                problems.append(f"第{n}行：{LABEL} {chat_id} 重复填写")
            else:
                seen[chat_id] = n
    return problems


def conflicts_with_database(session: Session, rows: list[tuple[int, dict[str, str]]]) -> list[str]:
    """A group id the file gives to one village while the database holds it for a village not in the file."""
    if not any(COLUMN in row for _, row in rows):
        return []
    codes = {row.get("village_code", "") for _, row in rows}
    wanted = {chat_id: n for n, row in rows for chat_id in parse_group_ids(row.get(COLUMN, ""))}
    if not wanted:
        return []
    problems = []
    existing = session.execute(
        select(VillageGroup.chat_id, Village.code, Village.name)
        .join(Village, Village.id == VillageGroup.village_id)
        .where(VillageGroup.chat_id.in_(list(wanted)))
    )
    for chat_id, code, name in existing:
        if code not in codes:
            problems.append(
                f"第{wanted[chat_id]}行：{LABEL} {chat_id} 已属于{name}（村代码 {code}），一个群只能属于一个村；"
                f"请先在{name}那一行去掉它"
            )
    return problems


def sync_groups(session: Session, rows: list[tuple[int, dict[str, str]]], villages: dict[str, Village]) -> int:
    """Make the villages of the file own exactly the group ids the file gives them; returns how many are mapped.

    Files without the column leave the groups alone. A group moving between two villages of the file is
    updated in place, never deleted and re-inserted (the unique constraint would see both rows at once).
    """
    if not any(COLUMN in row for _, row in rows):
        return 0
    wanted: dict[str, Village] = {}
    for _, row in rows:
        for chat_id in parse_group_ids(row.get(COLUMN, "")):
            wanted[chat_id] = villages[row["village_code"]]
    file_village_ids = {villages[row["village_code"]].id for _, row in rows}
    for group in session.scalars(select(VillageGroup)):
        if group.chat_id in wanted:
            village = wanted.pop(group.chat_id)
            if group.village_id != village.id:
                group.village_id, group.village = village.id, village
        elif group.village_id in file_village_ids:
            session.delete(group)
    session.flush()
    for chat_id, village in wanted.items():
        session.add(VillageGroup(chat_id=chat_id, village_id=village.id, village=village))
    session.flush()
    return sum(len(parse_group_ids(row.get(COLUMN, ""))) for _, row in rows)


def village_for_group(session: Session, chat_id: str | None) -> Village | None:
    """The village whose roster row lists this group chat, if any."""
    if not chat_id:
        return None
    group = session.scalar(select(VillageGroup).where(VillageGroup.chat_id == chat_id))
    return group.village if group else None
