"""FAQ entries: loading and validating the human-edited YAML files in ``knowledge/faq``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.categories import CATEGORIES

MAX_ANSWER_CHARS = 300
MIN_PARAPHRASES = 3


class KnowledgeError(ValueError):
    """A knowledge file is malformed; the message names the file and the entry."""


@dataclass(frozen=True)
class Citation:
    law: str
    article: str

    def render(self) -> str:
        """《民法典》第一千零七十七条 — the form villagers and advisers read."""
        law = self.law.replace("《", "〈").replace("》", "〉")
        return f"《{law}》{self.article}"


@dataclass(frozen=True)
class FaqEntry:
    id: str
    category: str
    question: str
    paraphrases: tuple[str, ...]
    answer: str
    citations: tuple[Citation, ...]
    next_step: str
    reviewed: dt.date
    general: bool = True

    @property
    def phrasings(self) -> tuple[str, ...]:
        """The question and its paraphrases: what retrieval matches against."""
        return (self.question, *self.paraphrases)


def _require(entry: dict, key: str, where: str) -> object:
    if key not in entry or entry[key] in (None, "", []):
        raise KnowledgeError(f"{where}: missing field '{key}'")
    return entry[key]


def parse_entry(raw: dict, where: str) -> FaqEntry:
    """Validate one YAML mapping and build the entry; errors say which field is wrong."""
    if not isinstance(raw, dict):
        raise KnowledgeError(f"{where}: each entry must be a mapping")
    entry_id = str(_require(raw, "id", where))
    where = f"{where} ({entry_id})"
    category = str(_require(raw, "category", where))
    if category not in CATEGORIES:
        raise KnowledgeError(f"{where}: unknown category '{category}'")
    paraphrases = tuple(str(p).strip() for p in _require(raw, "paraphrases", where))
    if len(paraphrases) < MIN_PARAPHRASES:
        raise KnowledgeError(f"{where}: needs at least {MIN_PARAPHRASES} paraphrases")
    answer = str(_require(raw, "answer", where)).strip()
    if len(answer) > MAX_ANSWER_CHARS:
        raise KnowledgeError(f"{where}: answer has {len(answer)} characters, the limit is {MAX_ANSWER_CHARS}")
    citations = []
    for cit in _require(raw, "citations", where):
        if not isinstance(cit, dict) or not cit.get("law") or not cit.get("article"):
            raise KnowledgeError(f"{where}: each citation needs 'law' and 'article'")
        citations.append(Citation(law=str(cit["law"]).strip(), article=str(cit["article"]).strip()))
    reviewed = _require(raw, "reviewed", where)
    if isinstance(reviewed, str):
        try:
            reviewed = dt.date.fromisoformat(reviewed)
        except ValueError as exc:
            raise KnowledgeError(f"{where}: 'reviewed' must be a date like 2026-11-21") from exc
    return FaqEntry(
        id=entry_id,
        category=category,
        question=str(_require(raw, "question", where)).strip(),
        paraphrases=paraphrases,
        answer=answer,
        citations=tuple(citations),
        next_step=str(_require(raw, "next_step", where)).strip(),
        reviewed=reviewed,
        general=bool(raw.get("general", True)),
    )


def load_faq_file(path: Path) -> list[FaqEntry]:
    """Load one YAML file holding a list of entries."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise KnowledgeError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, list):
        raise KnowledgeError(f"{path}: the file must be a YAML list of entries")
    return [parse_entry(raw, f"{path.name} entry {i + 1}") for i, raw in enumerate(data)]


def load_faq(faq_dir: Path) -> list[FaqEntry]:
    """Load every ``*.yaml`` in the FAQ folder; ids must be unique across files."""
    entries: list[FaqEntry] = []
    seen: set[str] = set()
    for path in sorted(faq_dir.glob("*.yaml")):
        for entry in load_faq_file(path):
            if entry.id in seen:
                raise KnowledgeError(f"{path.name}: duplicate FAQ id '{entry.id}'")
            seen.add(entry.id)
            entries.append(entry)
    return entries
