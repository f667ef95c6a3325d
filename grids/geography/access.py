"""Permission-checked fetches for grid geography. Absent and out-of-scope give the same 404."""

from __future__ import annotations

from django.utils.translation import gettext as _

from core.errors import NotFound
from core.types import AnyUser
from governance.access import ensure_can_manage_area
from governance.models import Area
from grids.geography.models import GridProfile
from grids.geography.selectors import grid_list


def access_grid(user: AnyUser, area_id: int | str, *, for_write: bool = False) -> Area:
    """A grid-level area the user may read (and, with ``for_write``, manage)."""
    try:
        grid = grid_list(user=user).get(pk=int(area_id))
    except (Area.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Grid not found."), code="grid_not_found") from None
    if for_write:
        ensure_can_manage_area(user, grid)
    return grid


def access_grid_profile(
    user: AnyUser, area_id: int | str, *, for_write: bool = False
) -> GridProfile:
    """The profile of a readable grid; a grid without one is a 404 too."""
    grid = access_grid(user, area_id, for_write=for_write)
    profile = GridProfile.objects.filter(grid=grid).first()
    if profile is None:
        raise NotFound(_("This grid has no profile yet."), code="grid_profile_not_found")
    profile.grid = grid
    return profile
