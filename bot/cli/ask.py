"""``legalbot ask "问题" [--village CODE] --json``: the answering pipeline without WeChat or the ledger."""

from __future__ import annotations

import json
import sys

import click

from bot import texts
from bot.cli import cli, command_services, database_errors


@cli.command()
@click.argument("question")
@click.option("--village", "village_code", help="Village code, to name its adviser in a forward.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (one object per question).")
def ask(question: str, village_code: str | None, as_json: bool) -> None:
    """Ask one question, or '-' to read one question per line from standard input."""
    services = command_services()
    village_name = adviser_name = None
    if village_code:
        from bot.consultations import adviser_title
        from bot.ledger import repo

        with database_errors(), services.sessions() as session:
            village = repo.village_by_code(session, village_code)
            if village is None:
                raise click.ClickException(f"没有村代码 {village_code}：请先导入花名册或核对代码")
            village_name, adviser_name = village.name, adviser_title(village.adviser_a)
    answerer = services.answerer  # loaded once, whatever the number of questions
    lines = sys.stdin if question == "-" else [question]
    for line in lines:
        line = line.strip()
        if not line:
            continue
        decision = answerer.decide(line)
        if decision.action == "forward":
            decision.answer = (
                texts.FORWARDED.replace("（编号#{number}）", "").format(
                    village=village_name, adviser=adviser_name, hours=f"{services.settings.escalate_b_hours:g}"
                )
                if village_name
                else texts.FORWARDED_NO_VILLAGE
            )
        if as_json:
            click.echo(json.dumps(decision.as_json(), ensure_ascii=False))
        else:
            click.echo(
                f"[{decision.action}] 类别={decision.category} 置信度={decision.confidence:.2f}\n{decision.answer}\n"
            )
