"""FAQ retrieval: cosine similarity of character and word n-grams against every phrasing of every entry."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer

from bot.classifier.compiled import CompiledSimilarity
from bot.classifier.tokenizer import LegalTokenizer
from bot.knowledge.faq import FaqEntry


@dataclass(frozen=True)
class FaqMatch:
    entry: FaqEntry
    score: float


class FaqIndex:
    """Built from the FAQ at training time; ``top`` returns the closest entries and their similarity.

    Each phrasing is a character 1–3-gram vector and a jieba word vector, each l2-normalised and
    weighted 1/√2, so the similarity is the mean of the two cosines: characters survive typos,
    words carry meaning across paraphrases.
    """

    def __init__(self, tokenizer: LegalTokenizer, entries: list[FaqEntry]):
        self.entries = entries
        texts: list[str] = []
        owners: list[int] = []
        for i, entry in enumerate(entries):
            for phrasing in entry.phrasings:
                texts.append(phrasing)
                owners.append(i)
        self.owners_ = np.asarray(owners)
        self.vectorizers_ = [
            TfidfVectorizer(analyzer="char", ngram_range=(1, 3), preprocessor=tokenizer.normalize, sublinear_tf=True),
            TfidfVectorizer(analyzer=tokenizer.words, sublinear_tf=True),
        ]
        self.matrix_ = None
        if texts:
            weight = 1 / math.sqrt(len(self.vectorizers_))
            blocks = [v.fit_transform(texts) * weight for v in self.vectorizers_]
            self.matrix_ = hstack(blocks).tocsr()
        self._similarity: CompiledSimilarity | None = None

    def compile(self) -> None:
        """Prepare the fast per-message scorer (after training or loading)."""
        if self.matrix_ is not None:
            self._similarity = CompiledSimilarity(self.vectorizers_, self.matrix_)

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_similarity"] = None
        return state

    def top(self, text: str, k: int = 3) -> list[FaqMatch]:
        """The ``k`` best entries (best phrasing per entry), most similar first."""
        if self.matrix_ is None or not text.strip():
            return []
        if self._similarity is None:
            self.compile()
        scores = self._similarity.scores(text)
        if not scores.any():
            return []
        best: dict[int, float] = {}
        for row in np.argsort(-scores)[: k * 8]:
            owner = int(self.owners_[row])
            if owner not in best:
                best[owner] = float(scores[row])
            if len(best) == k:
                break
        return [FaqMatch(self.entries[i], s) for i, s in best.items()]
