"""The complete statistics of one period and scope, as one JSON-ready dict (API, CLI, exports, reports).

A consultation counts once (it is one ledger row whatever its messages, reopenings or escalations);
smalltalk never creates one. Membership is by ``created_at`` within the period's Asia/Shanghai bounds.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.categories import CATEGORIES, category_label
from bot.config import Settings
from bot.ledger.states import ALERT_LABELS
from bot.ledger.tables import Adviser, Town
from bot.stats.cube import COUNTS, count_cube
from bot.stats.onsite import onsite_rows
from bot.stats.periods import Period
from bot.stats.scope import Scope, filter_scope, villages_in
from bot.stats.timings import response_histogram, timing_summary

ROUTES = {"bot": "机器人答复", "adviser": "顾问答复", "pending": "待答复", "escalated": "已升级"}
EMPTY = dict.fromkeys(COUNTS, 0)


def build_stats(
    session: Session, period: Period, scope: Scope, settings: Settings, now: dt.datetime, *, histogram: bool = False
) -> dict[str, object]:
    """Every breakdown of the issue for one period and scope: a handful of aggregate statements
    (``histogram`` adds the response-time distribution the dashboard draws)."""
    where = filter_scope(session, scope)  # the same rows, filtered the cheapest way
    counties = _counties(session, scope)
    cube = count_cube(session, period, where, now, per_county=len(counties) > 1)
    timings = timing_summary(session, period, where, counties)
    villages = villages_in(session, scope)

    def row(dim: str, key: object) -> dict[str, object]:
        if dim == "county" and len(counties) == 1:  # the whole scope is this county
            dim, key = "all", None
        values = metrics(cube.get(dim, {}).get(key, EMPTY), timings.get(("response", dim), {}).get(key))
        if dim == "village":
            del values["response_median_minutes"], values["response_p90_minutes"]
        return values

    summary = row("all", None)
    ack = timings.get(("ack", "all"), {}).get(None)
    onsite = onsite_rows(session, period, scope, settings, now, villages)
    onsite_by_adviser: dict[int, list[float]] = {}
    for item in onsite:
        entry = onsite_by_adviser.setdefault(item["adviser_id"], [0.0, 0])
        entry[0] += item["hours"]
        entry[1] += int(item["below_minimum"])
    stats: dict[str, object] = {
        "period": period.to_json(),
        "scope": scope.to_json(),
        "generated_at": now.astimezone(dt.UTC).isoformat(),
        "total": summary["total"],
        "summary": summary,
        "by_route": [{"route": key, "label": label, "total": summary[key]} for key, label in ROUTES.items()],
        "by_county": [{"county": county, **row("county", county)} for county in counties],
        "by_town": [
            {"town_id": town.id, "county": town.county, "town": town.name, **row("town", town.id)}
            for town in _towns(session, scope)
        ],
        "by_village": [
            {
                "village_code": v.code,
                "village": v.name,
                "town": v.town_name,
                "county": v.county,
                "adviser_a": v.adviser_a_name,
                **row("village", v.id),
            }
            for v in villages
        ],
        "by_adviser": [
            {
                "adviser_id": a.id,
                "name": a.name,
                **row("adviser", a.id),
                "answered_by": cube.get("answerer", {}).get(a.id, EMPTY)["answered"],
                "answered_by_in_time": cube.get("answerer", {}).get(a.id, EMPTY)["in_time"],
                "onsite_hours": round(onsite_by_adviser.get(a.id, [0.0, 0])[0], 2),
                "onsite_below_minimum": onsite_by_adviser.get(a.id, [0.0, 0])[1],
            }
            for a in _advisers(session, villages, cube)
        ],
        "by_category": [
            {"category": code, "label": category_label(code), **row("category", code)}
            for code in [
                *CATEGORIES,
                *sorted(k for k in cube.get("category", {}) if k not in CATEGORIES and k),
                *([None] if None in cube.get("category", {}) else []),
            ]
        ],
        "alerts": {
            "total": summary["alerts"],
            "acked": summary["alerts_acked"],
            "unacked": summary["alerts"] - summary["alerts_acked"],
            "ack_median_minutes": ack["median"] if ack else None,
            "ack_p90_minutes": ack["p90"] if ack else None,
            "by_kind": [
                {"kind": kind, "label": ALERT_LABELS.get(kind, kind), "total": c["alerts"], "acked": c["alerts_acked"]}
                for kind, c in sorted(cube.get("alert_kind", {}).items())
            ],
        },
        "legal_aid": {
            "total": summary["legal_aid"],
            "by_group": [{"group": g, "total": c["total"]} for g, c in sorted(cube.get("legal_aid_group", {}).items())],
        },
        "onsite": {
            "minimum_hours": settings.onsite_minimum(scope.county) if scope.county else settings.onsite_min_hours,
            "below_minimum": sum(1 for r in onsite if r["below_minimum"]),
            "rows": onsite,
        },
    }
    if histogram:
        stats["response_histogram"] = response_histogram(session, period, where)
    return stats


def metrics(counts: dict[str, int], timing: dict | None) -> dict[str, object]:
    """Counts plus the rates the bureau reads (办结率、按时答复率、满意率) and response-time percentiles."""
    closed = counts["bot"] + counts["answered"]
    return {
        **counts,
        "closed": closed,
        "completion_rate": _rate(closed, counts["total"]),
        "in_time_rate": _rate(counts["in_time"], counts["answered"]),
        "satisfaction_rate": _rate(counts["rating_1"] + counts["rating_2"], counts["rated"]),
        "response_median_minutes": timing["median"] if timing else None,
        "response_p90_minutes": timing["p90"] if timing else None,
    }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _counties(session: Session, scope: Scope) -> list[str]:
    if scope.county is not None:
        return [scope.county]
    return sorted(session.scalars(select(Town.county).distinct()))


def _towns(session: Session, scope: Scope) -> list[Town]:
    query = select(Town).order_by(Town.county, Town.name)
    if scope.county is not None:
        query = query.where(Town.county == scope.county)
    if scope.town_id is not None:
        query = query.where(Town.id == scope.town_id)
    return list(session.scalars(query))


def _advisers(session: Session, villages, cube) -> list[Adviser]:
    """Advisers posted to the scope's villages and anyone the period's consultations name."""
    ids = {v.adviser_a_id for v in villages} | {v.adviser_b_id for v in villages if v.adviser_b_id}
    ids |= {k for k in cube.get("adviser", {}) if k is not None} | set(cube.get("answerer", {}))
    if not ids:
        return []
    return list(session.scalars(select(Adviser).where(Adviser.id.in_(ids)).order_by(Adviser.name, Adviser.id)))
