"""Deadline arithmetic on the Chinese working calendar (Asia/Shanghai).

Days come from ``WorkCalendarDay`` rows (seeded from the ``chinese-calendar``
package, editable by admins, loaded for a new year when the State Council
publishes its arrangement). For a year without rows, a day is judged
provisionally — a weekday that is not a fixed-date statutory holiday — and
the result says so (``Deadline.provisional``) so callers flag it rather than
guess silently. Rows are cached per process per year; the cache is dropped
whenever ``core.actions`` changes the calendar (a version key in the cache).

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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache

TZ = ZoneInfo("Asia/Shanghai")
Periods = tuple[tuple[dt.time, dt.time], ...]
VERSION_KEY = "workcalendar:version"


def parse_periods(text: str) -> Periods:
    """``"08:30-12:00,13:30-17:30"`` → ((08:30, 12:00), (13:30, 17:30))."""
    periods = []
    for chunk in text.split(","):
        begin, _sep, end = chunk.strip().partition("-")
        b, e = dt.time.fromisoformat(begin.strip()), dt.time.fromisoformat(end.strip())
        if e <= b:
            raise ValueError(f"period {chunk!r} ends before it starts")
        periods.append((b, e))
    if not periods or any(periods[i][1] > periods[i + 1][0] for i in range(len(periods) - 1)):
        raise ValueError(f"periods {text!r} must be ordered and not overlap")
    return tuple(periods)


def default_periods() -> Periods:
    return parse_periods(settings.WORKING_HOURS)


#: Fixed-date statutory holidays (month, day) used only for provisional years:
#: New Year's Day, Labour Day 1–2 (two days since the 2025 revision of the
#: national holiday rules), National Day 1–3. Lunar holidays cannot be placed
#: without the State Council's arrangement.
FIXED_HOLIDAYS = frozenset({(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)})

UNITS = ("natural_minutes", "natural_hours", "working_hours", "working_days", "calendar_days")


@dataclass
class DayJudgement:
    day: dt.date
    working: bool
    provisional: bool
    reason: str  # workday, weekend, holiday, makeup_workday (+ " (provisional)")
    name: str = ""
    periods: Periods = ()


@dataclass
class Deadline:
    due_at: dt.datetime
    provisional: bool = False
    skipped: list[DayJudgement] = field(default_factory=list)


_years: dict[int, tuple[Any, dict[dt.date, DayJudgement] | None]] = {}


def _version() -> Any:
    """Changes whenever any calendar row changes, in any process.

    Read from the database (one indexed aggregate) so every web and worker
    process sees an admin's edit at once, whatever the cache backend.
    """
    from django.db.models import Count, Max

    from core.models import WorkCalendarDay

    agg = WorkCalendarDay.objects.aggregate(n=Count("id"), last=Max("updated_at"))
    return (agg["n"], agg["last"], cache.get(VERSION_KEY, 0))


def _year(year: int, version: Any = None) -> dict[dt.date, DayJudgement] | None:
    """The year's rows as judgements, or None when the year is not loaded."""
    if version is None:
        version = _version()
    cached = _years.get(year)
    if cached is not None and cached[0] == version:
        return cached[1]
    from core.models import WorkCalendarDay

    rows = WorkCalendarDay.objects.filter(day__year=year).values_list(
        "day", "is_workday", "kind", "name", "periods"
    )
    fallback = default_periods()
    days = {
        day: DayJudgement(
            day, working, False, kind, name, parse_periods(periods) if periods else fallback
        )
        for day, working, kind, name, periods in rows
    }
    # A year counts as loaded once it has a row for every day.
    loaded = days if len(days) >= 365 else None
    _years[year] = (version, loaded)
    return loaded


def invalidate() -> None:
    """Drop every process's cached calendar (call after committing a change)."""
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.set(VERSION_KEY, 1, timeout=None)
    _years.clear()


def judge(day: dt.date, version: Any = None) -> DayJudgement:
    days = _year(day.year, version)
    if days is not None and day in days:
        return days[day]
    periods = default_periods()
    if day.weekday() >= 5:
        return DayJudgement(day, False, True, "weekend (provisional)", "", periods)
    if (day.month, day.day) in FIXED_HOLIDAYS:
        return DayJudgement(day, False, True, "holiday (provisional)", "", periods)
    return DayJudgement(day, True, True, "workday (provisional)", "", periods)


def _local(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        raise ValueError("deadline arithmetic needs an aware datetime")
    return value.astimezone(TZ)


def _end_of_working_day(judgement: DayJudgement) -> dt.datetime:
    periods = judgement.periods or default_periods()
    return dt.datetime.combine(judgement.day, periods[-1][1], tzinfo=TZ)


def _end_of_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=TZ)


def add(start: dt.datetime, amount: int, unit: str) -> Deadline:
    """The due time ``amount`` ``unit`` after ``start``, as an aware UTC datetime."""
    if amount <= 0:
        raise ValueError("amount must be positive")
    local = _local(start)
    if unit == "natural_minutes":
        return Deadline(due_at=(local + dt.timedelta(minutes=amount)).astimezone(dt.UTC))
    if unit == "natural_hours":
        return Deadline(due_at=(local + dt.timedelta(hours=amount)).astimezone(dt.UTC))
    if unit == "calendar_days":
        due = _end_of_day(local.date() + dt.timedelta(days=amount))
        return Deadline(due_at=due.astimezone(dt.UTC))
    version = _version()
    if unit == "working_days":
        day = local.date()
        found = 0
        skipped: list[DayJudgement] = []
        provisional = False
        judgement = judge(day, version)
        while found < amount:
            day += dt.timedelta(days=1)
            judgement = judge(day, version)
            provisional |= judgement.provisional
            if judgement.working:
                found += 1
            else:
                skipped.append(judgement)
        return Deadline(
            due_at=_end_of_working_day(judgement).astimezone(dt.UTC),
            provisional=provisional,
            skipped=skipped,
        )
    if unit == "working_hours":
        return _add_working_hours(local, amount, version)
    raise ValueError(f"unknown unit {unit!r}")


def _add_working_hours(local: dt.datetime, hours: int, version: Any) -> Deadline:
    remaining = dt.timedelta(hours=hours)
    day = local.date()
    cursor = local
    skipped: list[DayJudgement] = []
    provisional = False
    for _ in range(3660):  # ten years of days: a hard stop for nonsense input
        judgement = judge(day, version)
        provisional |= judgement.provisional
        if judgement.working:
            for begin_t, end_t in judgement.periods or default_periods():
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


#: Callables returning how many running deadlines are provisional; apps that
#: keep deadlines register one (services does, for its clocks).
provisional_counters: list[Callable[[], int]] = []


def year_loaded(year: int) -> bool:
    return _year(year) is not None


def calendar_warnings(today: dt.date | None = None) -> list[str]:
    """What an operator must act on: a year not loaded that deadlines reach."""
    today = today or dt.datetime.now(TZ).date()
    from django.utils.translation import gettext as _

    warnings = []
    if not year_loaded(today.year):
        warnings.append(
            _("The %(year)d working calendar is not loaded: deadlines are provisional.")
            % {"year": today.year}
        )
    # From October the next year's deadlines are near: 15 working days from
    # late December reach January.
    if today.month >= 10 and not year_loaded(today.year + 1):
        warnings.append(
            _(
                "The %(year)d working calendar is not loaded yet (load it with “manage.py load_calendar %(year)d” once published)."
            )
            % {"year": today.year + 1}
        )
    provisional = sum(counter() for counter in provisional_counters)
    if provisional:
        warnings.append(
            _("%(n)d running deadlines are provisional until their year is loaded.")
            % {"n": provisional}
        )
    return warnings
