"""Whose data a statistic covers: everything (the command line), a county (bureau) or one town (司法所)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Row, Select, select
from sqlalchemy.orm import Session, aliased

from bot.ledger.tables import Adviser, Town, Village


@dataclass(frozen=True)
class Scope:
    county: str | None = None
    town_id: int | None = None
    town_name: str | None = None

    @property
    def title(self) -> str:
        """The scope as named in reports (示范县城关镇)."""
        return f"{self.county or '全部'}{self.town_name or ''}"

    def village_ids(self) -> Select | None:
        """A sub-select of the villages in scope, or None when everything is in scope."""
        if self.county is None and self.town_id is None:
            return None
        query = select(Village.id).join(Town, Town.id == Village.town_id)
        if self.county is not None:
            query = query.where(Town.county == self.county)
        if self.town_id is not None:
            query = query.where(Town.id == self.town_id)
        return query

    def covers_village(self, village_column) -> ColumnElement[bool] | None:
        """A WHERE clause restricting a ``village_id`` column to the scope (None: no restriction)."""
        ids = self.village_ids()
        return None if ids is None else village_column.in_(ids.scalar_subquery())

    def to_json(self) -> dict[str, object]:
        """The scope as the API and the CLI show it."""
        return {"county": self.county, "town_id": self.town_id, "town": self.town_name}


def filter_scope(session: Session, scope: Scope) -> Scope:
    """The scope to filter rows by: a county that is the only one in the database needs no village filter
    (a county's own installation), which lets the created_at index serve the whole range."""
    if scope.county is None or scope.town_id is not None:
        return scope
    counties = list(session.scalars(select(Town.county).distinct().limit(2)))
    return Scope() if counties == [scope.county] else scope


def town_scope(session: Session, county: str | None, town_name: str) -> Scope | None:
    """The scope of a named town (within a county when given), or None if there is no such town."""
    query = select(Town).where(Town.name == town_name)
    if county is not None:
        query = query.where(Town.county == county)
    towns = list(session.scalars(query))
    if len(towns) != 1:
        return None
    return Scope(towns[0].county, towns[0].id, towns[0].name)


def villages_in(session: Session, scope: Scope) -> list[Row]:
    """Villages of the scope as plain rows (id, code, name, town_id, town_name, county, adviser_a_id,
    adviser_a_name, adviser_b_id, adviser_b_name), ordered by code: one Core query, no ORM objects."""
    a, b = aliased(Adviser), aliased(Adviser)
    query = (
        select(
            Village.id,
            Village.code,
            Village.name,
            Village.town_id,
            Town.name.label("town_name"),
            Town.county,
            Village.adviser_a_id,
            a.name.label("adviser_a_name"),
            Village.adviser_b_id,
            b.name.label("adviser_b_name"),
        )
        .join(Town, Town.id == Village.town_id)
        .join(a, a.id == Village.adviser_a_id)
        .outerjoin(b, b.id == Village.adviser_b_id)
        .order_by(Village.code)
    )
    if scope.county is not None:
        query = query.where(Town.county == scope.county)
    if scope.town_id is not None:
        query = query.where(Town.id == scope.town_id)
    return list(session.execute(query))
