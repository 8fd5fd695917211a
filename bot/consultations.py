"""Use cases of a consultation's life: answer by bot, forward, alert, follow up, adviser answer."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import insert
from sqlalchemy.orm import make_transient_to_detached

from bot import texts
from bot.categories import category_label
from bot.classifier.answerer import Decision
from bot.classifier.legal_aid import AidGroup
from bot.clock import fmt_local
from bot.context import Context
from bot.ledger import repo, states
from bot.ledger.tables import Adviser, Consultation


def deadline_for(ctx: Context, consultation: Consultation) -> dt.datetime:
    """The A post's deadline: working hours from the forward (fewer for legal-aid priority cases)."""
    if consultation.deadline_at is not None:
        return consultation.deadline_at
    start = consultation.forwarded_at or consultation.created_at
    hours = ctx.settings.priority_hours if consultation.legal_aid_group else ctx.settings.escalate_b_hours
    return ctx.settings.calendar.add(start, hours)


_CONSULTATION_COLUMNS = tuple(column.key for column in Consultation.__table__.columns if column.key != "id")
_UNSET = {"escalation_level": 0, "reopened_count": 0, "answered_offline": False, "faq_candidate": False}
_INSERT = insert(Consultation.__table__).returning(Consultation.__table__.c.id)


def _insert(session, values: dict) -> Consultation:
    """INSERT with a prebuilt Core statement, then the persistent object built from the same values.

    The ORM's unit of work cost more than the rest of the ledger's inserts together (bench/load.py); every
    column is given, so the object is complete and nothing is read back.
    """
    row = {key: values.get(key, _UNSET.get(key)) for key in _CONSULTATION_COLUMNS}
    consultation = Consultation(id=session.connection().execute(_INSERT, row).scalar_one(), **row)
    make_transient_to_detached(consultation)  # as if just loaded: its values are the stored ones
    session.add(consultation)
    return consultation


def new_consultation(
    ctx: Context,
    question: str,
    decision: Decision | None,
    status: str,
    route: str,
    legal_aid: AidGroup | None = None,
    *,
    bot_answer: str | None = None,
    then: tuple[tuple[str, str], ...] = (),
    **fields,
) -> Consultation:
    """A new ledger record with the question as its first message (and the bot's answer, if it answered).

    Every field is set before the one INSERT, and the thread and the events (received, legal-aid priority,
    then ``then``) go in one statement each: on the webhook's hot path every statement counts.
    """
    villager = ctx.villager
    village = villager.village if villager else None
    values = {
        "village_id": village.id if village else None,
        "adviser_id": village.adviser_a_id if village else None,
        "category": decision.category if decision else None,
        "confidence": decision.confidence if decision else None,
        "faq_id": decision.faq_id if decision else None,
        "alert_kind": decision.alert_kind if decision else None,
        "legal_aid_group": legal_aid.code if legal_aid else None,
        **fields,
    }
    values.update(
        villager_id=villager.id,
        channel=ctx.channel,
        route=route,
        status=status,
        question=question,
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    consultation = _insert(ctx.session, values)
    incoming = ctx.incoming
    messages = [
        {
            "author": "villager",
            "text": question,
            "msg_type": incoming.msg_type if incoming else "text",
            "media_id": incoming.media_id if incoming else None,
            "inbound_id": ctx.inbound_id,
        }
    ]
    if bot_answer is not None:
        messages.append({"author": "bot", "text": bot_answer})
    events = [("received", "")]
    if legal_aid is not None:
        events.append(("legal_aid_priority", legal_aid.label))
    repo.record(ctx.session, consultation, ctx.now, messages, [*events, *then])
    return consultation


def legal_aid_of(ctx: Context, text: str) -> AidGroup | None:
    """The special group (legal-aid priority) a villager's words show, if any."""
    return ctx.answerer.legal_aid.detect(text) if text else None


def legal_aid_paragraph(ctx: Context, consultation: Consultation) -> str:
    """The legal-aid paragraph for the reply to a new consultation of a special group (or "")."""
    if not consultation.legal_aid_group:
        return ""
    return texts.LEGAL_AID.format(group=ctx.answerer.legal_aid.label(consultation.legal_aid_group))


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


def answer_by_bot(ctx: Context, question: str, decision: Decision, legal_aid: AidGroup | None = None) -> Consultation:
    return new_consultation(
        ctx,
        question,
        decision,
        states.BOT_ANSWERED,
        states.ROUTE_BOT,
        legal_aid,
        bot_answer=decision.answer,
        then=(("answered_by_bot", decision.faq_id or ""),),
        answer=decision.answer,
        answered_at=ctx.now,
        delivered_at=ctx.now,
    )


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
