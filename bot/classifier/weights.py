"""The compiled models' arrays: every model's TF-IDF vector of a message computed at once from the shared
analysis, and the weight matrices the models score from (bot.classifier.runtime combines them).

Numpy costs about a microsecond per call whatever the size of a message's few dozen terms, so the layout
is chosen to make few calls: one table per kind of term gives all models' columns and idf in one lookup,
and each weight matrix is a dense gather and one product wherever that costs no extra memory.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from bot.classifier.analysis import Analysis


@dataclass
class Features:
    """One message's TF-IDF vector for every model: model m's is (``columns[m]``, ``values[m]``)."""

    columns: np.ndarray  # (models, terms)
    values: np.ndarray


_TINY = 1e-300  # the norm of a block with no known term: its values are all 0 and stay 0


class FeatureSpace:
    """Every model's FeatureUnion of TF-IDF blocks, one block of each kind of term at most per model.

    Row: a joint-vocabulary id (``analysis.Analysis``). Column m: model m's feature column for the term
    (its block's offset applied; the model's zero row, its width, when the model does not know the term)
    and the block's idf (0 then). Each block is l2-normalised on its own, as each vectorizer is.
    """

    def __init__(self, columns: np.ndarray, idf: np.ndarray, sublinear: np.ndarray, n_chars: int):
        self.columns = columns  # (terms, models) int32
        self.idf = idf  # (terms, models) float32
        self.sublinear = sublinear  # (kinds: characters, words; models) bool: TfidfVectorizer(sublinear_tf=…)
        self.n_chars = n_chars  # the character n-grams' ids come first
        self.n_models = columns.shape[1]
        self._all_sublinear, self._none_sublinear = bool(sublinear.all()), not sublinear.any()
        self._empty = Features(np.zeros((self.n_models, 0), dtype=np.int32), np.zeros((self.n_models, 0)))

    @property
    def nbytes(self) -> int:
        return self.columns.nbytes + self.idf.nbytes

    def transform(self, analysis: Analysis) -> Features:
        ids, counts, n = analysis.ids, analysis.counts, analysis.n_chars
        if not ids.size:
            return self._empty
        values = self.idf.take(ids, axis=0) * self._tf(counts, n)
        squares = values * values
        values[:n] /= np.maximum(np.sqrt(squares[:n].sum(axis=0)), _TINY)
        values[n:] /= np.maximum(np.sqrt(squares[n:].sum(axis=0)), _TINY)
        return Features(self.columns.take(ids, axis=0).T, values.T)

    def _tf(self, counts: np.ndarray, n_chars: int) -> np.ndarray:
        """Term frequencies as each block weighs them: 1 + log(count) when sublinear, else the count."""
        if self._all_sublinear:
            return (np.log(counts) + 1.0)[:, None]
        if self._none_sublinear:
            return counts[:, None]
        kind = (np.arange(counts.size) >= n_chars).astype(np.intp)
        return np.where(self.sublinear[kind], (np.log(counts) + 1.0)[:, None], counts[:, None])


class DenseRows:
    """A feature × target weight matrix, dense; its last row is the zero row of unknown terms."""

    def __init__(self, matrix: np.ndarray):
        self.matrix, self.size = matrix, matrix.shape[1]

    @classmethod
    def with_zero_row(cls, matrix: np.ndarray) -> DenseRows:
        return cls(np.vstack([matrix, np.zeros((1, matrix.shape[1]))]).astype(np.float32))

    @property
    def nbytes(self) -> int:
        return self.matrix.nbytes

    def dot(self, idx: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Σ values[k] · row[idx[k]]."""
        return values @ self.matrix.take(idx, axis=0)


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
        targets = cols.astype(index_type(matrix.shape[1]))
        return cls(indptr, targets, matrix[rows, cols].astype(np.float32), matrix.shape[1])

    @property
    def nbytes(self) -> int:
        return self.indptr.nbytes + self.targets.nbytes + self.weights.nbytes

    def dot(self, idx: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Σ values[k] · row[idx[k]], as a dense vector over the targets."""
        starts = self.indptr.take(idx)
        lengths = self.indptr.take(idx + 1) - starts
        total = int(lengths.sum())
        if not total:
            return np.zeros(self.size)
        positions = np.arange(total) + np.repeat(starts + lengths - np.cumsum(lengths), lengths)
        weighted = self.weights.take(positions) * np.repeat(values, lengths)
        return np.bincount(self.targets.take(positions), weights=weighted, minlength=self.size)


def index_type(size: int) -> type:
    return np.uint8 if size <= 256 else np.uint16 if size <= 65536 else np.int32


class HybridRows:
    """A feature × target weight matrix whose full rows are dense and the rest row-sparse.

    Frequent terms (common characters, particles) carry weights for most targets and occur in almost every
    message. A row is stored dense when that takes no more bytes than its non-zeros do sparse, so the
    memory never grows, and most of a message's work becomes one gather and one product.
    """

    def __init__(self, dense_index: np.ndarray, dense: np.ndarray, sparse: SparseRows):
        self.dense_index, self.dense, self.sparse = dense_index, dense, sparse
        self.size = sparse.size

    @classmethod
    def from_dense(cls, matrix: np.ndarray) -> HybridRows:
        """Rows are features (the last one the zero row of unknown terms), columns targets."""
        n_rows, n_targets = matrix.shape
        nonzero = np.count_nonzero(matrix, axis=1)
        sparse_bytes_per_value = 4 + np.dtype(index_type(n_targets)).itemsize
        full = nonzero * sparse_bytes_per_value >= 4 * n_targets
        dense_index = np.full(n_rows, int(full.sum()), dtype=np.int32)  # the rest read the dense zero row
        dense_index[full] = np.arange(int(full.sum()), dtype=np.int32)
        dense = np.vstack([matrix[full], np.zeros((1, n_targets))]).astype(np.float32)
        rest = matrix.copy()
        rest[full] = 0.0
        return cls(dense_index, dense, SparseRows.from_dense(rest))

    @property
    def nbytes(self) -> int:
        return self.dense_index.nbytes + self.dense.nbytes + self.sparse.nbytes

    def dot(self, idx: np.ndarray, values: np.ndarray) -> np.ndarray:
        return values @ self.dense.take(self.dense_index.take(idx), axis=0) + self.sparse.dot(idx, values)


class PhrasingRows:
    """TF-IDF vectors of texts (the FAQ's phrasings), row-sparse by text with sorted columns: the cosines
    of a query to a few consecutive texts (one entry's phrasings) without touching the others."""

    def __init__(self, indptr: np.ndarray, columns: np.ndarray, values: np.ndarray):
        self.indptr, self.columns, self.values = indptr, columns, values
        self.row_of = np.repeat(np.arange(len(indptr) - 1, dtype=np.int32), np.diff(indptr))

    @property
    def nbytes(self) -> int:
        return self.indptr.nbytes + self.columns.nbytes + self.values.nbytes + self.row_of.nbytes

    def cosines(self, start: int, end: int, idx: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Dot products of the query (``idx`` sorted ascending) with texts ``start``…``end - 1``."""
        lo, hi = self.indptr[start], self.indptr[end]
        if not idx.size or lo == hi:
            return np.zeros(end - start)
        columns = self.columns[lo:hi]
        at = np.minimum(np.searchsorted(idx, columns), idx.size - 1)
        hit = idx.take(at) == columns
        weighted = self.values[lo:hi][hit] * values.take(at[hit])
        return np.bincount(self.row_of[lo:hi][hit] - start, weights=weighted, minlength=end - start)


class Calibration:
    """CalibratedClassifierCV(linear, sigmoid): each fold's sigmoid over its decision values, then the mean
    of the folds' normalised distributions."""

    def __init__(self, intercept, slope, shift, present, n_folds: int, n_classes: int):
        self.slope = slope
        self.bias = slope * intercept + shift  # sigmoid(slope · (decision + intercept) + shift)
        self.present = present.astype(np.float64)  # 0 for a class a fold never saw
        self.n_folds, self.n_classes = n_folds, n_classes
        self.width = n_folds * n_classes

    def proba(self, decision: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):  # exp overflow is a probability of 0, as scipy's expit gives
            proba = self.present / (1.0 + np.exp(self.slope * decision + self.bias))
        proba = proba.reshape(self.n_folds, self.n_classes)
        total = proba.sum(axis=1, keepdims=True)
        if (total == 0).any():  # scikit-learn's uniform distribution for a fold with nothing left
            proba[total[:, 0] == 0] = 1.0
            total[total == 0] = self.n_classes
        return np.minimum(proba / total, 1.0).sum(axis=0) / self.n_folds


class ComplementNaiveBayes:
    """ComplementNB's probabilities: softmax of the prior plus the features' summed log-probabilities."""

    def __init__(self, prior: np.ndarray):
        self.prior = prior.tolist()

    def proba(self, joint: np.ndarray) -> list[float]:
        joint = [j + p for j, p in zip(joint.tolist(), self.prior, strict=True)]
        top = max(joint)
        exps = [math.exp(j - top) for j in joint]
        total = sum(exps)
        return [e / total for e in exps]
