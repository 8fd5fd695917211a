"""Publishing a reviewed FAQ candidate into ``knowledge/faq/published.yaml`` (the learning loop).

An adviser proposes an answer ("可作为常见问题"); a bureau reviewer edits it into a proper entry (plain
answer, citations, paraphrases, next step) and publishes it. The entry is validated exactly like the
hand-written ones, and the model is retrained from the knowledge base (``legalbot train``, or the
worker's nightly retraining when the knowledge base changed).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml

from bot.knowledge.faq import FaqEntry, KnowledgeError, load_faq, parse_entry

PUBLISHED = "published.yaml"


def build_entry(
    candidate_id: int,
    category: str,
    question: str,
    paraphrases: list[str],
    answer: str,
    citations: list[tuple[str, str]],
    next_step: str,
    reviewed: dt.date,
) -> dict:
    """The YAML mapping of a published entry (validated by ``parse_entry`` before it is written)."""
    raw = {
        "id": f"{category}-p{candidate_id:03d}",
        "category": category,
        "question": question.strip(),
        "paraphrases": [p.strip() for p in paraphrases if p.strip()],
        "answer": answer.strip(),
        "citations": [{"law": law, "article": article} for law, article in citations],
        "next_step": next_step.strip(),
        "reviewed": reviewed.isoformat(),
    }
    parse_entry(raw, f"candidate {candidate_id}")
    return raw


def publish(faq_dir: Path, raw: dict) -> FaqEntry:
    """Append (or replace) the entry in published.yaml; the whole FAQ must still load afterwards."""
    path = faq_dir / PUBLISHED
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else []
    entries = [e for e in (entries or []) if e.get("id") != raw["id"]] + [raw]
    text = "# Entries published from advisers' answers after review (legalbot faq publish).\n"
    text += yaml.safe_dump(entries, allow_unicode=True, sort_keys=False)
    backup = path.read_text(encoding="utf-8") if path.exists() else None
    path.write_text(text, encoding="utf-8")
    try:
        load_faq(faq_dir)
    except KnowledgeError:
        if backup is None:
            path.unlink()
        else:
            path.write_text(backup, encoding="utf-8")
        raise
    return parse_entry(raw, path.name)
