"""Response times (answered − forwarded) and alert acknowledgement times: medians, 90th percentiles,
the share within the deadline, and a distribution for the dashboard, all computed in SQL."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import BigInteger, and_, case, func, literal, select, union_all
from sqlalchemy.orm import Session

from bot.categories import CATEGORIES
from bot.ledger import states
from bot.ledger.tables import Consultation, Town, Village
from bot.stats.cube import period_filter
from bot.stats.periods import Period
from bot.stats.scope import Scope
from bot.stats.sql import percentile_select, seconds_between, sum_if

# Groups are one integer each (dimension × 2**32 + key), so the ranking sorts by a number, not by text.
STRIDE = 1 << 32
DIMENSION_NUMBERS = {"all": 0, "county": 1, "town": 2, "village": 3, "adviser": 4, "category": 5, "ack": 6}
UNKNOWN = STRIDE - 1  # a category code outside the taxonomy
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


def timing_summary(
    session: Session, period: Period, scope: Scope, counties: list[str]
) -> dict[tuple[str, str], dict[object, dict]]:
    """(measure, dimension) → key → {n, median, p90 (minutes)}; measure ``response`` (answered −
    forwarded, by all/county/town/adviser/category) or ``ack`` (alert acknowledged − asked). Villages
    get none: an adviser serves few villages, so the adviser's figure is the useful one."""
    dialect = session.get_bind().dialect.name
    responses, acks = _response_rows(dialect, period, scope), _ack_rows(dialect, period, scope)
    r = responses.c
    codes = list(CATEGORIES)
    keys = {
        "all": literal(0),
        "town": func.coalesce(r.town_id, 0),
        "adviser": func.coalesce(r.adviser_id, 0),
        "category": case(
            *[(r.category == code, i + 1) for i, code in enumerate(codes)], (r.category.is_(None), 0), else_=UNKNOWN
        ),
    }
    if scope.county is None and len(counties) > 1:  # with one county, its row is the "all" row
        keys["county"] = case(*[(r.county == name, i + 1) for i, name in enumerate(counties)], else_=0)
    parts = [
        select((literal(DIMENSION_NUMBERS[dim] * STRIDE, BigInteger) + key).label("g"), r.x)
        for dim, key in keys.items()
    ]
    parts.append(select(literal(DIMENSION_NUMBERS["ack"] * STRIDE, BigInteger).label("g"), acks.c.x))
    samples = union_all(*parts).cte("samples")
    decode = {
        "county": lambda k: counties[k - 1] if k else None,
        "category": lambda k: codes[k - 1] if 0 < k < UNKNOWN else (None if k == 0 else "?"),
        "all": lambda _k: None,
    }
    names = {number: dim for dim, number in DIMENSION_NUMBERS.items()}
    result: dict[tuple[str, str], dict[object, dict]] = defaultdict(dict)
    for row in session.execute(percentile_select(dialect, samples)).mappings():
        dim = names[int(row["g"]) // STRIDE]
        raw_key = int(row["g"]) % STRIDE
        key = decode.get(dim, lambda k: k or None)(raw_key)
        measure, dim = ("ack", "all") if dim == "ack" else ("response", dim)
        result[(measure, dim)][key] = {
            "n": int(row["n"]),
            "median": _minutes(row["median"]),
            "p90": _minutes(row["p90"]),
        }
    single = scope.county if scope.county is not None else (counties[0] if len(counties) == 1 else None)
    if single is not None and ("response", "all") in result:
        result[("response", "county")][single] = result[("response", "all")][None]
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
