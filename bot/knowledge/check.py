"""``python -m bot.knowledge.check [FAQ_DIR] [LAWS_DIR]``: validate FAQ files and their citations."""

from __future__ import annotations

import sys
from pathlib import Path

from bot.knowledge.faq import KnowledgeError, load_faq
from bot.knowledge.statutes import load_statutes


def find_citation_problems(entries, index) -> list[str]:
    """Every citation whose law or article is not in the statute index."""
    problems = []
    for entry in entries:
        for cit in entry.citations:
            if not index.has_law(cit.law):
                problems.append(f"{entry.id}: law '{cit.law}' is not among the statutes")
            elif index.article_text(cit.law, cit.article) is None:
                problems.append(f"{entry.id}: {cit.render()} does not exist")
    return problems


def main(argv: list[str]) -> int:
    faq_dir = Path(argv[0]) if argv else Path("knowledge/faq")
    laws_dir = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parents[3] / "shared/data/laws"
    try:
        entries = load_faq(faq_dir)
    except KnowledgeError as exc:
        print(f"错误: {exc}")
        return 1
    problems = find_citation_problems(entries, load_statutes(laws_dir)) if laws_dir.is_dir() else []
    for problem in problems:
        print(problem)
    counts: dict[str, int] = {}
    for entry in entries:
        counts[entry.category] = counts.get(entry.category, 0) + 1
    print(f"{len(entries)} entries, {len(problems)} citation problems; per category: {counts}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
