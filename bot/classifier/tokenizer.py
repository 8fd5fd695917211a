"""Text normalisation and word segmentation with a private jieba Tokenizer (never the global one)."""

from __future__ import annotations

import itertools
import logging
import re
import sys
import threading
import unicodedata
import warnings
from pathlib import Path


def _import_jieba():
    """jieba 0.42 imports the deprecated pkg_resources only to open its own data files, and opens them by
    path when that import fails. pkg_resources scans every installed distribution on import, ~10 MB in
    each web worker, so it is hidden while jieba is imported (unless something imported it already)."""
    hidden = "pkg_resources" not in sys.modules
    if hidden:
        sys.modules["pkg_resources"] = None  # makes `import pkg_resources` raise ImportError
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # in case pkg_resources was already there: not ours to fix
            import jieba
    finally:
        if hidden:
            del sys.modules["pkg_resources"]
    return jieba


jieba = _import_jieba()

# jieba prints "Building prefix dict…" at INFO through its own logger; keep our logs clean.
jieba.setLogLevel(logging.WARNING)

_SPACE_PUNCT = re.compile(r"[\s\u3000]+")


def load_typos(path: Path) -> dict[str, str]:
    """Read ``typo<TAB>correct`` lines (first line is a header)."""
    pairs: dict[str, str] = {}
    if not path.exists():
        return pairs
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        if n == 0 or not line.strip() or line.startswith("#"):
            continue
        typo, _, correct = line.partition("\t")
        if typo.strip() and correct.strip():
            pairs[typo.strip()] = correct.strip()
    return pairs


class LegalTokenizer:
    """Normalises villagers' text (width, case, known homophones) and segments it with jieba.

    A jieba ``Tokenizer`` holds a lock and does not pickle, so only the dictionary paths and the typo
    table are saved with the model; the tokenizer is rebuilt once after loading.
    """

    def __init__(self, userdict: Path | None, typos: dict[str, str]):
        self.userdict = str(userdict) if userdict else None
        self.typos = dict(typos)
        self._setup()

    def _setup(self) -> None:
        self._jieba: jieba.Tokenizer | None = None
        self._lock = threading.Lock()
        keys = sorted(self.typos, key=len, reverse=True)
        self._typo_re = re.compile("|".join(map(re.escape, keys))) if keys else None

    def __getstate__(self) -> dict:
        return {"userdict": self.userdict, "typos": self.typos}

    def __setstate__(self, state: dict) -> None:
        self.userdict = state["userdict"]
        self.typos = state["typos"]
        self._setup()

    @property
    def jieba(self) -> jieba.Tokenizer:
        if self._jieba is None:
            with self._lock:
                if self._jieba is None:
                    tok = jieba.Tokenizer()
                    tok.initialize()
                    if self.userdict and Path(self.userdict).exists():
                        with open(self.userdict, "rb") as fh:  # a path would leave jieba's file unclosed
                            tok.load_userdict(fh)
                    self._jieba = tok
        return self._jieba

    def warm_up(self) -> None:
        """Build the prefix dictionary now rather than on the first villager's message."""
        self.jieba.lcut("宅基地")

    def normalize(self, text: str) -> str:
        text = unicodedata.normalize("NFKC", text).lower()
        text = _SPACE_PUNCT.sub(" ", text).strip()
        if self._typo_re is not None:
            text = self._typo_re.sub(lambda m: self.typos[m.group(0)], text)
        return text

    def words(self, text: str) -> list[str]:
        """Word unigrams and bigrams of the normalised text (the classifier's word features)."""
        return self.words_of_normalized(self.normalize(text))

    def words_of_normalized(self, normalized: str) -> list[str]:
        """``words`` for text already normalised (the runtime normalises a message once for every model)."""
        tokens = [t for t in self.jieba.lcut(normalized) if t.isalnum() or (t.strip() and not _is_punct(t))]
        return tokens + [f"{a} {b}" for a, b in itertools.pairwise(tokens)]


def _is_punct(token: str) -> bool:
    return all(unicodedata.category(ch).startswith(("P", "S")) for ch in token)
