"""The dashboard: the period's numbers, charts (Chart.js, served by the app), and what needs action."""

from __future__ import annotations

import datetime as dt

from flask import render_template, request, url_for
from sqlalchemy import select

from bot.ledger.tables import Town
from bot.stats.dashboard import overdue_by_adviser, recent_alerts, weekly_trend
from bot.stats.onsite import onsite_rows
from bot.stats.periods import MAX_CUSTOM_DAYS, custom, local_date, month_of, week_of
from bot.stats.report import build_stats
from bot.web import services
from bot.web.bureau import bp
from bot.web.bureau.access import audit, current_user, login_required
from bot.web.bureau.params import page_period, period_args, scope_from

TOP = 10


@bp.get("/bureau/")
@login_required
def dashboard():
    """Numbers first, then charts, then the lists that need action (overdue, on-site, alerts)."""
    svc = services()
    now = svc.clock.now()
    period = page_period(request.args, now)
    with svc.sessions.begin() as db:
        user = current_user(db)
        scope = scope_from(db, user, request.args)
        stats = build_stats(db, period, scope, svc.settings, now, histogram=True)
        trend = weekly_trend(db, week_of(period.last_day), scope)
        overdue = overdue_by_adviser(db, scope, now)
        alerts = recent_alerts(db, scope)
        this_month = month_of(period.last_day)
        onsite = [
            row
            for row in onsite_rows(
                db, custom(this_month.previous().first_day, this_month.last_day), scope, svc.settings, now
            )
            if row["below_minimum"] or row["short_so_far"]
        ]
        towns = (
            []
            if user.role == "town"
            else list(db.scalars(select(Town).where(Town.county == user.county).order_by(Town.name)))
        )
        audit(db, user, "view", f"stats:{period.label}:{scope.title}", detail="dashboard")
        args = {**period_args(period), **({"town": request.args["town"]} if request.args.get("town") else {})}
        charts = {
            "trend": trend,
            "villages": _top(stats["by_village"], lambda r: f"{r['town']}{r['village']}"),
            "towns": _top(stats["by_town"], lambda r: r["town"]),
            "histogram": stats["response_histogram"],
        }
        return render_template(
            "bureau/dashboard.html",
            stats=stats,
            period=period,
            scope=scope,
            towns=towns,
            overdue=overdue,
            onsite=onsite,
            alerts=alerts,
            charts=charts,
            args=args,
            previous=url_for("bureau.dashboard", **{**args, **period_args(period.previous())}),
            following=url_for("bureau.dashboard", **{**args, **period_args(period.next())}),
            overdue_span=period_args(custom(local_date(now) - dt.timedelta(days=MAX_CUSTOM_DAYS - 1), local_date(now))),
        )


def _top(rows: list[dict], label) -> dict[str, list]:
    ranked = sorted((r for r in rows if r["total"]), key=lambda r: -r["total"])[:TOP]
    return {"labels": [label(r) for r in ranked], "totals": [r["total"] for r in ranked]}
