"""What a staff user may see: a bureau user their county, a town office user their town only."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.ledger.tables import Consultation, Town, User, Village
from bot.stats.scope import Scope


class AccessDenied(PermissionError):
    """The user asked for data outside their county or town (HTTP 403)."""


class UnknownPlace(LookupError):
    """A town or village named in a request does not exist (HTTP 404)."""


def scope_of(user: User) -> Scope:
    """The widest scope a user may see."""
    if user.role == "town":
        return Scope(user.county, user.town_id, user.town.name if user.town else None)
    return Scope(user.county)


def requested_scope(session: Session, user: User, town: str | None = None) -> Scope:
    """The user's scope narrowed to a town they asked for (by name or id); another town → AccessDenied."""
    own = scope_of(user)
    if not town:
        return own
    query = select(Town).where(Town.id == int(town)) if town.isdigit() else select(Town).where(Town.name == town)
    candidates = list(session.scalars(query))
    in_county = [t for t in candidates if t.county == user.county]
    if not candidates:
        raise UnknownPlace(f"没有名为“{town}”的镇")
    if not in_county:
        raise AccessDenied(f"“{town}”不在{user.county}，您无权查看")
    target = in_county[0]
    if own.town_id is not None and target.id != own.town_id:
        raise AccessDenied(f"您是{own.town_name}司法所用户，只能查看本镇数据")
    return Scope(user.county, target.id, target.name)


def may_see_village(user: User, village: Village | None) -> bool:
    """True when the village lies in the user's county (and town, for a town office)."""
    if village is None:
        return False
    if village.town.county != user.county:
        return False
    return user.role != "town" or village.town_id == user.town_id


def may_see_consultation(user: User, consultation: Consultation) -> bool:
    """True when the consultation's village is in the user's scope."""
    return may_see_village(user, consultation.village)
