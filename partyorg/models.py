"""Party organisations, members and joint committees.

Only fields, constraints and small properties live here; every change goes
through partyorg.actions. Organisations hang on the administrative tree by a
foreign key to ``governance.Area`` (支部建在网格上); they keep their own
materialized-path tree for the Party hierarchy (党工委 → 党委/党总支 → 党支部 →
党小组), which is independent of the area paths, so a move in the area tree
needs no receiver here (docs/decisions/0010-party-organisations.md).
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node

from governance.models import Area, AreaLevel


class OrgKind(models.TextChoices):
    """``PartyOrg.kind`` (GLOSSARY: 党工委 / 党委 / 党总支 / 党支部 / 党小组, 大工委 / 大党委)."""

    WORKING_COMMITTEE = "working_committee", _("Party working committee")  # 党工委
    COMMITTEE = "committee", _("Party committee")  # 党委
    GENERAL_BRANCH = "general_branch", _("General Party branch")  # 党总支
    BRANCH = "branch", _("Party branch")  # 党支部
    GROUP = "group", _("Party group")  # 党小组
    STREET_JOINT_COMMITTEE = "street_joint_committee", _("Street joint committee")  # 大工委
    COMMUNITY_JOINT_COMMITTEE = (
        "community_joint_committee",
        _("Community joint committee"),
    )  # 大党委


JOINT_KINDS = frozenset({OrgKind.STREET_JOINT_COMMITTEE, OrgKind.COMMUNITY_JOINT_COMMITTEE})

#: Which area levels an organisation of each kind may be attached to.
KIND_AREA_LEVELS: dict[str, frozenset[str]] = {
    OrgKind.WORKING_COMMITTEE: frozenset({AreaLevel.STREET}),
    OrgKind.COMMITTEE: frozenset({AreaLevel.COMMUNITY}),
    OrgKind.GENERAL_BRANCH: frozenset({AreaLevel.COMMUNITY}),
    # 支部建在网格上; a community may also keep a branch of its own (离退休党支部).
    OrgKind.BRANCH: frozenset({AreaLevel.GRID, AreaLevel.COMMUNITY}),
    OrgKind.GROUP: frozenset({AreaLevel.GRID}),
    OrgKind.STREET_JOINT_COMMITTEE: frozenset({AreaLevel.STREET}),
    OrgKind.COMMUNITY_JOINT_COMMITTEE: frozenset({AreaLevel.COMMUNITY}),
}

#: Which kinds an organisation of each kind may sit under (``None``: a root).
KIND_PARENTS: dict[str, frozenset[str | None]] = {
    OrgKind.WORKING_COMMITTEE: frozenset({None}),
    OrgKind.COMMITTEE: frozenset({OrgKind.WORKING_COMMITTEE}),
    OrgKind.GENERAL_BRANCH: frozenset({OrgKind.WORKING_COMMITTEE, OrgKind.COMMITTEE}),
    OrgKind.BRANCH: frozenset(
        {OrgKind.WORKING_COMMITTEE, OrgKind.COMMITTEE, OrgKind.GENERAL_BRANCH}
    ),
    OrgKind.GROUP: frozenset({OrgKind.BRANCH}),
    # Joint committees are led by the street's working committee, or stand alone.
    OrgKind.STREET_JOINT_COMMITTEE: frozenset({None, OrgKind.WORKING_COMMITTEE}),
    OrgKind.COMMUNITY_JOINT_COMMITTEE: frozenset(
        {None, OrgKind.WORKING_COMMITTEE, OrgKind.COMMITTEE}
    ),
}


class PartyOrg(MP_Node):
    """One Party organisation, attached to one area of the administrative tree.

    ``path`` is this tree's own materialized path (the Party hierarchy), not
    the area's. Joint committees (大工委/大党委) are organisations of a joint
    kind; their part-time members are ``JointCommitteeMember`` rows.
    """

    # Annotated by hand: the plugin cannot infer fields on treebeard's untyped base.
    kind: models.CharField[str, str] = models.CharField(
        _("kind"), max_length=32, choices=OrgKind.choices
    )
    name: models.CharField[str, str] = models.CharField(_("name"), max_length=100)
    area: models.ForeignKey[Area, Area] = models.ForeignKey(
        Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="party_orgs"
    )
    secretary: models.ForeignKey[PartyMember | None, PartyMember | None] = models.ForeignKey(
        "PartyMember",
        verbose_name=_("secretary"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    established_on: models.DateField[dt.date | None, dt.date | None] = models.DateField(
        _("established on"), null=True, blank=True
    )
    is_active: models.BooleanField[bool, bool] = models.BooleanField(_("active"), default=True)
    created_at: models.DateTimeField[dt.datetime, dt.datetime] = models.DateTimeField(
        _("created at"), default=timezone.now
    )

    node_order_by: list[str] = []

    class Meta:
        verbose_name = _("Party organisation")
        verbose_name_plural = _("Party organisations")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=[k.value for k in OrgKind]), name="partyorg_kind_valid"
            ),
        ]
        indexes = [models.Index(fields=["area", "kind", "is_active"])]

    def __str__(self) -> str:
        return self.name

    @property
    def is_joint(self) -> bool:
        return self.kind in JOINT_KINDS


class Gender(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")


class PartyMember(models.Model):
    """A Party member and the organisation holding their membership (组织关系).

    Phone and ID numbers are stored in full and masked in every list, export
    and log line (``core.logging.mask_phone`` / ``mask_id_number``).
    """

    organisation = models.ForeignKey(
        PartyOrg, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="members"
    )
    name = models.CharField(_("name"), max_length=50)
    gender = models.CharField(_("gender"), max_length=8, choices=Gender.choices, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    id_number = models.CharField(_("ID number"), max_length=18, blank=True)
    joined_on = models.DateField(_("joined the Party on"), null=True, blank=True)
    in_service = models.BooleanField(
        _("in service"), default=False, help_text=_("在职党员: works for an employer.")
    )
    employer = models.CharField(_("employer"), max_length=100, blank=True)
    residence_community = models.ForeignKey(
        Area,
        verbose_name=_("residence community"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="resident_party_members",
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("Party member")
        verbose_name_plural = _("Party members")
        constraints = [
            # One membership per person: an ID number appears once.
            models.UniqueConstraint(
                fields=["id_number"],
                condition=~models.Q(id_number=""),
                name="partymember_unique_id_number",
            ),
            models.CheckConstraint(
                condition=models.Q(in_service=True) | models.Q(employer=""),
                name="partymember_employer_only_in_service",
            ),
        ]
        indexes = [models.Index(fields=["organisation", "is_active"])]

    def __str__(self) -> str:
        return self.name


class JointCommitteeMember(models.Model):
    """A part-time member (兼职委员) of a joint committee, from a resident unit."""

    committee = models.ForeignKey(
        PartyOrg,
        verbose_name=_("joint committee"),
        on_delete=models.PROTECT,
        related_name="joint_members",
    )
    unit_name = models.CharField(_("resident unit"), max_length=100)
    person_name = models.CharField(_("person"), max_length=50)
    position = models.CharField(_("position"), max_length=60, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    term_start = models.DateField(_("term starts"))
    term_end = models.DateField(_("term ends"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("joint committee member")
        verbose_name_plural = _("joint committee members")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(term_end__isnull=True)
                | models.Q(term_end__gte=models.F("term_start")),
                name="jointmember_term_end_after_start",
            ),
        ]
        indexes = [models.Index(fields=["committee", "term_start"])]

    def __str__(self) -> str:
        return f"{self.person_name} ({self.unit_name})"


class RotationPeriod(models.TextChoices):
    MONTH = "month", _("Monthly")
    QUARTER = "quarter", _("Quarterly")
    HALF_YEAR = "half_year", _("Half-yearly")
    YEAR = "year", _("Yearly")


ROTATION_MONTHS: dict[str, int] = {
    RotationPeriod.MONTH: 1,
    RotationPeriod.QUARTER: 3,
    RotationPeriod.HALF_YEAR: 6,
    RotationPeriod.YEAR: 12,
}


class JointMeetingRotation(models.Model):
    """The rotating chair of a joint committee's meeting (联席会议轮值).

    A rotation is in force from ``starts_on`` until the next rotation of the
    same committee starts: a new order never rewrites who chaired before.
    """

    committee = models.ForeignKey(
        PartyOrg,
        verbose_name=_("joint committee"),
        on_delete=models.PROTECT,
        related_name="rotations",
    )
    period = models.CharField(_("period"), max_length=12, choices=RotationPeriod.choices)
    starts_on = models.DateField(_("starts on"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("joint meeting rotation")
        verbose_name_plural = _("joint meeting rotations")
        ordering = ["committee", "-starts_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["committee", "starts_on"], name="rotation_one_per_committee_and_start"
            ),
            models.CheckConstraint(
                condition=models.Q(period__in=[p.value for p in RotationPeriod]),
                name="rotation_period_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.committee} · {self.get_period_display()} · {self.starts_on}"


class JointMeetingRotationSlot(models.Model):
    """One unit's place in a rotation, in chairing order."""

    rotation = models.ForeignKey(
        JointMeetingRotation,
        verbose_name=_("rotation"),
        on_delete=models.PROTECT,
        related_name="slots",
    )
    position = models.PositiveSmallIntegerField(_("position"))
    unit_name = models.CharField(_("resident unit"), max_length=100)

    class Meta:
        verbose_name = _("rotation slot")
        verbose_name_plural = _("rotation slots")
        ordering = ["rotation_id", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["rotation", "position"], name="rotation_slot_unique_position"
            ),
            models.UniqueConstraint(
                fields=["rotation", "unit_name"], name="rotation_slot_unique_unit"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position + 1}. {self.unit_name}"
