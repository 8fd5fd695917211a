"""Outbound delivery to WeChat behind one small interface (the only thing tests replace)."""

from __future__ import annotations

from typing import Protocol


class DeliveryError(Exception):
    """WeChat refused or could not be reached; ``code`` is WeChat's errcode (None for network errors)."""

    def __init__(self, code: int | None, message: str):
        super().__init__(f"{code}: {message}" if code is not None else message)
        self.code = code
        self.message = message


class Gateway(Protocol):
    """Sends a customer-service text message to one openid; raises DeliveryError on failure."""

    def send_text(self, openid: str, text: str) -> None: ...
