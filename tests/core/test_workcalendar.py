"""Deadline arithmetic on the working calendar (table-driven)."""

import datetime as dt

import pytest
from django.core.management import call_command

from core import workcalendar
from core.workcalendar import TZ

pytestmark = pytest.mark.django_db


def local(*args):
    return dt.datetime(*args, tzinfo=TZ)


@pytest.mark.parametrize(
    ("start", "amount", "unit", "due"),
    [
        # Friday afternoon, 1 working day → Monday end of day
        (local(2025, 6, 13, 16, 0), 1, "working_days", local(2025, 6, 16, 17, 30)),
        # start on a holiday (National Day): counted from the next working days
        (local(2025, 10, 3, 9, 0), 1, "working_days", local(2025, 10, 9, 17, 30)),
        # the day before the National Day break: 3 working days → make-up Saturday 10-11
        (local(2025, 9, 30, 10, 0), 3, "working_days", local(2025, 10, 11, 17, 30)),
        # working hours across lunch
        (local(2025, 6, 12, 11, 0), 2, "working_hours", local(2025, 6, 12, 14, 30)),
        # working hours across a weekend: Friday 16:30 + 2 h → Monday 09:30
        (local(2025, 6, 13, 16, 30), 2, "working_hours", local(2025, 6, 16, 9, 30)),
        # before opening: the clock starts at 08:30
        (local(2025, 6, 12, 6, 0), 1, "working_hours", local(2025, 6, 12, 9, 30)),
        (local(2025, 6, 13, 16, 0), 5, "natural_hours", local(2025, 6, 13, 21, 0)),
        (local(2025, 6, 13, 16, 0), 7, "calendar_days", local(2025, 6, 20, 23, 59, 59)),
    ],
)
def test_deadlines(start, amount, unit, due):
    deadline = workcalendar.add(start, amount, unit)
    assert deadline.due_at == due
    assert deadline.due_at.tzinfo is dt.UTC  # stored as UTC
    assert deadline.provisional is False


def test_skipped_days_say_why():
    deadline = workcalendar.add(local(2025, 9, 30, 10, 0), 3, "working_days")
    reasons = {j.day: (j.reason, j.name) for j in deadline.skipped}
    assert reasons[dt.date(2025, 10, 1)] == ("holiday", "国庆节")
    assert dt.date(2025, 10, 11) not in reasons  # a make-up Saturday is worked


def test_a_span_into_a_year_without_data_is_provisional_until_loaded(tmp_path):
    from core.models import WorkCalendarDay

    WorkCalendarDay.objects.filter(day__year=2026).delete()
    workcalendar.invalidate()
    start = local(2025, 12, 22, 10, 0)
    provisional = workcalendar.add(start, 15, "working_days")
    assert provisional.provisional is True
    # provisional rule: weekdays minus fixed-date holidays (1 Jan) → 2026-01-13
    assert provisional.due_at == local(2026, 1, 13, 17, 30)
    arrangement = tmp_path / "2026.csv"
    arrangement.write_text(
        "day,is_workday,name\n2026-01-01,0,元旦\n2026-01-02,0,元旦\n2026-01-04,1,元旦调休\n",
        encoding="utf-8",
    )
    call_command("load_calendar", "2026", "--file", str(arrangement))
    exact = workcalendar.add(start, 15, "working_days")
    assert exact.provisional is False
    # 2 Jan is now a holiday, Sunday 4 Jan a make-up workday: same count, different days
    assert exact.due_at == local(2026, 1, 13, 17, 30)
    skipped = {j.day for j in exact.skipped}
    assert dt.date(2026, 1, 2) in skipped and dt.date(2026, 1, 4) not in skipped


def test_load_calendar_reports_bad_lines_and_writes_nothing(tmp_path):
    from django.core.management import CommandError

    from core.models import WorkCalendarDay

    WorkCalendarDay.objects.filter(day__year=2026).delete()
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "2026-13-01,0,x\n2026-01-01,maybe,元旦\n2025-12-31,0,wrong year\n", encoding="utf-8"
    )
    with pytest.raises(CommandError, match="3 error"):
        call_command("load_calendar", "2026", "--file", str(bad))
    assert not WorkCalendarDay.objects.filter(day__year=2026).exists()


def test_load_from_package_is_idempotent(capsys):
    call_command("load_calendar", "2025")
    assert "already up to date" in capsys.readouterr().out


def test_deadline_api_explains_the_due_time(city, personas, api_as):
    client = api_as(personas.street_officer_a)
    body = client.get(
        "/api/v1/calendar/deadline/",
        {"start": "2025-09-30T10:00:00+08:00", "amount": 3, "unit": "working_days"},
    ).json()
    assert body["due_at"] == "2025-10-11T17:30:00+08:00"
    assert body["provisional"] is False
    assert [d["day"] for d in body["skipped"]][:3] == ["2025-10-01", "2025-10-02", "2025-10-03"]
    bad = client.get(
        "/api/v1/calendar/deadline/", {"start": "yesterday", "amount": 0, "unit": "fortnights"}
    )
    assert bad.status_code == 400
    assert set(bad.json()["extra"]["fields"]) == {"start", "amount", "unit"}


def test_labour_day_is_two_fixed_days_in_a_provisional_year_then_exact_once_loaded(
    city, personas, api_as
):
    """A year without data counts weekdays minus the fixed-date holidays (Labour
    Day is 1–2 May since 2025); loading the real arrangement (1–5 May off)
    moves the due time, and the API says which it is."""
    from core.models import WorkCalendarDay

    WorkCalendarDay.objects.filter(day__year=2026).delete()
    workcalendar.invalidate()
    start = local(2026, 4, 28, 10, 0)  # Tuesday
    provisional = workcalendar.add(start, 3, "working_days")
    assert provisional.provisional is True
    # 29 Apr, 30 Apr, then 1 May (holiday), 2–3 May (weekend) → Monday 4 May
    assert provisional.due_at == local(2026, 5, 4, 17, 30)
    reasons = {j.day: j.reason for j in provisional.skipped}
    assert reasons[dt.date(2026, 5, 1)] == "holiday (provisional)"
    assert reasons[dt.date(2026, 5, 2)] in {"holiday (provisional)", "weekend (provisional)"}
    client = api_as(personas.street_officer_a)
    query = {"start": "2026-04-28T10:00:00+08:00", "amount": 3, "unit": "working_days"}
    body = client.get("/api/v1/calendar/deadline/", query).json()
    assert (body["due_at"], body["provisional"]) == ("2026-05-04T17:30:00+08:00", True)

    call_command("load_calendar", "2026")  # the package's arrangement: 1–5 May off
    exact = workcalendar.add(start, 3, "working_days")
    assert exact.provisional is False
    assert exact.due_at == local(2026, 5, 6, 17, 30)
    body = client.get("/api/v1/calendar/deadline/", query).json()
    assert (body["due_at"], body["provisional"]) == ("2026-05-06T17:30:00+08:00", False)
