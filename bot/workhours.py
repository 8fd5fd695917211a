"""The working-hours calendar (Asia/Shanghai) that escalation deadlines are counted in."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.clock import SHANGHAI


@dataclass(frozen=True)
class WorkCalendar:
    """Working days (ISO weekday numbers), daily working periods, and holidays, all in local time."""

    days: frozenset[int] = frozenset({1, 2, 3, 4, 5})
    periods: tuple[tuple[dt.time, dt.time], ...] = (
        (dt.time(8, 30), dt.time(12, 0)),
        (dt.time(13, 30), dt.time(17, 30)),
    )
    holidays: frozenset[dt.date] = frozenset()

    @classmethod
    def parse(cls, days: str, hours: str, holidays: str) -> WorkCalendar:
        """From "1-5", "08:30-12:00,13:30-17:30" and "2026-10-01,2026-10-02"; raises ValueError."""
        day_set: set[int] = set()
        for part in filter(None, (p.strip() for p in days.split(","))):
            first, _, last = part.partition("-")
            lo, hi = int(first), int(last or first)
            if not 1 <= lo <= hi <= 7:
                raise ValueError(f"'{part}' is not a range of weekdays 1-7")
            day_set.update(range(lo, hi + 1))
        periods = []
        for part in filter(None, (p.strip() for p in hours.split(","))):
            start, _, end = part.partition("-")
            begin, finish = dt.time.fromisoformat(start.strip()), dt.time.fromisoformat(end.strip())
            if begin >= finish:
                raise ValueError(f"'{part}' ends before it starts")
            periods.append((begin, finish))
        if not day_set or not periods:
            raise ValueError("at least one working day and one working period are needed")
        dates = frozenset(dt.date.fromisoformat(d.strip()) for d in holidays.split(",") if d.strip())
        return cls(frozenset(day_set), tuple(sorted(periods)), dates)

    def is_working_day(self, day: dt.date) -> bool:
        return day.isoweekday() in self.days and day not in self.holidays

    def add(self, start: dt.datetime, hours: float) -> dt.datetime:
        """The moment ``hours`` working hours after ``start`` (aware UTC in, aware UTC out)."""
        remaining = dt.timedelta(hours=hours)
        local = start.astimezone(SHANGHAI)
        day = local.date()
        for _ in range(3660):  # ten years of days: a calendar with no working time would loop forever
            if self.is_working_day(day):
                for begin, finish in self.periods:
                    period_start = dt.datetime.combine(day, begin, SHANGHAI)
                    period_end = dt.datetime.combine(day, finish, SHANGHAI)
                    if period_end <= local:
                        continue
                    cursor = max(period_start, local)
                    available = period_end - cursor
                    if remaining <= available:
                        return (cursor + remaining).astimezone(dt.UTC)
                    remaining -= available
            day += dt.timedelta(days=1)
        raise ValueError("the working calendar has no working time")
