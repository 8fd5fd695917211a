"""``legalbot serve`` (gunicorn) and ``legalbot worker``."""

from __future__ import annotations

import logging
import os

import click

from bot import log_redaction
from bot.cli import cli, load_settings


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", type=int, default=None, help="Gunicorn workers (default: 2 × CPUs + 1).")
def serve(host: str, port: int, workers: int | None) -> None:
    """Run the web app under gunicorn (the webhook never calls WeChat; run `legalbot worker` too)."""
    from gunicorn.app.base import BaseApplication

    settings = load_settings()
    workers = workers or (os.cpu_count() or 1) * 2 + 1

    class LegalbotServer(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("timeout", 30)
            self.cfg.set("accesslog", "-")

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
