"""One message's analysis, shared by every model: normalised once, then character 1–3-grams and jieba
words with their bigrams, as ids in one joint vocabulary with counts (bot.classifier.runtime uses it)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from bot.classifier.tokenizer import LegalTokenizer

CHARS, WORDS = "chars", "words"
_WHITE_SPACES = re.compile(r"\s\s+")  # what scikit-learn's char analyzer collapses before slicing
NO_FEATURES = (np.zeros(0, dtype=np.int64), np.zeros(0))


@dataclass
class Analysis:
    """One message's distinct terms as joint-vocabulary ids with their counts: the character n-grams
    first (``n_chars`` of them), then the words (their ids follow the whole character vocabulary)."""

    ids: np.ndarray
    counts: np.ndarray
    n_chars: int


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
        """``words`` and ``chars`` are numbered from 0 each; a word's joint id is its number + len(chars)."""
        self.tokenizer = tokenizer
        self.max_n = max_n
        self.words = {term: i + len(chars) for term, i in words.items()}
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
            return NO_FEATURES[0], np.zeros(0)
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
        char_ids, char_counts = self._chars(normalized)
        word_ids, word_counts = self._lookup(self.words, self.tokenizer.words_of_normalized(normalized))
        ids, counts = np.concatenate((char_ids, word_ids)), np.concatenate((char_counts, word_counts))
        return Analysis(ids, counts, char_ids.size)
