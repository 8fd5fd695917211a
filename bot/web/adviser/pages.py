"""Console pages: the pending list, one consultation's full thread (audited) and the monthly ledger."""

from __future__ import annotations

from itertools import groupby

from flask import render_template, request, url_for

from bot.categories import CATEGORIES, category_label
from bot.clock import fmt_local
from bot.context import Context
from bot.duty import minimum_hours, month_bounds, month_summary
from bot.ledger import repo, states
from bot.web import services
from bot.web.adviser import bp, present
from bot.web.adviser.access import assigned, current_adviser, login_required
from bot.web.adviser.queries import audit, month_consultations


@bp.get("/")
@login_required
def pending():
    """Open consultations of the adviser's villages, longest waiting first, with their deadlines."""
    svc = services()
    now = svc.clock.now()
    with svc.sessions.begin() as db:
        adviser = current_adviser(db)
        pending = repo.pending_for_adviser(db, adviser.id)
        rows = present.pending_rows(pending, adviser.id, now, svc.answerer.legal_aid.label)
        return render_template("adviser/pending.html", adviser=adviser, rows=rows, now=fmt_local(now, "%H:%M"))


@bp.get("/consultations/<int:number>")
@login_required
def consultation(number: int):
    """The full thread; only here is the text unmasked, so every view is written to the audit log."""
    svc = services()
    now = svc.clock.now()
    with svc.sessions.begin() as db:
        adviser = current_adviser(db)
        c = assigned(db, number, adviser)
        audit(db, adviser, "view", f"consultation:{c.id}", request.remote_addr, now)
        village = c.village
        other = village.adviser_b if adviser.id == village.adviser_a_id else village.adviser_a
        is_open = c.status in states.OPEN
        return render_template(
            "adviser/consultation.html",
            adviser=adviser,
            c=c,
            village=present.village_label(village),
            status=present.status_label(c),
            category=category_label(c.category),
            categories=CATEGORIES,
            badges=present.badges(c, now, svc.answerer.legal_aid.label),
            waited=present.waited(now - c.created_at),
            deadline=fmt_local(c.deadline_at, "%m月%d日 %H:%M") if c.deadline_at else "",
            holder=c.adviser.name if c.adviser else "",
            thread=[
                (
                    present.AUTHORS.get(m.author, m.author),
                    m.author,
                    fmt_local(m.created_at, "%m-%d %H:%M"),
                    present.thread_text(m.msg_type, m.text),
                )
                for m in c.messages
            ],
            events=[
                (
                    fmt_local(e.created_at, "%m-%d %H:%M"),
                    present.event_label(e.kind),
                    present.event_detail(e.kind, e.detail),
                )
                for e in c.events
            ],
            is_open=is_open,
            hand_over_to=other.name if is_open and other is not None and other.id != adviser.id else "",
            can_propose_faq=c.status == states.ADVISER_ANSWERED and bool(c.answer) and not c.answered_offline,
            rating=present.RATINGS.get(c.rating or 0, ""),
            answer_limit=present.ANSWER_LIMIT,
        )


@bp.get("/ledger")
@login_required
def ledger():
    """My ledger for a month (``?month=2026-11``): consultations with counts, and on-site hours per village."""
    svc = services()
    now = svc.clock.now()
    try:
        first = present.parse_month(request.args.get("month"), present.local_today(now))
    except ValueError:
        message = "月份要写成“年-月”，例如 2026-11。"
        return render_template("adviser/error.html", title="月份不对", message=message), 400
    start, end = month_bounds(first)
    with svc.sessions.begin() as db:
        adviser = current_adviser(db)
        rows = month_consultations(db, adviser.id, start, end)
        ctx = Context.for_action(svc, db, adviser)
        villages = repo.villages_of(db, adviser.id)
        duty = []
        for county, group in groupby(sorted(villages, key=lambda v: (v.town.county, v.code)), lambda v: v.town.county):
            duty += month_summary(ctx, adviser, list(group), first, minimum_hours(svc.settings, county))
        return render_template(
            "adviser/ledger.html",
            adviser=adviser,
            month=first,
            counts=present.month_counts(rows, adviser.id, start, end),
            rows=[
                {
                    "number": c.id,
                    "date": fmt_local(c.created_at, "%m-%d"),
                    "village": present.village_label(c.village),
                    "category": category_label(c.category),
                    "status": present.status_label(c),
                    "mine": c.answered_by_id == adviser.id,
                    "preview": present.preview(c.question),
                }
                for c in rows
            ],
            duty=[(present.village_label(m.village), m) for m in duty],
            prev_url=url_for("adviser.ledger", month=present.shift_month(first, -1).strftime("%Y-%m")),
            next_url=url_for("adviser.ledger", month=present.shift_month(first, 1).strftime("%Y-%m")),
        )
