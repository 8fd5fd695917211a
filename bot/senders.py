"""Who sent a message, in one plain statement for the common case (a known villager).

On the webhook's hot path: loading a Villager through the ORM joins the village, its town and both
advisers and cost more CPU than all the ledger's inserts together (bench/load.py). Here one Core
statement reads the villager with its village, town and A-post adviser, whether the openid belongs to an
adviser, and whether messages are held for it; the objects are attached to the session as if the ORM
had loaded them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, exists, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from bot.fastsql import Prepared, connection_of
from bot.ledger.repo import attach_loaded
from bot.ledger.tables import Adviser, OutboxMessage, Town, Village, Villager

_VILLAGERS = Villager.__table__
_VILLAGES = Village.__table__
_ADVISERS = Adviser.__table__
_OUTBOX = OutboxMessage.__table__
_A_POST = _ADVISERS.alias("a_post")
_OPENID = bindparam("openid")

# The villager, its village, the village's town and A-post adviser: what a new consultation, its adviser
# notice and the villager's reply read. The B post is loaded when an escalation needs it.
_PARTS = (
    ("villager", Villager, _VILLAGERS),
    ("village", Village, _VILLAGES),
    ("town", Town, Town.__table__),
    ("a_post", Adviser, _A_POST),
)
_ADVISER_ID = select(_ADVISERS.c.id).where(_ADVISERS.c.openid == _OPENID).scalar_subquery()
_HELD = exists().where(_OUTBOX.c.recipient == _OPENID, _OUTBOX.c.status == "held")
_KNOWN_VILLAGER = (
    select(
        *(column.label(f"{part}__{column.key}") for part, _, table in _PARTS for column in table.columns),
        _ADVISER_ID.label("sender_adviser_id"),
        _HELD.label("has_held"),
    )
    .select_from(
        _VILLAGERS.outerjoin(_VILLAGES, _VILLAGES.c.id == _VILLAGERS.c.village_id)
        .outerjoin(Town.__table__, Town.__table__.c.id == _VILLAGES.c.town_id)
        .outerjoin(_A_POST, _A_POST.c.id == _VILLAGES.c.adviser_a_id)
    )
    .where(_VILLAGERS.c.openid == _OPENID)
)
_ADVISER_OR_HELD = Prepared(select(_ADVISER_ID.label("sender_adviser_id"), _HELD.label("has_held")))


_NAMES = list(_KNOWN_VILLAGER.selected_columns.keys())  # a row of _KNOWN_VILLAGER is read by position


def _layout() -> list[tuple[str, type, list[tuple[str, int]], int]]:
    """Where each part's columns are in a row of _KNOWN_VILLAGER: (part, model, [(key, index)], id index)."""
    layout = []
    for part, model, table in _PARTS:
        columns = [(c.key, _NAMES.index(f"{part}__{c.key}")) for c in table.columns]
        layout.append((part, model, columns, _NAMES.index(f"{part}__id")))
    return layout


_LAYOUT = _layout()
_AT_ADVISER_ID = _NAMES.index("sender_adviser_id")
_AT_HAS_HELD = _NAMES.index("has_held")
_KNOWN = Prepared(_KNOWN_VILLAGER)


@dataclass
class Sender:
    villager: Villager | None  # None for an adviser, or an openid never seen (the caller creates it)
    adviser_id: int | None
    has_held: bool  # the outbox holds messages for this openid (WeChat's window was closed)


def look_up(session: Session, openid: str) -> Sender:
    conn = connection_of(session)
    row = _KNOWN.first(conn, {"openid": openid})
    if row is None:
        adviser_id, has_held = _ADVISER_OR_HELD.first(conn, {"openid": openid})
        return Sender(None, adviser_id, bool(has_held))
    if row[_AT_ADVISER_ID] is not None:  # an adviser who once wrote as a villager is an adviser
        return Sender(None, row[_AT_ADVISER_ID], bool(row[_AT_HAS_HELD]))
    objects = {
        part: attach_loaded(session, model, {key: row[i] for key, i in columns})
        for part, model, columns, id_index in _LAYOUT
        if row[id_index] is not None
    }
    villager, village = objects["villager"], objects.get("village")
    if village is not None:
        set_committed_value(village, "town", objects.get("town"))
        set_committed_value(village, "adviser_a", objects.get("a_post"))
    set_committed_value(villager, "village", village)
    return Sender(villager, None, bool(row[_AT_HAS_HELD]))
