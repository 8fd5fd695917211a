"""FAQ matching with two independent signals: a classifier over FAQ entries, and n-gram similarity.

The classifier (a linear SVM over each entry's question, paraphrases and answer) says *which* entry a
question is and by what margin; the cosine similarity to that entry's closest phrasing says how close
the wording really is. The bot answers only when both, and the category model, agree. The cosine to the
closest near-miss question (``knowledge/faq_negatives.txt``: near an entry's topic, answered by none) is
the third signal: a question worded more like a known near miss than like the entry goes to a person.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from bot.classifier.runtime import FaqMatch
from bot.classifier.tokenizer import LegalTokenizer
from bot.knowledge.faq import FaqEntry

NONE = "__none__"


def _features(tokenizer: LegalTokenizer) -> list[TfidfVectorizer]:
    return [
        TfidfVectorizer(analyzer="char", ngram_range=(1, 3), preprocessor=tokenizer.normalize, sublinear_tf=True),
        TfidfVectorizer(analyzer=tokenizer.words, sublinear_tf=True),
    ]


class FaqIndex:
    """Built from the FAQ at training time; ``match`` gives the best entry with its three signals."""

    def __init__(
        self,
        tokenizer: LegalTokenizer,
        entries: list[FaqEntry],
        seed: int = 0,
        c: float = 1.0,
        negatives: list[str] | None = None,
    ):
        self.entries = entries
        self.by_id = {e.id: i for i, e in enumerate(entries)}
        texts, owners = [], []
        for i, entry in enumerate(entries):
            for phrasing in entry.phrasings:
                texts.append(phrasing)
                owners.append(i)
        self.owners_ = np.asarray(owners)
        self.vectorizers_ = _features(tokenizer)
        self.matrix_ = None
        self.negatives_ = None
        self.classifier_ = None
        if len(entries) >= 2:
            weight = 1 / math.sqrt(len(self.vectorizers_))
            self.matrix_ = hstack([v.fit_transform(texts) * weight for v in self.vectorizers_]).tocsr()
            # Near-miss questions that no entry answers form one more class: a question closer to them
            # than to any entry has no margin, so it goes to a person.
            negatives = negatives or []
            if negatives:  # … and, in the same similarity space, the near-miss signal
                self.negatives_ = hstack([v.transform(negatives) * weight for v in self.vectorizers_]).tocsr()
            ids = [entries[i].id for i in owners] + [e.id for e in entries] + [NONE] * len(negatives)
            self.classifier_ = Pipeline(
                [
                    ("features", FeatureUnion([(f"f{i}", v) for i, v in enumerate(_features(tokenizer))])),
                    ("model", LinearSVC(C=c, random_state=seed)),
                ]
            ).fit([*texts, *(e.answer for e in entries), *negatives], ids)

    def match(self, text: str) -> FaqMatch | None:
        """The entry the FAQ classifier prefers, through scikit-learn: the reference ``runtime.FaqModel`` is
        checked against (training and tests; a web process scores with the compiled arrays)."""
        if self.matrix_ is None or not text.strip():
            return None
        scores = self.classifier_.decision_function([text])[0]
        classes = self.classifier_.classes_
        first = next(i for i in np.argsort(-scores, kind="stable") if classes[i] != NONE)
        rival = max(float(scores[i]) for i in range(len(scores)) if i != first)
        owner = self.by_id[classes[first]]
        weight = 1 / math.sqrt(len(self.vectorizers_))
        query = hstack([v.transform([text]) * weight for v in self.vectorizers_]).tocsr()
        similarity = (self.matrix_ @ query.T).toarray()[:, 0][self.owners_ == owner].max()
        near_miss = (self.negatives_ @ query.T).toarray().max() if self.negatives_ is not None else 0.0
        return FaqMatch(
            self.entries[owner], float(scores[first]), float(scores[first]) - rival, float(similarity), float(near_miss)
        )
