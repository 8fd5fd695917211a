"""The worker process: the only owner of the scheduler, the outbox and the WeChat access token."""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from bot.delivery import Gateway
from bot.jobs.escalation import chase
from bot.jobs.inbound import retry_unfinished
from bot.jobs.outbox import deliver_due
from bot.jobs.undelivered import chase_undelivered
from bot.services import Services

log = logging.getLogger(__name__)


def build_gateway(services: Services) -> Gateway:
    settings = services.settings
    if settings.delivery == "wechat":
        from bot.delivery.wechat_gateway import WeChatGateway
        from bot.delivery.wecom_gateway import WeComGateway

        wecom = None
        if settings.wecom_configured:
            wecom = WeComGateway(settings.wecom_corp_id, settings.wecom_secret, settings.wecom_agent_id)
        return WeChatGateway(settings.wechat_appid, settings.wechat_secret, wecom=wecom)
    from bot.delivery.log_gateway import LogGateway

    return LogGateway(settings.instance_dir / "outbox.log")


def _safely(name: str, fn):
    """A job that raises is logged with its name and runs again at its next time (never kills the worker)."""

    def run() -> None:
        try:
            fn()
        except Exception:
            log.exception("job %s failed; it will run again", name)

    return run


def schedule_jobs(scheduler: BaseScheduler, services: Services, gateway: Gateway) -> BaseScheduler:
    # APScheduler logs every run at INFO (once a second for the outbox); our jobs log what matters.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    every = {  # job → (seconds between runs, what it does)
        "deliver_outbox": (services.settings.outbox_interval, lambda: deliver_due(services, gateway)),
        "chase_consultations": (60, lambda: chase(services)),
        "retry_unfinished_inbound": (60, lambda: retry_unfinished(services)),
        "chase_undelivered_answers": (600, lambda: chase_undelivered(services)),
    }
    for name, (seconds, job) in every.items():
        # One run at a time; runs missed while one was slow are merged into one.
        scheduler.add_job(
            _safely(name, job),
            "interval",
            seconds=seconds,
            id=name,
            max_instances=1,
            coalesce=True,
            replace_existing=True,
        )
    from bot.jobs.reports import add_report_jobs  # weekly report Mon 08:00, monthly ranking on the 1st

    add_report_jobs(scheduler, services, _safely)
    return scheduler


def run_worker(services: Services) -> None:
    """Block, running the jobs (``legalbot worker``)."""
    scheduler = schedule_jobs(BlockingScheduler(timezone="Asia/Shanghai"), services, build_gateway(services))
    log.info("worker started: delivery=%s", services.settings.delivery)
    scheduler.start()


def start_background_worker(services: Services, gateway: Gateway | None = None) -> BackgroundScheduler:
    """The same jobs in a thread (``legalbot demo`` only)."""
    scheduler = schedule_jobs(
        BackgroundScheduler(timezone="Asia/Shanghai"), services, gateway or build_gateway(services)
    )
    scheduler.start()
    return scheduler
