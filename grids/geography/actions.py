"""Every change to grid geography.

Each action: keyword-only, one transaction, checks the actor's rights,
validates, writes its audit row in the same transaction. Rules that only
advise (overlaps, sizing guidance) come back as warnings, not errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypedDict

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core import audit
from core.errors import Conflict, ValidationFailed
from core.types import Actor
from governance.access import ensure_can_manage_area
from governance.models import Area, AreaLevel
from grids.geography import lookup
from grids.geography.geometry import CleanBoundary, clean_boundary, overlap_m2, polygon_from_geojson
from grids.geography.models import GridGeometryVersion, GridKind, GridProfile, GridSubtype
from grids.geography.selectors import sibling_profiles_near

#: Sizing guidance for 综合网格: 300–500 households and normally no more than
#: 2,500 residents (domain-rules §1.2; e.g. 西安 DB6101/T 3185-2024).
HOUSEHOLDS_GUIDANCE = (300, 500)
POPULATION_GUIDANCE_MAX = 2500
#: Overlaps smaller than this (m²) are drawing noise, not a warning.
OVERLAP_TOLERANCE_M2 = 1.0
#: Sanity caps, far above any real grid.
_MAX_HOUSEHOLDS = 100_000
_MAX_POPULATION = 1_000_000

# Warning codes.
OVERLAPS_SIBLING = "overlaps_sibling"
HOUSEHOLDS_OUTSIDE_GUIDANCE = "households_outside_guidance"
POPULATION_ABOVE_GUIDANCE = "population_above_guidance"

_PROFILE_FIELDS = ["grid", "kind", "subtype", "households", "population", "boundary", "area_m2"]


class GridWarning(TypedDict):
    code: str
    message: str
    extra: dict[str, Any]


@dataclass
class GridProfileSaved:
    """What ``grid_profile_set`` returns: the saved profile and advisory warnings."""

    profile: GridProfile
    created: bool
    warnings: list[GridWarning] = field(default_factory=list)


def _clean_count(value: Any, name: str, cap: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= cap:
        raise ValidationFailed(
            extra={
                "fields": {
                    name: [
                        _("Enter a whole number between 0 and %(cap)d.") % {"cap": cap},
                    ]
                }
            }
        )
    return value


def _clean_kind(kind: Any, subtype: Any) -> tuple[str, str]:
    if kind not in GridKind.values:
        raise ValidationFailed(extra={"fields": {"kind": [_("Choose a valid grid kind.")]}})
    subtype = subtype or ""
    if kind == GridKind.DEDICATED:
        if subtype not in GridSubtype.values:
            raise ValidationFailed(
                _("A dedicated grid needs a type (school, park, enterprise…)."),
                code="subtype_required",
                extra={"fields": {"subtype": [_("Choose what the dedicated grid covers.")]}},
            )
    elif subtype:
        raise ValidationFailed(
            _("Only dedicated grids have a type."),
            code="subtype_not_allowed",
            extra={"fields": {"subtype": [_("Leave empty for a general grid.")]}},
        )
    return str(kind), str(subtype)


def sizing_warnings(*, kind: str, households: int, population: int) -> list[GridWarning]:
    """Guidance for 综合网格 size; dedicated grids have none."""
    if kind != GridKind.GENERAL:
        return []
    out: list[GridWarning] = []
    low, high = HOUSEHOLDS_GUIDANCE
    if not low <= households <= high:
        out.append(
            {
                "code": HOUSEHOLDS_OUTSIDE_GUIDANCE,
                "message": _(
                    "A general grid usually has %(low)d–%(high)d households; this one has %(n)d."
                )
                % {"low": low, "high": high, "n": households},
                "extra": {"households": households, "guidance": [low, high]},
            }
        )
    if population > POPULATION_GUIDANCE_MAX:
        out.append(
            {
                "code": POPULATION_ABOVE_GUIDANCE,
                "message": _(
                    "A general grid usually has at most %(max)d residents; this one has %(n)d."
                )
                % {"max": POPULATION_GUIDANCE_MAX, "n": population},
                "extra": {"population": population, "guidance_max": POPULATION_GUIDANCE_MAX},
            }
        )
    return out


def _overlap_warnings(grid: Area, clean: CleanBoundary) -> list[GridWarning]:
    out: list[GridWarning] = []
    for sibling in sibling_profiles_near(grid=grid, bbox=clean.bbox):
        assert sibling.boundary is not None
        shared = overlap_m2(clean.polygon, polygon_from_geojson(sibling.boundary))
        if shared > OVERLAP_TOLERANCE_M2:
            out.append(
                {
                    "code": OVERLAPS_SIBLING,
                    "message": _("The boundary overlaps grid %(name)s (%(code)s) by %(m2)s m².")
                    % {
                        "name": sibling.grid.name,
                        "code": sibling.grid.code,
                        "m2": f"{shared:,.0f}",
                    },
                    "extra": {"grid": sibling.grid_id, "overlap_m2": round(shared, 1)},
                }
            )
    return out


def _bump_geometry_version() -> None:
    """Tell every process its point → grid index is stale (inside the caller's transaction)."""
    now = timezone.now()
    bump = {"version": F("version") + 1, "changed_at": now}
    if GridGeometryVersion.objects.filter(pk=1).update(**bump):
        return
    _row, created = GridGeometryVersion.objects.get_or_create(
        pk=1, defaults={"version": 1, "changed_at": now}
    )
    if not created:  # another transaction created it first: still count this change
        GridGeometryVersion.objects.filter(pk=1).update(**bump)


def boundaries_changed() -> None:
    """Call inside the transaction that changed boundaries (actions, demo seeding)."""
    _bump_geometry_version()
    # Drop this process's index now (the next lookup in this transaction
    # sees the new row) and again after commit, in case another thread
    # rebuilt from the old rows in between.
    lookup.invalidate()
    transaction.on_commit(lookup.invalidate)


@transaction.atomic
def grid_profile_set(
    *,
    grid: Area,
    kind: str,
    subtype: str = "",
    households: int,
    population: int,
    boundary: dict[str, Any] | None,
    actor: Actor,
) -> GridProfileSaved:
    """Create or replace the profile of ``grid``.

    ``boundary`` is a GeoJSON Polygon (or None: not drawn yet). Errors raise
    ValidationFailed with a stable code (see geometry.py); overlaps with
    sibling grids and sizing outside the guidance come back as warnings.
    """
    ensure_can_manage_area(actor, grid)
    if grid.level != AreaLevel.GRID:
        raise ValidationFailed(_("Only a grid has a grid profile."), code="not_a_grid")
    if not grid.is_active:
        raise ValidationFailed(_("The grid is no longer active."), code="area_retired")
    kind, subtype = _clean_kind(kind, subtype)
    households = _clean_count(households, "households", _MAX_HOUSEHOLDS)
    population = _clean_count(population, "population", _MAX_POPULATION)
    clean = clean_boundary(boundary) if boundary is not None else None

    warnings: list[GridWarning] = []
    if clean is not None:
        warnings += _overlap_warnings(grid, clean)
    warnings += sizing_warnings(kind=kind, households=households, population=population)

    profile = GridProfile.objects.select_for_update().filter(grid=grid).first()
    created = profile is None
    if profile is None:
        profile = GridProfile(grid=grid)
        before: dict[str, Any] = {}
    else:
        before = audit.snapshot(profile, _PROFILE_FIELDS)
    old_boundary = profile.boundary
    profile.kind = kind
    profile.subtype = subtype
    profile.households = households
    profile.population = population
    if clean is None:
        profile.boundary = None
        profile.area_m2 = profile.min_lat = profile.max_lat = None
        profile.min_lng = profile.max_lng = None
    else:
        profile.boundary = clean.geojson
        profile.area_m2 = round(clean.area_m2, 1)
        profile.min_lat, profile.max_lat = clean.bbox.min_lat, clean.bbox.max_lat
        profile.min_lng, profile.max_lng = clean.bbox.min_lng, clean.bbox.max_lng
    after = audit.snapshot(profile, _PROFILE_FIELDS)
    if created or after != before:
        profile.updated_at = timezone.now()
        try:
            with transaction.atomic():
                profile.save()
        except IntegrityError as exc:
            # Two first saves of the same grid raced; the one-to-one key kept one.
            raise Conflict(
                _("The grid's profile was just created by someone else; reload and retry."),
                code="grid_profile_conflict",
            ) from exc
        audit.record(
            profile,
            verb="created" if created else "updated",
            actor=actor,
            before=before,
            after=after,
        )
    if profile.boundary != old_boundary:
        boundaries_changed()
    profile.grid = grid
    return GridProfileSaved(profile=profile, created=created, warnings=warnings)
