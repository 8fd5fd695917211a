"""Time as a dependency, so tests can freeze it."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class FrozenClock:
    """A clock that only moves when told to."""

    def __init__(self, at: dt.datetime):
        self.at = at

    def now(self) -> dt.datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at = self.at + dt.timedelta(**delta)


def local(value: dt.datetime | None) -> dt.datetime | None:
    """Show a stored UTC time in Asia/Shanghai."""
    return value.astimezone(SHANGHAI) if value is not None else None


def fmt_local(value: dt.datetime | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
    shown = local(value)
    return shown.strftime(pattern) if shown is not None else ""
