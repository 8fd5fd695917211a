"""Satisfaction: after an answer the villager replies 1 满意 / 2 基本满意 / 3 不满意; 3 reopens the case."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot import texts
from bot.consultations import adviser_title, deadline_for, notify_adviser
from bot.context import Context
from bot.handlers.commands import normalize
from bot.ledger import repo, states
from bot.ledger.tables import Consultation
from bot.messages import Incoming, Reply

RATINGS = {"1": 1, "满意": 1, "2": 2, "基本满意": 2, "还行": 2, "3": 3, "不满意": 3}


def rate_answer(msg: Incoming, ctx: Context) -> Reply | None:
    if ctx.villager is None or msg.msg_type != "text":
        return None
    rating = RATINGS.get(normalize(msg.text))
    if rating is None:
        return None
    consultation = ctx.session.scalar(
        select(Consultation)
        .where(
            Consultation.villager_id == ctx.villager.id,
            Consultation.status.in_((states.BOT_ANSWERED, states.ADVISER_ANSWERED)),
            Consultation.rating.is_(None),
            Consultation.answered_offline.is_(False),
            Consultation.answered_at >= ctx.now - dt.timedelta(days=ctx.settings.rating_days),
        )
        .order_by(Consultation.answered_at.desc(), Consultation.id.desc())
        .limit(1)
    )
    if consultation is None:
        return None  # a bare number with nothing to rate: let the other handlers treat it
    consultation.rating, consultation.rated_at = rating, ctx.now
    repo.add_event(ctx.session, consultation, "rated", ctx.now, str(rating))
    if rating < 3:
        return Reply(texts.RATED)
    return Reply(reopen(ctx, consultation))


def reopen(ctx: Context, consultation: Consultation) -> str:
    """不满意: the consultation goes back to a person (the adviser who answered, else the A post)."""
    village = consultation.village
    adviser = consultation.answered_by
    if adviser is None or village is None or not village.serves(adviser.id):
        adviser = village.adviser_a if village else None
    consultation.reopened_count += 1
    consultation.status, consultation.route = states.WAITING, states.ROUTE_ADVISER
    consultation.forwarded_at, consultation.escalation_level, consultation.escalated_at = ctx.now, 0, None
    consultation.adviser_id, consultation.adviser = (adviser.id, adviser) if adviser else (None, None)
    consultation.deadline_at = None
    consultation.deadline_at = deadline_for(ctx, consultation)
    repo.add_event(ctx.session, consultation, "reopened", ctx.now, "villager not satisfied")
    if adviser is not None:
        notify_adviser(
            ctx,
            consultation,
            adviser,
            texts.REOPENED_NOTICE.format(
                number=consultation.id, question=consultation.question, answer=consultation.answer or ""
            ),
        )
    return texts.RATED_UNHAPPY.format(adviser=adviser_title(adviser) if adviser else "法律顾问", number=consultation.id)
