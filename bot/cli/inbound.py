"""``legalbot inbound unfinished|retry``: the messages the webhook could not process, for an operator."""

from __future__ import annotations

import json

import click
from sqlalchemy import select

from bot.cli import cli, command_services, database_errors, fail
from bot.clock import fmt_local
from bot.ledger.tables import InboundMessage
from bot.privacy import mask_personal


@cli.group()
def inbound() -> None:
    """Stored inbound messages."""


@inbound.command("unfinished")
@click.option("--limit", default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def inbound_unfinished(limit: int, as_json: bool) -> None:
    """Messages stored but not processed (failed, or received), oldest first.

    The worker retries failed ones three times within 48 hours; what is left here needs a person.
    """
    services = command_services()
    query = (
        select(InboundMessage)
        .where(InboundMessage.status.in_(("received", "failed")))
        .order_by(InboundMessage.received_at)
        .limit(limit)
    )
    with database_errors(), services.sessions() as session:
        rows = [
            {
                "id": m.id,
                "channel": m.channel,
                "sender": m.sender,
                "status": m.status,
                "attempts": m.attempts,
                "received_at": m.received_at.isoformat(),
                "received_local": fmt_local(m.received_at),
                "text": mask_personal(m.text or ""),
                "error": m.error,
            }
            for m in session.scalars(query)
        ]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("没有未处理的消息。")
    for r in rows:
        head = f"#{r['id']} [{r['status']}, 已试 {r['attempts']} 次] {r['received_local']} {r['channel']}"
        click.echo(f"{head}: {r['text'][:40]}")
        if r["error"]:
            click.echo(f"    错误：{r['error'][:200]}")


@inbound.command("retry")
@click.argument("inbound_id", type=int)
def inbound_retry(inbound_id: int) -> None:
    """Process one unfinished message now; its reply goes out through the outbox."""
    from bot.jobs.inbound import retry_one

    services = command_services()
    with database_errors():
        outcome = retry_one(services, inbound_id)
    if outcome != "answered":
        fail(outcome)
    click.echo(f"消息 #{inbound_id} 已处理，回复已放入发件箱（worker 会发出）。")
