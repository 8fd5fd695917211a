"""``legalbot db upgrade``."""

from __future__ import annotations

import click
from sqlalchemy.exc import OperationalError

from bot.cli import cli, load_settings
from bot.migrate import upgrade


@cli.group()
def db() -> None:
    """Database schema (Alembic)."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
def db_upgrade(revision: str) -> None:
    """Create or upgrade the schema to the latest version."""
    settings = load_settings()
    try:
        upgrade(settings.database_url, revision)
    except OperationalError as exc:
        raise click.ClickException(
            f"无法连接数据库（{exc.orig}）：请检查 LEGALBOT_DATABASE_URL 和数据库服务是否已启动"
        ) from exc
    click.echo(f"数据库已升级到 {revision}：{_safe_url(settings.database_url)}")


def _safe_url(url: str) -> str:
    """Never print a password."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
