"""``LEGALBOT_DELIVERY=wechat``: customer-service messages through wechatpy's client.

Platform rules (shared notes §2): the worker is the only token owner and uses ``stable_token``
(https://developers.weixin.qq.com/doc/service/api/base/api_getstableaccesstoken.html), so other
processes' tokens stay valid; requests have real timeouts; wechatpy's unbounded auto-retry is off and
we retry once ourselves: after 40001/40014/42001 with a forced refresh, after -1 ("system busy") ~1 s later.
"""

from __future__ import annotations

import logging
import time

import requests
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

from bot.delivery import DeliveryError

log = logging.getLogger(__name__)
TOKEN_ERRORS = {40001, 40014, 42001}
BUSY = -1
BUSY_RETRY_AFTER = 1.0  # seconds; a second -1 goes back to the outbox, which retries with backoff
TIMEOUT = (3.05, 10)


class StableTokenClient(WeChatClient):
    API_BASE_URL = "https://api.weixin.qq.com/cgi-bin/"
    force_refresh = False

    def fetch_access_token(self):
        """POST /cgi-bin/stable_token instead of GET /cgi-bin/token (which invalidates other tokens)."""
        response = requests.post(
            self.API_BASE_URL + "stable_token",
            json={
                "grant_type": "client_credential",
                "appid": self.appid,
                "secret": self.secret,
                "force_refresh": self.force_refresh,
            },
            timeout=TIMEOUT,
        )
        result = response.json()
        if result.get("errcode"):
            raise WeChatClientException(
                result["errcode"], result.get("errmsg", ""), client=self, request=response.request, response=response
            )
        self.session.set(self.access_token_key, result["access_token"], result["expires_in"])
        self.expires_at = int(time.time()) + result["expires_in"]
        return result


class WeChatGateway:
    """The Official Account (and, when configured, WeCom) through wechatpy's clients."""

    def __init__(self, appid: str, secret: str, base_url: str | None = None, wecom=None):
        self.client = StableTokenClient(appid, secret, timeout=TIMEOUT, auto_retry=False)
        if base_url:
            self.client.API_BASE_URL = base_url
        self.wecom = wecom

    def send_text(self, openid: str, text: str) -> None:
        self._call(lambda: self.client.message.send_text(openid, text))

    def send_template(self, openid: str, template_id: str, fields: dict[str, str]) -> None:
        # Since 2023-05 template fields hold at most 20 characters, no line breaks, no colours.
        data = {key: {"value": value[:20].replace("\n", " ")} for key, value in fields.items()}
        self._call(lambda: self.client.message.send_template(openid, template_id, data))

    def send_wecom_text(self, userid: str, text: str) -> None:
        if self.wecom is None:
            raise DeliveryError(None, "WeCom is not configured (LEGALBOT_WECOM_*)")
        self.wecom.send_wecom_text(userid, text)

    def _call(self, send) -> None:
        for attempt in (1, 2):
            try:
                send()
                return
            except WeChatClientException as exc:
                if exc.errcode in TOKEN_ERRORS and attempt == 1:
                    self.client.force_refresh = True
                    try:
                        self.client.fetch_access_token()
                    finally:
                        self.client.force_refresh = False
                    continue
                if exc.errcode == BUSY and attempt == 1:  # "system busy": once more after ~1 s (notes §2.5)
                    time.sleep(BUSY_RETRY_AFTER)
                    continue
                raise DeliveryError(exc.errcode, exc.errmsg or "") from exc
            except requests.RequestException as exc:
                raise DeliveryError(None, f"network error: {type(exc).__name__}") from exc
