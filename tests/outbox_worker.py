"""``legalbot worker`` for the fault tests: the real scheduler, jobs and wechatpy gateway, pointed at a fake
WeChat API on loopback (``TEST_WECHAT_API``); ``TEST_CLOCK_OFFSET`` seconds stand for a restart that late.

Run as ``python -m tests.outbox_worker`` with the LEGALBOT_* environment of the test.
"""

from __future__ import annotations

import datetime as dt
import logging
import os

from bot.config import Settings
from bot.delivery.wechat_gateway import WeChatGateway
from bot.jobs import worker
from bot.services import Services


class OffsetClock:
    def __init__(self, seconds: float):
        self.offset = dt.timedelta(seconds=seconds)

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + self.offset


def main() -> None:
    settings = Settings.from_env()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    services = Services.build(settings, OffsetClock(float(os.environ.get("TEST_CLOCK_OFFSET", "0"))))
    api = os.environ["TEST_WECHAT_API"]
    worker.build_gateway = lambda s: WeChatGateway(s.settings.wechat_appid, s.settings.wechat_secret, base_url=api)
    worker.run_worker(services)


if __name__ == "__main__":
    main()
