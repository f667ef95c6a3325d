"""Changes to cross-cutting data: the working calendar."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import audit, hooks, workcalendar
from core.calendar import DayInput, package_year
from core.errors import AccessDenied, ValidationFailed
from core.models import WorkCalendarDay
from core.types import Actor

#: fn(*, actor, year): a year's arrangement changed (fired inside the
#: transaction); the clocks connect here to recompute provisional deadlines.
CALENDAR_CHANGED = hooks.declare("core.calendar_changed")


def _ensure_admin(actor: Actor) -> None:
    if actor is None:
        return
    if not (getattr(actor, "is_superuser", False) or actor.has_perm("core.change_workcalendarday")):
        raise AccessDenied(
            _("Only calendar administrators change the calendar."), code="cannot_edit_calendar"
        )


@transaction.atomic
def calendar_load_year(
    *, year: int, actor: Actor, days: list[DayInput] | None = None, source: str = "package"
) -> int:
    """Load (or reload) a whole year; returns the number of days changed.

    ``days`` defaults to the chinese-calendar package's arrangement.
    """
    _ensure_admin(actor)
    if days is None:
        days = package_year(year)
        if days is None:
            raise ValidationFailed(
                _("The calendar package has no arrangement for %(year)d yet; import a file.")
                % {"year": year},
                code="calendar_year_unknown",
            )
    if len(days) not in (365, 366) or {d.day.year for d in days} != {year}:
        raise ValidationFailed(_("A year needs every one of its days."), code="calendar_incomplete")
    existing = {row.day: row for row in WorkCalendarDay.objects.filter(day__year=year)}
    now = timezone.now()
    changed = 0
    to_create = []
    for d in days:
        row = existing.get(d.day)
        if row is None:
            to_create.append(
                WorkCalendarDay(
                    day=d.day,
                    is_workday=d.is_workday,
                    kind=d.kind,
                    name=d.name,
                    source=source,
                    updated_at=now,
                )
            )
            changed += 1
        elif (row.is_workday, row.kind, row.name) != (d.is_workday, d.kind, d.name):
            WorkCalendarDay.objects.filter(pk=row.pk).update(
                is_workday=d.is_workday, kind=d.kind, name=d.name, source=source, updated_at=now
            )
            changed += 1
    WorkCalendarDay.objects.bulk_create(to_create, batch_size=400)
    if changed:
        first = WorkCalendarDay.objects.get(day=dt.date(year, 1, 1))
        audit.record(
            first,
            verb="year_loaded",
            actor=actor,
            after={"year": year, "changed": changed, "source": source},
        )
        transaction.on_commit(workcalendar.invalidate)
        workcalendar.invalidate()  # this transaction must see its own rows too
        hooks.fire(CALENDAR_CHANGED, actor=actor, year=year)
    return changed


@transaction.atomic
def calendar_set_day(
    *,
    day: dt.date,
    is_workday: bool,
    actor: Actor,
    name: str = "",
    periods: str = "",
    note: str = "",
) -> WorkCalendarDay:
    """Change one day (an ad-hoc closure, a changed make-up day, shorter hours)."""
    _ensure_admin(actor)
    if periods:
        try:
            workcalendar.parse_periods(periods)
        except ValueError as exc:
            raise ValidationFailed(extra={"fields": {"periods": [str(exc)]}}) from exc
    d = DayInput(day, is_workday, name.strip()[:40])
    row = WorkCalendarDay.objects.filter(day=day).first()
    before = audit.snapshot(row, ["is_workday", "kind", "name", "periods"]) if row else {}
    row, _created = WorkCalendarDay.objects.update_or_create(
        day=day,
        defaults={
            "is_workday": is_workday,
            "kind": d.kind,
            "name": d.name,
            "periods": periods,
            "note": note[:200],
            "source": WorkCalendarDay.Source.ADMIN,
            "updated_at": timezone.now(),
        },
    )
    audit.record(
        row,
        verb="day_changed",
        actor=actor,
        before=before,
        after=audit.snapshot(row, ["is_workday", "kind", "name", "periods"]),
    )
    transaction.on_commit(workcalendar.invalidate)
    workcalendar.invalidate()
    hooks.fire(CALENDAR_CHANGED, actor=actor, year=day.year)
    return row
