"""The compiled models' arrays: TF-IDF blocks over the shared vocabulary, row-sparse and dense weight
matrices, and the two classifiers scored from them (bot.classifier.runtime combines them)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bot.classifier.analysis import NO_FEATURES, Analysis


@dataclass
class Block:
    """One fitted TF-IDF vectorizer of one model: its columns in the shared vocabulary of its kind."""

    kind: str
    columns: np.ndarray  # shared id → this vectorizer's column, -1 when it does not know the term
    idf: np.ndarray
    offset: int  # where its columns start in the model's feature space
    sublinear: bool

    def transform(self, analysis: Analysis) -> tuple[np.ndarray, np.ndarray]:
        ids = analysis.ids[self.kind]
        if not ids.size:
            return NO_FEATURES
        local = self.columns[ids]
        known = local >= 0
        if not known.any():
            return NO_FEATURES
        local, tf = local[known].astype(np.int64), analysis.counts[self.kind][known]
        if self.sublinear:
            tf = np.log(tf) + 1.0
        values = tf * self.idf[local]
        values /= np.sqrt(values @ values)
        return local + self.offset, values


def features(blocks: list[Block], analysis: Analysis) -> tuple[np.ndarray, np.ndarray]:
    """A FeatureUnion of the blocks: concatenated (indices, values)."""
    parts = [b.transform(analysis) for b in blocks]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


class SparseRows:
    """A feature × target weight matrix stored by feature row; ``dot`` sums the rows of a message's features."""

    def __init__(self, indptr: np.ndarray, targets: np.ndarray, weights: np.ndarray, size: int):
        self.indptr, self.targets, self.weights, self.size = indptr, targets, weights, size

    @classmethod
    def from_dense(cls, matrix: np.ndarray) -> SparseRows:
        """Rows are features, columns targets; exact zeros (most of a linear SVM's weights) are dropped."""
        rows, cols = np.nonzero(matrix)
        indptr = np.zeros(matrix.shape[0] + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=matrix.shape[0]), out=indptr[1:])
        targets = cols.astype(_index_type(matrix.shape[1]))
        return cls(indptr, targets, matrix[rows, cols].astype(np.float32), matrix.shape[1])

    @property
    def nbytes(self) -> int:
        return self.indptr.nbytes + self.targets.nbytes + self.weights.nbytes

    def dot(self, idx: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Σ values[k] · row[idx[k]], as a dense vector over the targets."""
        starts = self.indptr[idx]
        lengths = self.indptr[idx + 1] - starts
        total = int(lengths.sum())
        if not total:
            return np.zeros(self.size)
        first = np.cumsum(lengths) - lengths
        positions = np.arange(total) + np.repeat(starts - first, lengths)
        weighted = self.weights[positions] * np.repeat(values, lengths)
        return np.bincount(self.targets[positions], weights=weighted, minlength=self.size)


def _index_type(size: int) -> type:
    return np.uint8 if size <= 256 else np.uint16 if size <= 65536 else np.int32


class DenseRows:
    """A feature × target weight matrix with no zeros worth dropping (Naive Bayes log-probabilities)."""

    def __init__(self, matrix: np.ndarray):
        self.matrix, self.size = matrix, matrix.shape[1]

    @property
    def nbytes(self) -> int:
        return self.matrix.nbytes

    def dot(self, idx: np.ndarray, values: np.ndarray) -> np.ndarray:
        return values @ self.matrix[idx]


class CalibratedLinear:
    """CalibratedClassifierCV(linear, sigmoid): every fold's decision values side by side, then averaged."""

    def __init__(self, weights: SparseRows, intercept, slope, shift, present, n_folds: int, n_classes: int):
        self.weights, self.intercept, self.slope, self.shift = weights, intercept, slope, shift
        self.present, self.n_folds, self.n_classes = present, n_folds, n_classes

    def proba(self, idx: np.ndarray, values: np.ndarray) -> np.ndarray:
        scores = self.intercept.copy()
        if idx.size:
            scores += self.weights.dot(idx, values)
        with np.errstate(over="ignore"):  # exp overflow is a probability of 0, as scipy's expit gives
            proba = np.where(self.present, 1.0 / (1.0 + np.exp(self.slope * scores + self.shift)), 0.0)
        proba = proba.reshape(self.n_folds, self.n_classes)
        total = proba.sum(axis=1, keepdims=True)
        proba = np.divide(proba, total, out=np.full_like(proba, 1.0 / self.n_classes), where=total != 0)
        proba[(proba > 1.0) & (proba <= 1.0 + 1e-5)] = 1.0
        return proba.mean(axis=0)


class ComplementNaiveBayes:
    """ComplementNB's probabilities: softmax of the feature log-probabilities summed over the features."""

    def __init__(self, weights: DenseRows, prior: np.ndarray):
        self.weights, self.prior = weights, prior

    def proba(self, idx: np.ndarray, values: np.ndarray) -> np.ndarray:
        joint = self.prior.copy()
        if idx.size:
            joint += self.weights.dot(idx, values)
        joint = np.exp(joint - joint.max())
        return joint / joint.sum()
