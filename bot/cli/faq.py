"""``legalbot faq candidates|publish|reject``: the bureau reviewer's side of the learning loop."""

from __future__ import annotations

import click
from sqlalchemy import select

from bot.cli import cli, command_services, database_errors
from bot.knowledge.publish import (
    RETRAIN_HINT,
    CandidateError,
    Review,
    ReviewError,
    default_statutes,
    publish_candidate,
    reject_candidate,
    waiting_candidate,
)
from bot.ledger.tables import FaqCandidate

FIELD_LABELS = {
    "category": "类别",
    "question": "标准问题",
    "paraphrases": "其他问法（--paraphrase）",
    "answer": "答复",
    "citations": "法律依据（--citation）",
    "next_step": "下一步",
    "knowledge": "知识库",
}


def field_label(key: str) -> str:
    """The Chinese name of a review field (``citation_2`` → 第2条 --citation)."""
    if key.startswith("citation_"):
        return f"第{key.removeprefix('citation_')}条 --citation"
    return FIELD_LABELS.get(key, key)


@cli.group()
def faq() -> None:
    """FAQ candidates proposed by advisers."""


@faq.command("candidates")
@click.option("--status", default="proposed", show_default=True)
def faq_candidates(status: str) -> None:
    """List candidates waiting for review."""
    services = command_services()
    with database_errors(), services.sessions() as session:
        rows = session.scalars(select(FaqCandidate).where(FaqCandidate.status == status).order_by(FaqCandidate.id))
        for c in rows:
            click.echo(f"#{c.id} [{c.category}] 咨询#{c.consultation_id}\n  问：{c.question}\n  答：{c.answer}\n")


@faq.command("publish")
@click.argument("candidate_id", type=int)
@click.option("--question", help="The standard question (default: the villager's question).")
@click.option("--answer", help="The plain answer, at most 300 characters (default: the adviser's answer).")
@click.option("--paraphrase", "paraphrases", multiple=True, required=True, help="At least three.")
@click.option("--citation", "citations", multiple=True, required=True, help="LAW:ARTICLE, e.g. 民法典:第一千零七十七条")
@click.option("--next-step", required=True)
@click.option("--category", help="Override the category.")
@click.option("--reviewer", required=True, help="Who reviewed it (recorded).")
def faq_publish(candidate_id, question, answer, paraphrases, citations, next_step, category, reviewer) -> None:
    """Edit and publish a candidate into knowledge/faq/published.yaml (then run `legalbot train`)."""
    services = command_services()
    parsed = []
    for citation in citations:
        law, sep, article = citation.replace("：", ":").partition(":")
        if not sep:
            raise click.ClickException(f"--citation '{citation}' 应写成 法律名:第X条，例如 民法典:第一千零七十七条")
        parsed.append((law.strip(), article.strip()))
    with database_errors(), services.sessions.begin() as session:
        try:
            candidate = waiting_candidate(session, candidate_id)
            review = Review(
                category=category or candidate.category or "other",
                question=question or candidate.question,
                paraphrases=tuple(paraphrases),
                answer=answer or candidate.answer,
                citations=tuple(parsed),
                next_step=next_step,
            )
            entry = publish_candidate(
                candidate,
                review,
                reviewer=reviewer,
                now=services.clock.now(),
                faq_dir=services.settings.knowledge_dir / "faq",
                statutes=default_statutes(services.settings),
            )
        except CandidateError as exc:
            raise click.ClickException(f"{exc}：用 `legalbot faq candidates` 查看待审核的候选") from exc
        except ReviewError as exc:
            lines = "\n".join(f"  {field_label(key)}：{text}" for key, text in exc.problems.items())
            raise click.ClickException(f"没有发布，请按提示修改后重试：\n{lines}") from exc
    click.echo(f"已发布为 {entry.id}。{RETRAIN_HINT}")


@faq.command("reject")
@click.argument("candidate_id", type=int)
@click.option("--reviewer", required=True)
def faq_reject(candidate_id: int, reviewer: str) -> None:
    """Decline a candidate that waits for review."""
    services = command_services()
    with database_errors(), services.sessions.begin() as session:
        try:
            candidate = waiting_candidate(session, candidate_id)
            reject_candidate(candidate, reviewer=reviewer, now=services.clock.now())
        except CandidateError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"已退回候选 #{candidate_id}。")
