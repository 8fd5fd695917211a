"""The decision for one question: alert, smalltalk, an FAQ answer, or a forward to a person."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from bot import texts
from bot.categories import CATEGORIES, SMALLTALK
from bot.classifier.legal_aid import LegalAidDetector
from bot.classifier.runtime import Runtime
from bot.classifier.sensitive import SensitiveDetector
from bot.classifier.weights import Features
from bot.knowledge.faq import FaqEntry


@dataclass(frozen=True)
class Thresholds:
    """Chosen on our own held-out questions; values and reasons live in ``knowledge/thresholds.yaml``."""

    faq_score: float = 0.0  # the FAQ classifier's decision value for its best entry
    faq_margin: float = 0.3  # … and its lead over the runner-up
    answer_similarity: float = 0.3  # cosine of the wording to that entry's closest phrasing
    near_miss_lead: float = -1.0  # … minus the cosine to the closest near-miss question (-1: not checked)
    answer_confidence: float = 0.5  # the category model must agree with the entry's category this surely
    long_question_chars: int = 60  # longer messages are personal stories: a person should read them
    max_specifics: int = 99  # amounts, durations, "他说", "但是"…: the marks of a personal case
    smalltalk_probability: float = 0.60
    smalltalk_max_chars: int = 12  # longer messages are questions or stories, whatever the model says

    @classmethod
    def from_mapping(cls, data: dict) -> Thresholds:
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)


@dataclass
class Decision:
    category: str | None
    confidence: float
    action: str  # answer | forward | alert | smalltalk
    answer: str = ""
    faq_id: str | None = None
    citations: list[str] = field(default_factory=list)
    alert_kind: str | None = None
    alert_label: str | None = None

    def as_json(self) -> dict:
        return {
            "category": self.category,
            "confidence": round(self.confidence, 4),
            "action": self.action,
            "answer": self.answer,
            "faq_id": self.faq_id,
            "citations": self.citations,
        }


SPECIFICS = re.compile(
    r"\d+|[一二两三四五六七八九十百千万]+(?:万|千|块|元|年|个月|月|天|岁|级|亩|平|次|个人|米|尺|间)"
    r"|说|但是|可是|却|结果|现在|为啥|凭什么|到底|具体|专门|特别|还能不能|还能"
)


_NOT_CONTENT = re.compile(r"[\s\W_]+")
THANKS_WORDS = ("谢", "感谢", "辛苦")


def thanks(text: str) -> bool:
    return any(w in text for w in THANKS_WORDS)


def count_specifics(text: str) -> int:
    """How many marks of a personal, particular case the question carries (numbers, reported speech, buts)."""
    return len(SPECIFICS.findall(text))


def render_faq_answer(entry: FaqEntry) -> str:
    citations = "、".join(c.render() for c in entry.citations)
    return texts.FAQ_ANSWER.format(answer=entry.answer, citations=citations, next_step=entry.next_step)


class Answerer:
    """Holds the compiled classifier and FAQ model and the sensitive lexicon; loaded once per process."""

    def __init__(
        self,
        runtime: Runtime,
        sensitive: SensitiveDetector,
        thresholds: Thresholds,
        legal_aid: LegalAidDetector | None = None,
        load_pipeline: Callable[[], object] | None = None,
    ):
        self.runtime = runtime
        self.legal_aid = legal_aid or LegalAidDetector([])
        self.fast = runtime.category  # predict_proba(text), from arrays
        self.faq_index = runtime.faq  # match(text), entries, by_id
        self.sensitive = sensitive
        self.thresholds = thresholds
        self.labels_ = list(runtime.category.classes_)
        self._legal = [i for i, label in enumerate(self.labels_) if label in CATEGORIES]
        self._load_pipeline = load_pipeline
        self._pipeline = None

    @property
    def pipeline(self):
        """The fitted scikit-learn pipeline, loaded on first use (evaluation and tests; never per message)."""
        if self._pipeline is None:
            if self._load_pipeline is None:
                raise RuntimeError("this answerer was built without its scikit-learn pipeline")
            self._pipeline = self._load_pipeline()
        return self._pipeline

    def classify(self, text: str) -> tuple[str, float, str, float]:
        """(best legal category, its probability, overall best label, its probability)."""
        return self._classify(self.runtime.features(text))

    def _classify(self, features: Features) -> tuple[str, float, str, float]:
        probs = self.fast.proba(features)
        top = max(range(len(probs)), key=probs.__getitem__)
        best = max(self._legal, key=probs.__getitem__)
        legal_total = sum(probs[i] for i in self._legal) or 1.0
        return self.labels_[best], probs[best] / legal_total, self.labels_[top], probs[top]

    def predict_label(self, text: str) -> str:
        """The label used for evaluation: smalltalk when confidently so, else the best legal category."""
        category, _, top_label, top_prob = self.classify(text)
        return SMALLTALK if self._smalltalk(text, top_label, top_prob) else category

    def could_be_smalltalk(self, text: str) -> bool:
        """Greetings and chatter are short, so a longer message that opens with a greeting is a question (a
        forward is better than a hello that drops it). Thanks run longer ("谢谢律师 我明白了 回头再来问你")."""
        return thanks(text) or len(_NOT_CONTENT.sub("", text)) <= self.thresholds.smalltalk_max_chars

    def _smalltalk(self, text: str, top_label: str, top_prob: float) -> bool:
        return (
            top_label == SMALLTALK
            and top_prob >= self.thresholds.smalltalk_probability
            and self.could_be_smalltalk(text)
        )

    def decide(self, text: str) -> Decision:
        """Alert first (recall), then smalltalk, then FAQ only when every signal agrees; otherwise forward.

        The signals are checked cheapest first, and the wording ones only for the entry the FAQ classifier
        prefers: a question that fails a check is forwarded without computing the rest.
        """
        text = text.strip()
        hit = self.sensitive.detect(text)
        features = self.runtime.features(text) if text else None  # analysed once, for every model
        category, confidence, top_label, top_prob = (
            self._classify(features) if features is not None else ("other", 0.0, SMALLTALK, 1.0)
        )
        if hit is not None:
            return Decision(category, confidence, "alert", answer=hit.reply, alert_kind=hit.kind, alert_label=hit.label)
        if self._smalltalk(text, top_label, top_prob):
            reply = texts.THANKS if thanks(text) else texts.SMALLTALK
            return Decision(None, top_prob, "smalltalk", answer=reply)
        entry = self._answerable(text, category, confidence, features) if features is not None else None
        if entry is None:
            return Decision(category, confidence, "forward")
        return Decision(
            category,
            confidence,
            "answer",
            answer=render_faq_answer(entry),
            faq_id=entry.id,
            citations=[c.render() for c in entry.citations],
        )

    def _answerable(self, text: str, category: str, confidence: float, features: Features) -> FaqEntry | None:
        """The FAQ entry to answer with when the category model, the FAQ classifier and the wording all
        agree and the message is short and general; None sends it to a person."""
        t = self.thresholds
        if confidence < t.answer_confidence or len(text) > t.long_question_chars:
            return None
        if count_specifics(text) > t.max_specifics:
            return None
        faq = self.faq_index
        found = faq.candidate(features)
        if found is None or found.score < t.faq_score or found.margin < t.faq_margin:
            return None
        entry = faq.entries[found.position]
        if entry.category != category:
            return None
        query = faq.query(features)
        similarity = faq.similarity(found.position, query)
        if similarity < t.answer_similarity or similarity - faq.near_miss(query) < t.near_miss_lead:
            return None
        return entry
