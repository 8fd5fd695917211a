"""Portable SQL building blocks: conditional sums, durations in seconds, and percentiles.

Percentiles are ``percentile_cont`` (linear interpolation between the two nearest ranks) on both
engines: PostgreSQL has it as an ordered-set aggregate; on SQLite the same value is computed with
``row_number()`` / ``count()`` window functions, picking the two ranks around ``q·(n−1)`` and
interpolating, in one statement. Only the rows of one period are ranked, so this stays cheap.
"""

from __future__ import annotations

from sqlalchemy import Float, Integer, case, cast, func, literal, or_, select
from sqlalchemy.sql import ColumnElement, Select

QUANTILES = {"median": 0.5, "p90": 0.9}


def sum_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """COUNT(*) FILTER (WHERE …): many counts of one scan (PostgreSQL, and SQLite since 3.30)."""
    return func.count().filter(condition)


def seconds_between(dialect: str, later, earlier) -> ColumnElement[float]:
    """``later − earlier`` in seconds (SQLite stores UTC text; julianday has ~50 µs resolution)."""
    if dialect == "sqlite":
        return (func.julianday(later) - func.julianday(earlier)) * 86400.0
    return func.extract("epoch", later - earlier)


def percentile_select(dialect: str, samples) -> Select:
    """Per group ``g`` of ``samples`` (a CTE with an integer group ``g`` and a value ``x``): n, median, p90."""
    if dialect == "postgresql":
        return select(
            samples.c.g,
            func.count().label("n"),
            *[func.percentile_cont(q).within_group(samples.c.x).label(name) for name, q in QUANTILES.items()],
        ).group_by(samples.c.g)
    # SQLite: rank within each group once, keep only the rows next to the wanted ranks, interpolate.
    ranked = select(
        samples.c.g,
        samples.c.x,
        func.row_number().over(partition_by=samples.c.g, order_by=samples.c.x).label("rn"),
        func.count().over(partition_by=samples.c.g).label("n"),
    ).cte("ranked")
    below = {name: cast(literal(q, Float) * (ranked.c.n - 1), Integer) for name, q in QUANTILES.items()}
    near = or_(*[ranked.c.rn.in_([b + 1, b + 2]) for b in below.values()])
    columns = []
    for name, q in QUANTILES.items():
        lower = func.max(case((ranked.c.rn == below[name] + 1, ranked.c.x)))
        upper = func.max(case((ranked.c.rn == below[name] + 2, ranked.c.x)))
        fraction = func.max(literal(q, Float) * (ranked.c.n - 1) - below[name])
        columns.append((lower + fraction * (func.coalesce(upper, lower) - lower)).label(name))
    return select(ranked.c.g, func.max(ranked.c.n).label("n"), *columns).where(near).group_by(ranked.c.g)
