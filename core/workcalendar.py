"""Deadline arithmetic on the Chinese working calendar (Asia/Shanghai).

Days come from the ``chinese-calendar`` package (holidays and 调休 make-up
workdays, published by the State Council each winter). For a year the
package has no data for yet, the day is judged provisionally — a weekday that
is not a fixed-date statutory holiday — and the result says so
(``Deadline.provisional``) so callers can flag it rather than guess silently.

Units:
- natural hours: ``start + n hours``;
- calendar days: the end of the n-th day after the start day (23:59:59);
- working days: the end of the working day (17:30) of the n-th working day
  after the start day — 3 working days from 2025-09-30 is 2025-10-11, a
  make-up Saturday;
- working hours: counted inside the working hours of working days
  (08:30–12:00 and 13:30–17:30 by default), skipping lunch, nights and
  non-working days.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import chinese_calendar

TZ = ZoneInfo("Asia/Shanghai")
#: Working periods of a working day, local time.
WORKING_PERIODS: tuple[tuple[dt.time, dt.time], ...] = (
    (dt.time(8, 30), dt.time(12, 0)),
    (dt.time(13, 30), dt.time(17, 30)),
)
#: Fixed-date statutory holidays (month, day) used only for provisional years:
#: New Year's Day, Labour Day, National Day 1–3. Lunar holidays cannot be
#: placed without the State Council's arrangement.
FIXED_HOLIDAYS = frozenset({(1, 1), (5, 1), (10, 1), (10, 2), (10, 3)})

UNITS = ("natural_hours", "working_hours", "working_days", "calendar_days")


@dataclass
class DayJudgement:
    day: dt.date
    working: bool
    provisional: bool
    reason: str  # "workday", "weekend", "holiday:<name>", "makeup_workday", "provisional…"


@dataclass
class Deadline:
    due_at: dt.datetime
    provisional: bool = False
    skipped: list[DayJudgement] = field(default_factory=list)


def judge(day: dt.date) -> DayJudgement:
    try:
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
        working = chinese_calendar.is_workday(day)
    except NotImplementedError:
        if day.weekday() >= 5:
            return DayJudgement(day, False, True, "weekend (provisional)")
        if (day.month, day.day) in FIXED_HOLIDAYS:
            return DayJudgement(day, False, True, "statutory holiday (provisional)")
        return DayJudgement(day, True, True, "workday (provisional)")
    if working:
        reason = "makeup_workday" if day.weekday() >= 5 else "workday"
    elif on_holiday and name:
        reason = f"holiday:{name}"
    else:
        reason = "weekend"
    return DayJudgement(day, working, False, reason)


def _local(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        raise ValueError("deadline arithmetic needs an aware datetime")
    return value.astimezone(TZ)


def _end_of_working_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, WORKING_PERIODS[-1][1], tzinfo=TZ)


def _end_of_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=TZ)


def add(start: dt.datetime, amount: int, unit: str) -> Deadline:
    """The due time ``amount`` ``unit`` after ``start``, as an aware UTC datetime."""
    if amount <= 0:
        raise ValueError("amount must be positive")
    local = _local(start)
    if unit == "natural_hours":
        return Deadline(due_at=(local + dt.timedelta(hours=amount)).astimezone(dt.UTC))
    if unit == "calendar_days":
        due = _end_of_day(local.date() + dt.timedelta(days=amount))
        return Deadline(due_at=due.astimezone(dt.UTC))
    if unit == "working_days":
        day = local.date()
        found = 0
        skipped: list[DayJudgement] = []
        provisional = False
        while found < amount:
            day += dt.timedelta(days=1)
            judgement = judge(day)
            provisional |= judgement.provisional
            if judgement.working:
                found += 1
            else:
                skipped.append(judgement)
        return Deadline(
            due_at=_end_of_working_day(day).astimezone(dt.UTC),
            provisional=provisional,
            skipped=skipped,
        )
    if unit == "working_hours":
        return _add_working_hours(local, amount)
    raise ValueError(f"unknown unit {unit!r}")


def _add_working_hours(local: dt.datetime, hours: int) -> Deadline:
    remaining = dt.timedelta(hours=hours)
    day = local.date()
    cursor = local
    skipped: list[DayJudgement] = []
    provisional = False
    for _ in range(3660):  # ten years of days: a hard stop for nonsense input
        judgement = judge(day)
        provisional |= judgement.provisional
        if judgement.working:
            for begin_t, end_t in WORKING_PERIODS:
                begin = dt.datetime.combine(day, begin_t, tzinfo=TZ)
                end = dt.datetime.combine(day, end_t, tzinfo=TZ)
                start = max(begin, cursor)
                if start >= end:
                    continue
                available = end - start
                if remaining <= available:
                    due = start + remaining
                    return Deadline(due.astimezone(dt.UTC), provisional, skipped)
                remaining -= available
                cursor = end
        elif day != local.date():
            skipped.append(judgement)
        day += dt.timedelta(days=1)
        cursor = dt.datetime.combine(day, dt.time(0, 0), tzinfo=TZ)
    raise ValueError("working hours do not fit in ten years")
