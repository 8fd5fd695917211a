"""Opening a consultation: the new ledger record, with the bot's answer when it answered by itself.

On the webhook's hot path (bench/load.py), so the record is written with prebuilt Core statements.
"""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.orm.attributes import set_committed_value

from bot import texts
from bot.classifier.answerer import Decision
from bot.classifier.legal_aid import AidGroup
from bot.context import Context
from bot.fastsql import Prepared
from bot.ledger import repo, states
from bot.ledger.tables import Consultation

_CONSULTATION_COLUMNS = tuple(column.key for column in Consultation.__table__.columns if column.key != "id")
_UNSET = {"escalation_level": 0, "reopened_count": 0, "answered_offline": False, "faq_candidate": False}
_INSERT = Prepared(insert(Consultation.__table__).returning(Consultation.__table__.c.id))


def _insert(session, values: dict) -> Consultation:
    """INSERT with a prebuilt Core statement, then the persistent object built from the same values.

    The ORM's unit of work cost more than the rest of the ledger's inserts together (bench/load.py); every
    column is given, so the object is complete and nothing is read back.
    """
    row = {key: values.get(key, _UNSET.get(key)) for key in _CONSULTATION_COLUMNS}
    row["id"] = _INSERT.scalar(session, row)
    return repo.attach_loaded(session, Consultation, row)  # as if just loaded: its values are the stored ones


def _with_loaded_relations(consultation: Consultation, villager, village) -> None:
    """The new record's villager, village and advisers are in the session already: no lazy loads later."""
    set_committed_value(consultation, "villager", villager)
    set_committed_value(consultation, "village", village)
    if consultation.adviser_id is None:
        set_committed_value(consultation, "adviser", None)
    elif village is not None and consultation.adviser_id == village.adviser_a_id:
        set_committed_value(consultation, "adviser", village.adviser_a)
    if consultation.answered_by_id is None:
        set_committed_value(consultation, "answered_by", None)


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
    _with_loaded_relations(consultation, villager, village)
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
