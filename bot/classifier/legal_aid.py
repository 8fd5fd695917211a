"""Spotting the special groups who get priority for legal aid (elderly, disabled, minors, migrant workers, …)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.classifier.sensitive import SensitiveDetector


@dataclass(frozen=True)
class AidGroup:
    code: str
    label: str
    patterns: tuple[re.Pattern[str], ...]


class LegalAidDetector:
    def __init__(self, groups: list[AidGroup]):
        self.groups = groups

    @classmethod
    def from_yaml(cls, path: Path) -> LegalAidDetector:
        if not path.exists():
            return cls([])
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return cls(
            [
                AidGroup(code, str(spec.get("label", code)), tuple(re.compile(p) for p in spec.get("patterns", [])))
                for code, spec in (data.get("groups") or {}).items()
            ]
        )

    def detect(self, text: str) -> AidGroup | None:
        """The first special group the text shows, or None."""
        plain = SensitiveDetector.prepare(text)
        for group in self.groups:
            if any(p.search(plain) for p in group.patterns):
                return group
        return None

    def label(self, code: str | None) -> str:
        return next((g.label for g in self.groups if g.code == code), code or "")
