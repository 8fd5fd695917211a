"""Use cases of a consultation's life: forward, alert, follow up, adviser answer (opening one: bot.opening)."""

from __future__ import annotations

import datetime as dt

from bot import texts
from bot.categories import category_label
from bot.classifier.answerer import Decision
from bot.classifier.legal_aid import AidGroup
from bot.clock import fmt_local
from bot.context import Context
from bot.ledger import repo, states
from bot.ledger.tables import Adviser, Consultation
from bot.opening import legal_aid_of, new_consultation


def deadline_for(ctx: Context, consultation: Consultation) -> dt.datetime:
    """The A post's deadline: working hours from the forward (fewer for legal-aid priority cases)."""
    if consultation.deadline_at is not None:
        return consultation.deadline_at
    start = consultation.forwarded_at or consultation.created_at
    hours = ctx.settings.priority_hours if consultation.legal_aid_group else ctx.settings.escalate_b_hours
    return ctx.settings.calendar.add(start, hours)


def triage_legal_aid(ctx: Context, consultation: Consultation, text: str) -> str:
    """Mark an existing consultation for legal-aid priority; returns the paragraph to add to the reply (or "")."""
    if consultation.legal_aid_group or not text:
        return ""
    group = legal_aid_of(ctx, text)
    if group is None:
        return ""
    consultation.legal_aid_group = group.code
    repo.add_event(ctx.session, consultation, "legal_aid_priority", ctx.now, group.label)
    if consultation.status in states.OPEN and consultation.escalation_level == 0 and consultation.forwarded_at:
        consultation.deadline_at = None
        consultation.deadline_at = deadline_for(ctx, consultation)  # priority: a shorter deadline
    return texts.LEGAL_AID.format(group=group.label)


def forward_new(
    ctx: Context, question: str, decision: Decision | None, reason: str, legal_aid: AidGroup | None = None
) -> Consultation:
    """A new consultation handed straight to the village's A-post adviser (one INSERT, see new_consultation)."""
    hours = ctx.settings.priority_hours if legal_aid else ctx.settings.escalate_b_hours
    consultation = new_consultation(
        ctx,
        question,
        decision,
        states.WAITING,
        states.ROUTE_ADVISER,
        legal_aid,
        then=(("forwarded", reason),),
        forwarded_at=ctx.now,
        escalation_level=0,
        deadline_at=ctx.settings.calendar.add(ctx.now, hours),
    )
    _notify_a_post(ctx, consultation)
    return consultation


def forward(ctx: Context, consultation: Consultation, reason: str) -> None:
    """Hand an existing consultation to the village's A-post adviser."""
    village = consultation.village
    consultation.route = states.ROUTE_ADVISER
    if consultation.status != states.ALERT:
        consultation.status = states.WAITING
    consultation.forwarded_at = ctx.now
    consultation.adviser_id = village.adviser_a_id if village else None
    consultation.escalation_level, consultation.escalated_at, consultation.deadline_at = 0, None, None
    consultation.deadline_at = deadline_for(ctx, consultation)
    _forwarded(ctx, consultation, reason)


def _forwarded(ctx: Context, consultation: Consultation, reason: str) -> None:
    repo.add_event(ctx.session, consultation, "forwarded", ctx.now, reason)
    _notify_a_post(ctx, consultation)


def _notify_a_post(ctx: Context, consultation: Consultation) -> None:
    village = consultation.village
    if village is not None:
        notify_adviser(ctx, consultation, village.adviser_a, adviser_notice(ctx, consultation))


def adviser_notice(ctx: Context, consultation: Consultation) -> str:
    village = consultation.village
    if consultation.status == states.ALERT:
        return texts.ALERT_NOTICE.format(
            number=consultation.id,
            village=village.name,
            label=states.ALERT_LABELS.get(consultation.alert_kind or "", "紧急情况"),
            text=consultation.question,
        )
    return texts.ADVISER_NOTICE.format(
        number=consultation.id,
        village=village.name,
        town=village.town.name,
        villager=consultation.villager.pseudonym,
        asked_at=fmt_local(consultation.created_at),
        deadline=fmt_local(deadline_for(ctx, consultation)),
        question=consultation.question,
        category=category_label(consultation.category),
    )


def notify_adviser(ctx: Context, consultation: Consultation, adviser: Adviser, text: str) -> None:
    """Queue a notice: WeCom when configured for this adviser, else the Official Account; an adviser who
    has not bound WeChat yet gets it as soon as they bind."""
    if ctx.settings.wecom_configured and adviser.wecom_userid:
        repo.enqueue(
            ctx.session, adviser.wecom_userid, text, ctx.now, consultation.id, purpose="adviser_notice", kind="wecom"
        )
    elif adviser.openid:
        repo.enqueue(ctx.session, adviser.openid, text, ctx.now, consultation.id, purpose="adviser_notice")
    else:
        repo.enqueue(
            ctx.session,
            f"adviser:{adviser.phone}",
            text,
            ctx.now,
            consultation.id,
            purpose="adviser_notice",
            status="unbound",
        )


def forwarded_reply(ctx: Context, consultation: Consultation, human: bool = False) -> str:
    village = consultation.village
    if village is None:
        return texts.FORWARDED_NO_VILLAGE
    template = texts.FORWARDED_HUMAN if human else texts.FORWARDED
    hours = ctx.settings.priority_hours if consultation.legal_aid_group else ctx.settings.escalate_b_hours
    return template.format(
        village=village.name, adviser=adviser_title(village.adviser_a), number=consultation.id, hours=f"{hours:g}"
    )


def adviser_title(adviser: Adviser) -> str:
    return f"{adviser.name}律师" if not adviser.name.endswith(("律师", "顾问")) else adviser.name


def add_follow_up(ctx: Context, consultation: Consultation, text: str, msg_type: str = "text") -> None:
    """A further message while a person is on the case joins it and is passed on."""
    repo.add_message(
        ctx.session,
        consultation,
        "villager",
        text or None,
        ctx.now,
        msg_type=msg_type,
        media_id=ctx.incoming.media_id if ctx.incoming else None,
        inbound_id=ctx.inbound_id,
    )
    repo.add_event(ctx.session, consultation, "follow_up", ctx.now, msg_type)
    consultation.updated_at = ctx.now
    triage_legal_aid(ctx, consultation, text)
    adviser = consultation.adviser
    if adviser is not None:
        shown = text or {"voice": "[语音]", "image": "[图片]"}.get(msg_type, f"[{msg_type}]")
        notify_adviser(ctx, consultation, adviser, texts.ADVISER_FOLLOW_UP.format(number=consultation.id, text=shown))


def raise_alert(ctx: Context, question: str, decision: Decision) -> Consultation:
    """A sensitive matter: a consultation in ALERT, the adviser told at once (and the town office)."""
    consultation = repo.open_consultation(ctx.session, ctx.villager.id)
    if consultation is not None:
        add_follow_up(ctx, consultation, question)
        consultation.status = states.ALERT
        consultation.alert_kind = decision.alert_kind
    else:
        consultation = new_consultation(ctx, question, decision, states.ALERT, states.ROUTE_ADVISER)
    repo.add_event(ctx.session, consultation, "alerted", ctx.now, decision.alert_kind or "")
    forward(ctx, consultation, "sensitive")
    village = consultation.village
    office = village.town.office_openid if village else None
    if office:
        repo.enqueue(
            ctx.session, office, adviser_notice(ctx, consultation), ctx.now, consultation.id, purpose="alert_office"
        )
    return consultation


def relay_answer(ctx: Context, consultation: Consultation, adviser: Adviser, answer: str) -> str:
    """The adviser's answer goes to the villager (outbox) and closes the ledger record."""
    supplement = consultation.status == states.ADVISER_ANSWERED
    template = texts.SUPPLEMENT_ANSWER if supplement else texts.RELAYED_ANSWER
    consultation.answer = f"{consultation.answer}\n{answer}" if supplement and consultation.answer else answer
    consultation.status = states.ADVISER_ANSWERED
    consultation.route = states.ROUTE_ADVISER
    consultation.answered_by_id = adviser.id
    consultation.answered_at = consultation.answered_at if supplement else ctx.now
    consultation.updated_at = ctx.now
    if consultation.alert_kind and consultation.alert_acked_at is None:
        consultation.alert_acked_at, consultation.alert_acked_by = ctx.now, adviser.name
    if consultation.alert_kind:
        consultation.alert_disposal = consultation.answer
    repo.add_message(ctx.session, consultation, "adviser", answer, ctx.now, inbound_id=ctx.inbound_id)
    repo.add_event(ctx.session, consultation, "supplemented" if supplement else "answered", ctx.now, adviser.name)
    text = template.format(number=consultation.id, adviser=adviser_title(adviser), answer=answer)
    if not supplement:
        text += "\n" + texts.RATE_PROMPT
    repo.enqueue(ctx.session, consultation.villager.openid, text, ctx.now, consultation.id, purpose="answer")
    return texts.ADVISER_REPLY_DONE.format(number=consultation.id)
