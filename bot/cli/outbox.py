"""``legalbot outbox list --json``."""

from __future__ import annotations

import json

import click
from sqlalchemy import select

from bot.cli import cli, command_services, database_errors
from bot.ledger.tables import OutboxMessage


@cli.group()
def outbox() -> None:
    """Stored outbound messages."""


@outbox.command("list")
@click.option("--status", help="Only messages with this status (pending, sent, held, failed …).")
@click.option("--limit", default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def outbox_list(status: str | None, limit: int, as_json: bool) -> None:
    """The newest outbound messages first."""
    services = command_services()
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if status:
        query = query.where(OutboxMessage.status == status)
    with database_errors(), services.sessions() as session:
        rows = [
            {
                "id": m.id,
                "to": m.recipient,
                "text": m.text,
                "status": m.status,
                "attempts": m.attempts,
                "created_at": m.created_at.isoformat(),
                "purpose": m.purpose,
                "last_error": m.last_error,
            }
            for m in session.scalars(query)
        ]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        click.echo(f"#{r['id']} [{r['status']}] → {r['to']} ({r['attempts']} 次): {r['text'][:40]}")
