"""``legalbot demo``: web app + worker on SQLite with a sample roster and the WeChat simulator."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import click

from bot.cli import cli, load_settings

# Demo-only credentials (the simulator signs with them); real deployments set LEGALBOT_WECHAT_*.
DEMO_TOKEN = "legalbotdemo"
DEMO_APPID = "wx0000demo0000000"
DEMO_AES_KEY = "LegalbotDemoKeyForTheLocalSimulatorOnly0123"


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--open", "open_browser", is_flag=True, help="Also open the simulator in a browser.")
def demo(host: str, port: int, open_browser: bool) -> None:
    """Try everything locally, no WeChat account needed."""
    from bot import log_redaction
    from bot.app import create_app
    from bot.jobs.worker import start_background_worker
    from bot.migrate import upgrade
    from bot.roster import import_roster
    from bot.services import Services

    settings = load_settings()
    settings = settings.with_overrides(
        wechat_token=settings.wechat_token or DEMO_TOKEN,
        wechat_appid=settings.wechat_appid or DEMO_APPID,
        wechat_aes_key=settings.wechat_aes_key or DEMO_AES_KEY,
        delivery="log",
        simulator=True,
        outbox_interval=1.0,
    )
    click.echo("准备数据库…", err=True)
    upgrade(settings.database_url)
    services = Services.build(settings)
    roster = Path(str(resources.files("bot.demo") / "roster.csv"))
    with services.sessions.begin() as session:
        import_roster(session, roster)
    click.echo("加载模型（首次启动会自动训练，约需半分钟）…", err=True)
    app = create_app(settings, services)
    log_redaction.install(settings)  # the request log shows one-time login links
    start_background_worker(services)
    url = f"http://{host}:{port}/simulator/"
    click.echo(f"\n  模拟器已就绪：{url}\n  发件箱日志：{settings.instance_dir / 'outbox.log'}\n  按 Ctrl+C 退出\n")
    if open_browser:
        click.launch(url)
    app.run(host=host, port=port, threaded=True, use_reloader=False)
