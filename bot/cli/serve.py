"""``legalbot serve`` (gunicorn) and ``legalbot worker``."""

from __future__ import annotations

import logging
import runpy
from pathlib import Path

import click

from bot import log_redaction
from bot.cli import cli, load_settings
from bot.config import PROJECT_ROOT

GUNICORN_CONF = PROJECT_ROOT / "deploy" / "gunicorn.conf.py"


def gunicorn_settings(path: Path = GUNICORN_CONF) -> dict:
    """The settings of deploy/gunicorn.conf.py (the file systemd and ``gunicorn -c`` use), as a namespace."""
    if not path.exists():
        raise click.ClickException(f"找不到 {path}：请在项目目录（含 deploy/）中运行 legalbot serve")
    return runpy.run_path(str(path))


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--workers", type=click.IntRange(min=1), default=None, help="Gunicorn workers (default: CPUs + 1, 2 to 8)."
)
def serve(host: str, port: int, workers: int | None) -> None:
    """Run the web app under gunicorn (the webhook never calls WeChat; run `legalbot worker` too)."""
    from gunicorn.app.base import BaseApplication

    settings = load_settings()
    conf = gunicorn_settings()
    workers = workers or conf["default_workers"]()

    class LegalbotServer(BaseApplication):
        def load_config(self):
            for key, value in conf.items():
                if key in self.cfg.settings and value is not None and key != "wsgi_app":
                    self.cfg.set(key, value)
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)

        def load(self):
            from bot.app import create_app

            app = create_app(settings)
            log_redaction.install(settings)  # gunicorn's access log records one-time login links
            return app

    click.echo(f"legalbot 在 http://{host}:{port} 启动，{workers} 个进程", err=True)
    LegalbotServer().run()


@cli.command()
def worker() -> None:
    """Deliver the outbox and run scheduled jobs (run exactly one)."""
    from bot.jobs.worker import run_worker
    from bot.services import Services

    settings = load_settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    log_redaction.install(settings)  # login links, access tokens and configured secrets never reach a log
    run_worker(Services.build(settings))
