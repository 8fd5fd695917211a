"""Training examples: ``knowledge/examples/<label>.txt``, one question per line."""

from __future__ import annotations

import json
from pathlib import Path

from bot.categories import CATEGORIES, SMALLTALK
from bot.knowledge.faq import KnowledgeError

LABELS = (*CATEGORIES, SMALLTALK)


def load_examples(examples_dir: Path) -> list[tuple[str, str]]:
    """All (text, label) pairs; file names are labels, blank lines and ``#`` comments are skipped."""
    pairs: list[tuple[str, str]] = []
    for path in sorted(examples_dir.glob("*.txt")):
        label = path.stem
        if label not in LABELS:
            raise KnowledgeError(f"{path.name}: '{label}' is not a category code or '{SMALLTALK}'")
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                pairs.append((line, label))
    return pairs


def load_jsonl(path: Path) -> list[dict]:
    """Read a JSON-lines file; a bad line is reported with its number."""
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise KnowledgeError(f"{path.name} line {n}: not valid JSON ({exc.msg})") from exc
    return rows
