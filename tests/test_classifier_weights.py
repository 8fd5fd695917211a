"""The compiled arrays' building blocks score exactly like plain dense linear algebra and scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse import csr_matrix
from sklearn.feature_extraction.text import TfidfVectorizer

from bot.classifier.analysis import Analysis
from bot.classifier.weights import FeatureSpace, HybridRows, PhrasingRows, SparseRows


def _weights(rng: np.random.Generator, rows: int, targets: int) -> np.ndarray:
    """Rows from empty to full, like a linear model's weights over rare and common terms."""
    density = rng.uniform(0.0, 1.0, size=(rows, 1))
    matrix = rng.normal(size=(rows, targets)) * (rng.uniform(size=(rows, targets)) < density)
    matrix[-1] = 0.0  # the zero row of unknown terms
    return matrix


def test_hybrid_rows_equal_the_dense_product_and_never_take_more_memory():
    rng = np.random.default_rng(7)
    matrix = _weights(rng, 400, 60)
    hybrid, sparse = HybridRows.from_dense(matrix), SparseRows.from_dense(matrix)
    assert 0 < hybrid.dense.shape[0] - 1 < 399  # some rows dense, some sparse
    assert hybrid.nbytes <= sparse.nbytes + hybrid.dense_index.nbytes + hybrid.dense.shape[1] * 4
    for k in (0, 1, 7, 50):
        idx = rng.choice(400, size=k, replace=False)
        values = rng.uniform(size=k)
        expected = values @ matrix[idx] if k else np.zeros(60)
        assert np.allclose(hybrid.dot(idx, values), expected, atol=1e-5)
        assert np.allclose(sparse.dot(idx, values), expected, atol=1e-5)


def test_phrasing_cosines_equal_the_dense_product():
    rng = np.random.default_rng(11)
    texts = _weights(rng, 30, 200)
    rows = csr_matrix(texts).sorted_indices()
    phrasings = PhrasingRows(rows.indptr.astype(np.int64), rows.indices.astype(np.int32), rows.data)
    query = np.zeros(201)  # one more column: the zero row of unknown terms, never in a text
    idx = np.sort(np.append(rng.choice(200, size=25, replace=False), [200, 200]))
    query[idx] = rng.uniform(size=idx.size)
    for start, end in ((0, 30), (5, 9), (29, 30)):
        expected = texts[start:end] @ query[:200]
        assert np.allclose(phrasings.cosines(start, end, idx, query[idx]), expected)
    assert not phrasings.cosines(3, 6, idx[:0], query[:0]).any()


@pytest.mark.parametrize("sublinear", [(True, True), (False, False), (True, False)])
def test_feature_space_equals_scikit_learns_vectorizers(sublinear):
    """Two models over two kinds of terms (here: letters and words), each block l2-normalised on its own."""
    docs = ["a b b c", "b c c c d", "a d", "e e e a", "b"]
    letters = TfidfVectorizer(analyzer=lambda d: d.replace(" ", ""), sublinear_tf=sublinear[0]).fit(docs)
    words = TfidfVectorizer(analyzer=str.split, sublinear_tf=sublinear[1]).fit(docs[:3])
    vocab = {"chars": sorted(letters.vocabulary_), "words": sorted(set(words.vocabulary_) | {"e"})}
    n_chars = len(vocab["chars"])
    n_terms = n_chars + len(vocab["words"])
    # model 0: letters then words; model 1: words only
    widths = [len(letters.vocabulary_) + len(words.vocabulary_), len(words.vocabulary_)]
    columns = np.tile(np.asarray(widths, dtype=np.int32), (n_terms, 1))
    idf = np.zeros((n_terms, 2), dtype=np.float32)
    for i, term in enumerate(vocab["chars"]):
        columns[i, 0], idf[i, 0] = letters.vocabulary_[term], letters.idf_[letters.vocabulary_[term]]
    for j, term in enumerate(vocab["words"]):
        if term in words.vocabulary_:
            col = words.vocabulary_[term]
            columns[n_chars + j] = (len(letters.vocabulary_) + col, col)
            idf[n_chars + j] = words.idf_[col]
    space = FeatureSpace(columns, idf, np.array([[sublinear[0]] * 2, [sublinear[1]] * 2]), n_chars)

    for doc in ["a a b e", "e", "c d d d", "zzz"]:
        counts: dict[int, int] = {}
        for ch in doc.replace(" ", ""):
            if ch in vocab["chars"]:
                counts[vocab["chars"].index(ch)] = counts.get(vocab["chars"].index(ch), 0) + 1
        n = len(counts)
        for word in doc.split():
            if word in vocab["words"]:
                key = n_chars + vocab["words"].index(word)
                counts[key] = counts.get(key, 0) + 1
        analysis = Analysis(np.array(list(counts), dtype=np.int64), np.array(list(counts.values()), float), n)
        features = space.transform(analysis)
        expected = [
            np.hstack([letters.transform([doc]).toarray()[0], words.transform([doc]).toarray()[0], [0.0]]),
            np.append(words.transform([doc]).toarray()[0], 0.0),
        ]
        for m in (0, 1):
            got = np.zeros(widths[m] + 1)
            np.add.at(got, features.columns[m], features.values[m])
            assert np.allclose(got, expected[m], atol=1e-6), (doc, m)
