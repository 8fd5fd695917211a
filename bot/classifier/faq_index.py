"""FAQ retrieval: cosine similarity of character and word n-grams against every phrasing of every entry."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from bot.classifier.compiled import CompiledSimilarity
from bot.classifier.tokenizer import LegalTokenizer
from bot.knowledge.faq import FaqEntry


@dataclass(frozen=True)
class FaqMatch:
    entry: FaqEntry
    score: float


class FaqIndex:
    """Built from the FAQ at training time; ``best`` returns the closest entry and its similarity."""

    def __init__(self, tokenizer: LegalTokenizer, entries: list[FaqEntry]):
        self.entries = entries
        texts: list[str] = []
        owners: list[int] = []
        for i, entry in enumerate(entries):
            for phrasing in entry.phrasings:
                texts.append(phrasing)
                owners.append(i)
        self.owners_ = np.asarray(owners)
        self.vectorizer_ = TfidfVectorizer(
            analyzer="char", ngram_range=(1, 3), preprocessor=tokenizer.normalize, sublinear_tf=True
        )
        self.matrix_ = self.vectorizer_.fit_transform(texts).tocsr() if texts else None

    def compile(self) -> None:
        """Prepare the fast per-message scorer (after training or loading)."""
        self._similarity = CompiledSimilarity(self.vectorizer_, self.matrix_) if self.matrix_ is not None else None

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.pop("_similarity", None)
        return state

    def top(self, text: str, k: int = 3) -> list[FaqMatch]:
        """The ``k`` best entries (best phrasing per entry), most similar first."""
        if self.matrix_ is None or not text.strip():
            return []
        if getattr(self, "_similarity", None) is None:
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
