"""Outbound delivery to WeChat behind one small interface (the only thing tests replace).

Three kinds of message leave through the outbox (``OutboxMessage.kind``):
``text`` — an Official Account customer-service message (48-hour window, 5 messages);
``template`` — an Official Account template notice (no window; fields of at most 20 characters);
``wecom`` — a WeCom (企业微信) app message to a member (no window; the advisers' channel).
"""

from __future__ import annotations

from typing import Protocol


class DeliveryError(Exception):
    """WeChat refused or could not be reached; ``code`` is WeChat's errcode (None for network errors)."""

    def __init__(self, code: int | None, message: str):
        super().__init__(f"{code}: {message}" if code is not None else message)
        self.code = code
        self.message = message


class Gateway(Protocol):
    """Sends one message; raises DeliveryError on failure."""

    def send_text(self, openid: str, text: str) -> None: ...

    def send_template(self, openid: str, template_id: str, fields: dict[str, str]) -> None: ...

    def send_wecom_text(self, userid: str, text: str) -> None: ...
