"""Scoped reads of workers, rosters, compliance and visits.

Rosters and visits hang on grids; a user sees those under the subtrees they
work in (``Scope.work_q``: area posts and grants, not department posts — a
district department handles cases, it does not read every roster and phone
number of the district). Lists filter by path prefix, never row by row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import AuditEntry
from core.types import AnyUser
from governance.models import Area, AreaLevel
from governance.selectors import user_scope
from grids.rosters.models import RosterEntry, RosterRole, Visit, Worker

#: 一格一长一警一专多兼: at least this many distinct people on a grid's roster.
MIN_PEOPLE_PER_GRID = 5

#: Stable reason codes of a non-compliant grid and their messages.
COMPLIANCE_REASONS: dict[str, Any] = {
    "no_grid_head": _("The grid has no grid head."),
    "several_grid_heads": _("The grid has more than one grid head."),
    "no_grid_police": _("The grid has no grid police officer."),
    "no_full_time_worker": _("The grid has no full-time grid worker."),
    "too_few_people": _("The grid roster has fewer than %(min)d people."),
}


def _open() -> Q:
    return Q(end__isnull=True)


def roster_grids(*, user: AnyUser) -> QuerySet[Area]:
    """Grids whose rosters the user may read."""
    return Area.objects.filter(user_scope(user).work_q(), level=AreaLevel.GRID)


def roster_areas(*, user: AnyUser) -> QuerySet[Area]:
    """Areas (any level) inside the subtrees the user works in."""
    return Area.objects.filter(user_scope(user).work_q())


def user_manages_worker(user: AnyUser, worker: Worker) -> bool:
    """True when the user manages a grid where the worker has an open entry.

    A worker with no open entry belongs to the managers of the grids they
    served on; a worker on no roster at all to any roster administrator.
    """
    scope = user_scope(user)
    if scope.everything:
        return True
    if not scope.manage_paths:
        return False
    rows = list(RosterEntry.objects.filter(worker=worker).values_list("grid__path", "end"))
    if not rows:
        return True
    paths = [p for p, end in rows if end is None] or [p for p, _end in rows]
    return any(scope.manages_path(p) for p in paths)


def worker_list(*, user: AnyUser) -> QuerySet[Worker]:
    """Workers with an entry (open or ended) on a roster the user may read.

    Workers on no roster at all are visible to roster administrators, who
    create them before adding them to a grid.
    """
    scope = user_scope(user)
    qs = Worker.objects.all()
    if scope.everything:
        return qs
    in_scope = RosterEntry.objects.filter(scope.work_q("grid__"), worker=OuterRef("pk"))
    visible = Q(Exists(in_scope))
    if scope.manage_paths:
        visible |= ~Q(Exists(RosterEntry.objects.filter(worker=OuterRef("pk"))))
    return qs.filter(visible)


def roster_current(*, grid: Area) -> QuerySet[RosterEntry]:
    return (
        RosterEntry.objects.filter(_open(), grid=grid)
        .select_related("worker", "grid")
        .order_by("id")
    )


def roster_entries(*, user: AnyUser) -> QuerySet[RosterEntry]:
    return RosterEntry.objects.filter(user_scope(user).work_q("grid__")).select_related(
        "worker", "grid"
    )


def roster_export_rows(*, area: Area) -> QuerySet[RosterEntry]:
    """Open entries of every grid under ``area`` (caller checked access)."""
    return (
        RosterEntry.objects.filter(_open(), grid__path__startswith=area.path)
        .select_related("worker", "grid")
        .order_by("grid__code", "role", "worker_id", "id")
    )


def roster_history(*, grid: Area) -> QuerySet[AuditEntry]:
    """Audit rows of the grid's roster entries and of the workers on it, newest first."""
    entry_ct = ContentType.objects.get_for_model(RosterEntry)
    worker_ct = ContentType.objects.get_for_model(Worker)
    entries = RosterEntry.objects.filter(grid=grid)
    return (
        AuditEntry.objects.filter(
            Q(content_type=entry_ct, object_id__in=entries.values("id"))
            | Q(content_type=worker_ct, object_id__in=entries.values("worker_id"))
        )
        .select_related("actor", "content_type")
        .order_by("-at", "-id")
    )


@dataclass(frozen=True)
class GridCompliance:
    grid: Area
    heads: int
    police: int
    full_time_workers: int
    people: int

    @property
    def reasons(self) -> list[str]:
        out: list[str] = []
        if self.heads == 0:
            out.append("no_grid_head")
        elif self.heads > 1:
            out.append("several_grid_heads")
        if self.police == 0:
            out.append("no_grid_police")
        if self.full_time_workers == 0:
            out.append("no_full_time_worker")
        if self.people < MIN_PEOPLE_PER_GRID:
            out.append("too_few_people")
        return out

    @property
    def compliant(self) -> bool:
        return not self.reasons


def reason_message(code: str) -> str:
    message = str(COMPLIANCE_REASONS[code])
    if code == "too_few_people":
        message = message % {"min": MIN_PEOPLE_PER_GRID}
    return message


def roster_compliance(*, user: AnyUser, area: Area) -> list[GridCompliance]:
    """一格一长一警一专多兼 for every active grid under ``area`` the user may read.

    One aggregate query whatever the number of grids: all counts come from one
    join on open roster entries.
    """
    open_entry = Q(roster_entries__end__isnull=True)

    def role_count(role: str) -> Count:
        return Count("roster_entries", filter=open_entry & Q(roster_entries__role=role))

    grids = (
        roster_grids(user=user)
        .filter(path__startswith=area.path, is_active=True)
        .annotate(
            n_heads=role_count(RosterRole.GRID_HEAD),
            n_police=role_count(RosterRole.GRID_POLICE),
            n_full_time=role_count(RosterRole.FULL_TIME_WORKER),
            n_people=Count("roster_entries__worker", filter=open_entry, distinct=True),
        )
        .order_by("path")
    )
    return [
        GridCompliance(
            grid=g,
            heads=g.n_heads,
            police=g.n_police,
            full_time_workers=g.n_full_time,
            people=g.n_people,
        )
        for g in grids
    ]


def visit_list(*, user: AnyUser) -> QuerySet[Visit]:
    return (
        Visit.objects.filter(user_scope(user).work_q("grid__"))
        .select_related("grid", "worker")
        .prefetch_related("photos")
    )


def month_bounds(month: str) -> tuple[dt.datetime, dt.datetime]:
    """``YYYY-MM`` → [first instant, first instant of next month) in local time."""
    year, mon = (int(x) for x in month.split("-"))
    tz = timezone.get_current_timezone()
    start = dt.datetime(year, mon, 1, tzinfo=tz)
    end = dt.datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=tz)
    return start, end


def visit_stats(*, user: AnyUser, area: Area, month: str) -> QuerySet[Area]:
    """Per grid under ``area``: visits in the month and distinct households visited.

    One aggregate query, grids with no visit included (counts 0).
    """
    start, end = month_bounds(month)
    in_month = Q(visits__visited_at__gte=start, visits__visited_at__lt=end)
    return (
        roster_grids(user=user)
        .filter(path__startswith=area.path)
        .annotate(
            n_visits=Count("visits", filter=in_month),
            n_households=Count(
                "visits__household", filter=in_month & ~Q(visits__household=""), distinct=True
            ),
        )
        .order_by("path")
    )
