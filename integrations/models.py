"""Other systems that work with the portal without a person in between:
API clients and their keys, webhook subscriptions, the 12345 mapping tables,
intake records (idempotency and Open311 tokens) and Open311 service attributes.

Fields and constraints only; every change goes through integrations.actions.
See docs/decisions/0013-api-clients-and-open311.md.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import Delivery
from governance.models import Area
from services.models import Category, Ticket


class ApiClient(models.Model):
    """A system (the 12345 hotline, a resident app, a department's own system).

    It acts through its own service account: the account's posts (an intake
    desk post per area, a department officer post per department) are its
    scope, so every selector and action scopes it like a person.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("service account"),
        on_delete=models.PROTECT,
        related_name="api_client",
    )
    contact = models.CharField(_("contact"), max_length=200, blank=True)
    default_grid = models.ForeignKey(
        Area,
        verbose_name=_("default grid"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": "grid"},
        help_text=_("Where an Open311 request with only an address string is taken in."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ApiKey(models.Model):
    """One key of a client: ``gg_<prefix>.<secret>``.

    Only the prefix (for lookup) and a SHA-256 of the high-entropy secret are
    stored; the full key is shown once, when it is issued.
    """

    client = models.ForeignKey(
        ApiClient, verbose_name=_("client"), on_delete=models.CASCADE, related_name="keys"
    )
    name = models.CharField(_("label"), max_length=60, blank=True)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    can_write = models.BooleanField(
        _("may write"),
        default=False,
        help_text=_("Read-only keys are refused every POST, PUT, PATCH and DELETE."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"gg_{self.prefix}… ({self.client_id})"

    def usable(self, now: dt.datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class WebhookEvent(models.TextChoices):
    CREATED = "ticket.created", _("Ticket created")
    DISPATCHED = "ticket.dispatched", _("Ticket dispatched")
    CLAIMED = "ticket.claimed", _("Ticket claimed")
    REPLIED = "ticket.replied", _("Department replied")
    CLOSED = "ticket.closed", _("Ticket closed")
    OVERDUE = "ticket.overdue", _("Deadline passed")
    ESCALATED = "ticket.escalated", _("Escalated or supervised")
    STATE_CHANGED = "ticket.state_changed", _("Other state change")


class WebhookSubscription(models.Model):
    """A client's URL, the events it wants and the secret its deliveries are
    signed with (HMAC-SHA256, ``X-Gridgov-Signature``)."""

    client = models.ForeignKey(
        ApiClient, verbose_name=_("client"), on_delete=models.CASCADE, related_name="webhooks"
    )
    url = models.URLField(_("URL"), max_length=300)
    secret = models.CharField(_("signing secret"), max_length=64)
    events = models.JSONField(_("events"), default=list)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.client_id} → {self.url}"


class WebhookDelivery(models.Model):
    """Links an outbox ``Delivery`` to the subscription it was made for: the
    client's delivery log (attempts, state, next retry) reads through it."""

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    delivery = models.OneToOneField(Delivery, on_delete=models.CASCADE, related_name="+")
    event = models.CharField(_("event"), max_length=32)
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [models.Index(fields=["subscription", "id"], name="webhook_delivery_log_idx")]

    def __str__(self) -> str:
        return f"{self.event} #{self.delivery_id}"


class HotlineCategoryMapping(models.Model):
    """12345 category code → portal category."""

    external_code = models.CharField(_("hotline code"), max_length=40, unique=True)
    external_name = models.CharField(_("hotline name"), max_length=100, blank=True)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("12345 category mapping")
        verbose_name_plural = _("12345 category mappings")
        ordering = ["external_code"]

    def __str__(self) -> str:
        return f"{self.external_code} → {self.category_id}"


class HotlineAreaMapping(models.Model):
    """12345 district/street/community (code or name) → the grid that takes
    its cases in. Either key may be blank, not both."""

    external_code = models.CharField(_("hotline area code"), max_length=40, blank=True)
    external_name = models.CharField(_("hotline area name"), max_length=100, blank=True)
    grid = models.ForeignKey(
        Area,
        verbose_name=_("grid"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": "grid"},
    )

    class Meta:
        verbose_name = _("12345 area mapping")
        verbose_name_plural = _("12345 area mappings")
        ordering = ["external_code", "external_name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(external_code="") | ~Q(external_name=""),
                name="hotline_area_has_a_key",
            ),
            models.UniqueConstraint(
                fields=["external_code"],
                condition=~Q(external_code=""),
                name="hotline_area_code_unique",
            ),
            models.UniqueConstraint(
                fields=["external_name"],
                condition=~Q(external_name=""),
                name="hotline_area_name_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.external_code or self.external_name} → {self.grid_id}"


class IntakeChannel(models.TextChoices):
    HOTLINE_12345 = "12345", _("12345 hotline")
    OPEN311 = "open311", _("Open311")


class IntakeRecord(models.Model):
    """A case a client handed in: the idempotency key of the 12345 intake
    (unique per client and external number) and the Open311 token."""

    client = models.ForeignKey(ApiClient, on_delete=models.PROTECT, related_name="intakes")
    channel = models.CharField(_("channel"), max_length=8, choices=IntakeChannel.choices)
    external_no = models.CharField(_("external number"), max_length=64, blank=True)
    token = models.CharField(_("token"), max_length=32, unique=True)
    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("intake record")
        verbose_name_plural = _("intake records")
        constraints = [
            # The backstop of idempotent intake: a repeat of the same external
            # number by the same client can never make a second ticket.
            models.UniqueConstraint(
                fields=["client", "channel", "external_no"],
                condition=~Q(external_no=""),
                name="intake_once_per_client_external_no",
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.external_no or self.token} → {self.ticket_id}"


class AttributeType(models.TextChoices):
    """Open311 GeoReport v2 attribute datatypes."""

    STRING = "string", _("string")
    NUMBER = "number", _("number")
    DATETIME = "datetime", _("date and time")
    TEXT = "text", _("text")
    SINGLEVALUELIST = "singlevaluelist", _("one of a list")
    MULTIVALUELIST = "multivaluelist", _("several of a list")


class ServiceAttribute(models.Model):
    """An extra question a category asks Open311 clients (service definition)."""

    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.CASCADE, related_name="+"
    )
    code = models.SlugField(_("code"), max_length=40)
    description = models.CharField(_("question"), max_length=200)
    datatype = models.CharField(_("datatype"), max_length=16, choices=AttributeType.choices)
    required = models.BooleanField(_("required"), default=False)
    datatype_description = models.CharField(_("datatype description"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=1)
    values = models.JSONField(
        _("values"),
        default=list,
        blank=True,
        help_text=_('For list types: [{"key": "…", "name": "…"}, …]'),
    )

    class Meta:
        verbose_name = _("Open311 attribute")
        verbose_name_plural = _("Open311 attributes")
        ordering = ["category", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["category", "code"], name="service_attribute_unique")
        ]

    def __str__(self) -> str:
        return f"{self.category_id}:{self.code}"
