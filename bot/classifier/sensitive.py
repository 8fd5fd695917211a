"""Sensitive matters (group petitions, threats of violence, self-harm) found before any classification.

Designed for recall: a regex lexicon kept in ``knowledge/sensitive.yaml``, with exclusions for harmless
idioms (笑死, 累死 …). A match inside an exclusion does not count.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml

_STRIP = re.compile(r"[\s\W_]+", re.UNICODE)


@dataclass(frozen=True)
class SensitiveKind:
    code: str
    label: str
    patterns: tuple[re.Pattern[str], ...]
    reply: str


@dataclass(frozen=True)
class SensitiveHit:
    kind: str
    label: str
    reply: str
    matched: str


class SensitiveDetector:
    def __init__(self, kinds: list[SensitiveKind], exclusions: list[re.Pattern[str]]):
        self.kinds = kinds
        self.exclusions = exclusions

    @classmethod
    def from_yaml(cls, path: Path) -> SensitiveDetector:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        kinds = [
            SensitiveKind(
                code=code,
                label=str(spec.get("label", code)),
                patterns=tuple(re.compile(p) for p in spec.get("patterns", [])),
                reply=str(spec.get("reply", "")).strip(),
            )
            for code, spec in (data.get("kinds") or {}).items()
        ]
        exclusions = [re.compile(p) for p in data.get("exclusions", [])]
        return cls(kinds, exclusions)

    @staticmethod
    def prepare(text: str) -> str:
        return _STRIP.sub("", unicodedata.normalize("NFKC", text).lower())

    def detect(self, text: str) -> SensitiveHit | None:
        """The first kind whose pattern matches outside every exclusion, or None."""
        plain = self.prepare(text)
        if not plain:
            return None
        excluded = None  # the exclusions' spans, found only once a pattern matches (rarely)
        for kind in self.kinds:
            for pattern in kind.patterns:
                for match in pattern.finditer(plain):
                    if excluded is None:
                        excluded = [m.span() for ex in self.exclusions for m in ex.finditer(plain)]
                    start, end = match.span()
                    if not any(a <= start and end <= b for a, b in excluded):
                        return SensitiveHit(kind.code, kind.label, kind.reply, match.group(0))
        return None
