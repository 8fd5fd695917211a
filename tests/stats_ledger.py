"""A generated ledger for the statistics tests, written straight into the tables (other engineers are
building the features that fill escalation, ratings, alerts and duty records), plus the plain records
the tests count independently."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.ledger.tables import Adviser, Consultation, DutyRecord, Town, Village, Villager

SH = ZoneInfo("Asia/Shanghai")
UTC = dt.UTC
# Weeks 2026-W45 … 2026-W49 (Mon 2 Nov … Sun 6 Dec, Shanghai); W49 crosses into December.
FIRST = dt.datetime(2026, 11, 2, tzinfo=SH)
LAST = dt.datetime(2026, 12, 7, tzinfo=SH)
NOW = dt.datetime(2026, 12, 8, 2, 0, tzinfo=UTC)  # Tuesday 10:00 Shanghai, after all of it
CATEGORIES = ["land", "marriage_family", "labor", "debt_contract", "traffic", "tort_neighbor", "other", None]
# The edges of 2026-W47 (Mon 16 Nov 00:00 … Sun 22 Nov 24:00 Shanghai) and a UTC-date trap.
BOUNDARIES = [
    dt.datetime(2026, 11, 15, 23, 59, 59, 999000, tzinfo=SH),  # W46
    dt.datetime(2026, 11, 16, 0, 0, 0, tzinfo=SH),  # W47 (Sunday 16:00 UTC)
    dt.datetime(2026, 11, 16, 7, 0, 0, tzinfo=SH),  # W47 although its UTC date is Sunday 15 Nov
    dt.datetime(2026, 11, 22, 23, 59, 59, tzinfo=SH),  # W47
    dt.datetime(2026, 11, 23, 0, 0, 0, tzinfo=SH),  # W48
]


@dataclass
class Ledger:
    records: list[dict] = field(default_factory=list)  # one plain dict per consultation
    duty: list[dict] = field(default_factory=list)
    village_town: dict[int, int] = field(default_factory=dict)
    town_county: dict[int, str] = field(default_factory=dict)
    village_code: dict[int, str] = field(default_factory=dict)
    a_post: dict[int, int] = field(default_factory=dict)
    towns: dict[str, int] = field(default_factory=dict)  # town name → id
    advisers: dict[str, int] = field(default_factory=dict)  # name → id


def _roster_extras(session) -> None:
    """A third town in 示范县 and a second county beside the sample roster."""
    xinan = Town(county="示范县", name="新安镇", office_name="新安司法所")
    other = Town(county="另一县", name="东关镇")
    zhao = Adviser(name="赵敏", phone="13800000004")
    sun = Adviser(name="孙强", phone="13800000005")
    session.add_all([xinan, other, zhao, sun])
    session.flush()
    session.add_all(
        [
            Village(code="370305001", name="新安村", town_id=xinan.id, adviser_a_id=zhao.id, adviser_b_id=sun.id),
            Village(code="370305002", name="南坡村", town_id=xinan.id, adviser_a_id=sun.id),
            Village(code="371101001", name="东关村", town_id=other.id, adviser_a_id=sun.id, adviser_b_id=zhao.id),
        ]
    )


def generate(services, seed: int = 7, count: int = 420) -> Ledger:
    """Consultations over five weeks in six villages of four towns and two counties, with every route,
    open/reopened/escalated ones, ratings, alerts, legal-aid referrals and on-site records."""
    rng = random.Random(seed)
    ledger = Ledger()
    with services.sessions.begin() as session:
        _roster_extras(session)
        session.flush()
        villages = list(session.scalars(select(Village).order_by(Village.code)))
        for v in villages:
            ledger.village_town[v.id], ledger.village_code[v.id], ledger.a_post[v.id] = (
                v.town_id,
                v.code,
                v.adviser_a_id,
            )
            ledger.town_county[v.town_id] = v.town.county
            ledger.towns[v.town.name] = v.town_id
        ledger.advisers = {a.name: a.id for a in session.scalars(select(Adviser))}
        villagers = []
        for i in range(40):
            villager = Villager(
                openid=f"oStats{i:04d}",
                pseudonym=f"VS{i:07d}",
                village_id=villages[i % len(villages)].id,
                created_at=FIRST.astimezone(UTC),
            )
            session.add(villager)
            villagers.append(villager)
        session.flush()
        span = (LAST - FIRST).total_seconds()
        times = [*BOUNDARIES, *(FIRST + dt.timedelta(seconds=rng.uniform(0, span)) for _ in range(count))]
        for created in times:
            village = rng.choice(villages)
            record = _record(rng, created.astimezone(UTC), village)
            record["villager_id"] = rng.choice(villagers).id
            session.add(
                Consultation(
                    **{k: v for k, v in record.items()},
                    channel="official",
                    question=f"问题 电话13912345678 {len(ledger.records)}",
                )
            )
            ledger.records.append(record)
        for record in _duty(rng, villages):
            session.add(DutyRecord(**record))
            ledger.duty.append(record)
    return ledger


def counted(record: dict) -> bool:
    """In the statistics and the village volume: everything but chatter an adviser closed (not_legal)."""
    return record["status"] != "not_legal"


def _record(rng: random.Random, created: dt.datetime, village: Village) -> dict:
    b_post = village.adviser_b_id or village.adviser_a_id
    record = {
        "created_at": created,
        "village_id": village.id,
        "adviser_id": village.adviser_a_id,
        "answered_by_id": None,
        "category": rng.choice(CATEGORIES),
        "route": "adviser",
        "status": "waiting_adviser",
        "forwarded_at": None,
        "answered_at": None,
        "deadline_at": None,
        "escalation_level": 0,
        "escalated_at": None,
        "rating": None,
        "rated_at": None,
        "reopened_count": 0,
        "alert_kind": None,
        "alert_acked_at": None,
        "legal_aid_group": None,
    }
    roll = rng.random()
    if roll < 0.35:
        record.update(status="bot_answered", route="bot", answered_at=created)
        return record
    forwarded = created + dt.timedelta(minutes=rng.randint(0, 20))
    record.update(forwarded_at=forwarded, deadline_at=forwarded + dt.timedelta(hours=4))
    if rng.random() < 0.2:
        level = rng.choice([1, 1, 2])
        record.update(
            escalation_level=level,
            escalated_at=forwarded + dt.timedelta(hours=4),
            adviser_id=b_post,
            deadline_at=forwarded + dt.timedelta(hours=8),
        )
    if rng.random() < 0.12:
        record.update(alert_kind=rng.choice(["self_harm", "violence", "petition"]))
        if rng.random() < 0.7:
            record["alert_acked_at"] = created + dt.timedelta(minutes=rng.randint(1, 240))
    if rng.random() < 0.08:
        record["legal_aid_group"] = rng.choice(["elderly", "migrant_wage", "disabled"])
    if roll < 0.8:  # answered by a person
        answered = forwarded + dt.timedelta(minutes=rng.randint(3, 30 * 60))
        record.update(
            status="adviser_answered",
            answered_at=answered,
            answered_by_id=record["adviser_id"],
            reopened_count=rng.choice([0, 0, 0, 1]),
        )
        if rng.random() < 0.6:
            record.update(rating=rng.choice([1, 1, 1, 2, 3]), rated_at=answered + dt.timedelta(hours=1))
    else:
        status = "alert" if record["alert_kind"] else "waiting_adviser"
        if status == "waiting_adviser" and rng.random() < 0.3:
            status = "not_legal"  # an adviser closed it as chatter: kept, but not counted
        record.update(status=status, reopened_count=rng.choice([0, 0, 1]))
    return record


def _duty(rng: random.Random, villages: list[Village]) -> list[dict]:
    records = []
    for v in villages:
        for month_start in (dt.datetime(2026, 11, 1, tzinfo=SH), dt.datetime(2026, 12, 1, tzinfo=SH)):
            for _ in range(rng.randint(0, 4)):
                start = month_start + dt.timedelta(days=rng.randint(0, 27), hours=rng.randint(8, 14))
                hours = rng.choice([1.5, 2, 3, 4])
                open_record = rng.random() < 0.15
                adviser = v.adviser_a_id if rng.random() < 0.85 else (v.adviser_b_id or v.adviser_a_id)
                records.append(
                    {
                        "adviser_id": adviser,
                        "village_id": v.id,
                        "kind": rng.choice(["onsite"] * 4 + ["talk"]),
                        "started_at": start.astimezone(UTC),
                        "ended_at": None if open_record else (start + dt.timedelta(hours=hours)).astimezone(UTC),
                    }
                )
        # An on-site visit that starts at 23:30 on 30 Nov Shanghai belongs to November (its start).
        records.append(
            {
                "adviser_id": v.adviser_a_id,
                "village_id": v.id,
                "kind": "onsite",
                "started_at": dt.datetime(2026, 11, 30, 23, 30, tzinfo=SH).astimezone(UTC),
                "ended_at": dt.datetime(2026, 12, 1, 1, 0, tzinfo=SH).astimezone(UTC),
            }
        )
    return records
