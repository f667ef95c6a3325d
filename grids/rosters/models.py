"""grids.rosters models (re-exported by grids/models.py).

Workers, roster entries (一格一长一警一专多兼, 五长制) and visit logs. Only
fields, constraints and small properties live here; every change goes through
grids.rosters.actions.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.logging import mask_id_number, mask_phone
from governance.models import Area

__all__ = ["Gender", "RosterEntry", "RosterRole", "Visit", "VisitKind", "VisitPhoto", "Worker"]

WORKER_CODE_PREFIX = "W"


class Gender(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")


class RosterRole(models.TextChoices):
    """Roles of a grid roster; code names from GLOSSARY.md."""

    GRID_HEAD = "grid_head", _("Grid head")
    GRID_POLICE = "grid_police", _("Grid police officer")
    FULL_TIME_WORKER = "full_time_worker", _("Full-time grid worker")
    PART_TIME_WORKER = "part_time_worker", _("Part-time grid worker")
    BUILDING_HEAD = "building_head", _("Building head")
    UNIT_HEAD = "unit_head", _("Unit head")
    STREET_HEAD = "street_head", _("Street head")
    ROAD_HEAD = "road_head", _("Road head")
    LIAISON = "liaison", _("Liaison")
    COORDINATOR = "coordinator", _("Coordinator")
    PATROLLER = "patroller", _("Patroller")
    VOLUNTEER = "volunteer", _("Volunteer")


class Worker(models.Model):
    """A person who serves on grid rosters.

    Phone and ID number are stored in full; every list, export, audit row and
    log line shows them masked (docs/decisions/0009-rosters.md). ``code``
    (``W`` + the id) is the stable key the import/export uses.
    """

    name = models.CharField(_("name"), max_length=50)
    gender = models.CharField(_("gender"), max_length=6, choices=Gender.choices, blank=True)
    phone = models.CharField(_("phone"), max_length=20)
    id_number = models.CharField(
        _("ID number"),
        max_length=18,
        unique=True,
        help_text=_("居民身份证号: 18 characters, GB 11643 check digit."),
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="grid_worker",
    )
    notes = models.TextField(_("notes"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("grid worker")
        verbose_name_plural = _("grid workers")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(id_number__length=18), name="worker_id_number_18_chars"
            ),
            models.CheckConstraint(
                condition=models.Q(gender__in=["", *Gender.values]), name="worker_gender_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def code(self) -> str:
        return f"{WORKER_CODE_PREFIX}{self.pk:08d}" if self.pk else ""

    @staticmethod
    def pk_from_code(code: str) -> int | None:
        code = (code or "").strip().upper()
        digits = code[1:]
        if not code.startswith(WORKER_CODE_PREFIX) or not (digits.isascii() and digits.isdigit()):
            return None
        if len(digits) > 18:  # beyond any database id
            return None
        return int(digits)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)


class RosterEntry(models.Model):
    """One person in one role on one grid's roster, from ``start`` to ``end``.

    Open while ``end`` is null. Ending sets ``end``; rows are never deleted,
    so the roster keeps its history.
    """

    grid = models.ForeignKey(
        Area,
        verbose_name=_("grid"),
        on_delete=models.PROTECT,
        related_name="roster_entries",
    )
    worker = models.ForeignKey(
        Worker, verbose_name=_("worker"), on_delete=models.PROTECT, related_name="roster_entries"
    )
    role = models.CharField(_("role"), max_length=20, choices=RosterRole.choices)
    full_time = models.BooleanField(_("full-time"), default=False)
    start = models.DateField(_("start"))
    end = models.DateField(_("end"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("roster entry")
        verbose_name_plural = _("roster entries")
        ordering = ["grid_id", "role", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__isnull=True) | models.Q(end__gte=models.F("start")),
                name="roster_entry_end_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=RosterRole.values), name="roster_entry_role_valid"
            ),
            # A full-time job is one job: one open full-time entry per worker
            # across all grids. roster_add checks first; this is the backstop.
            models.UniqueConstraint(
                fields=["worker"],
                condition=models.Q(full_time=True, end__isnull=True),
                name="roster_one_open_full_time_entry_per_worker",
            ),
            models.UniqueConstraint(
                fields=["grid", "worker", "role"],
                condition=models.Q(end__isnull=True),
                name="roster_one_open_entry_per_grid_worker_role",
            ),
        ]
        indexes = [
            # Current rosters and compliance read open entries by grid.
            models.Index(
                fields=["grid", "role"],
                condition=models.Q(end__isnull=True),
                name="roster_open_by_grid_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.worker_id} · {self.get_role_display()} · {self.grid_id}"

    @property
    def is_open(self) -> bool:
        return self.end is None


class VisitKind(models.TextChoices):
    HOUSEHOLD_VISIT = "household_visit", _("Household visit")
    PATROL = "patrol", _("Patrol")
    OTHER = "other", _("Other")


class Visit(models.Model):
    """A household visit (走访) or patrol (巡查) logged by a grid worker."""

    grid = models.ForeignKey(
        Area, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="visits"
    )
    worker = models.ForeignKey(
        Worker, verbose_name=_("worker"), on_delete=models.PROTECT, related_name="visits"
    )
    visited_at = models.DateTimeField(_("visited at"))
    kind = models.CharField(_("kind"), max_length=20, choices=VisitKind.choices)
    household = models.CharField(
        _("household"),
        max_length=60,
        blank=True,
        help_text=_("A household key such as building-unit-room (3-2-501)."),
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("logged by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-visited_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=VisitKind.values), name="visit_kind_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["grid", "visited_at"]),
            models.Index(fields=["worker", "visited_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.grid_id} @ {self.visited_at:%Y-%m-%d %H:%M}"


class VisitPhoto(models.Model):
    visit = models.ForeignKey(
        Visit, verbose_name=_("visit"), on_delete=models.PROTECT, related_name="photos"
    )
    image = models.ImageField(_("image"), upload_to="visits/%Y/%m/")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("visit photo")
        verbose_name_plural = _("visit photos")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.image.name
