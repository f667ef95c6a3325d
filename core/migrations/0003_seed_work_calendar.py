"""Seed the working calendar from the chinese-calendar package: every year
from 2019 to the last the package knows. Later years are loaded with
`manage.py load_calendar YEAR [--file arrangement.csv]` when published."""

import datetime as dt

from django.db import migrations


def seed(apps, schema_editor):
    from core.calendar import package_year

    WorkCalendarDay = apps.get_model("core", "WorkCalendarDay")
    now = dt.datetime.now(dt.UTC)
    year = 2019
    while True:
        days = package_year(year)
        if days is None:
            break
        existing = set(WorkCalendarDay.objects.filter(day__year=year).values_list("day", flat=True))
        WorkCalendarDay.objects.bulk_create(
            [
                WorkCalendarDay(day=d.day, is_workday=d.is_workday, kind=d.kind, name=d.name, source="package", updated_at=now)
                for d in days
                if d.day not in existing
            ],
            batch_size=400,
        )
        year += 1


class Migration(migrations.Migration):
    dependencies = [("core", "0002_workcalendarday")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
