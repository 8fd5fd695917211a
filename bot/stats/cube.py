"""Counts of one period in one statement: the period's rows are grouped once at the finest grain
(village × adviser × answerer × category × alert kind × legal-aid group), and every breakdown is a
GROUP BY over that small result (a UNION ALL of rollups, like GROUPING SETS, which SQLite lacks)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import ColumnElement, Integer, String, and_, func, literal, null, select, union_all
from sqlalchemy.orm import Session

from bot.ledger import states
from bot.ledger.tables import Consultation, Town, Village
from bot.stats.periods import Period
from bot.stats.scope import Scope
from bot.stats.sql import sum_if

COUNTS = (
    "total",
    "bot",
    "adviser",
    "pending",
    "escalated",
    "open",
    "overdue",
    "answered",
    "in_time",
    "reopened",
    "rated",
    "rating_1",
    "rating_2",
    "rating_3",
    "alerts",
    "alerts_acked",
    "legal_aid",
)
# Rollups: name → (grain column giving an integer key, or one giving a text key).
DIMENSIONS = ("all", "county", "town", "village", "adviser", "answerer", "category", "alert_kind", "legal_aid_group")


def route_condition(route: str) -> ColumnElement[bool]:
    """The WHERE clause of one route of the partition: bot, adviser, pending or escalated."""
    c = Consultation
    conditions = {
        "bot": c.status == states.BOT_ANSWERED,
        "adviser": and_(c.status == states.ADVISER_ANSWERED, c.escalation_level <= 0),
        "pending": and_(c.status.in_(states.OPEN), c.escalation_level <= 0),
        "escalated": c.escalation_level > 0,
    }
    return conditions[route]


def count_columns(now: dt.datetime) -> list:
    """One SUM(CASE …) per count; the route columns partition the consultations (see docs)."""
    c = Consultation
    is_open = c.status.in_(states.OPEN)
    answered = c.status == states.ADVISER_ANSWERED
    expressions = {
        "total": func.count(),
        **{route: sum_if(route_condition(route)) for route in ("bot", "adviser", "pending", "escalated")},
        "open": sum_if(is_open),
        "overdue": sum_if(and_(is_open, c.deadline_at < now)),
        "answered": sum_if(answered),
        "in_time": sum_if(and_(answered, c.answered_at <= c.deadline_at)),
        "reopened": sum_if(c.reopened_count > 0),
        "rated": sum_if(c.rating.is_not(None)),
        "rating_1": sum_if(c.rating == 1),
        "rating_2": sum_if(c.rating == 2),
        "rating_3": sum_if(c.rating == 3),
        "alerts": sum_if(c.alert_kind.is_not(None)),
        "alerts_acked": sum_if(and_(c.alert_kind.is_not(None), c.alert_acked_at.is_not(None))),
        "legal_aid": sum_if(c.legal_aid_group.is_not(None)),
    }
    return [expressions[name].label(name) for name in COUNTS]


def counted() -> ColumnElement[bool]:
    """What the statistics count as a consultation: not what an adviser closed as chatter (非法律问题)."""
    return Consultation.status != states.NOT_LEGAL


def period_filter(period: Period, scope: Scope) -> list:
    """WHERE clauses: created in the period (Asia/Shanghai bounds), village in scope, counted."""
    clauses = [Consultation.created_at >= period.start, Consultation.created_at < period.end, counted()]
    in_scope = scope.covers_village(Consultation.village_id)
    if in_scope is not None:
        clauses.append(in_scope)
    return clauses


def count_cube(
    session: Session, period: Period, scope: Scope, now: dt.datetime, per_county: bool = True
) -> dict[str, dict[object, dict]]:
    """dimension → key → counts, for every rollup in DIMENSIONS (keys absent when there are no rows);
    without ``per_county`` (one county in scope) the county rollup is left to the "all" row."""
    c = Consultation
    grain = (c.village_id, c.adviser_id, c.answered_by_id, c.category, c.alert_kind, c.legal_aid_group)
    base = select(*grain, *count_columns(now)).where(*period_filter(period, scope)).group_by(*grain).cte("base")
    sums = [func.sum(base.c[name]).label(name) for name in COUNTS]
    text_key = lambda column: column.cast(String(64)).label("key_code")  # noqa: E731
    no_id, no_code = null().cast(Integer).label("key_id"), null().cast(String(64)).label("key_code")
    with_town = base.outerjoin(Village, Village.id == base.c.village_id).outerjoin(Town, Town.id == Village.town_id)
    parts = [select(literal("all").label("dim"), no_id, no_code, *sums)]
    if per_county and scope.county is None:  # within one county, its rollup is the "all" row
        parts.append(
            select(literal("county").label("dim"), no_id, text_key(Town.county), *sums)
            .select_from(with_town)
            .group_by(Town.county)
        )
    parts += [
        select(literal("town").label("dim"), Village.town_id.label("key_id"), no_code, *sums)
        .select_from(with_town)
        .group_by(Village.town_id),
    ]
    for dim, column in (("village", base.c.village_id), ("adviser", base.c.adviser_id)):
        parts.append(select(literal(dim).label("dim"), column.label("key_id"), no_code, *sums).group_by(column))
    parts.append(
        select(literal("answerer").label("dim"), base.c.answered_by_id.label("key_id"), no_code, *sums)
        .where(base.c.answered_by_id.is_not(None))
        .group_by(base.c.answered_by_id)
    )
    parts.append(
        select(literal("category").label("dim"), no_id, text_key(base.c.category), *sums).group_by(base.c.category)
    )
    for dim in ("alert_kind", "legal_aid_group"):
        column = base.c[dim]
        parts.append(
            select(literal(dim).label("dim"), no_id, text_key(column), *sums)
            .where(column.is_not(None))
            .group_by(column)
        )
    result: dict[str, dict[object, dict]] = defaultdict(dict)
    for row in session.execute(union_all(*parts)).mappings():
        if row["total"] is None:  # the "all" rollup of an empty period
            continue
        key = row["key_id"] if row["key_id"] is not None else row["key_code"]
        result[row["dim"]][key] = {name: int(row[name] or 0) for name in COUNTS}
    return result
