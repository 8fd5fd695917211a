"""Reporting periods (ISO week, month, quarter, custom dates), bounded in Asia/Shanghai, compared in UTC."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from bot.clock import SHANGHAI

MAX_CUSTOM_DAYS = 400
_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)


class PeriodError(ValueError):
    """A period given by a user cannot be understood; the message says the expected form."""


@dataclass(frozen=True)
class Period:
    kind: str  # week | month | quarter | custom
    label: str  # 2026-W47 | 2026-11 | 2026-Q4 | 2026-11-01..2026-11-30
    first_day: dt.date  # local (Asia/Shanghai), inclusive
    last_day: dt.date  # local, inclusive

    @property
    def start(self) -> dt.datetime:
        """Aware start (local midnight of the first day)."""
        return local_midnight(self.first_day)

    @property
    def end(self) -> dt.datetime:
        """Aware exclusive end (local midnight after the last day)."""
        return local_midnight(self.last_day + dt.timedelta(days=1))

    @property
    def title(self) -> str:
        """How the period is named in Chinese reports."""
        span = f"{self.first_day:%Y年%m月%d日}至{self.last_day:%m月%d日}"
        if self.kind == "week":
            year, week, _ = self.first_day.isocalendar()
            return f"{year}年第{week}周（{span}）"
        if self.kind == "month":
            return f"{self.first_day.year}年{self.first_day.month}月"
        if self.kind == "quarter":
            return f"{self.first_day.year}年第{(self.first_day.month - 1) // 3 + 1}季度"
        return span

    def to_json(self) -> dict[str, str]:
        """The period as the API and the CLI show it."""
        return {
            "kind": self.kind,
            "label": self.label,
            "first_day": self.first_day.isoformat(),
            "last_day": self.last_day.isoformat(),
            "timezone": "Asia/Shanghai",
        }

    def previous(self) -> Period:
        """The period of the same kind just before this one (custom: the same number of days)."""
        if self.kind == "week":
            return week_of(self.first_day - dt.timedelta(days=7))
        if self.kind == "month":
            return month_of(self.first_day - dt.timedelta(days=1))
        if self.kind == "quarter":
            return quarter_of(self.first_day - dt.timedelta(days=1))
        days = (self.last_day - self.first_day).days + 1
        return custom(self.first_day - dt.timedelta(days=days), self.first_day - dt.timedelta(days=1))

    def next(self) -> Period:
        """The period of the same kind just after this one."""
        if self.kind == "week":
            return week_of(self.first_day + dt.timedelta(days=7))
        if self.kind in ("month", "quarter"):
            after = self.last_day + dt.timedelta(days=1)
            return month_of(after) if self.kind == "month" else quarter_of(after)
        days = (self.last_day - self.first_day).days + 1
        return custom(self.last_day + dt.timedelta(days=1), self.last_day + dt.timedelta(days=days))


def local_midnight(day: dt.date) -> dt.datetime:
    """00:00 Asia/Shanghai of a day: every period boundary is one."""
    return dt.datetime.combine(day, dt.time.min, SHANGHAI)


def local_date(moment: dt.datetime) -> dt.date:
    """The calendar day in Asia/Shanghai of an aware time."""
    return moment.astimezone(SHANGHAI).date()


def week_of(day: dt.date) -> Period:
    """The ISO week (Monday to Sunday) containing a local day."""
    monday = day - dt.timedelta(days=day.weekday())
    year, week, _ = monday.isocalendar()
    return Period("week", f"{year}-W{week:02d}", monday, monday + dt.timedelta(days=6))


def month_of(day: dt.date) -> Period:
    """The calendar month containing a local day."""
    first = day.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return Period("month", f"{first:%Y-%m}", first, following - dt.timedelta(days=1))


def quarter_of(day: dt.date) -> Period:
    """The calendar quarter containing a local day."""
    quarter = (day.month - 1) // 3
    first = dt.date(day.year, quarter * 3 + 1, 1)
    last = month_of(dt.date(day.year, quarter * 3 + 3, 1)).last_day
    return Period("quarter", f"{day.year}-Q{quarter + 1}", first, last)


def custom(first: dt.date, last: dt.date) -> Period:
    """Custom dates, both inclusive, at most MAX_CUSTOM_DAYS long (a bigger scan belongs in a report)."""
    if last < first:
        raise PeriodError(f"结束日期 {last} 早于开始日期 {first}：请交换两个日期")
    if (last - first).days + 1 > MAX_CUSTOM_DAYS:
        raise PeriodError(f"自定义时段最长 {MAX_CUSTOM_DAYS} 天：请缩短时段，或按季度/月份分别统计")
    return Period("custom", f"{first}..{last}", first, last)


def parse_week(text: str) -> Period:
    """``2026-W47`` (ISO week) → its period."""
    match = _WEEK.match(text.strip())
    if not match:
        raise PeriodError(f"周的写法是 2026-W47（ISO 周），不是 '{text}'")
    year, week = int(match[1]), int(match[2])
    try:
        monday = dt.date.fromisocalendar(year, week, 1)
    except ValueError:
        raise PeriodError(f"{year} 年没有第 {week} 周：ISO 周为 1–52 或 1–53") from None
    return week_of(monday)


def parse_month(text: str) -> Period:
    """``2026-11`` → its period."""
    match = _MONTH.match(text.strip())
    if not match or not 1 <= int(match[2]) <= 12:
        raise PeriodError(f"月份的写法是 2026-11，不是 '{text}'")
    return month_of(dt.date(int(match[1]), int(match[2]), 1))


def parse_quarter(text: str) -> Period:
    """``2026-Q4`` → its period."""
    match = _QUARTER.match(text.strip())
    if not match:
        raise PeriodError(f"季度的写法是 2026-Q4，不是 '{text}'")
    return quarter_of(dt.date(int(match[1]), (int(match[2]) - 1) * 3 + 1, 1))


def parse_day(text: str) -> dt.date:
    """``2026-11-01`` → a date, or PeriodError saying how to write it."""
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise PeriodError(f"日期的写法是 2026-11-01，不是 '{text}'") from None


def resolve_period(
    now: dt.datetime,
    *,
    week: str | None = None,
    month: str | None = None,
    quarter: str | None = None,
    start: str | None = None,
    end: str | None = None,
) -> Period:
    """The one period a request names; nothing named means the current ISO week (Asia/Shanghai)."""
    named = [name for name, value in (("week", week), ("month", month), ("quarter", quarter)) if value]
    if start or end:
        named.append("from/to")
    if len(named) > 1:
        raise PeriodError(f"只能指定一种时段，现在同时给了 {'、'.join(named)}")
    if week:
        return _relative(week, now, week_of) or parse_week(week)
    if month:
        return _relative(month, now, month_of) or parse_month(month)
    if quarter:
        return _relative(quarter, now, quarter_of) or parse_quarter(quarter)
    if start or end:
        if not (start and end):
            raise PeriodError("自定义时段要同时给出开始和结束日期（from 与 to）")
        return custom(parse_day(start), parse_day(end))
    return week_of(local_date(now))


def _relative(value: str, now: dt.datetime, of) -> Period | None:
    """``this`` / ``last`` (本周、上周 …) relative to now."""
    current = of(local_date(now))
    if value.strip().lower() in ("this", "current"):
        return current
    if value.strip().lower() in ("last", "previous"):
        return current.previous()
    return None
