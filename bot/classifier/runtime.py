"""What a web process needs to score a message: plain arrays, no scikit-learn, one analysis per message.

All three models (the category classifier, the FAQ classifier and the FAQ wording similarity) read the
same two analyses of the normalised text: character 1–3-grams and jieba words with their bigrams. A
message is therefore normalised, segmented and looked up once, and one table lookup per kind of term
gives every model its columns, TF-IDF weights and l2 norms (``weights.FeatureSpace``). The weights are
float32, dense where a row is full and row-sparse elsewhere, which keeps a worker's model in tens of
megabytes instead of the hundreds the fitted estimators take. ``bot.classifier.compiled`` builds this
from the fitted pipelines; tests check both give the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from bot.classifier.analysis import TextAnalyzer
from bot.classifier.weights import (
    Calibration,
    ComplementNaiveBayes,
    DenseRows,
    Features,
    FeatureSpace,
    HybridRows,
    PhrasingRows,
    SparseRows,
)
from bot.knowledge.faq import FaqEntry

CATEGORY, FAQ, SIMILARITY = 0, 1, 2  # each model's row in the FeatureSpace


class _ScoresText:
    """Models score one text through their runtime's analysis (tests and benchmarks; the answerer shares one)."""

    _features: Callable[[str], Features] | None = None

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "_features"}


class CategoryModel(_ScoresText):
    """The category classifier's ``predict_proba`` from arrays: one calibrated SVM, or an SVM and a Naive
    Bayes combined as ``bot.classifier.model.SvmNbEnsemble`` does (the gate label's probability from the
    SVM alone, the other labels' split by the weighted mean of both). Both read one weight matrix: the
    SVM folds' columns, then Naive Bayes'."""

    def __init__(
        self,
        classes,
        weights: DenseRows,
        svm: Calibration,
        nb: ComplementNaiveBayes | None = None,
        nb_weight: float = 0.5,
        gate: int = -1,
    ):
        self.classes_ = np.asarray(classes)
        self.weights, self.svm, self.nb = weights, svm, nb
        self.nb_weight, self.gate = nb_weight, gate

    @property
    def nbytes(self) -> int:
        return self.weights.nbytes

    def proba(self, features: Features) -> list[float]:
        """The probability of each of ``classes_`` (a list: eleven numbers are quicker in plain Python)."""
        decision = self.weights.dot(features.columns[CATEGORY], features.values[CATEGORY])
        svm = self.svm.proba(decision[: self.svm.width]).tolist()
        if self.nb is None:
            return svm
        nb = self.nb.proba(decision[self.svm.width :])
        w, gate = self.nb_weight, self.gate
        if gate < 0:
            return [(1.0 - w) * s + w * n for s, n in zip(svm, nb, strict=True)]
        svm_rest, nb_rest = _rest_total(svm, gate), _rest_total(nb, gate)
        keep = 1.0 - svm[gate]
        mixed = [
            ((1.0 - w) * (s / svm_rest if svm_rest > 0 else s) + w * (n / nb_rest if nb_rest > 0 else n)) * keep
            for s, n in zip(svm, nb, strict=True)
        ]
        mixed[gate] = svm[gate]
        return mixed

    def predict_proba(self, text: str) -> np.ndarray:
        return np.asarray(self.proba(self._features(text)))


def _rest_total(proba: list[float], gate: int) -> float:
    """The probability of every label but ``gate``."""
    return sum(p for i, p in enumerate(proba) if i != gate)


@dataclass(frozen=True)
class FaqMatch:
    entry: FaqEntry
    score: float  # the FAQ classifier's decision value for this entry
    margin: float  # its lead over the runner-up (the near-miss class included)
    similarity: float  # cosine to the entry's closest phrasing
    near_miss: float = 0.0  # cosine to the closest near-miss question (faq_negatives.txt), 0 without any


@dataclass(frozen=True)
class FaqCandidate:
    """The entry the FAQ classifier prefers; the wording signals are computed only if it gets this far."""

    position: int  # in FaqModel.entries
    score: float
    margin: float


class FaqModel(_ScoresText):
    """The FAQ classifier's decision values and the wording similarity, from arrays."""

    def __init__(
        self,
        entries,
        class_owner,
        none_class: int,
        weights: HybridRows | None,
        intercept,
        phrasings: PhrasingRows | None,
        owner_rows,
        negatives: SparseRows | None,
        sim_weight: float,
    ):
        self.entries: list[FaqEntry] = list(entries)
        self.by_id = {e.id: i for i, e in enumerate(self.entries)}
        self.class_owner = class_owner  # FAQ class → entry position (-1 for the near-miss class)
        self.none_class = none_class
        self.weights, self.intercept = weights, intercept
        self.phrasings = phrasings
        self.owner_rows = owner_rows  # entry position → (first, end) of its phrasings' rows
        self.negatives = negatives  # the near-miss questions, by feature (None without any)
        self.sim_weight = sim_weight  # each similarity block is l2-normalised and weighted 1/√blocks

    @property
    def nbytes(self) -> int:
        parts = (self.weights, self.phrasings, self.negatives)
        return sum(p.nbytes for p in parts if p is not None)

    def candidate(self, features: Features) -> FaqCandidate | None:
        if not self.entries or self.weights is None:
            return None
        scores = self.intercept + self.weights.dot(features.columns[FAQ], features.values[FAQ])
        if self.none_class >= 0:
            saved, scores[self.none_class] = scores[self.none_class], -np.inf
            first = int(np.argmax(scores))
            scores[self.none_class] = saved
        else:
            first = int(np.argmax(scores))
        top, scores[first] = float(scores[first]), -np.inf
        rival = float(scores.max())
        return FaqCandidate(int(self.class_owner[first]), top, top - rival)

    def query(self, features: Features) -> tuple[np.ndarray, np.ndarray]:
        """The message in the similarity space, columns sorted (what ``similarity`` and ``near_miss`` read)."""
        columns, values = features.columns[SIMILARITY], features.values[SIMILARITY]
        order = np.argsort(columns)
        return columns[order], values[order] * self.sim_weight

    def similarity(self, position: int, query: tuple[np.ndarray, np.ndarray]) -> float:
        """Cosine to the entry's closest phrasing."""
        start, end = self.owner_rows[position]
        return float(self.phrasings.cosines(start, end, *query).max()) if end > start else 0.0

    def near_miss(self, query: tuple[np.ndarray, np.ndarray]) -> float:
        """Cosine to the closest near-miss question, 0 without any."""
        if self.negatives is None or not query[0].size:
            return 0.0
        return float(self.negatives.dot(*query).max())

    def best(self, features: Features) -> FaqMatch | None:
        """The preferred entry with every signal (tuning and tests; ``Answerer.decide`` stops early)."""
        found = self.candidate(features)
        if found is None:
            return None
        query = self.query(features)
        return FaqMatch(
            self.entries[found.position],
            found.score,
            found.margin,
            self.similarity(found.position, query),
            self.near_miss(query),
        )

    def match(self, text: str) -> FaqMatch | None:
        """The entry the FAQ classifier prefers, with its score, margin and wording similarity."""
        if not text.strip():
            return None
        return self.best(self._features(text))


class Runtime:
    """The per-process model: the shared analyzer, the feature space and the two compiled models (pickled
    as one artifact)."""

    def __init__(self, analyzer: TextAnalyzer, space: FeatureSpace, category: CategoryModel, faq: FaqModel):
        self.analyzer, self.space, self.category, self.faq = analyzer, space, category, faq
        category._features = faq._features = self.features

    def __getstate__(self) -> dict:
        return {"analyzer": self.analyzer, "space": self.space, "category": self.category, "faq": self.faq}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["analyzer"], state["space"], state["category"], state["faq"])

    def features(self, text: str) -> Features:
        """Every model's features of one message: analysed once."""
        return self.space.transform(self.analyzer.analyze(text))

    @property
    def nbytes(self) -> int:
        return self.space.nbytes + self.category.nbytes + self.faq.nbytes
