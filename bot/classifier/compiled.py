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
from bot.classifier.runtime import CategoryModel, FaqModel, Runtime
from bot.classifier.tokenizer import LegalTokenizer
from bot.classifier.weights import Block, CalibratedLinear, ComplementNaiveBayes, DenseRows, SparseRows


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
    """Collects every vectorizer first, then gives each its columns in the merged vocabulary of its kind."""

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

    def blocks(self, vectorizers: list) -> tuple[list[Block], int]:
        """One Block per vectorizer of a FeatureUnion (in order), and the union's width."""
        blocks, offset = [], 0
        for vectorizer in vectorizers:
            kind = _kind(vectorizer)[0]
            ids = self.ids[kind]
            columns = np.full(len(ids), -1, dtype=np.int32)
            for term, column in vectorizer.vocabulary_.items():
                columns[ids[term]] = column
            idf = np.asarray(vectorizer.idf_, dtype=np.float64)
            blocks.append(Block(kind, columns, idf, offset, bool(vectorizer.sublinear_tf)))
            offset += len(vectorizer.vocabulary_)
        return blocks, offset


def _union(pipeline) -> list:
    return [v for _, v in pipeline.named_steps["features"].transformer_list]


def compile_category(pipeline, vocabularies: _Vocabularies) -> CategoryModel:
    """The category pipeline: a calibrated linear SVM, or one combined with a ComplementNB."""
    blocks, width = vocabularies.blocks(_union(pipeline))
    model = pipeline.named_steps["model"]
    classes = np.asarray(model.classes_)
    if hasattr(model, "calibrated_classifiers_"):
        return CategoryModel(classes, blocks, [_calibrated(model, classes, width)])
    if hasattr(model, "svm_") and hasattr(model, "nb_"):  # bot.classifier.model.SvmNbEnsemble
        members = [_calibrated(model.svm_, classes, width), _complement_nb(model.nb_, classes)]
        return CategoryModel(classes, blocks, members, nb_weight=model.nb_weight, gate=model.gate_index_)
    raise ValueError(f"cannot compile a {type(model).__name__}: teach bot/classifier/compiled.py its scores")


def _calibrated(calibrated, classes: np.ndarray, width: int) -> CalibratedLinear:
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
    return CalibratedLinear(SparseRows.from_dense(weights), intercept, slope, shift, present, len(folds), n_classes)


def _complement_nb(nb, classes: np.ndarray) -> ComplementNaiveBayes:
    """ComplementNB: its joint log-likelihood is the features times ``feature_log_prob_``.

    Stored as float32 (half the memory); probabilities move by less than 1e-6, which the equivalence
    test with the scikit-learn pipeline allows.
    """
    if type(nb).__name__ != "ComplementNB" or list(nb.classes_) != list(classes):
        raise ValueError("only a ComplementNB over the pipeline's classes can be compiled")
    prior = np.asarray(nb.class_log_prior_, dtype=np.float64) if len(classes) == 1 else np.zeros(len(classes))
    return ComplementNaiveBayes(DenseRows(np.ascontiguousarray(nb.feature_log_prob_.T, dtype=np.float32)), prior)


def compile_faq(index: FaqIndex, vocabularies: _Vocabularies) -> FaqModel:
    """The FAQ classifier's decision function and the phrasing matrix, row-sparse by feature."""
    entries = index.entries
    if index.classifier_ is None:
        return FaqModel(entries, np.zeros(0, np.int32), -1, [], None, np.zeros(0), [], None, np.zeros((0, 2), int))
    blocks, _ = vocabularies.blocks(_union(index.classifier_))
    model = index.classifier_.named_steps["model"]
    classes = list(model.classes_)
    class_owner = np.array([index.by_id.get(c, -1) for c in classes], dtype=np.int32)
    none_class = classes.index(NONE) if NONE in classes else -1
    weights = SparseRows.from_dense(np.ascontiguousarray(np.asarray(model.coef_).T))
    sim_blocks, _ = vocabularies.blocks(index.vectorizers_)
    sim_rows = _by_feature(index.matrix_)
    neg_rows = _by_feature(index.negatives_) if index.negatives_ is not None else None
    owners = index.owners_
    owner_rows = np.array(
        [(np.searchsorted(owners, i, "left"), np.searchsorted(owners, i, "right")) for i in range(len(entries))]
    )
    intercept = np.asarray(model.intercept_, dtype=np.float64)
    return FaqModel(
        entries, class_owner, none_class, blocks, weights, intercept, sim_blocks, sim_rows, owner_rows, neg_rows
    )


def _by_feature(matrix) -> SparseRows:
    """A texts × features TF-IDF matrix as rows by feature, whose ``dot`` gives a query's cosine to each text."""
    matrix = matrix.tocsc()
    n_rows = matrix.shape[0]
    targets = matrix.indices.astype(np.uint16 if n_rows <= 65536 else np.int32)
    return SparseRows(matrix.indptr.astype(np.int64), targets, np.asarray(matrix.data, np.float64), n_rows)


def compile_runtime(pipeline, faq_index: FaqIndex) -> Runtime:
    """Everything a web process needs, without scikit-learn."""
    vectorizers = _union(pipeline)
    if faq_index.classifier_ is not None:
        vectorizers += _union(faq_index.classifier_) + list(faq_index.vectorizers_)
    vocabularies = _Vocabularies(vectorizers)
    analyzer = TextAnalyzer(
        vocabularies.tokenizer, vocabularies.max_n, vocabularies.ids[WORDS], vocabularies.terms[CHARS]
    )
    return Runtime(analyzer, compile_category(pipeline, vocabularies), compile_faq(faq_index, vocabularies))
