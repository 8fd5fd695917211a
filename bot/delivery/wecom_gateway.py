"""WeCom (企业微信) app messages to advisers, through wechatpy's WeCom client (``wechatpy.enterprise``).

No 48-hour window applies to messages to a corp's own members; the app may send each member at most
30 messages a minute (https://developer.work.weixin.qq.com/document/path/90236), text up to 2048 bytes.
"""

from __future__ import annotations

import requests
from wechatpy.enterprise import WeChatClient
from wechatpy.exceptions import WeChatClientException

from bot.channels.wechat_xml import fit_reply
from bot.delivery import DeliveryError

TIMEOUT = (3.05, 10)


class WeComGateway:
    def __init__(self, corp_id: str, secret: str, agent_id: int, base_url: str | None = None):
        self.client = WeChatClient(corp_id, secret, timeout=TIMEOUT, auto_retry=False)
        if base_url:
            self.client.API_BASE_URL = base_url
        self.agent_id = agent_id

    def send_wecom_text(self, userid: str, text: str) -> None:
        try:
            self.client.message.send_text(self.agent_id, userid, fit_reply(text))
        except WeChatClientException as exc:
            raise DeliveryError(exc.errcode, exc.errmsg or "") from exc
        except requests.RequestException as exc:
            raise DeliveryError(None, f"network error: {type(exc).__name__}") from exc
