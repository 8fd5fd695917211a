"""Chasing unanswered consultations (worker only): reminders, A post → B post → town office, alerts.

Every step is claimed in ``job_runs`` (unique job + key) in the same transaction as its effect, so a
duplicate run, a second worker or a restart mid-way never repeats or loses a step.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot import texts
from bot.clock import fmt_local
from bot.consultations import adviser_title, notify_adviser
from bot.context import Context
from bot.ledger import repo, states
from bot.ledger.tables import Consultation, JobRun

log = logging.getLogger(__name__)
LEVEL_A, LEVEL_B, LEVEL_OFFICE = 0, 1, 2


class AlreadyDone(Exception):
    """This step was taken before (by an earlier run or another worker)."""


def claim(ctx: Context, job: str, key: str) -> None:
    ctx.session.add(JobRun(job=job, key=key, created_at=ctx.now))
    try:
        ctx.session.flush()
    except IntegrityError as exc:
        raise AlreadyDone(f"{job}:{key}") from exc


def chase(services) -> dict[str, int]:
    """One pass over open consultations near or past their deadline and unacknowledged alerts."""
    now = services.clock.now()
    soon = now + dt.timedelta(minutes=services.settings.remind_before_minutes)
    with services.sessions() as session:
        ids = list(
            session.scalars(
                select(Consultation.id)
                .where(
                    Consultation.status.in_(states.OPEN),
                    (Consultation.deadline_at <= soon) | (Consultation.alert_kind.is_not(None)),
                )
                .order_by(Consultation.id)
            )
        )
    done = {"reminded": 0, "escalated": 0, "alerts_resent": 0}
    for consultation_id in ids:
        for step in (escalate_if_due, remind_if_due, resend_alert_if_due):
            try:
                with services.sessions.begin() as session:
                    ctx = Context.for_action(services, session)
                    consultation = session.get(Consultation, consultation_id)
                    if consultation.status in states.OPEN and step(ctx, consultation):
                        done[step.counter] += 1
            except AlreadyDone:
                continue
    return done


def remind_if_due(ctx: Context, c: Consultation) -> bool:
    """A factual reminder to the responsible adviser before the deadline passes."""
    if c.deadline_at is None or c.escalation_level >= LEVEL_OFFICE or c.adviser is None:
        return False
    remind_at = c.deadline_at - dt.timedelta(minutes=ctx.settings.remind_before_minutes)
    if not remind_at <= ctx.now < c.deadline_at:
        return False
    claim(ctx, "remind", f"{c.id}:{c.escalation_level}:{c.reopened_count}")
    village = c.village
    if c.escalation_level == LEVEL_A and village.adviser_b and village.adviser_b_id != c.adviser_id:
        consequence = f"届时未答复将转B岗{adviser_title(village.adviser_b)}"
    else:
        consequence = f"届时未答复将请{office_name(c)}协调"
    notify_adviser(
        ctx,
        c,
        c.adviser,
        texts.REMINDER.format(
            number=c.id, village=village.name, deadline=fmt_local(c.deadline_at, "%m-%d %H:%M"), consequence=consequence
        ),
    )
    repo.add_event(ctx.session, c, "reminded", ctx.now, c.adviser.name)
    return True


remind_if_due.counter = "reminded"


def escalate_if_due(ctx: Context, c: Consultation) -> bool:
    if c.deadline_at is None or ctx.now < c.deadline_at or c.escalation_level >= LEVEL_OFFICE:
        return False
    escalate(ctx, c, "deadline passed")
    return True


escalate_if_due.counter = "escalated"


def escalate(ctx: Context, c: Consultation, reason: str) -> None:
    """A post silent → B post; B post (or no B post) silent → the town justice office."""
    village = c.village
    previous = c.adviser
    to_b = c.escalation_level == LEVEL_A and village.adviser_b is not None and village.adviser_b_id != c.adviser_id
    level = LEVEL_B if to_b else LEVEL_OFFICE
    claim(ctx, "escalate", f"{c.id}:{level}:{c.reopened_count}")
    c.escalation_level, c.escalated_at, c.updated_at = level, ctx.now, ctx.now
    asked_at = fmt_local(c.created_at)
    old = adviser_title(previous) if previous else "顾问"
    if to_b:
        b = village.adviser_b
        c.adviser_id, c.adviser = b.id, b
        start = c.forwarded_at or c.created_at
        c.deadline_at = max(
            start + dt.timedelta(hours=ctx.settings.escalate_office_hours), ctx.now + dt.timedelta(hours=1)
        )
        notify_adviser(
            ctx,
            c,
            b,
            texts.ESCALATED_NOTICE.format(
                number=c.id,
                reason=f"A岗{old}未在时限内答复，转由您（B岗）答复，请在{fmt_local(c.deadline_at)}前答复。",
                village=village.name,
                asked_at=asked_at,
                question=c.question,
            ),
        )
        villager_text = texts.ESCALATED_TO_B_VILLAGER.format(old=old, number=c.id, new=adviser_title(b))
        repo.add_event(ctx.session, c, "escalated_to_b", ctx.now, f"{old} → {b.name} ({reason})")
    else:
        c.deadline_at = None
        office = village.town
        notice = texts.ESCALATED_NOTICE.format(
            number=c.id,
            reason=f"顾问未在时限内答复（{old}），请司法所协调处理。",
            village=village.name,
            asked_at=asked_at,
            question=c.question,
        )
        if office.office_openid:
            repo.enqueue(ctx.session, office.office_openid, notice, ctx.now, c.id, purpose="office_notice")
        else:
            log.error("consultation %s escalated but town %s has no office openid in the roster", c.id, office.name)
        for adviser in filter(None, (village.adviser_a, village.adviser_b)):
            notify_adviser(ctx, c, adviser, notice)
        villager_text = texts.ESCALATED_TO_OFFICE_VILLAGER.format(number=c.id, office=office_name(c))
        repo.add_event(ctx.session, c, "escalated_to_office", ctx.now, f"{office_name(c)} ({reason})")
    repo.enqueue(ctx.session, c.villager.openid, villager_text, ctx.now, c.id, purpose="progress")


def resend_alert_if_due(ctx: Context, c: Consultation) -> bool:
    """An unacknowledged alert is re-sent every few minutes, widening to the B post and the office."""
    if not c.alert_kind or c.alert_acked_at is not None or c.village is None:
        return False
    since = ctx.now - (c.forwarded_at or c.created_at)
    rounds = int(since.total_seconds() // (ctx.settings.alert_resend_minutes * 60))
    if rounds < 1:
        return False
    claim(ctx, "alert_resend", f"{c.id}:{rounds}:{c.reopened_count}")
    village = c.village
    text = texts.ALERT_RESEND.format(
        number=c.id, village=village.name, label=states.ALERT_LABELS.get(c.alert_kind, "紧急情况"), text=c.question
    )
    for adviser in filter(None, (village.adviser_a, village.adviser_b)):
        notify_adviser(ctx, c, adviser, text)
    if village.town.office_openid:
        repo.enqueue(ctx.session, village.town.office_openid, text, ctx.now, c.id, purpose="alert_office")
    if c.escalation_level == LEVEL_A and village.adviser_b is not None:
        c.escalation_level, c.escalated_at = LEVEL_B, ctx.now
    repo.add_event(ctx.session, c, "alert_resent", ctx.now, f"round {rounds}")
    return True


resend_alert_if_due.counter = "alerts_resent"


def office_name(c: Consultation) -> str:
    town = c.village.town if c.village else None
    return (town.office_name or f"{town.name}司法所") if town else "司法所"
