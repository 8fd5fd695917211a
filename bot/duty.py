"""The duty ledger (驻点与讲座台账): on-site hours per village, legal talks and mediations."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from bot.clock import SHANGHAI
from bot.context import Context
from bot.ledger.tables import Adviser, DutyRecord, Village

KINDS = {"onsite": "驻点", "talk": "法治讲座", "mediation": "调解"}
DEFAULT_MINIMUM_HOURS = 8.0


@dataclass(frozen=True)
class VillageMonth:
    village: Village
    onsite_hours: float
    talks: int
    mediations: int
    minimum: float

    @property
    def below_minimum(self) -> bool:
        return self.onsite_hours < self.minimum


def open_record(ctx: Context, adviser: Adviser) -> DutyRecord | None:
    return ctx.session.scalar(
        select(DutyRecord)
        .where(DutyRecord.adviser_id == adviser.id, DutyRecord.kind == "onsite", DutyRecord.ended_at.is_(None))
        .order_by(DutyRecord.id.desc())
        .limit(1)
    )


def check_in(ctx: Context, adviser: Adviser, village: Village) -> DutyRecord:
    """签到: starts on-site service; an earlier record left open is closed now (one place at a time)."""
    previous = open_record(ctx, adviser)
    if previous is not None:
        previous.ended_at = ctx.now
    record = DutyRecord(
        adviser_id=adviser.id, village_id=village.id, kind="onsite", started_at=ctx.now, created_at=ctx.now
    )
    ctx.session.add(record)
    ctx.session.flush()
    return record


def check_out(ctx: Context, adviser: Adviser) -> DutyRecord | None:
    """签退: ends the open on-site record, if any."""
    record = open_record(ctx, adviser)
    if record is not None:
        record.ended_at = ctx.now
    return record


def record_activity(ctx: Context, adviser: Adviser, village: Village, kind: str, note: str) -> DutyRecord:
    """A legal talk (讲座) or a mediation (调解), recorded at this time."""
    if kind not in ("talk", "mediation"):
        raise ValueError(f"unknown activity {kind}")
    record = DutyRecord(
        adviser_id=adviser.id,
        village_id=village.id,
        kind=kind,
        started_at=ctx.now,
        ended_at=ctx.now,
        note=note.strip() or None,
        created_at=ctx.now,
    )
    ctx.session.add(record)
    return record


def hours(record: DutyRecord) -> float:
    if record.ended_at is None:
        return 0.0
    return max((record.ended_at - record.started_at).total_seconds(), 0) / 3600


def month_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The local calendar month containing ``day``, as UTC bounds."""
    start = dt.datetime(day.year, day.month, 1, tzinfo=SHANGHAI)
    end = dt.datetime(day.year + (day.month == 12), day.month % 12 + 1, 1, tzinfo=SHANGHAI)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def month_summary(
    ctx: Context, adviser: Adviser, villages: list[Village], day: dt.date, minimum: float = DEFAULT_MINIMUM_HOURS
) -> list[VillageMonth]:
    """Per village the adviser serves: on-site hours, talks and mediations in that month."""
    start, end = month_bounds(day)
    records = list(
        ctx.session.scalars(
            select(DutyRecord).where(
                DutyRecord.adviser_id == adviser.id, DutyRecord.started_at >= start, DutyRecord.started_at < end
            )
        )
    )
    out = []
    for village in villages:
        mine = [r for r in records if r.village_id == village.id]
        out.append(
            VillageMonth(
                village,
                round(sum(hours(r) for r in mine if r.kind == "onsite"), 2),
                sum(1 for r in mine if r.kind == "talk"),
                sum(1 for r in mine if r.kind == "mediation"),
                minimum,
            )
        )
    return out


def minimum_hours(settings, county: str) -> float:
    """The monthly on-site minimum for a county (LEGALBOT_ONSITE_MIN_HOURS and its per-county override)."""
    by_county = getattr(settings, "onsite_min_hours_by_county", None) or {}
    return float(by_county.get(county, getattr(settings, "onsite_min_hours", DEFAULT_MINIMUM_HOURS)))
