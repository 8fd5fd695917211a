"""FAQ matching with two independent signals: a classifier over FAQ entries, and n-gram similarity.

The classifier (a linear SVM over each entry's question, paraphrases and answer) says *which* entry a
question is and by what margin; the cosine similarity to that entry's closest phrasing says how close
the wording really is. The bot answers only when both, and the category model, agree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from bot.classifier.compiled import CompiledLinear, CompiledSimilarity
from bot.classifier.tokenizer import LegalTokenizer
from bot.knowledge.faq import FaqEntry

NONE = "__none__"


@dataclass(frozen=True)
class FaqMatch:
    entry: FaqEntry
    score: float  # the FAQ classifier's decision value for this entry
    margin: float  # its lead over the runner-up entry
    similarity: float  # cosine to the entry's closest phrasing


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
        self.classifier_ = None
        if len(entries) >= 2:
            weight = 1 / math.sqrt(len(self.vectorizers_))
            self.matrix_ = hstack([v.fit_transform(texts) * weight for v in self.vectorizers_]).tocsr()
            # Near-miss questions that no entry answers form one more class: a question closer to them
            # than to any entry has no margin, so it goes to a person.
            negatives = negatives or []
            ids = [entries[i].id for i in owners] + [e.id for e in entries] + [NONE] * len(negatives)
            self.classifier_ = Pipeline(
                [
                    ("features", FeatureUnion([(f"f{i}", v) for i, v in enumerate(_features(tokenizer))])),
                    ("model", LinearSVC(C=c, random_state=seed)),
                ]
            ).fit([*texts, *(e.answer for e in entries), *negatives], ids)
        self._similarity: CompiledSimilarity | None = None
        self._linear: CompiledLinear | None = None

    def compile(self) -> None:
        """Prepare the fast per-message scorers (after training or loading)."""
        if self.matrix_ is not None:
            self._similarity = CompiledSimilarity(self.vectorizers_, self.matrix_)
            self._linear = CompiledLinear(self.classifier_)

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_similarity"] = state["_linear"] = None
        return state

    def match(self, text: str) -> FaqMatch | None:
        """The entry the FAQ classifier prefers, with its score, margin and wording similarity."""
        if self.matrix_ is None or not text.strip():
            return None
        if self._linear is None:
            self.compile()
        scores = self._linear.decision_function(text)
        order = [i for i in np.argsort(-scores) if self._linear.classes_[i] != NONE]
        first = order[0]
        rival = max(float(scores[i]) for i in range(len(scores)) if i != first)
        entry_id = self._linear.classes_[first]
        owner = self.by_id[entry_id]
        similarity = self._similarity.scores(text)[self.owners_ == owner].max()
        return FaqMatch(self.entries[owner], float(scores[first]), float(scores[first]) - rival, float(similarity))
