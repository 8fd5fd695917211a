"""What an adviser does besides answering: hand over, answer offline, close as not a legal question,
correct the category, acknowledge an alert, propose an FAQ. The WeChat commands and the adviser console
call the same functions."""

from __future__ import annotations

from bot import texts
from bot.categories import CATEGORIES
from bot.consultations import adviser_title, notify_adviser
from bot.context import Context
from bot.ledger import repo, states
from bot.ledger.tables import Adviser, Consultation, FaqCandidate


class ActionError(ValueError):
    """The action is not allowed; the message is shown to the adviser as it is."""


def ensure_assigned(consultation: Consultation | None, adviser: Adviser) -> Consultation:
    """Only the A or B post of the consultation's village may act on it (raises ActionError)."""
    if consultation is None:
        raise ActionError("没有这条咨询，请核对编号。")
    if consultation.village is None or not consultation.village.serves(adviser.id):
        raise ActionError(texts.ADVISER_NOT_ASSIGNED.format(number=consultation.id))
    return consultation


def hand_over(ctx: Context, consultation: Consultation, adviser: Adviser) -> Adviser:
    """Give the consultation to the village's other post (AB岗), who is notified at once."""
    village = consultation.village
    other = village.adviser_b if adviser.id == village.adviser_a_id else village.adviser_a
    if other is None or other.id == adviser.id:
        raise ActionError("这个村没有另一位顾问（B岗），无法转交。")
    if consultation.status not in states.OPEN:
        raise ActionError(f"#{consultation.id} 已经答复，不需要转交。")
    consultation.adviser_id, consultation.adviser = other.id, other
    consultation.updated_at = ctx.now
    repo.add_event(ctx.session, consultation, "handed_over", ctx.now, f"{adviser.name} → {other.name}")
    notify_adviser(
        ctx,
        consultation,
        other,
        texts.HANDED_OVER.format(
            number=consultation.id,
            from_name=adviser_title(adviser),
            village=village.name,
            question=consultation.question,
        ),
    )
    return other


def answer_offline(ctx: Context, consultation: Consultation, adviser: Adviser, note: str) -> None:
    """线下答复: answered face to face or by phone; recorded in the ledger, nothing sent to the villager."""
    if consultation.status not in states.OPEN:
        raise ActionError(f"#{consultation.id} 已经答复过了；如需补充，请用上面的答复框。")
    if not note.strip():
        raise ActionError("请写明线下答复的情况，例如：已电话联系，建议先申请调解。")
    consultation.status, consultation.route = states.ADVISER_ANSWERED, states.ROUTE_ADVISER
    consultation.answer = note.strip()
    consultation.answered_offline = True
    consultation.answered_by_id, consultation.answered_at = adviser.id, ctx.now
    consultation.delivered_at = ctx.now
    consultation.updated_at = ctx.now
    if consultation.alert_kind:
        consultation.alert_acked_at = consultation.alert_acked_at or ctx.now
        consultation.alert_acked_by = consultation.alert_acked_by or adviser.name
        consultation.alert_disposal = note.strip()
    repo.add_message(ctx.session, consultation, "adviser", f"（线下答复）{note.strip()}", ctx.now)
    repo.add_event(ctx.session, consultation, "answered_offline", ctx.now, adviser.name)


def close_not_legal(ctx: Context, consultation: Consultation, adviser: Adviser) -> None:
    """Chatter that reached the adviser ("今天天气真好大家都去赶集了吧") is closed and kept out of the
    statistics and the village ledger: smalltalk is not a consultation. The villager is told kindly, so
    nobody waits for an answer. Alerts are never closed this way: they need a disposal on record."""
    if consultation.alert_kind:
        raise ActionError(f"#{consultation.id} 是紧急事项，不能按非法律问题关闭；请先处置，并记录处置情况。")
    if consultation.status != states.WAITING:
        raise ActionError(f"#{consultation.id} 不在待答复状态，不能按非法律问题关闭。")
    consultation.status, consultation.route = states.NOT_LEGAL, states.ROUTE_ADVISER
    consultation.updated_at = ctx.now
    repo.add_event(ctx.session, consultation, "closed_not_legal", ctx.now, adviser.name)
    text = texts.NOT_LEGAL_TO_VILLAGER.format(number=consultation.id)
    repo.enqueue(ctx.session, consultation.villager.openid, text, ctx.now, consultation.id, purpose="notice")


def correct_category(ctx: Context, consultation: Consultation, adviser: Adviser, category: str) -> None:
    """The adviser's category is stored and later used to retrain (``legalbot train --with-ledger``)."""
    if category not in CATEGORIES:
        raise ActionError("没有这个类别。")
    old = consultation.category
    consultation.category = category
    consultation.updated_at = ctx.now
    repo.add_event(ctx.session, consultation, "category_corrected", ctx.now, f"{old} → {category} ({adviser.name})")


def acknowledge_alert(ctx: Context, consultation: Consultation, who: str) -> None:
    """Someone has taken charge of a sensitive matter; re-sending and escalating stop."""
    if not consultation.alert_kind:
        raise ActionError(f"#{consultation.id} 不是紧急事项，直接答复即可。")
    if consultation.alert_acked_at is None:
        consultation.alert_acked_at, consultation.alert_acked_by = ctx.now, who
        repo.add_event(ctx.session, consultation, "alert_acknowledged", ctx.now, who)


def record_disposal(ctx: Context, consultation: Consultation, who: str, disposal: str) -> None:
    """How the sensitive matter was handled (处置情况), for the bureau's records."""
    if not disposal.strip():
        raise ActionError(f"请写明处置情况，例如：#{consultation.id} 处置 已上门劝解，村委会跟进。")
    acknowledge_alert(ctx, consultation, who)
    consultation.alert_disposal = disposal.strip()
    repo.add_event(ctx.session, consultation, "alert_disposed", ctx.now, disposal.strip())


def propose_faq(ctx: Context, consultation: Consultation, adviser: Adviser) -> FaqCandidate:
    """Offer this answer as a new FAQ entry; a bureau reviewer edits and publishes it."""
    if consultation.faq_candidate:
        raise ActionError(f"#{consultation.id} 已经提交过常见问题候选，不用再提交。")
    if consultation.status != states.ADVISER_ANSWERED or not consultation.answer:
        raise ActionError(f"#{consultation.id} 还没有答复，答复后才能提交为常见问题。")
    if consultation.answered_offline:
        raise ActionError(f"#{consultation.id} 是线下答复，没有可发给村民的答复原文，不能提交为常见问题。")
    candidate = FaqCandidate(
        consultation_id=consultation.id,
        adviser_id=adviser.id,
        category=consultation.category,
        question=consultation.question,
        answer=consultation.answer,
        status="proposed",
        created_at=ctx.now,
    )
    ctx.session.add(candidate)
    consultation.faq_candidate = True
    repo.add_event(ctx.session, consultation, "faq_proposed", ctx.now, adviser.name)
    return candidate
