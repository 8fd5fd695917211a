"""Compiling the fitted scikit-learn pipelines into the arrays of ``bot.classifier.runtime`` (training time).

A fitted TF-IDF + linear (+ sigmoid calibration) pipeline is a handful of arrays: vocabulary, idf, weights
per feature, calibration slopes. The vocabularies of all vectorizers of one analyzer kind are merged, so
a message is analysed once for every model. Only the vectorizer settings we can reproduce exactly are
accepted; anything else fails here, at training, rather than scoring differently in production.
"""

from __future__ import annotations

import numpy as np
from sklearn.preprocessing import LabelEncoder

from bot.classifier.analysis import CHARS, PACKED_MAX_N, WORDS, TextAnalyzer, char_key
from bot.classifier.faq_index import NONE, FaqIndex
from bot.classifier.runtime import CATEGORY, CategoryModel, FaqModel, Runtime
from bot.classifier.tokenizer import LegalTokenizer
from bot.classifier.weights import (
    Calibration,
    ComplementNaiveBayes,
    DenseRows,
    FeatureSpace,
    HybridRows,
    PhrasingRows,
    SparseRows,
    index_type,
)


def _kind(vectorizer) -> tuple[str, LegalTokenizer, int]:
    """Which shared analysis a vectorizer reads: (kind, its tokenizer, the longest character n-gram)."""
    if vectorizer.norm != "l2" or not vectorizer.use_idf or vectorizer.binary:
        raise ValueError("only l2-normalised, idf-weighted counts can be compiled")
    analyzer, preprocessor = vectorizer.analyzer, vectorizer.preprocessor
    if callable(analyzer) and getattr(analyzer, "__func__", None) is LegalTokenizer.words:
        return WORDS, analyzer.__self__, 0
    if analyzer == "char" and getattr(preprocessor, "__func__", None) is LegalTokenizer.normalize:
        return CHARS, preprocessor.__self__, vectorizer.ngram_range[1]
    raise ValueError(f"cannot compile a vectorizer with analyzer={analyzer!r}: use tokenizer.words or char n-grams")


class _Vocabularies:
    """Collects every vectorizer first, then lays out the merged vocabulary of each kind for every model."""

    def __init__(self, vectorizers: list):
        self.kinds = [_kind(v) for v in vectorizers]
        self.tokenizer = self.kinds[0][1]
        if any(t.__getstate__() != self.tokenizer.__getstate__() for _, t, _ in self.kinds):
            raise ValueError("the vectorizers use differently configured tokenizers; one analysis cannot serve all")
        self.max_n = max(n for _, _, n in self.kinds)
        terms: dict[str, set[str]] = {CHARS: set(), WORDS: set()}
        for vectorizer, (kind, _, _) in zip(vectorizers, self.kinds, strict=True):
            terms[kind].update(vectorizer.vocabulary_)
        # Character n-grams are numbered in the order of their packed keys (the runtime's sorted array).
        self.terms = {
            WORDS: sorted(terms[WORDS]),
            CHARS: sorted(terms[CHARS], key=char_key if self.max_n <= PACKED_MAX_N else None),
        }
        self.ids = {kind: {t: i for i, t in enumerate(found)} for kind, found in self.terms.items()}

    def space(self, models: list[list]) -> tuple[FeatureSpace, list[int]]:
        """The feature space of these models (each a FeatureUnion's vectorizers, in order) and their widths.

        Joint ids: the character n-grams', then the words' (``TextAnalyzer`` numbers them the same way)."""
        widths = [sum(len(v.vocabulary_) for v in vectorizers) for vectorizers in models]
        first = {CHARS: 0, WORDS: len(self.ids[CHARS])}
        n_terms = first[WORDS] + len(self.ids[WORDS])
        columns = np.tile(np.asarray(widths, dtype=np.int32), (n_terms, 1))  # unknown: the model's zero row
        idf = np.zeros((n_terms, len(models)), dtype=np.float32)
        sublinear = np.zeros((2, len(models)), dtype=bool)
        for m, vectorizers in enumerate(models):
            offset, seen = 0, set()
            for vectorizer in vectorizers:
                kind = _kind(vectorizer)[0]
                if kind in seen:
                    raise ValueError("a model with two vectorizers of one kind cannot be compiled")
                seen.add(kind)
                ids = self.ids[kind]
                rows = first[kind] + np.array([ids[term] for term in vectorizer.vocabulary_], dtype=np.int64)
                local = np.fromiter(vectorizer.vocabulary_.values(), dtype=np.int64, count=len(rows))
                columns[rows, m] = offset + local
                idf[rows, m] = vectorizer.idf_[local]
                sublinear[0 if kind == CHARS else 1, m] = bool(vectorizer.sublinear_tf)
                offset += len(vectorizer.vocabulary_)
        return FeatureSpace(columns, idf, sublinear, first[WORDS]), widths


def _union(pipeline) -> list:
    return [v for _, v in pipeline.named_steps["features"].transformer_list]


def compile_category(pipeline, width: int) -> CategoryModel:
    """The category pipeline: a calibrated linear SVM, or one combined with a ComplementNB."""
    model = pipeline.named_steps["model"]
    classes = np.asarray(model.classes_)
    if hasattr(model, "calibrated_classifiers_"):
        weights, calibration = _calibrated(model, classes, width)
        return CategoryModel(classes, DenseRows.with_zero_row(weights), calibration)
    if hasattr(model, "svm_") and hasattr(model, "nb_"):  # bot.classifier.model.SvmNbEnsemble
        weights, calibration = _calibrated(model.svm_, classes, width)
        log_prob, nb = _complement_nb(model.nb_, classes)
        return CategoryModel(
            classes,
            DenseRows.with_zero_row(np.hstack([weights, log_prob])),
            calibration,
            nb,
            nb_weight=model.nb_weight,
            gate=model.gate_index_,
        )
    raise ValueError(f"cannot compile a {type(model).__name__}: teach bot/classifier/compiled.py its scores")


def _calibrated(calibrated, classes: np.ndarray, width: int) -> tuple[np.ndarray, Calibration]:
    """CalibratedClassifierCV(linear, sigmoid): every fold's decision functions side by side."""
    if list(calibrated.classes_) != list(classes):
        raise ValueError("the calibrated model's classes differ from the pipeline's")
    n_classes, folds = len(classes), calibrated.calibrated_classifiers_
    weights = np.zeros((width, len(folds) * n_classes), dtype=np.float32)
    intercept, slope, shift = (np.zeros(len(folds) * n_classes) for _ in range(3))
    present = np.zeros(len(folds) * n_classes, dtype=bool)
    encoder = LabelEncoder().fit(classes)
    for k, fold in enumerate(folds):
        if fold.method != "sigmoid":
            raise ValueError("only sigmoid calibration can be compiled")
        coef = np.atleast_2d(fold.estimator.coef_)
        if coef.shape[0] != n_classes:
            raise ValueError("binary problems are not supported")
        columns = encoder.transform(fold.estimator.classes_) + k * n_classes
        weights[:, columns] = coef.T
        intercept[columns] = np.atleast_1d(fold.estimator.intercept_)
        for col, calibrator in zip(columns, fold.calibrators, strict=True):
            slope[col], shift[col], present[col] = calibrator.a_, calibrator.b_, True
    return weights, Calibration(intercept, slope, shift, present, len(folds), n_classes)


def _complement_nb(nb, classes: np.ndarray) -> tuple[np.ndarray, ComplementNaiveBayes]:
    """ComplementNB: its joint log-likelihood is the features times ``feature_log_prob_``.

    Stored as float32 (half the memory); probabilities move by less than 1e-6, which the equivalence
    test with the scikit-learn pipeline allows.
    """
    if type(nb).__name__ != "ComplementNB" or list(nb.classes_) != list(classes):
        raise ValueError("only a ComplementNB over the pipeline's classes can be compiled")
    prior = np.asarray(nb.class_log_prior_, dtype=np.float64) if len(classes) == 1 else np.zeros(len(classes))
    return np.asarray(nb.feature_log_prob_.T, dtype=np.float32), ComplementNaiveBayes(prior)


def compile_faq(index: FaqIndex) -> FaqModel:
    """The FAQ classifier's decision function, the phrasings by text and the near-miss questions by feature."""
    entries = index.entries
    if index.classifier_ is None:
        return FaqModel(entries, np.zeros(0, np.int32), -1, None, np.zeros(0), None, np.zeros((0, 2), int), None, 1.0)
    model = index.classifier_.named_steps["model"]
    classes = list(model.classes_)
    class_owner = np.array([index.by_id.get(c, -1) for c in classes], dtype=np.int32)
    none_class = classes.index(NONE) if NONE in classes else -1
    coef = np.asarray(model.coef_).T
    weights = HybridRows.from_dense(np.vstack([coef, np.zeros((1, coef.shape[1]))]))
    matrix = index.matrix_.tocsr().sorted_indices()
    phrasings = PhrasingRows(
        matrix.indptr.astype(np.int64), matrix.indices.astype(np.int32), np.asarray(matrix.data, np.float32)
    )
    negatives = _by_feature(index.negatives_) if index.negatives_ is not None else None
    owners = index.owners_
    owner_rows = np.array(
        [(np.searchsorted(owners, i, "left"), np.searchsorted(owners, i, "right")) for i in range(len(entries))]
    )
    intercept = np.asarray(model.intercept_, dtype=np.float64)
    sim_weight = 1 / np.sqrt(len(index.vectorizers_))
    return FaqModel(entries, class_owner, none_class, weights, intercept, phrasings, owner_rows, negatives, sim_weight)


def _by_feature(matrix) -> SparseRows:
    """A texts × features TF-IDF matrix as rows by feature (plus the empty row of unknown terms), whose
    ``dot`` gives a query's cosine to each text."""
    matrix = matrix.tocsc()
    n_rows = matrix.shape[0]
    indptr = np.append(matrix.indptr, matrix.indptr[-1]).astype(np.int64)
    targets = matrix.indices.astype(index_type(n_rows))
    return SparseRows(indptr, targets, np.asarray(matrix.data, np.float32), n_rows)


def compile_runtime(pipeline, faq_index: FaqIndex) -> Runtime:
    """Everything a web process needs, without scikit-learn. The models' order is the runtime's
    CATEGORY, FAQ, SIMILARITY."""
    models = [_union(pipeline)]
    if faq_index.classifier_ is not None:
        models += [_union(faq_index.classifier_), list(faq_index.vectorizers_)]
    vocabularies = _Vocabularies([v for vectorizers in models for v in vectorizers])
    space, widths = vocabularies.space(models)
    analyzer = TextAnalyzer(
        vocabularies.tokenizer, vocabularies.max_n, vocabularies.ids[WORDS], vocabularies.terms[CHARS]
    )
    return Runtime(analyzer, space, compile_category(pipeline, widths[CATEGORY]), compile_faq(faq_index))
