"""Publishing a reviewed FAQ candidate into ``knowledge/faq/published.yaml`` (the learning loop).

An adviser proposes an answer ("可作为常见问题"); a bureau reviewer edits it into a proper entry (plain
answer, citations, paraphrases, next step) and publishes it, from ``legalbot faq publish`` or the bureau
dashboard: both go through ``publish_candidate``. The edit is checked field by field (citations against
the statutes in ``../shared/data/laws`` when they are present, as ``bot.knowledge.check`` does), the entry
is validated exactly like the hand-written ones, and the bot uses it once the model is retrained
(``legalbot train``; a web process that finds the knowledge base changed also retrains when it starts).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import functools
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path

import yaml
from sqlalchemy.orm import Session

from bot.categories import CATEGORIES
from bot.clock import local
from bot.knowledge.faq import MAX_ANSWER_CHARS, MIN_PARAPHRASES, FaqEntry, KnowledgeError, load_faq, parse_entry
from bot.knowledge.statutes import ARTICLE_RE, StatuteIndex, load_statutes
from bot.ledger.tables import FaqCandidate
from bot.privacy import mask_personal

PUBLISHED = "published.yaml"
# Replaced by the 民法典 on 2021-01-01: an answer must never cite them.
REPEALED = ("婚姻法", "合同法", "继承法", "民法通则", "物权法", "侵权责任法", "担保法", "收养法", "民法总则")
RETRAIN_HINT = (
    "新答复要在模型重新训练后才会用于回答村民：请管理员运行 legalbot train，再重启服务；"
    "直接重启也可以，服务启动时发现知识库有变化会自动重新训练（启动要多等约一分钟）。"
)
_LOOSE_ARTICLE = re.compile(r"^第?(\d{1,4}|[零〇一二三四五六七八九十百千]+)条?(之[一二三四五六七八九十]+)?$")
_DIGITS = "零一二三四五六七八九"
MASKED = "****"  # what bot.privacy leaves of a number: the form starts from masked text
PERSONAL = "公开的常见问题里不能有电话、身份证号（包括已隐去的 ****），请改成一般情况的说法"


class ReviewError(ValueError):
    """The reviewer's edit cannot be published; ``problems`` maps each field to what to change (Chinese)."""

    def __init__(self, problems: dict[str, str]):
        super().__init__("；".join(problems.values()))
        self.problems = problems


class CandidateError(LookupError):
    """The candidate does not exist or was already reviewed; the message says so in Chinese."""


@dataclass(frozen=True)
class Review:
    """What the reviewer publishes: the candidate's question and answer, edited, with the rest filled in."""

    category: str
    question: str
    paraphrases: tuple[str, ...]
    answer: str
    citations: tuple[tuple[str, str], ...]  # (law, article); a blank row is ("", "")
    next_step: str


def chinese_number(n: int) -> str:
    """1077 → 一千零七十七, 14 → 十四: article numbers as the statutes write them (1–9999)."""
    if n < 10:
        return _DIGITS[n]
    if n < 20:
        return "十" + (_DIGITS[n % 10] if n % 10 else "")
    parts: list[str] = []
    gap = False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = n // value % 10
        if digit:
            parts.append(("零" if gap and parts else "") + _DIGITS[digit] + unit)
            gap = False
        elif parts:
            gap = True
    return "".join(parts)


def normalize_citation(law: str, article: str) -> tuple[str, str]:
    """《中华人民共和国土地管理法》 → 土地管理法; 第14条 / 14 / 十四条 → 第十四条 (other forms are left as typed)."""
    law = re.sub(r"\s+", "", law)
    if law.startswith("《") and law.endswith("》"):
        law = law[1:-1]
    law = law.removeprefix("中华人民共和国")
    article = re.sub(r"\s+", "", article)
    loose = _LOOSE_ARTICLE.match(article)
    if loose and loose.group(1).lstrip("0"):
        number = chinese_number(int(loose.group(1))) if loose.group(1).isdigit() else loose.group(1)
        article = f"第{number}条{loose.group(2) or ''}"
    return law, article


def clean_review(review: Review) -> Review:
    """Trimmed fields; paraphrases without blanks, repeats or the question itself; citations normalised."""
    question = review.question.strip()
    paraphrases: list[str] = []
    for text in (p.strip() for p in review.paraphrases):
        if text and text != question and text not in paraphrases:
            paraphrases.append(text)
    return replace(
        review,
        category=review.category.strip(),
        question=question,
        paraphrases=tuple(paraphrases),
        answer=review.answer.strip(),
        citations=tuple(normalize_citation(law, article) for law, article in review.citations),
        next_step=review.next_step.strip(),
    )


def _citation_problem(law: str, article: str, statutes: StatuteIndex | None) -> str | None:
    if not law:
        return "请写法律名称，例如“民法典”“土地管理法”"
    if law in REPEALED:
        return f"《{law}》已于2021年1月1日废止，请改引《民法典》的相应条文"
    if not article:
        return "请写条号，例如“第十四条”"
    if not ARTICLE_RE.fullmatch(article):
        return f"条号“{article}”看不懂，请写成“第十四条”或“14”"
    if statutes is not None and not statutes.has_law(law):
        return f"条文库里没有《{law}》，请核对法律名称（不写“中华人民共和国”，如“土地管理法”）"
    if statutes is not None and statutes.article_text(law, article) is None:
        return f"《{law}》没有{article}，请核对条号"
    return None


def _personal(text: str) -> bool:
    """A villager's phone or ID number, or what masking left of one."""
    return MASKED in text or mask_personal(text) != text


def check_review(review: Review, statutes: StatuteIndex | None) -> dict[str, str]:
    """Every field that cannot be published as it is, with what to change; empty when all is well."""
    problems: dict[str, str] = {}
    if review.category not in CATEGORIES:
        problems["category"] = "请选择类别"
    if not review.question:
        problems["question"] = "请填写标准问题（村民一般会怎么问）"
    elif _personal(review.question):
        problems["question"] = PERSONAL
    if any(_personal(p) for p in review.paraphrases):
        problems["paraphrases"] = PERSONAL
    elif len(review.paraphrases) < MIN_PARAPHRASES:
        problems["paraphrases"] = (
            f"至少要写{MIN_PARAPHRASES}种不同问法（不要与标准问题相同），现在有{len(review.paraphrases)}种"
        )
    if not review.answer:
        problems["answer"] = "请填写答复"
    elif len(review.answer) > MAX_ANSWER_CHARS:
        problems["answer"] = f"答复有{len(review.answer)}个字，最多{MAX_ANSWER_CHARS}字，请精简"
    elif MASKED in review.answer:
        problems["answer"] = PERSONAL
    for number, (law, article) in enumerate(review.citations, start=1):
        if law or article:
            problem = _citation_problem(law, article, statutes)
            if problem:
                problems[f"citation_{number}"] = problem
    if not any(law or article for law, article in review.citations):
        problems["citations"] = "至少要写一条法律依据（法律名称和条号）"
    if not review.next_step:
        problems["next_step"] = "请写下一步怎么办，例如去哪里、带什么材料"
    return problems


@functools.cache
def _statutes_in(laws_dir: Path) -> StatuteIndex | None:
    return load_statutes(laws_dir) if laws_dir.is_dir() else None


def default_statutes(settings) -> StatuteIndex | None:
    """The statute index of ``LEGALBOT_STATUTES_DIR`` (read once per process), or None when none is set."""
    return _statutes_in(settings.statutes_dir) if settings.statutes_dir is not None else None


def waiting_candidate(session: Session, candidate_id: int) -> FaqCandidate:
    """The candidate, locked for the review (PostgreSQL); CandidateError unless it still waits."""
    candidate = session.get(FaqCandidate, candidate_id, with_for_update=True)
    if candidate is None:
        raise CandidateError(f"没有编号为 {candidate_id} 的常见问题候选")
    if candidate.status != "proposed":
        done = "已发布" if candidate.status == "published" else "已退回"
        raise CandidateError(f"候选 #{candidate_id} {done}（{candidate.reviewed_by or '—'}），不能再审核")
    return candidate


def publish_candidate(
    candidate: FaqCandidate,
    review: Review,
    *,
    reviewer: str,
    now: dt.datetime,
    faq_dir: Path,
    statutes: StatuteIndex | None,
) -> FaqEntry:
    """Check the edit, write the entry to published.yaml and mark the candidate published (caller commits).

    The file is written before the transaction commits; should the commit fail, publishing again replaces
    the same entry (its id is derived from the candidate), so nothing is doubled."""
    if candidate.status != "proposed":
        raise CandidateError(f"候选 #{candidate.id} 已经审核过，不能再发布")
    review = clean_review(review)
    problems = check_review(review, statutes)
    if problems:
        raise ReviewError(problems)
    try:
        raw = build_entry(
            candidate.id,
            review.category,
            review.question,
            list(review.paraphrases),
            review.answer,
            [c for c in review.citations if any(c)],
            review.next_step,
            local(now).date(),
        )
        entry = publish(faq_dir, raw)
    except KnowledgeError as exc:
        raise ReviewError({"knowledge": f"知识库校验没有通过，没有发布：{exc}"}) from exc
    candidate.status, candidate.faq_id = "published", entry.id
    candidate.reviewed_by, candidate.reviewed_at = reviewer[:64], now
    return entry


def reject_candidate(candidate: FaqCandidate, *, reviewer: str, now: dt.datetime) -> None:
    """Decline a waiting candidate (nothing is written to the knowledge base; caller commits)."""
    if candidate.status != "proposed":
        raise CandidateError(f"候选 #{candidate.id} 已经审核过，不能再退回")
    candidate.status, candidate.reviewed_by, candidate.reviewed_at = "rejected", reviewer[:64], now


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
    # Reviewers may publish from several web workers and the CLI at once: one writer at a time.
    lock = os.open(faq_dir, os.O_RDONLY)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        backup = path.read_text(encoding="utf-8") if path.exists() else None
        entries = yaml.safe_load(backup) if backup is not None else []
        entries = [e for e in (entries or []) if e.get("id") != raw["id"]] + [raw]
        text = "# Entries published from advisers' answers after review (legalbot faq publish).\n"
        text += yaml.safe_dump(entries, allow_unicode=True, sort_keys=False)
        _write(path, text)
        try:
            load_faq(faq_dir)
        except KnowledgeError:
            if backup is None:
                path.unlink()
            else:
                _write(path, backup)
            raise
    finally:
        os.close(lock)  # releases the flock
    return parse_entry(raw, path.name)


def _write(path: Path, text: str) -> None:
    """Replace the file at once, so training never reads half of it."""
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
