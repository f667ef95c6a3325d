"""Where working-calendar rows come from: the chinese-calendar package, or a
CSV file with the State Council's arrangement (``day,is_workday,name``)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

import chinese_calendar
from chinese_calendar.constants import Holiday

#: "National Day" → "国庆节"
CHINESE_NAMES = {h.value: h.chinese for h in Holiday}


@dataclass
class DayInput:
    day: dt.date
    is_workday: bool
    name: str = ""

    @property
    def kind(self) -> str:
        weekend = self.day.weekday() >= 5
        if self.is_workday:
            return "makeup_workday" if weekend else "workday"
        return "weekend" if weekend and not self.name else "holiday"


def package_year(year: int) -> list[DayInput] | None:
    """The package's arrangement for ``year``, or None when it has no data."""
    day = dt.date(year, 1, 1)
    out = []
    try:
        while day.year == year:
            on_holiday, name = chinese_calendar.get_holiday_detail(day)
            working = chinese_calendar.is_workday(day)
            label = ""
            if on_holiday and name:
                label = CHINESE_NAMES.get(str(name), str(name))
            out.append(DayInput(day, working, label))
            day += dt.timedelta(days=1)
    except NotImplementedError:
        return None
    return out


def parse_csv(text: str, year: int) -> tuple[list[DayInput], list[tuple[int, str]]]:
    """Rows listed in the file override the default week (Mon–Fri work).

    The file needs only the exceptions: holidays (``2027-01-01,0,元旦``) and
    make-up workdays (``2027-02-06,1,春节调休``). Errors come back as
    (line, message) and nothing is applied when there is any.
    """
    errors: list[tuple[int, str]] = []
    listed: dict[dt.date, DayInput] = {}
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    for line, row in enumerate(reader, start=1):
        if not row or (line == 1 and row[0].strip().lower() in ("day", "date", "日期")):
            continue
        if len(row) < 2:
            errors.append((line, "expected day,is_workday[,name]"))
            continue
        try:
            day = dt.date.fromisoformat(row[0].strip())
        except ValueError:
            errors.append((line, f"{row[0]!r} is not a date (YYYY-MM-DD)"))
            continue
        if day.year != year:
            errors.append((line, f"{day} is not in {year}"))
            continue
        flag = row[1].strip().lower()
        if flag not in ("0", "1", "true", "false", "是", "否"):
            errors.append((line, "is_workday must be 1 or 0"))
            continue
        if day in listed:
            errors.append((line, f"{day} is listed twice"))
            continue
        listed[day] = DayInput(
            day, flag in ("1", "true", "是"), (row[2].strip() if len(row) > 2 else "")[:40]
        )
    days = []
    day = dt.date(year, 1, 1)
    while day.year == year:
        days.append(listed.get(day) or DayInput(day, day.weekday() < 5))
        day += dt.timedelta(days=1)
    return days, errors
