"""Portable SQL building blocks: conditional sums, durations in seconds, and percentiles.

Percentiles are ``percentile_cont`` (linear interpolation between the two nearest ranks) on both
engines: PostgreSQL has it as an ordered-set aggregate; on SQLite the same value is computed with
``row_number()`` / ``count()`` window functions, picking the two ranks around ``q·(n−1)`` and
interpolating, in one statement. Only the rows of one period are ranked, so this stays cheap.
"""

from __future__ import annotations

from sqlalchemy import Float, Integer, case, cast, func, literal, select
from sqlalchemy.sql import ColumnElement, Select

QUANTILES = {"median": 0.5, "p90": 0.9}


def sum_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """COUNT of the rows matching a condition, as SUM(CASE …) so many counts share one scan."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def seconds_between(dialect: str, later, earlier) -> ColumnElement[float]:
    """``later − earlier`` in seconds (SQLite stores UTC text; julianday has ~50 µs resolution)."""
    if dialect == "sqlite":
        return (func.julianday(later) - func.julianday(earlier)) * 86400.0
    return func.extract("epoch", later - earlier)


def percentile_select(dialect: str, samples) -> Select:
    """Per (measure, dim, key_id, key_code) group of ``samples`` (a CTE with column ``x`` and ``ok``):
    n, median, p90, and the number of rows with ``ok`` (e.g. answered within the deadline)."""
    keys = [samples.c.measure, samples.c.dim, samples.c.key_id, samples.c.key_code]
    if dialect == "postgresql":
        return select(
            *keys,
            func.count().label("n"),
            *[func.percentile_cont(q).within_group(samples.c.x).label(name) for name, q in QUANTILES.items()],
            func.sum(samples.c.ok).label("ok"),
        ).group_by(*keys)
    ranked = select(
        *keys,
        samples.c.x,
        samples.c.ok,
        func.row_number().over(partition_by=keys, order_by=samples.c.x).label("rn"),
        func.count().over(partition_by=keys).label("n"),
    ).cte("ranked")
    rkeys = [ranked.c.measure, ranked.c.dim, ranked.c.key_id, ranked.c.key_code]
    columns = []
    for name, q in QUANTILES.items():
        position = literal(q, Float) * (ranked.c.n - 1)
        below = cast(position, Integer)  # floor: position is never negative
        lower = func.max(case((ranked.c.rn == below + 1, ranked.c.x)))
        upper = func.max(case((ranked.c.rn == below + 2, ranked.c.x)))
        fraction = func.max(position - below)
        columns.append((lower + fraction * (func.coalesce(upper, lower) - lower)).label(name))
    return select(*rkeys, func.max(ranked.c.n).label("n"), *columns, func.sum(ranked.c.ok).label("ok")).group_by(*rkeys)
