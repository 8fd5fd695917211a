"""What a web process needs to score a message: plain arrays, no scikit-learn, one analysis per message.

All three models (the category classifier, the FAQ classifier and the FAQ wording similarity) read the
same two analyses of the normalised text: character 1–3-grams and jieba words with their bigrams. A
message is therefore normalised, segmented and looked up once; each model then picks its own columns,
TF-IDF weights and l2 norm from that. The weights are stored row-sparse by feature (float32 values,
the narrowest integer type for targets), which keeps a worker's model in tens of megabytes instead of
the hundreds the fitted estimators take. ``bot.classifier.compiled`` builds this from the fitted
pipelines; a test checks both give the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bot.classifier.analysis import Analysis, TextAnalyzer
from bot.classifier.weights import Block, SparseRows, features
from bot.knowledge.faq import FaqEntry


class CategoryModel:
    """The category classifier's ``predict_proba`` from arrays: one calibrated SVM, or an SVM and a Naive
    Bayes combined as ``bot.classifier.model.SvmNbEnsemble`` does (the gate label's probability from the
    SVM alone, the other labels' split by the weighted mean of both)."""

    def __init__(self, classes, blocks: list[Block], members: list, nb_weight: float = 0.5, gate: int = -1):
        self.classes_ = np.asarray(classes)
        self.blocks, self.members = blocks, members
        self.nb_weight, self.gate = nb_weight, gate
        self._analyzer: TextAnalyzer | None = None

    @property
    def nbytes(self) -> int:
        return sum(m.weights.nbytes for m in self.members)

    def proba(self, analysis: Analysis) -> np.ndarray:
        idx, values = features(self.blocks, analysis)
        probas = [m.proba(idx, values) for m in self.members]
        if len(probas) == 1:
            return probas[0]
        svm, nb = probas
        if self.gate < 0:
            return (1.0 - self.nb_weight) * svm + self.nb_weight * nb
        mixed = (1.0 - self.nb_weight) * _without(svm, self.gate) + self.nb_weight * _without(nb, self.gate)
        mixed *= 1.0 - svm[self.gate]
        mixed[self.gate] = svm[self.gate]
        return mixed

    def predict_proba(self, text: str) -> np.ndarray:
        """The probabilities for one text (tests and benchmarks; the answerer shares one analysis)."""
        return self.proba(self._analyzer.analyze(text))


def _without(proba: np.ndarray, gate: int) -> np.ndarray:
    """The distribution over every label but ``gate`` (renormalised; all zero when nothing is left)."""
    rest = proba.copy()
    rest[gate] = 0.0
    total = rest.sum()
    return rest / total if total > 0 else rest


@dataclass(frozen=True)
class FaqMatch:
    entry: FaqEntry
    score: float  # the FAQ classifier's decision value for this entry
    margin: float  # its lead over the runner-up (the near-miss class included)
    similarity: float  # cosine to the entry's closest phrasing
    near_miss: float = 0.0  # cosine to the closest near-miss question (faq_negatives.txt), 0 without any


class FaqModel:
    """The FAQ classifier's decision values and the wording similarity, from arrays."""

    def __init__(
        self,
        entries,
        class_owner,
        none_class,
        blocks,
        weights,
        intercept,
        sim_blocks,
        sim_rows,
        owner_rows,
        neg_rows=None,
    ):
        self.entries: list[FaqEntry] = list(entries)
        self.by_id = {e.id: i for i, e in enumerate(self.entries)}
        self.class_owner = class_owner  # FAQ class → entry position (-1 for the near-miss class)
        self.none_class = none_class
        self.blocks, self.weights, self.intercept = blocks, weights, intercept
        self.sim_blocks, self.sim_rows = sim_blocks, sim_rows
        self.owner_rows = owner_rows  # entry position → (first, end) of its phrasings' rows
        self.neg_rows = neg_rows  # the near-miss questions, like sim_rows (None without any)
        self.sim_weight = 1 / np.sqrt(len(sim_blocks)) if sim_blocks else 1.0
        self._analyzer: TextAnalyzer | None = None

    def scores(self, analysis: Analysis) -> np.ndarray:
        idx, values = features(self.blocks, analysis)
        scores = self.intercept.copy()
        if idx.size:
            scores += self.weights.dot(idx, values)
        return scores

    def similarity(self, analysis: Analysis) -> np.ndarray:
        """Cosine of the text to every phrasing (each block l2-normalised and weighted 1/√blocks)."""
        return self._cosines(self.sim_rows, *features(self.sim_blocks, analysis))

    def _cosines(self, rows: SparseRows, idx: np.ndarray, values: np.ndarray) -> np.ndarray:
        if not idx.size:
            return np.zeros(rows.size)
        return rows.dot(idx, values * self.sim_weight)

    def best(self, analysis: Analysis) -> FaqMatch | None:
        if not self.entries or self.weights is None:
            return None
        scores = self.scores(analysis)
        candidates = scores.copy()
        if self.none_class >= 0:
            candidates[self.none_class] = -np.inf
        first = int(np.argmax(candidates))
        rival = float(np.max(np.delete(scores, first))) if scores.size > 1 else float("-inf")
        owner = int(self.class_owner[first])
        start, end = self.owner_rows[owner]
        idx, values = features(self.sim_blocks, analysis)
        similarity = float(self._cosines(self.sim_rows, idx, values)[start:end].max())
        near_miss = float(self._cosines(self.neg_rows, idx, values).max()) if self.neg_rows is not None else 0.0
        return FaqMatch(self.entries[owner], float(scores[first]), float(scores[first]) - rival, similarity, near_miss)

    def match(self, text: str) -> FaqMatch | None:
        """The entry the FAQ classifier prefers, with its score, margin and wording similarity."""
        if not text.strip():
            return None
        return self.best(self._analyzer.analyze(text))


class Runtime:
    """The per-process model: the shared analyzer and the two compiled models (pickled as one artifact)."""

    def __init__(self, analyzer: TextAnalyzer, category: CategoryModel, faq: FaqModel):
        self.analyzer, self.category, self.faq = analyzer, category, faq
        category._analyzer = faq._analyzer = analyzer

    def __getstate__(self) -> dict:
        return {"analyzer": self.analyzer, "category": self.category, "faq": self.faq}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["analyzer"], state["category"], state["faq"])

    @property
    def nbytes(self) -> int:
        parts = (self.faq.weights, self.faq.sim_rows, self.faq.neg_rows)
        return self.category.nbytes + sum(p.nbytes for p in parts if p is not None)
