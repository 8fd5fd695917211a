"""``legalbot faq candidates|publish|reject``: the bureau reviewer's side of the learning loop."""

from __future__ import annotations

import click
from sqlalchemy import select

from bot.cli import cli, command_services, database_errors
from bot.knowledge.faq import KnowledgeError
from bot.knowledge.publish import build_entry, publish
from bot.ledger.tables import FaqCandidate


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
        law, sep, article = citation.partition(":")
        if not sep:
            raise click.ClickException(f"--citation '{citation}' 应写成 法律名:第X条，例如 民法典:第一千零七十七条")
        parsed.append((law.strip(), article.strip()))
    with database_errors(), services.sessions.begin() as session:
        candidate = session.get(FaqCandidate, candidate_id)
        if candidate is None or candidate.status != "proposed":
            raise click.ClickException(f"没有待审核的候选 #{candidate_id}：用 `legalbot faq candidates` 查看")
        now = services.clock.now()
        try:
            raw = build_entry(
                candidate.id,
                category or candidate.category or "other",
                question or candidate.question,
                list(paraphrases),
                answer or candidate.answer,
                parsed,
                next_step,
                now.date(),
            )
            entry = publish(services.settings.knowledge_dir / "faq", raw)
        except KnowledgeError as exc:
            raise click.ClickException(f"{exc}（请按提示修改后重试）") from exc
        candidate.status, candidate.faq_id = "published", entry.id
        candidate.reviewed_by, candidate.reviewed_at = reviewer, now
    click.echo(f"已发布为 {entry.id}。请运行 `legalbot train`（或等待夜间自动重训）让机器人使用它。")


@faq.command("reject")
@click.argument("candidate_id", type=int)
@click.option("--reviewer", required=True)
def faq_reject(candidate_id: int, reviewer: str) -> None:
    """Decline a candidate."""
    services = command_services()
    with database_errors(), services.sessions.begin() as session:
        candidate = session.get(FaqCandidate, candidate_id)
        if candidate is None:
            raise click.ClickException(f"没有候选 #{candidate_id}")
        candidate.status, candidate.reviewed_by, candidate.reviewed_at = "rejected", reviewer, services.clock.now()
    click.echo(f"已退回候选 #{candidate_id}。")
