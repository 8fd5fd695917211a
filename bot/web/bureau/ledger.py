"""The ledger browser, one consultation in full (audited), and the per-village volume (一村一卷)."""

from __future__ import annotations

from flask import Response, abort, redirect, render_template, request, url_for
from sqlalchemy import select

from bot.bureau.access import AccessDenied, may_see_consultation, may_see_village
from bot.bureau.ledger import PAGE_SIZE, LedgerFilter, browse, route_label
from bot.categories import CATEGORIES, category_label
from bot.clock import fmt_local
from bot.ledger import states
from bot.ledger.export import HEADERS as VOLUME_HEADERS
from bot.ledger.export import consultations_for, ledger_rows, to_xlsx
from bot.ledger.tables import Adviser, Consultation, Town, Village
from bot.stats.periods import local_date, month_of
from bot.stats.report import ROUTES
from bot.stats.scope import villages_in
from bot.web import services
from bot.web.bureau import bp
from bot.web.bureau.access import audit, current_user, login_required
from bot.web.bureau.params import attachment, page_period, period_args, scope_from


def _filter(args) -> LedgerFilter:
    adviser = args.get("adviser_id", "")
    return LedgerFilter(
        village=args.get("village") or None,
        adviser_id=int(adviser) if adviser.isdigit() else None,
        category=args.get("category") or None,
        route=args.get("route") or None,
        status=args.get("status") or None,
        overdue=args.get("overdue") == "1",
        alerts=args.get("alerts") == "1",
    )


@bp.get("/bureau/ledger")
@login_required
def ledger():
    """Consultations of a period with filters; phone and ID numbers masked; 50 per page."""
    svc = services()
    now = svc.clock.now()
    period = page_period(request.args, now)
    wanted = _filter(request.args)
    page = max(1, request.args.get("page", 1, type=int) or 1)
    with svc.sessions.begin() as db:
        user = current_user(db)
        scope = scope_from(db, user, request.args)
        villages = villages_in(db, scope)
        if wanted.village and wanted.village not in {v.code for v in villages}:
            _deny_village(db, user, wanted.village)
        rows, total = browse(db, scope, period, wanted, now, page)
        advisers = sorted(
            {(v.adviser_a_id, v.adviser_a_name) for v in villages}
            | {(v.adviser_b_id, v.adviser_b_name) for v in villages if v.adviser_b_id},
            key=lambda a: a[1],
        )
        towns = (
            []
            if user.role == "town"
            else list(db.scalars(select(Town).where(Town.county == user.county).order_by(Town.name)))
        )
        audit(db, user, "view", f"ledger:{period.label}:{scope.title}", detail=str(wanted.as_args() or ""))
        filters = {**wanted.as_args(), **({"town": scope.town_name} if request.args.get("town") else {})}
        base = {
            **period_args(period),
            **wanted.as_args(),
            **({"town": scope.town_name} if request.args.get("town") else {}),
        }
        pages = (total + PAGE_SIZE - 1) // PAGE_SIZE
        return render_template(
            "bureau/ledger.html",
            rows=rows,
            total=total,
            page=page,
            pages=pages,
            period=period,
            wanted=wanted,
            villages=villages,
            advisers=advisers,
            towns=towns,
            scope=scope,
            categories=CATEGORIES,
            routes=ROUTES,
            statuses=states.LABELS,
            month=month_of(period.last_day),
            page_url=lambda n: url_for("bureau.ledger", **base, page=n),
            period_fields=period_args(period),
            previous=url_for("bureau.ledger", **filters, **period_args(period.previous())),
            following=url_for("bureau.ledger", **filters, **period_args(period.next())),
        )


def _deny_village(db, user, code: str) -> None:
    village = db.scalar(select(Village).where(Village.code == code))
    if village is None:
        abort(404, description=f"没有村代码 {code}")
    if not may_see_village(user, village):
        raise AccessDenied(f"{village.town.name}{village.name}不在您的查看范围内")


@bp.get("/bureau/consultations/<int:number>")
@login_required
def consultation(number: int):
    """One consultation in full (question, thread, answer, events): the only unmasked view, audited."""
    svc = services()
    with svc.sessions.begin() as db:
        user = current_user(db)
        item = db.get(Consultation, number)
        if item is None:
            abort(404, description=f"没有编号 {number} 的咨询")
        if not may_see_consultation(user, item):
            raise AccessDenied("这条咨询不属于您的查看范围（本县/本镇）")
        audit(db, user, "view", f"consultation:{number}", detail="full text")
        return render_template(
            "bureau/consultation.html",
            c=item,
            route=route_label(item),
            status=states.LABELS.get(item.status, item.status),
            category=category_label(item.category),
            alert=states.ALERT_LABELS.get(item.alert_kind, item.alert_kind) if item.alert_kind else "",
            adviser_name=lambda adviser_id: db.get(Adviser, adviser_id).name if adviser_id else "",
        )


def _volume(db, user, code: str, now):
    village = db.scalar(select(Village).where(Village.code == code))
    if village is None:
        abort(404, description=f"没有村代码 {code}：请从列表里选择村")
    if not may_see_village(user, village):
        raise AccessDenied(f"{village.town.name}{village.name}不在您的查看范围内")
    period = (
        page_period(request.args, now)
        if any(request.args.get(k) for k in ("from", "month", "week", "quarter"))
        else None
    )
    period = period or month_of(local_date(now))
    rows = ledger_rows(consultations_for(db, village, period.first_day, period.last_day))
    title = f"{village.town.county}{village.town.name}{village.name} 法律咨询台账（一村一卷） {period.title}"
    return village, period, rows, title


@bp.get("/bureau/villages/<code>/volume")
@login_required
def volume(code: str):
    """The village's volume as a printable page (masked, A4 landscape)."""
    svc = services()
    now = svc.clock.now()
    with svc.sessions.begin() as db:
        user = current_user(db)
        village, period, rows, title = _volume(db, user, code, now)
        audit(db, user, "export", f"volume:{code}:{period.label}", detail="print")
        return render_template(
            "bureau/volume.html",
            village=village,
            period=period,
            rows=rows,
            title=title,
            headers=VOLUME_HEADERS,
            printed=fmt_local(now),
            xlsx=url_for("bureau.volume_xlsx", code=code, **period_args(period)),
        )


@bp.get("/bureau/villages/<code>/volume.xlsx")
@login_required
def volume_xlsx(code: str):
    """The village's volume as XLSX (the same rows as ``legalbot ledger export``)."""
    svc = services()
    now = svc.clock.now()
    with svc.sessions.begin() as db:
        user = current_user(db)
        village, period, rows, title = _volume(db, user, code, now)
        audit(db, user, "export", f"volume:{code}:{period.label}", detail="xlsx")
    filename = f"{village.name}-{period.label}.xlsx"
    return Response(
        to_xlsx(rows, title),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": attachment(filename)},
    )


@bp.get("/bureau/volume")
@login_required
def volume_redirect():
    """The volume form on the ledger page: to the printable page or the XLSX of that village and month."""
    code, month = request.args.get("village", ""), request.args.get("month", "")
    if not code or not month:
        abort(400, description="请选择村和月份")
    endpoint = "bureau.volume_xlsx" if request.args.get("as") == "xlsx" else "bureau.volume"
    return redirect(url_for(endpoint, code=code, month=month), 303)
