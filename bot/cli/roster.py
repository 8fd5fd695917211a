"""``legalbot roster import FILE``."""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli import cli, command_services, database_errors
from bot.roster import RosterError, import_roster


@cli.group()
def roster() -> None:
    """The roster of villages and their advisers (花名册)."""


@roster.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def roster_import(file: Path) -> None:
    """Import or update the roster from CSV or XLSX (all or nothing)."""
    services = command_services()

    def progress(done: int, total: int) -> None:
        click.echo(f"  已处理 {done}/{total} 行", err=True)

    try:
        with database_errors(), services.sessions.begin() as session:
            result = import_roster(session, file, progress=progress)
    except RosterError as exc:
        click.echo(f"花名册有 {len(exc.problems)} 处问题，未导入任何数据：", err=True)
        for problem in exc.problems:
            click.echo(f"  - {problem}", err=True)
        raise click.ClickException("请修改文件后重新导入") from exc
    c, u = result.created, result.updated
    click.echo(
        f"导入完成：{result.rows} 行；新增 {c['villages']} 个村、{c['advisers']} 位顾问、{c['towns']} 个镇；"
        f"更新 {u['villages']} 个村、{u['advisers']} 位顾问。"
    )
