"""Secrets never reach a log file, even through other libraries' log lines.

Our own code logs no secret and no message text at INFO (tests/test_logging.py checks it). What this
filter catches is what libraries write: gunicorn's access log records one-time login links
(``/adviser/login/<code>``, ``/login/code/<code>``) in the request line and the Referer, urllib3 logs the
WeChat ``access_token`` in request URLs at DEBUG, and any line could echo a configured secret.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

MASK = "***"
MIN_SECRET_LENGTH = 8  # shorter configured values (a 3-letter token) would mask ordinary words
PATTERNS = (
    re.compile(r"(?P<keep>access_token=)[^&\s\"']+"),
    re.compile(r"(?P<keep>/login/(?:code/)?)[A-Za-z0-9_-]{8,}"),
)
_LOGGERS = ("", "gunicorn.access", "gunicorn.error")


class RedactSecrets(logging.Filter):
    """Rewrites a record whose text contains a configured secret or a login code or access token."""

    def __init__(self, secrets: Iterable[str] = ()):
        super().__init__()
        self.secrets = sorted({s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        """The text with every secret replaced by ``***``."""
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        for pattern in PATTERNS:
            text = pattern.sub(rf"\g<keep>{MASK}", text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = self.redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def configured_secrets(settings) -> list[str]:
    """Every secret value the settings hold (credentials, keys, the database password)."""
    values = [
        settings.secret_key,
        settings.wechat_token,
        settings.wechat_aes_key,
        settings.wechat_secret,
        settings.wecom_secret,
        settings.wecom_token,
        settings.wecom_aes_key,
        settings.wecom_bot_token,
        settings.wecom_bot_aes_key,
        *settings.bridge_keys.values(),
    ]
    password = re.search(r"://[^:/@]*:([^@]+)@", settings.database_url)
    if password:
        values.append(password.group(1))
    return values


def install(settings) -> RedactSecrets:
    """Attach one filter to the handlers of the root logger and of gunicorn's loggers (idempotent)."""
    redactor = RedactSecrets(configured_secrets(settings))
    for name in _LOGGERS:
        for handler in logging.getLogger(name).handlers:
            for old in [f for f in handler.filters if isinstance(f, RedactSecrets)]:
                handler.removeFilter(old)
            handler.addFilter(redactor)
    return redactor
