"""Answers that have not reached the villager a day later: the adviser is asked to pass them on in person.

WeChat lets the Official Account write to a villager only within 48 hours of the villager's last message
(and then at most 5 times). An adviser's answer written after that waits in the outbox ("held") for the
villager's next message, which may never come; one WeChat refuses for good (the villager unfollowed)
fails. Either way the villager has no answer, so the answering adviser is told once to phone or visit
(线上接收＋线下答复). The notice is claimed in ``job_runs`` in the same transaction, like the chasing
steps, so a second worker or a repeated run never sends it twice.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import exists, select, text

from bot import texts
from bot.clock import fmt_local
from bot.consultations import notify_adviser
from bot.context import Context
from bot.jobs.escalation import AlreadyDone, claim
from bot.ledger import repo, states
from bot.ledger.schema.consultations import UNDELIVERED
from bot.ledger.tables import Consultation, ConsultationEvent, OutboxMessage
from bot.pipeline import NO_PUSH_CHANNELS

UNDELIVERED_AFTER = dt.timedelta(hours=24)
LOOK_BACK = dt.timedelta(days=30)  # older answers were dealt with (or not) long ago: no notice any more
EVENT = "undelivered_notice"


def chase_undelivered(services) -> int:
    """One pass: a notice for every answer still undelivered a day after it was written; returns how many."""
    now = services.clock.now()
    c = Consultation
    noticed = exists().where(ConsultationEvent.consultation_id == c.id, ConsultationEvent.kind == EVENT)
    with services.sessions() as session:
        ids = list(
            session.scalars(
                select(c.id)
                .where(
                    text(UNDELIVERED),  # the partial index's own condition, as a literal (migration 0008)
                    c.answered_offline.is_(False),
                    c.answered_at <= now - UNDELIVERED_AFTER,
                    c.answered_at > now - LOOK_BACK,
                    c.answered_by_id.is_not(None),
                    ~noticed,
                )
                .order_by(c.id)
            )
        )
    sent = 0
    for consultation_id in ids:
        try:
            with services.sessions.begin() as session:
                sent += _notify(Context.for_action(services, session), session.get(Consultation, consultation_id))
        except AlreadyDone:
            continue
    return sent


def _notify(ctx: Context, consultation: Consultation) -> int:
    if consultation.delivered_at is not None or consultation.status != states.ADVISER_ANSWERED:
        return 0  # delivered (or reopened) since the pass began
    claim(ctx, EVENT, str(consultation.id))
    refused = ctx.session.scalar(
        select(OutboxMessage.id).where(
            OutboxMessage.consultation_id == consultation.id,
            OutboxMessage.purpose == "answer",
            OutboxMessage.status == "failed",
        )
    )
    village = consultation.village
    notify_adviser(
        ctx,
        consultation,
        consultation.answered_by,
        texts.ADVISER_UNDELIVERED.format(
            number=consultation.id,
            village=village.name if village else "",
            villager=consultation.villager.pseudonym,
            answered_at=fmt_local(consultation.answered_at, "%m-%d %H:%M"),
            reason=_reason(consultation, refused is not None),
        ),
    )
    repo.add_event(ctx.session, consultation, EVENT, ctx.now, consultation.answered_by.name)
    return 1


def _reason(consultation: Consultation, refused: bool) -> str:
    if refused:
        return texts.UNDELIVERED_REFUSED
    if consultation.channel in NO_PUSH_CHANNELS:  # asked in a group chat: nothing can be pushed to them
        return texts.UNDELIVERED_GROUP
    return texts.UNDELIVERED_SILENT
