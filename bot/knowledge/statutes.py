"""Index of the statutes in ``shared/data/laws`` so FAQ citations can be checked against real articles."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

ARTICLE_RE = re.compile(r"^(第[零〇一二三四五六七八九十百千]+条(?:之[一二三四五六七八九十]+)?)")
DATE_SUFFIX_RE = re.compile(r"\(\d{4}-\d{2}-\d{2}\)$")
CIVIL_CODE = "民法典"


@dataclass
class StatuteIndex:
    """Law name -> set of article numbers ("第一千零七十七条") and the article texts."""

    articles: dict[str, dict[str, str]] = field(default_factory=dict)

    def has_law(self, law: str) -> bool:
        return law in self.articles

    def article_text(self, law: str, article: str) -> str | None:
        return self.articles.get(law, {}).get(article)


def law_name_for(path: Path) -> str:
    """Name a statute file the way FAQ citations name it: the file stem without its date."""
    if path.parent.name == CIVIL_CODE:
        return CIVIL_CODE
    return DATE_SUFFIX_RE.sub("", path.stem)


def load_statutes(laws_dir: Path) -> StatuteIndex:
    """Read every markdown statute below ``laws_dir``; one article per paragraph starting 第X条."""
    index = StatuteIndex()
    for path in sorted(laws_dir.rglob("*.md")):
        law = law_name_for(path)
        arts = index.articles.setdefault(law, {})
        current: str | None = None
        for line in path.read_text(encoding="utf-8").splitlines():
            match = ARTICLE_RE.match(line.strip())
            if match:
                current = match.group(1)
                arts.setdefault(current, "")
                arts[current] += line.strip()[len(current) :].strip()
            elif current and line.strip() and not line.startswith("#"):
                arts[current] += "\n" + line.strip()
    return index
