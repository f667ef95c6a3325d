"""Permission-checked fetches for rosters. Absent and out-of-scope give the same 404."""

from __future__ import annotations

from django.utils.translation import gettext as _

from core.errors import AccessDenied, NotFound
from core.types import AnyUser
from governance.access import ensure_can_manage_area
from governance.models import Area
from grids.rosters.models import RosterEntry, Visit, Worker
from grids.rosters.selectors import (
    roster_areas,
    roster_entries,
    roster_grids,
    user_manages_worker,
    visit_list,
    worker_list,
)


def _int(value: int | str) -> int:
    return int(value)


def access_roster_area(user: AnyUser, area_id: int | str | None) -> Area:
    """An area (any level) inside the subtrees the user works in."""
    try:
        return roster_areas(user=user).get(pk=_int(area_id))  # type: ignore[arg-type]
    except (Area.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Area not found."), code="area_not_found") from None


def access_grid(user: AnyUser, grid_id: int | str, *, for_write: bool = False) -> Area:
    try:
        grid = roster_grids(user=user).get(pk=_int(grid_id))
    except (Area.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Grid not found."), code="grid_not_found") from None
    if for_write:
        ensure_can_manage_area(user, grid)
    return grid


def access_worker(user: AnyUser, worker_id: int | str, *, for_write: bool = False) -> Worker:
    try:
        worker = worker_list(user=user).select_related("user").get(pk=_int(worker_id))
    except (Worker.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Worker not found."), code="worker_not_found") from None
    if for_write and not user_manages_worker(user, worker):
        raise AccessDenied(
            _("Only a roster administrator of the worker's grid may change them."),
            code="cannot_manage_worker",
        )
    return worker


def access_roster_entry(
    user: AnyUser, entry_id: int | str, *, for_write: bool = False
) -> RosterEntry:
    try:
        entry = roster_entries(user=user).get(pk=_int(entry_id))
    except (RosterEntry.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Roster entry not found."), code="roster_entry_not_found") from None
    if for_write:
        ensure_can_manage_area(user, entry.grid)
    return entry


def access_visit(user: AnyUser, visit_id: int | str) -> Visit:
    try:
        return visit_list(user=user).get(pk=_int(visit_id))
    except (Visit.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Visit not found."), code="visit_not_found") from None
