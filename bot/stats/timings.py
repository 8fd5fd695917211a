"""Response times (answered − forwarded) and alert acknowledgement times: medians, 90th percentiles,
the share within the deadline, and a distribution for the dashboard, all computed in SQL."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import Integer, String, and_, case, func, literal, null, select, union_all
from sqlalchemy.orm import Session

from bot.ledger import states
from bot.ledger.tables import Consultation, Town, Village
from bot.stats.cube import period_filter
from bot.stats.periods import Period
from bot.stats.scope import Scope
from bot.stats.sql import percentile_select, seconds_between, sum_if

# Rollups of response times (same keys as the count cube).
RESPONSE_DIMENSIONS = ("all", "county", "town", "village", "adviser", "answerer", "category")
# Upper bounds in hours of the dashboard's response-time buckets (last one open-ended).
BUCKETS_HOURS = (1, 2, 4, 8, 24, 72)


def _response_rows(dialect: str, period: Period, scope: Scope):
    c = Consultation
    return (
        select(
            c.village_id,
            Village.town_id,
            Town.county,
            c.adviser_id,
            c.answered_by_id,
            c.category,
            seconds_between(dialect, c.answered_at, c.forwarded_at).label("x"),
            case((c.answered_at <= c.deadline_at, 1), else_=0).label("ok"),
        )
        .outerjoin(Village, Village.id == c.village_id)
        .outerjoin(Town, Town.id == Village.town_id)
        .where(
            *period_filter(period, scope),
            c.status == states.ADVISER_ANSWERED,
            c.answered_at.is_not(None),
            c.forwarded_at.is_not(None),
        )
        .cte("responses")
    )


def _ack_rows(dialect: str, period: Period, scope: Scope):
    c = Consultation
    return (
        select(seconds_between(dialect, c.alert_acked_at, c.created_at).label("x"))
        .where(*period_filter(period, scope), c.alert_kind.is_not(None), c.alert_acked_at.is_not(None))
        .cte("acks")
    )


def timing_summary(session: Session, period: Period, scope: Scope) -> dict[tuple[str, str], dict[object, dict]]:
    """(measure, dimension) → key → {n, median, p90 (minutes), ok}; measure is ``response`` or ``ack``."""
    dialect = session.get_bind().dialect.name
    responses, acks = _response_rows(dialect, period, scope), _ack_rows(dialect, period, scope)
    no_id, no_code = null().cast(Integer).label("key_id"), null().cast(String(64)).label("key_code")
    keyed = {
        "all": (no_id, no_code),
        "county": (no_id, responses.c.county.cast(String(64)).label("key_code")),
        "town": (responses.c.town_id.label("key_id"), no_code),
        "village": (responses.c.village_id.label("key_id"), no_code),
        "adviser": (responses.c.adviser_id.label("key_id"), no_code),
        "answerer": (responses.c.answered_by_id.label("key_id"), no_code),
        "category": (no_id, responses.c.category.cast(String(64)).label("key_code")),
    }
    parts = [
        select(literal("response").label("measure"), literal(dim).label("dim"), *keys, responses.c.x, responses.c.ok)
        for dim, keys in keyed.items()
    ]
    parts.append(
        select(
            literal("ack").label("measure"),
            literal("all").label("dim"),
            no_id,
            no_code,
            acks.c.x,
            literal(1).label("ok"),
        )
    )
    samples = union_all(*parts).cte("samples")
    result: dict[tuple[str, str], dict[object, dict]] = defaultdict(dict)
    for row in session.execute(percentile_select(dialect, samples)).mappings():
        key = row["key_id"] if row["key_id"] is not None else row["key_code"]
        result[(row["measure"], row["dim"])][key] = {
            "n": int(row["n"]),
            "median": _minutes(row["median"]),
            "p90": _minutes(row["p90"]),
            "ok": int(row["ok"] or 0),
        }
    return result


def response_histogram(session: Session, period: Period, scope: Scope) -> list[dict]:
    """How many answers took < 1 h, 1–2 h … (the dashboard's distribution), one GROUP BY."""
    dialect = session.get_bind().dialect.name
    c = Consultation
    hours = seconds_between(dialect, c.answered_at, c.forwarded_at) / 3600.0
    bucket = case(*[(hours < bound, index) for index, bound in enumerate(BUCKETS_HOURS)], else_=len(BUCKETS_HOURS))
    query = (
        select(bucket.label("bucket"), func.count().label("n"), sum_if(c.answered_at <= c.deadline_at).label("ok"))
        .where(
            *period_filter(period, scope),
            and_(c.status == states.ADVISER_ANSWERED, c.answered_at.is_not(None), c.forwarded_at.is_not(None)),
        )
        .group_by(bucket)
    )
    counts = {int(row.bucket): (int(row.n), int(row.ok)) for row in session.execute(query)}
    labels = [
        f"{lo}–{hi} 小时" if lo else f"{hi} 小时内"
        for lo, hi in zip((0, *BUCKETS_HOURS[:-1]), BUCKETS_HOURS, strict=True)
    ]
    labels.append(f"{BUCKETS_HOURS[-1]} 小时以上")
    return [
        {"bucket": label, "count": counts.get(i, (0, 0))[0], "in_time": counts.get(i, (0, 0))[1]}
        for i, label in enumerate(labels)
    ]


def _minutes(seconds) -> float | None:
    return None if seconds is None else round(float(seconds) / 60.0, 2)
