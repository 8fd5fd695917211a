"""The category classifier: jieba word n-grams + character n-grams, a sigmoid-calibrated linear SVM whose
legal-category probabilities are averaged with a Complement Naive Bayes.

The SVM alone decides how likely a message is smalltalk; only the split of the rest among the legal
categories is the mean of the two models. (A plain mean of both over every label gained as much on the
external benchmark but flattened the probabilities of very short messages, so greetings were no longer
recognised as smalltalk: Naive Bayes has no calibrated notion of "this is not a question".)
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.naive_bayes import ComplementNB
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from bot.categories import SMALLTALK
from bot.classifier.tokenizer import LegalTokenizer


def gated_mean(svm_proba: np.ndarray, nb_proba: np.ndarray, gate: int, nb_weight: float) -> np.ndarray:
    """The gate label's probability from the SVM; the other labels share the rest by the weighted mean
    of both models' distributions over them (each renormalised without the gate label).

    Works on one row or a matrix of rows; ``bot.classifier.runtime`` computes the same.
    """
    svm_proba, nb_proba = np.atleast_2d(svm_proba), np.atleast_2d(nb_proba)
    parts = []
    for proba in (svm_proba, nb_proba):
        rest = proba.copy()
        rest[:, gate] = 0.0
        total = rest.sum(axis=1, keepdims=True)
        parts.append(np.divide(rest, total, out=np.full_like(rest, 0.0), where=total > 0))
    mixed = (1.0 - nb_weight) * parts[0] + nb_weight * parts[1]
    mixed *= 1.0 - svm_proba[:, [gate]]
    mixed[:, gate] = svm_proba[:, gate]
    return mixed


class SvmNbEnsemble(ClassifierMixin, BaseEstimator):
    """A calibrated linear SVM and a ComplementNB on the same features, combined by ``gated_mean``."""

    def __init__(
        self, c: float = 0.5, alpha: float = 0.3, nb_weight: float = 0.5, gate: str = SMALLTALK, seed: int = 0
    ):
        self.c = c
        self.alpha = alpha
        self.nb_weight = nb_weight
        self.gate = gate
        self.seed = seed

    def fit(self, x, y):
        svm = LinearSVC(C=self.c, class_weight="balanced", random_state=self.seed)
        # One SVM on all the data, calibrated on 5-fold predictions (ensemble=False). The default's five
        # per-fold SVMs cost 23 MB more per web worker (a weight column per fold and label), which took a
        # worker to the 250 MB limit. With one: held-out 0.9622 -> 0.9668, benchmark 0.6972 -> 0.6948.
        self.svm_ = CalibratedClassifierCV(svm, method="sigmoid", cv=5, ensemble=False).fit(x, y)
        self.nb_ = ComplementNB(alpha=self.alpha).fit(x, y)
        self.classes_ = self.svm_.classes_
        if list(self.nb_.classes_) != list(self.classes_):
            raise ValueError("the SVM and Naive Bayes learned different labels")
        labels = list(self.classes_)
        self.gate_index_ = labels.index(self.gate) if self.gate in labels else -1
        return self

    def predict_proba(self, x) -> np.ndarray:
        svm, nb = self.svm_.predict_proba(x), self.nb_.predict_proba(x)
        if self.gate_index_ < 0:
            return (1.0 - self.nb_weight) * svm + self.nb_weight * nb
        return gated_mean(svm, nb, self.gate_index_, self.nb_weight)

    def predict(self, x) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(x), axis=1)]


def build_pipeline(tokenizer: LegalTokenizer, seed: int = 0, c: float = 0.5) -> Pipeline:
    """A fresh, unfitted pipeline; calibrated probabilities that thresholds can rely on."""
    features = FeatureUnion(
        [
            ("words", TfidfVectorizer(analyzer=tokenizer.words, sublinear_tf=True, min_df=1)),
            (
                "chars",
                TfidfVectorizer(
                    analyzer="char",
                    ngram_range=(1, 3),
                    preprocessor=tokenizer.normalize,
                    sublinear_tf=True,
                    min_df=2,
                ),
            ),
        ]
    )
    return Pipeline([("features", features), ("model", SvmNbEnsemble(c=c, seed=seed))])
