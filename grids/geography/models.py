"""grids.geography models (re-exported by grids/models.py).

Only fields and constraints live here; every change goes through
grids.geography.actions (docs/decisions/0008-grid-lookup.md).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from governance.models import Area

__all__ = ["GridGeometryVersion", "GridKind", "GridProfile", "GridSubtype"]


class GridKind(models.TextChoices):
    """综合网格 (residential) vs 专属网格 (a school, park, enterprise…)."""

    GENERAL = "general", _("General grid")
    DEDICATED = "dedicated", _("Dedicated grid")


class GridSubtype(models.TextChoices):
    """What a dedicated grid (专属网格) covers; empty for general grids."""

    SCHOOL = "school", _("School")
    PARK = "park", _("Park")
    ENTERPRISE = "enterprise", _("Enterprise")
    HOSPITAL = "hospital", _("Hospital")
    AGENCY = "agency", _("Government agency")
    MARKET = "market", _("Market")
    OTHER = "other", _("Other")


class GridProfile(models.Model):
    """Kind, size and boundary of one grid-level Area.

    ``boundary`` is a GeoJSON Polygon (lng/lat, WGS84/CGCS2000 — the two agree
    to centimetres); ``area_m2`` and the bbox columns are derived from it by
    the action and never edited by hand.
    """

    # CASCADE, not PROTECT: the profile is part of the grid, and areas are
    # never deleted by the application (they are merged or retired).
    grid = models.OneToOneField(
        Area,
        verbose_name=_("grid"),
        on_delete=models.CASCADE,
        related_name="grid_profile",
        limit_choices_to={"level": "grid"},
    )
    kind = models.CharField(
        _("kind"), max_length=12, choices=GridKind.choices, default=GridKind.GENERAL
    )
    subtype = models.CharField(
        _("dedicated grid type"),
        max_length=12,
        choices=GridSubtype.choices,
        blank=True,
        default="",
    )
    households = models.PositiveIntegerField(_("households"), default=0)
    population = models.PositiveIntegerField(_("population"), default=0)
    boundary = models.JSONField(
        _("boundary"),
        null=True,
        blank=True,
        help_text=_("GeoJSON Polygon in longitude/latitude degrees."),
    )
    area_m2 = models.FloatField(_("area (m²)"), null=True, blank=True)
    # The bounding box lets a query pick candidate grids (siblings that may
    # overlap, grids near a point) with plain indexed range filters.
    min_lat = models.FloatField(_("minimum latitude"), null=True, blank=True)
    max_lat = models.FloatField(_("maximum latitude"), null=True, blank=True)
    min_lng = models.FloatField(_("minimum longitude"), null=True, blank=True)
    max_lng = models.FloatField(_("maximum longitude"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("grid profile")
        verbose_name_plural = _("grid profiles")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=[k.value for k in GridKind]),
                name="gridprofile_kind_valid",
            ),
            # A dedicated grid says what it covers; a general grid has no subtype.
            models.CheckConstraint(
                condition=models.Q(kind="dedicated", subtype__in=[s.value for s in GridSubtype])
                | models.Q(kind="general", subtype=""),
                name="gridprofile_subtype_iff_dedicated",
            ),
            # Derived columns exist exactly when a boundary does.
            models.CheckConstraint(
                condition=models.Q(
                    boundary__isnull=True,
                    area_m2__isnull=True,
                    min_lat__isnull=True,
                    max_lat__isnull=True,
                    min_lng__isnull=True,
                    max_lng__isnull=True,
                )
                | models.Q(
                    boundary__isnull=False,
                    area_m2__gte=0,
                    min_lat__lte=models.F("max_lat"),
                    min_lng__lte=models.F("max_lng"),
                ),
                name="gridprofile_derived_match_boundary",
            ),
        ]
        indexes = [
            models.Index(fields=["kind", "subtype"], name="gridprofile_kind_idx"),
            models.Index(fields=["min_lat", "max_lat"], name="gridprofile_lat_idx"),
            models.Index(fields=["min_lng", "max_lng"], name="gridprofile_lng_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.grid_id} {self.get_kind_display()}"


class GridGeometryVersion(models.Model):
    """One row (pk=1): a counter bumped by every boundary change.

    Each process caches its point → grid index with the counter it was built
    from and compares it with this row (one primary-key read, at most once a
    second), so every web worker sees a new boundary promptly.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    version = models.BigIntegerField(_("version"), default=0)
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        verbose_name = _("grid geometry version")
        verbose_name_plural = _("grid geometry versions")
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="gridgeomversion_one_row")
        ]

    def __str__(self) -> str:
        return str(self.version)
