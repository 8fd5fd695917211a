"""The dashboard's extra views: weekly trend by category, overdue work right now, recent alerts."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import Integer, cast, func, literal, select
from sqlalchemy.orm import Session

from bot.categories import CATEGORIES, category_label
from bot.clock import fmt_local
from bot.ledger import states
from bot.ledger.tables import Adviser, Consultation
from bot.privacy import mask_personal
from bot.stats.cube import counted
from bot.stats.periods import Period, week_of
from bot.stats.scope import Scope, filter_scope


def weekly_trend(session: Session, last_week: Period, scope: Scope, weeks: int = 12) -> dict[str, object]:
    """Consultations per ISO week and category for the ``weeks`` weeks ending with ``last_week``:
    one GROUP BY (Asia/Shanghai weeks have no daylight saving, so every week is 604,800 s)."""
    periods = [week_of(last_week.first_day - dt.timedelta(days=7 * i)) for i in reversed(range(weeks))]
    c = Consultation
    # The week's number since the first Monday: arithmetic on the time, cheaper than a 12-way CASE.
    start = literal(periods[0].start, c.created_at.type)
    if session.get_bind().dialect.name == "sqlite":  # whole seconds, integer division: exact
        week = (cast(func.strftime("%s", c.created_at), Integer) - cast(func.strftime("%s", start), Integer)) // 604800
    else:  # extract(epoch) is numeric (exact) on PostgreSQL; CAST would round, floor() does not
        week = cast(func.floor(func.extract("epoch", c.created_at - start) / 604800), Integer)
    query = (
        select(week.label("week"), c.category, func.count().label("n"))
        .where(c.created_at >= periods[0].start, c.created_at < periods[-1].end, counted())
        .group_by(week, c.category)
    )
    in_scope = filter_scope(session, scope).covers_village(c.village_id)
    if in_scope is not None:
        query = query.where(in_scope)
    counts: Counter = Counter()
    for row in session.execute(query):
        counts[(periods[int(row.week)].label, row.category)] += int(row.n)
    codes = [*CATEGORIES, *sorted({k for (_w, k) in counts if k not in CATEGORIES}, key=lambda k: k or "")]
    return {
        "weeks": [p.label for p in periods],
        "series": [
            {
                "category": code,
                "label": category_label(code),
                "counts": [counts.get((p.label, code), 0) for p in periods],
            }
            for code in codes
            if any(counts.get((p.label, code), 0) for p in periods)
        ],
    }


def overdue_by_adviser(session: Session, scope: Scope, now: dt.datetime) -> list[dict[str, object]]:
    """Advisers with consultations still open past their deadline now, whatever the period."""
    c = Consultation
    query = (
        select(c.adviser_id, Adviser.name, func.count().label("n"), func.min(c.deadline_at).label("oldest"))
        .join(Adviser, Adviser.id == c.adviser_id)
        .where(c.status.in_(states.OPEN), c.deadline_at < now)
        .group_by(c.adviser_id, Adviser.name)
        .order_by(func.count().desc(), Adviser.name)
    )
    in_scope = scope.covers_village(c.village_id)
    if in_scope is not None:
        query = query.where(in_scope)
    return [
        {"adviser_id": row.adviser_id, "adviser": row.name, "overdue": int(row.n), "oldest_deadline": row.oldest}
        for row in session.execute(query)
    ]


def recent_alerts(session: Session, scope: Scope, limit: int = 10) -> list[dict[str, object]]:
    """The latest sensitive-matter alerts with their acknowledgement, question masked."""
    c = Consultation
    query = select(c).where(c.alert_kind.is_not(None)).order_by(c.created_at.desc(), c.id.desc()).limit(limit)
    in_scope = scope.covers_village(c.village_id)
    if in_scope is not None:
        query = query.where(in_scope)
    return [
        {
            "id": item.id,
            "village": item.village.name if item.village else "",
            "town": item.village.town.name if item.village else "",
            "kind": states.ALERT_LABELS.get(item.alert_kind, item.alert_kind),
            "created": fmt_local(item.created_at),
            "acked": fmt_local(item.alert_acked_at),
            "acked_by": item.alert_acked_by or "",
            "question": mask_personal(item.question)[:60],
        }
        for item in session.scalars(query)
    ]
