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


class Notification(models.Model):
    """One message in a person's in-app inbox."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    verb = models.CharField(_("event"), max_length=40)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["user", "created_at"],
                name="notification_unread_idx",
                condition=models.Q(read_at__isnull=True),
            ),
            models.Index(fields=["user", "created_at", "id"], name="notification_inbox_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def display_title(self) -> str:
        """The title in the reader's language when a recipe was stored (core.i18n)."""
        from core.i18n import render_or

        return render_or((self.data or {}).get("title_i18n"), self.title)


class Delivery(models.Model):
    """The outbox: one message to send on one channel.

    Written in the same transaction as its cause, sent by a task after commit,
    retried with backoff, and swept if a task was never run (broker down):
    a broker outage delays a delivery, never loses it.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        SMS = "sms", _("SMS")
        WEBHOOK = "webhook", _("Webhook")

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed, will retry")
        DEAD = "dead", _("Gave up")

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    recipient = models.CharField(_("recipient"), max_length=300)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    payload = models.JSONField(_("payload"), default=dict)
    idempotency_key = models.CharField(max_length=64, unique=True)
    notification = models.ForeignKey(
        Notification, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        indexes = [
            # The retry sweep reads only deliveries still to send.
            models.Index(
                fields=["next_attempt_at"],
                name="delivery_due_idx",
                condition=models.Q(state__in=["pending", "failed"]),
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel} → {self.recipient} ({self.state})"


class IdempotencyKey(models.Model):
    """A client's retry key and the first answer given to it (issue 18, finding 12).

    A create or step request carrying ``Idempotency-Key`` (API) or the form's
    hidden ``idempotency_key`` (pages) inserts this row in the same
    transaction as its action; a retry with the same key gets the stored
    answer instead of acting again (core/idempotency.py). The unique
    constraint is what serialises two concurrent duplicates: the second
    insert waits for the first transaction and then finds its row.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(_("key"), max_length=255)
    method = models.CharField(_("method"), max_length=10)
    path = models.CharField(_("path"), max_length=2000)
    #: SHA-256 of method, path and body: the same key on another request is refused.
    fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    status_code = models.PositiveSmallIntegerField(_("response status"))
    content_type = models.CharField(_("response type"), max_length=100, blank=True)
    body = models.TextField(_("response body"), blank=True)
    location = models.CharField(_("redirect to"), max_length=2000, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_per_user")
        ]
        # The expiry sweep deletes by age.
        indexes = [models.Index(fields=["created_at"], name="idempotency_key_created_idx")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.key})"
