"""On-site hours (驻点时长) per adviser per village per month, against the county's monthly minimum.

Hours are ``ended_at − started_at`` of ``onsite`` duty records, attributed to the local month in which
they started; a record still open (no sign-out) counts 0. The minimum binds the village's A post (its own
adviser); other advisers who served on site are listed with their hours but not held to it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.ledger.tables import Adviser, DutyRecord
from bot.stats.periods import Period, month_of
from bot.stats.scope import Scope, villages_in
from bot.stats.sql import seconds_between


def months_touching(period: Period) -> list[Period]:
    """The calendar months (Asia/Shanghai) a period overlaps, in order."""
    months, month = [], month_of(period.first_day)
    while month.first_day <= period.last_day:
        months.append(month)
        month = month.next()
    return months


def onsite_hours(session: Session, months: list[Period], scope: Scope) -> dict[tuple[str, int, int], float]:
    """(month label, adviser id, village id) → hours, one GROUP BY over the months' records."""
    if not months:
        return {}
    dialect = session.get_bind().dialect.name
    d = DutyRecord
    month = case(*[(d.started_at < m.end, literal(m.label)) for m in months])
    seconds = case(
        (d.ended_at > d.started_at, seconds_between(dialect, d.ended_at, d.started_at)),
        else_=0.0,
    )
    query = (
        select(month.label("month"), d.adviser_id, d.village_id, func.sum(seconds).label("seconds"))
        .where(d.kind == "onsite", d.started_at >= months[0].start, d.started_at < months[-1].end)
        .group_by(month, d.adviser_id, d.village_id)
    )
    in_scope = scope.covers_village(d.village_id)
    if in_scope is not None:
        query = query.where(in_scope)
    return {
        (row.month, row.adviser_id, row.village_id): round(float(row.seconds or 0) / 3600.0, 2)
        for row in session.execute(query)
    }


def onsite_rows(
    session: Session, period: Period, scope: Scope, settings: Settings, now: dt.datetime, villages: list | None = None
) -> list[dict[str, object]]:
    """One row per month × village × adviser: every village's A post (even with 0 hours) plus anyone
    else with on-site records; ``below_minimum`` flags an A post under the county's minimum in a month that
    is over, ``short_so_far`` one still under it in the current month."""
    months = months_touching(period)
    hours = onsite_hours(session, months, scope)
    villages = {v.id: v for v in (villages if villages is not None else villages_in(session, scope))}
    names = _adviser_names(
        session, {adviser for (_m, adviser, _v) in hours} | {v.adviser_a_id for v in villages.values()}
    )
    rows = []
    for month in months:
        pairs = {(v.adviser_a_id, v.id) for v in villages.values()}
        pairs |= {(adviser, village) for (label, adviser, village) in hours if label == month.label}
        for adviser_id, village_id in sorted(pairs, key=lambda p: (villages[p[1]].code, p[0])):
            village = villages[village_id]
            minimum = settings.onsite_minimum(village.county)
            value = hours.get((month.label, adviser_id, village_id), 0.0)
            is_a_post = village.adviser_a_id == adviser_id
            short = is_a_post and value < minimum
            complete = now >= month.end
            rows.append(
                {
                    "month": month.label,
                    "month_complete": complete,
                    "adviser_id": adviser_id,
                    "adviser": names.get(adviser_id, str(adviser_id)),
                    "post": "A" if is_a_post else ("B" if village.adviser_b_id == adviser_id else ""),
                    "village_code": village.code,
                    "village": village.name,
                    "town": village.town_name,
                    "hours": value,
                    "minimum": minimum if is_a_post else None,
                    "below_minimum": short and complete,  # judged once the month is over
                    "short_so_far": short and not complete,
                }
            )
    return rows


def _adviser_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(select(Adviser.id, Adviser.name).where(Adviser.id.in_(ids))).all())
