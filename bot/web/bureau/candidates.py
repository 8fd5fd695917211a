"""FAQ candidates for the review pages: the county's list (phone and ID numbers masked), one candidate in
the user's scope, and the edit form (what the reviewer typed, kept to show again, and the Review it makes).
Nothing here knows about Flask; the views in ``review.py`` only convert."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from bot.bureau.access import AccessDenied, may_see_village
from bot.categories import CATEGORIES, category_label
from bot.clock import fmt_local
from bot.knowledge.publish import Review
from bot.ledger.tables import Adviser, Consultation, FaqCandidate, Town, User, Village
from bot.privacy import mask_personal

STATUSES = {"proposed": "待审核", "published": "已发布", "rejected": "已退回"}
PAGE_SIZE = 50
CITATION_ROWS = 3
SNIPPET_CHARS = 80


@dataclass(frozen=True)
class CandidateRow:
    """One line of the list, ready to show (masked and shortened)."""

    id: int
    created: str
    category: str
    adviser: str
    village: str
    question: str
    answer: str
    consultation_id: int
    reviewed_by: str
    reviewed: str
    faq_id: str


@dataclass(frozen=True)
class CandidatePlace:
    """A candidate with where it came from (the village of its consultation and the proposing adviser)."""

    candidate: FaqCandidate
    village: Village
    adviser: str

    @property
    def village_label(self) -> str:
        """示范县城关镇河东村（370303001）."""
        town = self.village.town
        return f"{town.county}{town.name}{self.village.name}（{self.village.code}）"


def _snippet(text: str | None) -> str:
    masked = mask_personal(text)  # mask first: cutting first could leave half a number unmasked
    return masked if len(masked) <= SNIPPET_CHARS else masked[:SNIPPET_CHARS] + "…"


def _in_county(query: Select, county: str) -> Select:
    return (
        query.join(Consultation, FaqCandidate.consultation_id == Consultation.id)
        .join(Village, Consultation.village_id == Village.id)
        .join(Town, Village.town_id == Town.id)
        .where(Town.county == county)
    )


def status_counts(db: Session, county: str) -> dict[str, int]:
    """How many candidates of the county are waiting, published and rejected."""
    query = _in_county(select(FaqCandidate.status, func.count()), county).group_by(FaqCandidate.status)
    counts = dict.fromkeys(STATUSES, 0)
    counts.update({status: n for status, n in db.execute(query)})
    return counts


def list_candidates(db: Session, county: str, status: str, page: int) -> tuple[list[CandidateRow], int]:
    """The county's candidates in one status, newest first, one page of them, and how many there are."""
    base = _in_county(select(FaqCandidate.id), county).where(FaqCandidate.status == status)
    total = db.scalar(select(func.count()).select_from(base.subquery())) or 0
    query = (
        _in_county(select(FaqCandidate, Town.name, Village.name, Adviser.name), county)
        .join(Adviser, FaqCandidate.adviser_id == Adviser.id)
        .where(FaqCandidate.status == status)
        .order_by(FaqCandidate.created_at.desc(), FaqCandidate.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    )
    rows = [
        CandidateRow(
            id=c.id,
            created=fmt_local(c.created_at),
            category=category_label(c.category),
            adviser=adviser,
            village=f"{town}{village}",
            question=_snippet(c.question),
            answer=_snippet(c.answer),
            consultation_id=c.consultation_id,
            reviewed_by=c.reviewed_by or "",
            reviewed=fmt_local(c.reviewed_at),
            faq_id=c.faq_id or "",
        )
        for c, town, village, adviser in db.execute(query)
    ]
    return rows, total


def candidate_for(db: Session, user: User, number: int, *, lock: bool = False) -> CandidatePlace | None:
    """The candidate when it exists (None otherwise); AccessDenied when its village is outside the scope."""
    candidate = db.get(FaqCandidate, number, with_for_update=lock)
    if candidate is None:
        return None
    village = db.scalar(
        select(Village)
        .join(Consultation, Consultation.village_id == Village.id)
        .where(Consultation.id == candidate.consultation_id)
    )
    if not may_see_village(user, village):
        raise AccessDenied("这条常见问题候选来自其他县的咨询，不在您的审核范围内")
    adviser = db.get(Adviser, candidate.adviser_id)
    return CandidatePlace(candidate, village, adviser.name if adviser else "—")


@dataclass(frozen=True)
class ReviewForm:
    """The edit form's fields as text (paraphrases one per line; citations as rows of law and article)."""

    category: str = ""
    question: str = ""
    paraphrases: str = ""
    answer: str = ""
    laws: tuple[str, ...] = ("",) * CITATION_ROWS
    articles: tuple[str, ...] = ("",) * CITATION_ROWS
    next_step: str = ""

    @classmethod
    def from_candidate(cls, candidate: FaqCandidate) -> ReviewForm:
        """Start from the villager's question and the adviser's answer, with personal numbers masked."""
        category = candidate.category if candidate.category in CATEGORIES else ""
        question, answer = mask_personal(candidate.question), mask_personal(candidate.answer)
        return cls(category=category, question=question, answer=answer)

    @classmethod
    def from_form(cls, form: Mapping[str, str]) -> ReviewForm:
        """What the reviewer posted (missing fields are blank)."""
        rows = range(1, CITATION_ROWS + 1)
        return cls(
            category=form.get("category", ""),
            question=form.get("question", ""),
            paraphrases=form.get("paraphrases", ""),
            answer=form.get("answer", ""),
            laws=tuple(form.get(f"law_{i}", "") for i in rows),
            articles=tuple(form.get(f"article_{i}", "") for i in rows),
            next_step=form.get("next_step", ""),
        )

    @property
    def citation_rows(self) -> list[tuple[int, str, str]]:
        """(row number, law, article) for the template."""
        return [(i, law, article) for i, (law, article) in enumerate(zip(self.laws, self.articles, strict=True), 1)]

    @property
    def answer_chars(self) -> int:
        """The answer's length as it will be checked (surrounding spaces do not count)."""
        return len(self.answer.strip())

    def review(self) -> Review:
        """The Review that ``publish_candidate`` checks and publishes."""
        return Review(
            category=self.category,
            question=self.question,
            paraphrases=tuple(self.paraphrases.splitlines()),
            answer=self.answer,
            citations=tuple(zip(self.laws, self.articles, strict=True)),
            next_step=self.next_step,
        )


def reviewed_label(candidate: FaqCandidate) -> str:
    """已发布 / 已退回 with who and when, for the candidate's page."""
    who, when = candidate.reviewed_by or "—", fmt_local(candidate.reviewed_at)
    return f"{STATUSES.get(candidate.status, candidate.status)}（{who}，{when}）"
