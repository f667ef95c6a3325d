"""The administrative tree, departments and staff posts.

Only fields, constraints and small properties live here; every change goes
through governance.actions.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Length
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node

from core.identity import MOBILE_PATTERN

models.CharField.register_lookup(Length)


class AreaLevel(models.TextChoices):
    CITY = "city", _("City")
    DISTRICT = "district", _("District")
    STREET = "street", _("Street")
    COMMUNITY = "community", _("Community")
    GRID = "grid", _("Grid")


#: Levels top-down; an area's depth in the tree is its index + 1.
LEVELS: list[str] = [lv.value for lv in AreaLevel]


class Area(MP_Node):
    """One node of the tree city → district → street → community → grid.

    ``path`` (treebeard's materialized path, 4 characters a level) is what
    scoped queries match by prefix; objects hung on the tree copy it.
    """

    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(
        _("division code"),
        max_length=15,
        unique=True,
        help_text=_(
            "统计用区划代码: 12 digits at every level (city 150300000000, district "
            "150302000000, street 150302001000, community 150302001001); a grid adds a "
            "3-digit serial to its community's code (15 digits)."
        ),
    )
    level = models.CharField(_("level"), max_length=12, choices=AreaLevel.choices)
    is_active = models.BooleanField(_("active"), default=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_from",
    )
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    # Appending is cheap in a materialized path; siblings are shown by code.
    node_order_by: list[str] = []

    class Meta:
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        constraints = [
            models.CheckConstraint(condition=models.Q(level__in=LEVELS), name="area_level_valid"),
            # Level and depth agree: the tree is rooted at cities.
            models.CheckConstraint(
                condition=(
                    models.Q(level="city", depth=1)
                    | models.Q(level="district", depth=2)
                    | models.Q(level="street", depth=3)
                    | models.Q(level="community", depth=4)
                    | models.Q(level="grid", depth=5)
                ),
                name="area_level_matches_depth",
            ),
            # The shape per level (docs/decisions/0025): 12 digits zero-padded
            # down to the community, 15 for a grid; governance.codes checks the rest.
            models.CheckConstraint(
                condition=(
                    models.Q(level="city", code__length=12, code__endswith="00000000")
                    | models.Q(level="district", code__length=12, code__endswith="000000")
                    | models.Q(level="street", code__length=12, code__endswith="000")
                    | (
                        models.Q(level="community", code__length=12)
                        & ~models.Q(code__endswith="000")
                    )
                    | models.Q(level="grid", code__length=15)
                ),
                name="area_code_shape_by_level",
            ),
            models.CheckConstraint(
                condition=models.Q(is_active=True, merged_into__isnull=True)
                | models.Q(is_active=False),
                name="area_active_not_merged",
            ),
        ]
        indexes = [
            models.Index(fields=["level", "is_active"]),
            # Subtree reads are ``path LIKE 'prefix%'``. treebeard's unique
            # index on path cannot serve LIKE under a non-C collation on
            # PostgreSQL; varchar_pattern_ops can (ignored on SQLite).
            models.Index(
                fields=["path"], name="area_path_prefix_idx", opclasses=["varchar_pattern_ops"]
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def level_index(self) -> int:
        return LEVELS.index(self.level)


class AreaCodeHistory(models.Model):
    """A code or name an area used to have: merges and re-codes never lose one."""

    class Reason(models.TextChoices):
        RENAMED = "renamed", _("Renamed")
        RECODED = "recoded", _("Re-coded after a move")
        MERGED = "merged", _("Merged into another area")

    area = models.ForeignKey(
        Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="code_history"
    )
    code = models.CharField(_("code"), max_length=15, db_index=True)
    name = models.CharField(_("name"), max_length=100)
    reason = models.CharField(_("reason"), max_length=12, choices=Reason.choices)
    until = models.DateTimeField(_("valid until"), default=timezone.now)

    class Meta:
        verbose_name = _("former code or name")
        verbose_name_plural = _("former codes and names")
        ordering = ["-until", "-id"]

    def __str__(self) -> str:
        return f"{self.code} {self.name} → {self.area_id}"


class Department(models.Model):
    """A functional department (职能部门) at district or city level.

    ``stationed_at`` is a street where a team of it works (下沉).
    """

    name = models.CharField(_("name"), max_length=100)
    short_name = models.CharField(_("short name"), max_length=30, blank=True)
    area = models.ForeignKey(
        Area,
        verbose_name=_("area"),
        on_delete=models.PROTECT,
        related_name="departments",
        help_text=_("The district or city the department belongs to."),
    )
    stationed_at = models.ForeignKey(
        Area,
        verbose_name=_("stationed at street"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="stationed_departments",
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["area__path", "name"]
        constraints = [
            models.UniqueConstraint(fields=["area", "name"], name="department_unique_name_in_area")
        ]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    """Roles are Django groups of the same name; scope comes from the post."""

    GRID_WORKER = "grid_worker", _("Grid worker")
    COMMUNITY_STAFF = "community_staff", _("Community staff")
    STREET_OFFICER = "street_officer", _("Street officer")
    DEPARTMENT_OFFICER = "department_officer", _("Department officer")
    DEPARTMENT_HEAD = "department_head", _("Department head")
    ROSTER_ADMIN = "roster_admin", _("Roster administrator")
    LEADER = "leader", _("Leader")
    SYSADMIN = "sysadmin", _("System administrator")
    #: 受理: takes cases in (a 12345 or Open311 channel's service account);
    #: reads its subtree and reports, nothing else (docs/decisions/0013).
    INTAKE = "intake", _("Intake desk")


DEPARTMENT_ROLES = frozenset({Role.DEPARTMENT_OFFICER, Role.DEPARTMENT_HEAD})

#: Which area levels a post of each area role may sit on.
ROLE_AREA_LEVELS: dict[str, frozenset[str]] = {
    Role.GRID_WORKER: frozenset({AreaLevel.GRID, AreaLevel.COMMUNITY}),
    Role.COMMUNITY_STAFF: frozenset({AreaLevel.COMMUNITY}),
    Role.STREET_OFFICER: frozenset({AreaLevel.STREET}),
    Role.ROSTER_ADMIN: frozenset(
        {AreaLevel.CITY, AreaLevel.DISTRICT, AreaLevel.STREET, AreaLevel.COMMUNITY}
    ),
    Role.LEADER: frozenset({AreaLevel.CITY, AreaLevel.DISTRICT, AreaLevel.STREET}),
    Role.SYSADMIN: frozenset({AreaLevel.CITY}),
    Role.INTAKE: frozenset(
        {AreaLevel.CITY, AreaLevel.DISTRICT, AreaLevel.STREET, AreaLevel.COMMUNITY}
    ),
}


class Post(models.Model):
    """A person's job at one area or one department, in one role."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        related_name="posts",
    )
    role = models.CharField(_("role"), max_length=24, choices=Role.choices)
    area = models.ForeignKey(
        Area,
        verbose_name=_("area"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="posts",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="posts",
    )
    title = models.CharField(_("job title"), max_length=60, blank=True)
    #: Where the escalation ladder texts the holder at its urgent steps
    #: (docs/decisions/0024). On the post, not the person: the ladder addresses
    #: posts, and a duty mobile (值班手机) is handed over with the post.
    phone = models.CharField(
        _("mobile for urgent notices"),
        max_length=11,
        blank=True,
        help_text=_("An 11-digit mainland mobile number; blank: no SMS for this post."),
    )
    active = models.BooleanField(_("active"), default=True)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        ordering = ["-active", "-started_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(area__isnull=False, department__isnull=True)
                | models.Q(area__isnull=True, department__isnull=False),
                name="post_area_xor_department",
            ),
            models.CheckConstraint(
                condition=models.Q(active=True, ended_at__isnull=True)
                | models.Q(active=False, ended_at__isnull=False),
                name="post_ended_iff_inactive",
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=[r.value for r in Role]), name="post_role_valid"
            ),
            # A mobile, as stored (SMS cannot reach a landline).
            models.CheckConstraint(
                condition=models.Q(phone="") | models.Q(phone__regex=MOBILE_PATTERN),
                name="post_phone_is_a_mobile",
                violation_error_message=_("Enter an 11-digit mainland mobile number."),
            ),
            models.UniqueConstraint(
                fields=["user", "role", "area"],
                condition=models.Q(active=True, area__isnull=False),
                name="post_one_active_per_user_role_area",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "department"],
                condition=models.Q(active=True, department__isnull=False),
                name="post_one_active_per_user_role_department",
            ),
        ]
        indexes = [models.Index(fields=["user", "active"])]

    def __str__(self) -> str:
        where = self.area or self.department
        return f"{self.user} · {self.get_role_display()} · {where}"
