"""Service requests (Open311's word): categories, routing, tickets, dispatches
and their timeline. Fields and constraints only; every change goes through
services.actions, and services.workflow decides who may move what where.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from governance.models import Area, Department


class CategoryKind(models.TextChoices):
    COMPONENT = "component", _("Component (部件)")
    EVENT = "event", _("Event (事件)")
    REQUEST = "request", _("Request type (诉求)")


class ClockUnit(models.TextChoices):
    NATURAL_MINUTES = "natural_minutes", _("natural minutes")
    NATURAL_HOURS = "natural_hours", _("natural hours")
    WORKING_HOURS = "working_hours", _("working hours")
    WORKING_DAYS = "working_days", _("working days")
    CALENDAR_DAYS = "calendar_days", _("calendar days")


class Category(models.Model):
    """GB/T 30428 部件/事件 classes and 12345 request types, two levels deep.

    ``code`` is 大类 (2 digits) or 大类+小类 (4 digits) for 部件/事件, prefixed
    by kind (``C0101``, ``E0102``), and ``R01``… for request types. The clock
    policy (amount + unit) is the handling deadline for tickets of this class;
    a blank policy inherits the parent's, then the urgency default.
    """

    kind = models.CharField(_("kind"), max_length=12, choices=CategoryKind.choices)
    code = models.CharField(_("code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=60)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    description = models.TextField(_("description"), blank=True)
    clock_amount = models.PositiveIntegerField(_("deadline amount"), null=True, blank=True)
    clock_unit = models.CharField(
        _("deadline unit"), max_length=16, choices=ClockUnit.choices, blank=True
    )
    claim_amount = models.PositiveIntegerField(
        _("claim deadline amount"),
        null=True,
        blank=True,
        help_text=_("Blank: the urgency's default (emergency 1 h, urgent 2 h, otherwise 24 h)."),
    )
    claim_unit = models.CharField(
        _("claim deadline unit"), max_length=16, choices=ClockUnit.choices, blank=True
    )
    enabled = models.BooleanField(
        _("enabled by default"),
        default=True,
        help_text=_("Cities can switch a category on or off for themselves."),
    )
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["kind", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(clock_amount__isnull=True, clock_unit="")
                | Q(clock_amount__isnull=False, clock_amount__gt=0) & ~Q(clock_unit=""),
                name="category_clock_policy_complete",
            ),
            models.CheckConstraint(
                condition=Q(claim_amount__isnull=True, claim_unit="")
                | Q(claim_amount__isnull=False, claim_amount__gt=0) & ~Q(claim_unit=""),
                name="category_claim_policy_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class CategoryCitySetting(models.Model):
    """A city's own switch for a category (overrides ``Category.enabled``)."""

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="city_settings")
    city = models.ForeignKey(
        Area,
        verbose_name=_("city"),
        on_delete=models.CASCADE,
        related_name="category_settings",
        limit_choices_to={"level": "city"},
    )
    enabled = models.BooleanField(_("enabled"))

    class Meta:
        verbose_name = _("category setting for a city")
        verbose_name_plural = _("category settings for cities")
        constraints = [
            models.UniqueConstraint(fields=["category", "city"], name="category_city_unique")
        ]

    def __str__(self) -> str:
        return f"{self.category} @ {self.city}: {self.enabled}"


class DispatchRole(models.TextChoices):
    LEAD = "lead", _("Lead (主办)")
    ASSIST = "assist", _("Assist (协办)")
    INFORM = "inform", _("Inform (知会)")


class RoutingRule(models.Model):
    """Area scope × category → department and role; lower ``order`` wins.

    A rule matches a ticket whose grid lies in ``area``'s subtree and whose
    category is ``category`` or under it (a blank category matches all).
    """

    order = models.PositiveIntegerField(_("order"), default=100)
    area = models.ForeignKey(
        Area, verbose_name=_("area"), on_delete=models.CASCADE, related_name="+"
    )
    category = models.ForeignKey(
        Category, verbose_name=_("category"), null=True, blank=True, on_delete=models.CASCADE
    )
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.CASCADE, related_name="+"
    )
    role = models.CharField(
        _("dispatch role"), max_length=8, choices=DispatchRole.choices, default=DispatchRole.LEAD
    )
    active = models.BooleanField(_("active"), default=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return f"#{self.order} {self.area} × {self.category or '*'} → {self.department}"


class Urgency(models.TextChoices):
    """12345 urgency classes with default handling limits (DB11 draft)."""

    EMERGENCY = "emergency", _("Emergency (突发)")
    URGENT = "urgent", _("Urgent (紧急)")
    NORMAL = "normal", _("Normal (一般)")
    COMPLEX = "complex", _("Complex (疑难)")


class Source(models.TextChoices):
    GRID_PATROL = "grid_patrol", _("Grid patrol")
    HOTLINE_12345 = "hotline_12345", _("12345 hotline")
    WALK_IN = "walk_in", _("Walk-in")
    RESIDENT = "resident", _("Resident report")
    LEADER = "leader", _("Leader's instruction")
    MEDIA = "media", _("Media")
    HIGHER_LEVEL = "higher_level", _("Referred by a higher level")
    OPEN311 = "open311", _("Open311 client")


class WhistleType(models.TextChoices):
    RESIDENT_DEMAND = "resident_demand", _("Residents' demand (群众诉求)")
    KEY_TASK = "key_task", _("Key task (重点工作)")
    ENFORCEMENT = "enforcement", _("Joint enforcement (综合执法)")
    EMERGENCY = "emergency", _("Emergency response (应急处置)")


class TicketState(models.TextChoices):
    REPORTED = "reported", _("Reported")
    SELF_HANDLING = "self_handling", _("Handled locally")
    DISPATCHED = "dispatched", _("Awaiting claim")
    RETURNED = "returned", _("Returned, to re-dispatch")
    IN_PROGRESS = "in_progress", _("In progress")
    REPLIED = "replied", _("Replied, to verify")
    ON_ACCOUNT = "on_account", _("On account (挂账)")
    CLOSED = "closed", _("Closed, awaiting callback")
    DONE = "done", _("Done")


OPEN_STATES = frozenset(
    {
        TicketState.REPORTED,
        TicketState.SELF_HANDLING,
        TicketState.DISPATCHED,
        TicketState.RETURNED,
        TicketState.IN_PROGRESS,
        TicketState.REPLIED,
        TicketState.ON_ACCOUNT,
    }
)


class Ticket(models.Model):
    """A case (诉求/案件/工单).

    ``path`` copies the grid's materialized path so scoped lists are one
    prefix match; governance.hooks keeps it in step when grids move.
    """

    number = models.CharField(_("number"), max_length=19, unique=True)
    external_no = models.CharField(_("external number"), max_length=64, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="tickets"
    )
    description = models.TextField(_("description"), max_length=4000)
    address = models.CharField(_("address"), max_length=200, blank=True)
    lat = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    lng = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    grid = models.ForeignKey(
        Area, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="tickets"
    )
    path = models.CharField(_("area path"), max_length=255)
    urgency = models.CharField(
        _("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL
    )
    state = models.CharField(
        _("state"), max_length=16, choices=TicketState.choices, default=TicketState.REPORTED
    )
    whistle_type = models.CharField(
        _("whistle type"), max_length=16, choices=WhistleType.choices, blank=True
    )
    reporter_name = models.CharField(_("reporter's name"), max_length=60, blank=True)
    reporter_phone = models.CharField(_("reporter's phone"), max_length=20, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    result = models.TextField(_("result"), blank=True)
    supervised = models.BooleanField(_("under supervision"), default=False)
    rework_count = models.PositiveSmallIntegerField(_("rework count"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    version = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=TicketState.values), name="ticket_state_valid"
            ),
            models.CheckConstraint(
                condition=Q(lat__isnull=True, lng__isnull=True)
                | Q(lat__gte=-90, lat__lte=90, lng__gte=-180, lng__lte=180),
                name="ticket_location_valid",
            ),
            models.UniqueConstraint(
                fields=["source", "external_no"],
                condition=~Q(external_no=""),
                name="ticket_external_no_unique_per_source",
            ),
        ]
        indexes = [
            # The scoped list: path prefix, then state, newest first.
            # varchar_pattern_ops lets LIKE 'prefix%' use the index under a
            # non-C collation on PostgreSQL (ignored on SQLite).
            models.Index(
                fields=["path", "state", "created_at"],
                name="ticket_scope_idx",
                opclasses=["varchar_pattern_ops", "varchar_ops", "timestamptz_ops"],
            ),
            models.Index(fields=["state", "created_at"], name="ticket_state_created_idx"),
            models.Index(fields=["created_at", "id"], name="ticket_created_idx"),
        ]

    def __str__(self) -> str:
        return self.number


class DispatchState(models.TextChoices):
    AWAITING_CLAIM = "awaiting_claim", _("Awaiting claim")
    CLAIMED = "claimed", _("In progress")
    RETURN_REQUESTED = "return_requested", _("Return requested")
    RETURNED = "returned", _("Returned")
    REPLIED = "replied", _("Replied")
    DONE = "done", _("Done")
    INFORMED = "informed", _("Informed")
    CANCELLED = "cancelled", _("Cancelled")


ACTIVE_DISPATCH_STATES = frozenset(
    {
        DispatchState.AWAITING_CLAIM,
        DispatchState.CLAIMED,
        DispatchState.RETURN_REQUESTED,
        DispatchState.REPLIED,
    }
)


class Dispatch(models.Model):
    """A ticket sent to one department (派单) — what the department claims."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="dispatches")
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="dispatches",
    )
    role = models.CharField(_("role"), max_length=8, choices=DispatchRole.choices)
    state = models.CharField(
        _("state"),
        max_length=16,
        choices=DispatchState.choices,
        default=DispatchState.AWAITING_CLAIM,
    )
    whistle_type = models.CharField(_("whistle type"), max_length=16, choices=WhistleType.choices)
    dispatched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    dispatched_at = models.DateTimeField(_("dispatched at"), default=timezone.now)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("claimed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    claim_due_at = models.DateTimeField(_("claim due"), null=True, blank=True)
    handle_due_at = models.DateTimeField(_("handling due"), null=True, blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    version = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("dispatch")
        verbose_name_plural = _("dispatches")
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=DispatchState.values), name="dispatch_state_valid"
            ),
            # One live dispatch per ticket and department.
            models.UniqueConstraint(
                fields=["ticket", "department"],
                condition=Q(state__in=sorted(ACTIVE_DISPATCH_STATES)),
                name="dispatch_one_active_per_department",
            ),
            # One live lead (主办) per ticket.
            models.UniqueConstraint(
                fields=["ticket"],
                condition=Q(role="lead", state__in=sorted(ACTIVE_DISPATCH_STATES)),
                name="dispatch_one_active_lead",
            ),
            # Claimed ⇔ someone claimed it.
            models.CheckConstraint(
                condition=Q(state="awaiting_claim", claimed_by__isnull=True)
                | ~Q(state="awaiting_claim"),
                name="dispatch_awaiting_has_no_claimer",
            ),
        ]
        indexes = [
            models.Index(fields=["department", "state", "dispatched_at"], name="dispatch_queue_idx")
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} → {self.department_id} ({self.role})"


class TicketEvent(models.Model):
    """The append-only timeline. A database trigger rejects UPDATE and DELETE."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="events")
    dispatch = models.ForeignKey(
        Dispatch, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verb = models.CharField(_("verb"), max_length=32)
    from_state = models.CharField(_("from"), max_length=16, blank=True)
    to_state = models.CharField(_("to"), max_length=16, blank=True)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["ticket", "at"], name="ticket_event_timeline_idx")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.verb} {self.from_state}→{self.to_state}"


class Attachment(models.Model):
    """A photo on a ticket (before) or a reply (after). EXIF is stripped from
    the stored file; its GPS position, if any, is kept in these columns only."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="attachments")
    event = models.ForeignKey(
        TicketEvent, null=True, blank=True, on_delete=models.PROTECT, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to="tickets/%Y/%m/")
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    exif_lat = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    exif_lng = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.file.name


class ReviewState(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class ReviewedRequest(models.Model):
    """What a department asks and the street decides: who asked, when, the
    decision, who made it and why. One pending request per dispatch and kind."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(
        max_length=10, choices=ReviewState.choices, default=ReviewState.PENDING
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)

    class Meta:
        abstract = True


class ReturnRequest(ReviewedRequest):
    """退单: a department sends a mis-routed dispatch back, with its legal basis."""

    dispatch = models.ForeignKey(Dispatch, on_delete=models.PROTECT, related_name="return_requests")
    reason = models.TextField(_("reason"))
    legal_basis = models.TextField(_("legal basis"))

    class Meta:
        verbose_name = _("return request")
        verbose_name_plural = _("return requests")
        constraints = [
            models.UniqueConstraint(
                fields=["dispatch"], condition=Q(state="pending"), name="one_pending_return"
            )
        ]

    def __str__(self) -> str:
        return f"return {self.dispatch_id} ({self.state})"


class ExtensionRequest(ReviewedRequest):
    """延期: asked before the deadline; approved or denied by the street."""

    dispatch = models.ForeignKey(
        Dispatch, on_delete=models.PROTECT, related_name="extension_requests"
    )
    requested_due_at = models.DateTimeField(_("requested due time"))
    previous_due_at = models.DateTimeField(_("previous due time"))
    reason = models.TextField(_("reason"))
    legal_basis = models.TextField(_("legal basis"), blank=True)

    class Meta:
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")
        constraints = [
            models.UniqueConstraint(
                fields=["dispatch"], condition=Q(state="pending"), name="one_pending_extension"
            ),
            models.CheckConstraint(
                condition=Q(requested_due_at__gt=models.F("previous_due_at")),
                name="extension_moves_due_later",
            ),
        ]

    def __str__(self) -> str:
        return f"extension {self.dispatch_id} ({self.state})"


class OnAccountRequest(ReviewedRequest):
    """挂账: cannot be solved for now; parked in the problem pool once approved."""

    dispatch = models.ForeignKey(
        Dispatch, on_delete=models.PROTECT, related_name="on_account_requests"
    )
    reason = models.TextField(_("reason"))

    class Meta:
        verbose_name = _("on-account request")
        verbose_name_plural = _("on-account requests")
        constraints = [
            models.UniqueConstraint(
                fields=["dispatch"], condition=Q(state="pending"), name="one_pending_on_account"
            )
        ]

    def __str__(self) -> str:
        return f"on account {self.dispatch_id} ({self.state})"


class SupervisionKind(models.TextChoices):
    OVERDUE = "overdue", _("Overdue (超时)")
    LEADER = "leader", _("Leader's attention (领导)")
    KEY = "key", _("Key case (重点)")


class Supervision(models.Model):
    """督办: formal supervision of a ticket by a higher level."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="supervisions")
    kind = models.CharField(_("kind"), max_length=10, choices=SupervisionKind.choices)
    level = models.PositiveSmallIntegerField(_("level"), default=1)
    note = models.TextField(_("note"), blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("supervision")
        verbose_name_plural = _("supervisions")

    def __str__(self) -> str:
        return f"supervision {self.ticket_id} ({self.kind})"


class Resolution(models.TextChoices):
    RESOLVED = "resolved", _("Resolved")
    PARTLY = "partly", _("Partly resolved")
    UNRESOLVED = "unresolved", _("Unresolved")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    MOSTLY_SATISFIED = "mostly_satisfied", _("Mostly satisfied")
    UNSATISFIED = "unsatisfied", _("Unsatisfied")


class Callback(models.Model):
    """回访: the resident is called back after closure."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="callbacks")
    contacted = models.BooleanField(_("requester reached"), default=True)
    resolution = models.CharField(
        _("resolution"), max_length=10, choices=Resolution.choices, blank=True
    )
    satisfaction = models.CharField(
        _("satisfaction"), max_length=16, choices=Satisfaction.choices, blank=True
    )
    note = models.TextField(_("note"), blank=True)
    reopened = models.BooleanField(_("reopened"), default=False)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("callback")
        verbose_name_plural = _("callbacks")
        constraints = [
            models.CheckConstraint(
                condition=Q(contacted=False, resolution="", satisfaction="")
                | Q(contacted=True) & ~Q(resolution="") & ~Q(satisfaction=""),
                name="callback_rated_iff_contacted",
            )
        ]

    def __str__(self) -> str:
        return f"callback {self.ticket_id} ({self.satisfaction or '-'})"


class TicketSerial(models.Model):
    """Per district and day, the last ticket serial handed out (see numbering)."""

    district_code = models.CharField(max_length=6)
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["district_code", "day"], name="ticket_serial_unique")
        ]

    def __str__(self) -> str:
        return f"{self.district_code} {self.day}: {self.last}"


class ClockKind(models.TextChoices):
    CLAIM = "claim", _("Claim (签收)")
    HANDLE = "handle", _("Handle (办理)")
    CALLBACK = "callback", _("Callback (回访)")
    WHISTLE_REPORT = "whistle_report", _("Report after a whistle (报到)")


class ClockState(models.TextChoices):
    RUNNING = "running", _("Running")
    MET = "met", _("Met")
    STOPPED = "stopped", _("Stopped")


class Clock(models.Model):
    """A running deadline. The sweep reads only running clocks whose
    ``next_check_at`` has come (partial index), so its cost follows the number
    of due clocks, not the number of tickets."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="clocks")
    dispatch = models.ForeignKey(
        Dispatch, null=True, blank=True, on_delete=models.PROTECT, related_name="clocks"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ClockKind.choices)
    state = models.CharField(
        _("state"), max_length=8, choices=ClockState.choices, default=ClockState.RUNNING
    )
    started_at = models.DateTimeField(_("started at"))
    amount = models.PositiveIntegerField(_("amount"))
    unit = models.CharField(_("unit"), max_length=16, choices=ClockUnit.choices)
    due_at = models.DateTimeField(_("due at"))
    remind_at = models.DateTimeField(_("remind at"))
    provisional = models.BooleanField(
        _("provisional"),
        default=False,
        help_text=_("Reaches a year whose working calendar is not loaded yet."),
    )
    #: When the sweep must next look at this clock (reminder, due, next
    #: level); null once the last level is done.
    next_check_at = models.DateTimeField(null=True, blank=True)
    level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)

    class Meta:
        verbose_name = _("clock")
        verbose_name_plural = _("clocks")
        indexes = [
            models.Index(
                fields=["next_check_at"],
                name="clock_sweep_idx",
                condition=Q(state="running", next_check_at__isnull=False),
            ),
            models.Index(fields=["ticket", "state"], name="clock_ticket_idx"),
            # "overdue" (services.selectors.overdue_q): running clocks past due
            models.Index(
                fields=["due_at"], name="clock_running_due_idx", condition=Q(state="running")
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["dispatch", "kind"],
                condition=Q(state="running", dispatch__isnull=False),
                name="clock_one_running_per_dispatch_kind",
            ),
            models.CheckConstraint(
                condition=Q(due_at__gt=F("started_at")), name="clock_due_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.ticket_id} due {self.due_at:%Y-%m-%d %H:%M}"


class Escalation(models.Model):
    """One step taken on a clock — unique per clock and step, so a sweep that
    runs twice (or a worker killed mid-sweep) never does a step twice."""

    class Step(models.IntegerChoices):
        REMIND = 0, _("Reminder before the deadline")
        DUE = 1, _("Deadline reached: department head told (L1)")
        STREET = 2, _("Street leadership told (L2)")
        DISTRICT = 3, _("District leadership, supervision opened (L3)")

    clock = models.ForeignKey(Clock, on_delete=models.PROTECT, related_name="escalations")
    step = models.PositiveSmallIntegerField(_("step"), choices=Step.choices)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        constraints = [
            models.UniqueConstraint(fields=["clock", "step"], name="escalation_once_per_clock_step")
        ]

    def __str__(self) -> str:
        return f"{self.clock_id} step {self.step}"


class CityPolicy(models.Model):
    """A city's own choices for its case loop. One row per city; a city
    without a row uses the defaults (street and community whistle)."""

    city = models.OneToOneField(
        Area,
        verbose_name=_("city"),
        on_delete=models.CASCADE,
        related_name="case_policy",
        limit_choices_to={"level": "city"},
    )
    grid_may_whistle = models.BooleanField(
        _("grids may whistle"),
        default=False,
        help_text=_("网格吹哨: grid workers call departments directly."),
    )
    community_may_whistle = models.BooleanField(_("communities may whistle"), default=True)
    street_may_whistle = models.BooleanField(_("streets may whistle"), default=True)

    class Meta:
        verbose_name = _("case policy of a city")
        verbose_name_plural = _("case policies of cities")
        constraints = [
            models.CheckConstraint(
                condition=Q(grid_may_whistle=True)
                | Q(community_may_whistle=True)
                | Q(street_may_whistle=True),
                name="city_policy_someone_whistles",
            )
        ]

    #: Defaults for a city without a row, in the order grid, community, street.
    DEFAULT_WHISTLE_LEVELS = frozenset({"community", "street"})

    def __str__(self) -> str:
        return str(self.city)

    @property
    def whistle_levels(self) -> frozenset[str]:
        """The capacities (``grid``/``community``/``street``) that may whistle."""
        return frozenset(
            level
            for level, allowed in (
                ("grid", self.grid_may_whistle),
                ("community", self.community_may_whistle),
                ("street", self.street_may_whistle),
            )
            if allowed
        )
