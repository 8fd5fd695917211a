"""The ``legalbot`` command (click). Each group of sub-commands lives in its own module."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click
from sqlalchemy.exc import OperationalError, ProgrammingError

from bot.config import ConfigError, Settings


def load_settings() -> Settings:
    """Settings from the environment; a bad variable stops the command with its name."""
    try:
        return Settings.from_env()
    except ConfigError as exc:
        raise click.ClickException(f"配置错误：{exc}") from exc


def fail(message: str) -> None:
    raise click.ClickException(message)


def command_services():
    """Services for the running command; the engine is disposed when it ends (no connection left open)."""
    from bot.services import Services

    services = Services.build(load_settings())
    click.get_current_context().call_on_close(services.dispose)
    return services


@contextmanager
def database_errors() -> Iterator[None]:
    """Turn "no such table" / "connection refused" into advice instead of a traceback."""
    try:
        yield
    except (OperationalError, ProgrammingError) as exc:
        raise click.ClickException(
            f"数据库错误（{type(exc.orig).__name__}: {str(exc.orig).strip()[:200]}）："
            "请先运行 `legalbot db upgrade`，并检查 LEGALBOT_DATABASE_URL"
        ) from exc


@click.group()
def cli() -> None:
    """一村一法律顾问 — legal consultation assistant for villages and their advisers."""


def main() -> None:
    try:
        cli(prog_name="legalbot")
    except KeyboardInterrupt:
        sys.exit(130)


# Sub-commands register themselves on ``cli`` when imported (they need ``cli`` defined above).
from bot.cli import ask, db, demo, faq, inbound, ledger, model, outbox, roster, serve, stats, users  # noqa: E402, F401
