"""The duty page: 签到 / 签退 for on-site service, and recording a legal talk or a mediation."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import Session

from bot.clock import fmt_local
from bot.context import Context
from bot.duty import KINDS, check_in, check_out, hours, minimum_hours, month_bounds, month_summary, open_record
from bot.duty import record_activity as record_duty_activity
from bot.ledger import repo
from bot.ledger.tables import Adviser, Village
from bot.web import services
from bot.web.adviser import bp, present
from bot.web.adviser.access import current_adviser, login_required
from bot.web.adviser.queries import recent_duty

ACTIVITY_KINDS = {"talk": KINDS["talk"], "mediation": KINDS["mediation"]}


@bp.get("/duty")
@login_required
def duty():
    """Check in or out, record an activity; this month's records below."""
    svc = services()
    now = svc.clock.now()
    with svc.sessions.begin() as db:
        adviser = current_adviser(db)
        ctx = Context.for_action(svc, db, adviser)
        villages = repo.villages_of(db, adviser.id)
        current = open_record(ctx, adviser)
        first = present.local_today(now).replace(day=1)
        records = recent_duty(db, adviser.id, month_bounds(first)[0])
        return render_template(
            "adviser/duty.html",
            adviser=adviser,
            villages=[(v.id, present.village_label(v)) for v in villages],
            current=(
                present.village_label(current.village),
                fmt_local(current.started_at, "%m月%d日 %H:%M"),
                present.waited(now - current.started_at),
            )
            if current
            else None,
            kinds=ACTIVITY_KINDS,
            records=[
                {
                    "when": fmt_local(r.started_at, "%m-%d %H:%M"),
                    "kind": KINDS.get(r.kind, r.kind),
                    "village": present.village_label(r.village),
                    "detail": _record_detail(r),
                }
                for r in records
            ],
        )


@bp.post("/duty/check-in")
@login_required
def duty_check_in():
    """签到 in one of my villages (an earlier open record is closed: one place at a time)."""
    svc = services()
    with svc.sessions.begin() as db:
        adviser = current_adviser(db)
        village = _my_village(db, adviser)
        record = check_in(Context.for_action(svc, db, adviser), adviser, village)
        message = f"已签到：{present.village_label(village)}，{fmt_local(record.started_at, '%H:%M')}。离开时请签退。"
    flash(message, "ok")
    return redirect(url_for("adviser.duty"), 303)


@bp.post("/duty/check-out")
@login_required
def duty_check_out():
    """签退: ends the open on-site record and shows this month's hours in that village."""
    svc = services()
    with svc.sessions.begin() as db:
        adviser = current_adviser(db)
        ctx = Context.for_action(svc, db, adviser)
        record = check_out(ctx, adviser)
        if record is None:
            message, kind = "您现在没有签到，不需要签退。", "error"
        else:
            village = record.village or db.get(Village, record.village_id)
            day = present.local_today(record.started_at)
            [month] = month_summary(ctx, adviser, [village], day, minimum_hours(svc.settings, village.town.county))
            message, kind = (
                f"已签退：{present.village_label(village)}，本次驻点{hours(record):.1f}小时；"
                f"本月在该村累计{month.onsite_hours:g}小时（要求{month.minimum:g}小时）。",
                "ok",
            )
    flash(message, kind)
    return redirect(url_for("adviser.duty"), 303)


@bp.post("/duty/activity")
@login_required
def duty_activity():
    """A legal talk (法治讲座) or a mediation (调解) in one of my villages, with a note."""
    kind = request.form.get("kind", "")
    note = request.form.get("note", "").strip()
    if kind not in ACTIVITY_KINDS:
        flash("请选择是法治讲座还是调解。", "error")
        return redirect(url_for("adviser.duty"), 303)
    svc = services()
    with svc.sessions.begin() as db:
        adviser = current_adviser(db)
        village = _my_village(db, adviser)
        record_duty_activity(Context.for_action(svc, db, adviser), adviser, village, kind, note)
        message = f"已记录{ACTIVITY_KINDS[kind]}：{present.village_label(village)}。"
    flash(message, "ok")
    return redirect(url_for("adviser.duty"), 303)


def _my_village(db: Session, adviser: Adviser) -> Village:
    """The village chosen in the form, which must be one the adviser serves (else 404)."""
    village_id = request.form.get("village_id", type=int)
    village = db.get(Village, village_id) if village_id is not None else None
    if village is None or not village.serves(adviser.id):
        abort(404)
    return village


def _record_detail(record) -> str:
    if record.kind == "onsite":
        return f"{hours(record):.1f}小时" if record.ended_at else "驻点中"
    return record.note or ""
