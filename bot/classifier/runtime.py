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

import re
from dataclasses import dataclass

import numpy as np

from bot.classifier.tokenizer import LegalTokenizer
from bot.knowledge.faq import FaqEntry

CHARS, WORDS = "chars", "words"
_WHITE_SPACES = re.compile(r"\s\s+")  # what scikit-learn's char analyzer collapses before slicing
_NO_FEATURES = (np.zeros(0, dtype=np.int64), np.zeros(0))


@dataclass
class Analysis:
    """One message's terms, as shared-vocabulary ids with their counts, per kind of term."""

    ids: dict[str, np.ndarray]
    counts: dict[str, np.ndarray]


PACKED_MAX_N = 3  # three code points (21 bits each, +1 so that no n-gram packs like a shorter one) fit an int64


def char_key(term: str) -> int:
    """A character n-gram (n ≤ 3) packed into one integer: the key of the sorted character vocabulary."""
    key = 0
    for ch in term:
        key = (key << 21) | (ord(ch) + 1)
    return key


def _counted(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    unique, counts = np.unique(ids, return_counts=True)
    return unique, counts.astype(np.float64)


class TextAnalyzer:
    """Normalise once, then character n-grams and jieba words (the vectorizers' own analyzers, reimplemented).

    Character n-grams never become strings: the text's code points are packed into integer keys and
    looked up in a sorted array (a fraction of the memory of a dict of short strings, and vectorised).
    """

    def __init__(self, tokenizer: LegalTokenizer, max_n: int, words: dict[str, int], chars: list[str]):
        self.tokenizer = tokenizer
        self.max_n = max_n
        self.words = words
        self.char_keys = self.char_vocab = None
        if max_n <= PACKED_MAX_N:
            self.char_keys = np.array([char_key(t) for t in chars], dtype=np.int64)
            if np.any(np.diff(self.char_keys) <= 0):
                raise ValueError("the character vocabulary must be given in the order of its packed keys")
        else:  # longer n-grams do not pack into 64 bits: a dict of strings
            self.char_vocab = {t: i for i, t in enumerate(chars)}

    def char_ngrams(self, normalized: str) -> list[str]:
        """Exactly ``TfidfVectorizer(analyzer="char", ngram_range=(1, max_n))`` after the preprocessor."""
        text = _WHITE_SPACES.sub(" ", normalized)
        grams = list(text)
        for n in range(2, min(self.max_n, len(text)) + 1):
            grams.extend(text[i : i + n] for i in range(len(text) - n + 1))
        return grams

    def char_ngram_keys(self, normalized: str) -> np.ndarray:
        """``char_key`` of every n-gram of ``char_ngrams``, computed on the code points at once."""
        text = _WHITE_SPACES.sub(" ", normalized)
        points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4").astype(np.int64) + 1
        parts = [points]
        for n in range(2, min(self.max_n, len(points)) + 1):
            width = len(points) - n + 1
            key = points[:width].copy()
            for k in range(1, n):
                key = (key << 21) | points[k : k + width]
            parts.append(key)
        return np.concatenate(parts)

    def _chars(self, normalized: str) -> tuple[np.ndarray, np.ndarray]:
        if self.char_keys is None:
            return self._lookup(self.char_vocab, self.char_ngrams(normalized))
        keys = self.char_ngram_keys(normalized)
        if not keys.size or not self.char_keys.size:
            return _NO_FEATURES[0], np.zeros(0)
        found = np.searchsorted(self.char_keys, keys)
        found[found == self.char_keys.size] = 0
        return _counted(found[self.char_keys[found] == keys])

    @staticmethod
    def _lookup(vocab: dict[str, int], terms: list[str]) -> tuple[np.ndarray, np.ndarray]:
        known: dict[int, int] = {}
        for term in terms:
            j = vocab.get(term)
            if j is not None:
                known[j] = known.get(j, 0) + 1
        ids = np.fromiter(known.keys(), dtype=np.int64, count=len(known))
        return ids, np.fromiter(known.values(), dtype=np.float64, count=len(known))

    def analyze(self, text: str) -> Analysis:
        normalized = self.tokenizer.normalize(text)
        chars = self._chars(normalized)
        words = self._lookup(self.words, self.tokenizer.words_of_normalized(normalized))
        return Analysis({CHARS: chars[0], WORDS: words[0]}, {CHARS: chars[1], WORDS: words[1]})


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
            return _NO_FEATURES
        local = self.columns[ids]
        known = local >= 0
        if not known.any():
            return _NO_FEATURES
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
