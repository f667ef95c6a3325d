"""Scoped reads of grid profiles (docs/decisions/0004-scoping.md)."""

from __future__ import annotations

from typing import Any

from django.db.models import F, Q, QuerySet

from core.types import AnyUser
from governance.models import Area, AreaLevel
from governance.selectors import area_list, user_scope
from grids.geography.geometry import BBox
from grids.geography.models import GridProfile


def grid_list(*, user: AnyUser) -> QuerySet[Area]:
    """Grid-level areas the user may read."""
    return area_list(user=user).filter(level=AreaLevel.GRID)


def grid_profile_list(
    *,
    user: AnyUser,
    area: Area | None = None,
    kind: str | None = None,
    subtype: str | None = None,
) -> QuerySet[GridProfile]:
    """Profiles of grids in the user's readable subtrees, tree order.

    ``area`` narrows to that area's subtree (path prefix, no per-row check).
    ``grid_path`` is annotated so cursor pagination can order by it.
    """
    scope = user_scope(user)
    qs = GridProfile.objects.filter(scope.area_q("grid__"))
    if area is not None:
        qs = qs.filter(grid__path__startswith=area.path)
    if kind:
        qs = qs.filter(kind=kind)
    if subtype:
        qs = qs.filter(subtype=subtype)
    return qs.select_related("grid").annotate(grid_path=F("grid__path"))


def grid_ancestors(grid: Area) -> list[Area]:
    """The areas above ``grid``, city first (one query, by path prefixes)."""
    steplen = Area.steplen
    paths = [grid.path[:i] for i in range(steplen, len(grid.path), steplen)]
    return list(Area.objects.filter(path__in=paths).order_by("depth"))


def sibling_profiles_near(*, grid: Area, bbox: BBox) -> QuerySet[GridProfile]:
    """Other grids of the same community whose bounding box meets ``bbox``."""
    parent_path = grid.path[: -Area.steplen]
    return (
        GridProfile.objects.filter(
            grid__path__startswith=parent_path,
            grid__depth=grid.depth,
            grid__is_active=True,
            boundary__isnull=False,
            min_lat__lte=bbox.max_lat,
            max_lat__gte=bbox.min_lat,
            min_lng__lte=bbox.max_lng,
            max_lng__gte=bbox.min_lng,
        )
        .exclude(grid=grid)
        .select_related("grid")
        .order_by("grid__code")
    )


def lookup_rows() -> QuerySet[GridProfile, tuple[int, str, Any]]:
    """What the point → grid index is built from: active grids with a boundary, by code."""
    return (
        GridProfile.objects.filter(
            Q(grid__is_active=True) & Q(grid__level=AreaLevel.GRID) & Q(boundary__isnull=False)
        )
        .order_by("grid__code")
        .values_list("grid_id", "grid__code", "boundary")
    )
