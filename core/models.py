from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """Append-only record of a change made by an action: who, when, before, after.

    Written by the action in the same transaction as the change
    (``core.audit.record``). Apps with a timeline of their own (tickets) keep
    their own event table; this one serves the tree, departments, posts and
    rosters.
    """

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.BigIntegerField()
    verb = models.CharField(_("verb"), max_length=40)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    before = models.JSONField(_("before"), default=dict, blank=True)
    after = models.JSONField(_("after"), default=dict, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = [models.Index(fields=["content_type", "object_id", "at"])]
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.verb} {self.content_type_id}:{self.object_id} @ {self.at:%Y-%m-%d %H:%M}"

    @property
    def changes(self) -> dict[str, Any]:
        keys = sorted(set(self.before) | set(self.after))
        return {
            k: (self.before.get(k), self.after.get(k))
            for k in keys
            if self.before.get(k) != self.after.get(k)
        }


class DayKind(models.TextChoices):
    WORKDAY = "workday", _("Workday")
    WEEKEND = "weekend", _("Weekend")
    HOLIDAY = "holiday", _("Public holiday")
    MAKEUP_WORKDAY = "makeup_workday", _("Make-up workday (调休)")


class WorkCalendarDay(models.Model):
    """One day of the working calendar. Deadlines count these rows.

    Seeded from the ``chinese-calendar`` package, editable by admins, and
    loaded for a new year when the State Council publishes its arrangement.
    A year without rows is computed provisionally (see core.workcalendar).
    """

    class Source(models.TextChoices):
        PACKAGE = "package", _("chinese-calendar package")
        IMPORT = "import", _("Imported file")
        ADMIN = "admin", _("Entered by an administrator")

    day = models.DateField(_("day"), unique=True)
    is_workday = models.BooleanField(_("working day"))
    kind = models.CharField(_("kind"), max_length=16, choices=DayKind.choices)
    name = models.CharField(_("holiday name"), max_length=40, blank=True)
    periods = models.CharField(
        _("working hours"),
        max_length=60,
        blank=True,
        help_text=_("Like 08:30-12:00,13:30-17:30; blank means the default working hours."),
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("working calendar day")
        verbose_name_plural = _("working calendar")
        ordering = ["day"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(is_workday=True, kind__in=["workday", "makeup_workday"])
                | models.Q(is_workday=False, kind__in=["weekend", "holiday"]),
                name="calendar_kind_matches_workday",
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.get_kind_display()}"
