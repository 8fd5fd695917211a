"""The knowledge base: enough entries per category, well-formed, every citation real."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from bot.categories import CATEGORIES
from bot.config import PROJECT_ROOT
from bot.knowledge.check import find_citation_problems
from bot.knowledge.examples import load_examples, load_jsonl
from bot.knowledge.faq import KnowledgeError, load_faq, parse_entry
from bot.knowledge.statutes import load_statutes

KNOWLEDGE = PROJECT_ROOT / "knowledge"
MINIMUM_FAQ = {
    "land": 25,
    "marriage_family": 25,
    "labor": 25,
    "debt_contract": 12,
    "traffic": 12,
    "tort_neighbor": 12,
    "social_security": 12,
    "criminal": 6,
    "administrative": 6,
    "other": 6,
}
REPEALED = ("婚姻法", "合同法", "继承法", "民法通则", "物权法", "侵权责任法", "担保法")


@pytest.fixture(scope="module")
def faq():
    return load_faq(KNOWLEDGE / "faq")


def test_faq_counts_per_category(faq):
    counts = Counter(e.category for e in faq)
    assert len(faq) >= 150
    for category, minimum in MINIMUM_FAQ.items():
        assert counts[category] >= minimum, category


def test_faq_entries_are_complete(faq):
    for entry in faq:
        assert len(entry.paraphrases) >= 3 and len(entry.answer) <= 300 and entry.citations and entry.next_step
        assert entry.id.startswith(entry.category + "-")


def test_no_repealed_law_is_cited(faq):
    for entry in faq:
        for citation in entry.citations:
            assert citation.law not in REPEALED, entry.id


def test_every_citation_exists_in_the_statutes(faq, shared_dir):
    index = load_statutes(shared_dir / "data" / "laws")
    assert find_citation_problems(faq, index) == []


def test_citation_checker_catches_wrong_articles(faq, shared_dir):
    from bot.knowledge.faq import Citation

    index = load_statutes(shared_dir / "data" / "laws")
    bad = [
        e.__class__(**{**e.__dict__, "citations": (Citation("民法典", "第九千条"), Citation("婚姻法", "第一条"))})
        for e in faq[:1]
    ]
    assert len(find_citation_problems(bad, index)) == 2


@pytest.mark.parametrize(
    ("topic", "pattern"),
    [
        ("marriage age", r"22.*20|二十二.*二十"),
        ("cooling-off", r"30天|三十日|30日"),
        ("custody under two", r"两周岁|2周岁|两岁|2岁"),
        ("child over eight", r"八周岁|8周岁|8岁|八岁"),
        ("succession order", r"第一顺序"),
        ("betrothal gifts", r"彩礼"),
        ("elderly parents", r"赡养"),
        ("contract term", r"30年|三十年"),
        ("one household one homestead", r"一户.{0,3}一处|一户一宅"),
        ("requisition compensation", r"安置补助费"),
        ("written transfer contract", r"书面"),
        ("unpaid wages", r"12333"),
        ("one-year arbitration", r"一年|1年"),
        ("double wages", r"二倍|双倍|两倍"),
        ("probation", r"试用期"),
        ("work injury deadline", r"30日|30天|一年|1年"),
        ("three-year limitation", r"3年|三年"),
        ("interest cap", r"四倍|4倍"),
        ("no IOU evidence", r"转账|聊天记录"),
        ("compulsory insurance", r"交强险"),
        ("dog bites", r"狗|犬"),
        ("legal aid hotline", r"12348"),
        ("pension 15 years", r"15年|十五年"),
    ],
)
def test_common_questions_are_covered(faq, topic, pattern):
    assert any(re.search(pattern, e.answer) for e in faq), topic


def test_schema_errors_name_the_entry():
    with pytest.raises(KnowledgeError, match=r"x-1.*paraphrases"):
        parse_entry(
            {
                "id": "x-1",
                "category": "land",
                "question": "q",
                "paraphrases": ["a"],
                "answer": "b",
                "citations": [{"law": "民法典", "article": "第一条"}],
                "next_step": "c",
                "reviewed": "2026-11-21",
            },
            "land.yaml entry 1",
        )


def test_training_examples_are_plentiful_and_varied():
    pairs = load_examples(KNOWLEDGE / "examples")
    counts = Counter(label for _, label in pairs)
    assert len(pairs) >= 2000
    for category in CATEGORIES:
        if category != "other":
            assert counts[category] >= 150, category
    texts = [t for t, _ in pairs]
    assert len(set(texts)) > 0.98 * len(texts)
    assert any("俺" in t for t in texts) and any("咋整" in t for t in texts) and any("工姿" in t for t in texts)


def test_heldout_is_disjoint_from_training():
    training = {t for t, _ in load_examples(KNOWLEDGE / "examples")}
    for entry in load_faq(KNOWLEDGE / "faq"):
        training.update(entry.phrasings)
    heldout = [r["text"] for r in load_jsonl(KNOWLEDGE / "eval" / "heldout.jsonl") if r["category"] != "smalltalk"]
    overlap = [t for t in heldout if t in training]
    assert len(overlap) <= 0.02 * len(heldout), overlap[:5]
