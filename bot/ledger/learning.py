"""Examples the model may learn from the ledger: questions whose category an adviser confirmed."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.ledger.tables import Consultation, ConsultationEvent


def confirmed_examples(session: Session) -> list[tuple[str, str]]:
    """(question, category) for consultations whose category an adviser set or corrected."""
    rows = session.execute(
        select(Consultation.question, Consultation.category)
        .join(ConsultationEvent, ConsultationEvent.consultation_id == Consultation.id)
        .where(ConsultationEvent.kind == "category_corrected", Consultation.category.is_not(None))
        .distinct()
    )
    return [(q, c) for q, c in rows]
