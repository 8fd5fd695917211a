"""Per-message inference without scikit-learn's per-call overhead.

A fitted TF-IDF + linear + sigmoid-calibration pipeline is a handful of arrays: vocabulary, idf,
weights per feature, calibration slopes. Scoring one short question straight from them gives the
same probabilities as ``Pipeline.predict_proba`` (a test checks this) at a fraction of the cost.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit
from sklearn.preprocessing import LabelEncoder

_EMPTY = (np.zeros(0, dtype=np.int64), np.zeros(0))


class FastTfidf:
    """A fitted TfidfVectorizer's transform of one text, as (feature indices, l2-normalised values)."""

    def __init__(self, vectorizer, offset: int = 0):
        if vectorizer.norm != "l2" or not vectorizer.use_idf or vectorizer.binary:
            raise ValueError("FastTfidf supports l2-normalised idf-weighted counts only")
        self.analyzer = vectorizer.build_analyzer()
        self.vocab = vectorizer.vocabulary_
        self.idf = np.asarray(vectorizer.idf_, dtype=np.float64)
        self.sublinear = vectorizer.sublinear_tf
        self.offset = offset
        self.size = len(self.vocab)

    def transform(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        counts: dict[int, int] = {}
        vocab = self.vocab
        for feature in self.analyzer(text):
            j = vocab.get(feature)
            if j is not None:
                counts[j] = counts.get(j, 0) + 1
        if not counts:
            return _EMPTY
        idx = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        if self.sublinear:
            tf = np.log(tf) + 1.0
        values = tf * self.idf[idx]
        values /= np.sqrt(values @ values)
        return idx + self.offset, values


class CompiledClassifier:
    """``predict_proba`` of a FeatureUnion(TF-IDF…) → CalibratedClassifierCV(linear, sigmoid) pipeline."""

    def __init__(self, pipeline):
        union = pipeline.named_steps["features"]
        calibrated = pipeline.named_steps["model"]
        self.classes_ = np.asarray(calibrated.classes_)
        self.vectorizers: list[FastTfidf] = []
        offset = 0
        for _, vectorizer in union.transformer_list:
            fast = FastTfidf(vectorizer, offset)
            self.vectorizers.append(fast)
            offset += fast.size
        n_classes = len(self.classes_)
        folds = calibrated.calibrated_classifiers_
        self.n_folds = len(folds)
        # One weight row per feature: every fold's decision functions side by side (float32 halves memory).
        weights = np.zeros((offset, self.n_folds * n_classes), dtype=np.float32)
        self.intercept = np.zeros(self.n_folds * n_classes)
        self.slope = np.zeros(self.n_folds * n_classes)
        self.shift = np.zeros(self.n_folds * n_classes)
        self.present = np.zeros(self.n_folds * n_classes, dtype=bool)
        encoder = LabelEncoder().fit(self.classes_)
        for k, fold in enumerate(folds):
            if fold.method != "sigmoid":
                raise ValueError("only sigmoid calibration can be compiled")
            coef = np.atleast_2d(fold.estimator.coef_)
            intercept = np.atleast_1d(fold.estimator.intercept_)
            if coef.shape[0] != n_classes:
                raise ValueError("binary problems are not supported")
            columns = encoder.transform(fold.estimator.classes_) + k * n_classes
            weights[:, columns] = coef.T
            self.intercept[columns] = intercept
            for col, calibrator in zip(columns, fold.calibrators, strict=True):
                self.slope[col], self.shift[col] = calibrator.a_, calibrator.b_
                self.present[col] = True
        self.weights = weights
        self.n_classes = n_classes

    def features(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        parts = [v.transform(text) for v in self.vectorizers]
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

    def predict_proba(self, text: str) -> np.ndarray:
        idx, values = self.features(text)
        scores = self.intercept.copy()
        if idx.size:
            scores += values @ self.weights[idx]
        proba = np.where(self.present, expit(-(self.slope * scores + self.shift)), 0.0)
        proba = proba.reshape(self.n_folds, self.n_classes)
        total = proba.sum(axis=1, keepdims=True)
        proba = np.divide(proba, total, out=np.full_like(proba, 1.0 / self.n_classes), where=total != 0)
        proba[(proba > 1.0) & (proba <= 1.0 + 1e-5)] = 1.0
        return proba.mean(axis=0)


class CompiledSimilarity:
    """Cosine similarity of one text against the rows of a matrix built from l2 blocks of fitted TF-IDFs."""

    def __init__(self, vectorizers, matrix):
        self.parts: list[FastTfidf] = []
        offset = 0
        for vectorizer in vectorizers:
            fast = FastTfidf(vectorizer, offset)
            self.parts.append(fast)
            offset += fast.size
        self.weight = 1 / np.sqrt(len(self.parts))
        self.columns = matrix.tocsc()

    def scores(self, text: str) -> np.ndarray:
        found = [p.transform(text) for p in self.parts]
        idx = np.concatenate([f[0] for f in found])
        if not idx.size:
            return np.zeros(self.columns.shape[0])
        values = np.concatenate([f[1] for f in found]) * self.weight
        return self.columns[:, idx] @ values


class CompiledLinear:
    """``decision_function`` of FeatureUnion(TF-IDF…) → a multiclass linear model, from arrays."""

    def __init__(self, pipeline):
        union = pipeline.named_steps["features"]
        model = pipeline.named_steps["model"]
        self.classes_ = np.asarray(model.classes_)
        self.vectorizers: list[FastTfidf] = []
        offset = 0
        for _, vectorizer in union.transformer_list:
            fast = FastTfidf(vectorizer, offset)
            self.vectorizers.append(fast)
            offset += fast.size
        self.weights = np.ascontiguousarray(model.coef_.T, dtype=np.float32)
        self.intercept = np.asarray(model.intercept_, dtype=np.float64)

    def decision_function(self, text: str) -> np.ndarray:
        parts = [v.transform(text) for v in self.vectorizers]
        idx = np.concatenate([p[0] for p in parts])
        scores = self.intercept.copy()
        if idx.size:
            scores += np.concatenate([p[1] for p in parts]) @ self.weights[idx]
        return scores
