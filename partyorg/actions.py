"""Every change to Party organisations, members and joint committees.

Each action: keyword-only, one transaction, validates first, checks the
actor's rights (``governance.access.ensure_can_manage_area`` on the area the
row hangs on; ``actor=None`` is the system), and writes its audit row in the
same transaction. Phone and ID numbers are masked in audit rows and log lines.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core import audit, identity
from core.errors import Conflict, ValidationFailed
from core.logging import mask_id_number, mask_phone
from core.types import UNCHANGED, Actor, Unchanged
from governance.access import ensure_can_manage_area
from governance.models import Area, AreaLevel
from partyorg.models import (
    JOINT_KINDS,
    KIND_AREA_LEVELS,
    KIND_PARENTS,
    JointCommitteeMember,
    JointMeetingRotation,
    JointMeetingRotationSlot,
    OrgKind,
    PartyMember,
    PartyOrg,
    RotationPeriod,
)
from partyorg.selectors import current_member_q

logger = logging.getLogger(__name__)

_ORG_FIELDS = ["kind", "name", "area", "secretary", "established_on", "is_active"]
_MEMBER_FIELDS = [
    "organisation",
    "name",
    "gender",
    "phone",
    "id_number",
    "joined_on",
    "in_service",
    "employer",
    "residence_community",
    "is_active",
]
_JOINT_MEMBER_FIELDS = [
    "committee",
    "unit_name",
    "person_name",
    "position",
    "phone",
    "term_start",
    "term_end",
]
#: Kept for older callers (test helpers); the rule lives in core.identity.
id_check_digit = identity.id_check_char


def _masked(data: dict[str, Any]) -> dict[str, Any]:
    """An audit snapshot with personal numbers masked: audit rows are logs too."""
    out = dict(data)
    if out.get("phone"):
        out["phone"] = mask_phone(out["phone"])
    if out.get("id_number"):
        out["id_number"] = mask_id_number(out["id_number"])
    return out


def _fail(field: str, message: str, code: str = "validation_error") -> ValidationFailed:
    return ValidationFailed(message, code=code, extra={"fields": {field: [message]}})


def _clean_text(value: str | None, field: str, max_length: int, *, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        raise _fail(field, _("This field may not be blank."))
    if len(value) > max_length:
        raise _fail(field, _("Ensure this field has at most %(n)d characters.") % {"n": max_length})
    return value


def _clean_phone(value: str | None, field: str = "phone") -> str:
    """Optional; when given, the one rule for phone numbers (core.identity)."""
    if not (value or "").strip():
        return ""
    try:
        return identity.validate_phone(value)
    except DjangoValidationError as exc:
        raise _fail(field, exc.messages[0]) from None


def _clean_id_number(value: str | None) -> str:
    """Optional; when given, the one rule for ID numbers (core.identity)."""
    if not (value or "").strip():
        return ""
    try:
        return identity.validate_id_number(value)
    except DjangoValidationError as exc:
        raise _fail("id_number", exc.messages[0]) from None


# --- Organisations ----------------------------------------------------------


def _check_placement(kind: str, area: Area, parent: PartyOrg | None) -> None:
    """Kind ↔ area level, and parent kind ↔ child kind, and the parent's reach."""
    if kind not in OrgKind.values:
        raise _fail("kind", _("Unknown kind of organisation."))
    if area.level not in KIND_AREA_LEVELS[kind]:
        allowed = ", ".join(str(AreaLevel(lv).label) for lv in KIND_AREA_LEVELS[kind])
        raise ValidationFailed(
            _("A %(kind)s is attached to: %(levels)s.")
            % {"kind": OrgKind(kind).label, "levels": allowed},
            code="party_org_wrong_level",
            extra={"fields": {"area": [_("Wrong level for this kind of organisation.")]}},
        )
    if not area.is_active:
        raise ValidationFailed(_("Merged areas take no new organisations."), code="area_retired")
    parent_kind = parent.kind if parent else None
    if parent_kind not in KIND_PARENTS[kind]:
        allowed_parents = [k for k in KIND_PARENTS[kind] if k is not None]
        message = (
            _("A %(kind)s sits under: %(parents)s.")
            % {
                "kind": OrgKind(kind).label,
                "parents": ", ".join(str(OrgKind(k).label) for k in allowed_parents),
            }
            if allowed_parents
            else _("A %(kind)s has no parent organisation.") % {"kind": OrgKind(kind).label}
        )
        raise ValidationFailed(
            message,
            code="party_org_wrong_parent",
            extra={"fields": {"parent": [message]}},
        )
    if parent is not None:
        if not parent.is_active:
            raise ValidationFailed(
                _("An inactive organisation takes no new children."),
                code="party_org_inactive",
                extra={"fields": {"parent": [_("This organisation is inactive.")]}},
            )
        # A parent reaches its own area's subtree; one on a grid also reaches
        # the other grids of its community (联合党支部 with groups on them).
        reach = parent.area.path
        if parent.area.level == AreaLevel.GRID:
            reach = reach[: -Area.steplen]
        if not area.path.startswith(reach):
            raise ValidationFailed(
                _("The organisation's area lies outside its parent's area."),
                code="party_org_outside_parent",
                extra={"fields": {"area": [_("Outside the parent organisation's area.")]}},
            )


@transaction.atomic
def party_org_create(
    *,
    kind: str,
    name: str,
    area: Area,
    actor: Actor,
    parent: PartyOrg | None = None,
    established_on: dt.date | None = None,
) -> PartyOrg:
    """Add an organisation of ``kind`` on ``area``, under ``parent`` when given."""
    ensure_can_manage_area(actor, area)
    name = _clean_text(name, "name", 100, required=True)
    if parent is not None:
        parent = PartyOrg.objects.select_related("area").get(pk=parent.pk)
    _check_placement(kind, area, parent)
    values = {"kind": kind, "name": name, "area": area, "established_on": established_on}
    try:
        with transaction.atomic():
            if parent is None:
                org = PartyOrg.objects.add_root(values)
            else:
                org = PartyOrg.objects.add_child(parent, values)
    except IntegrityError as exc:
        raise Conflict(_("The organisation could not be added: %(e)s") % {"e": exc}) from exc
    audit.record(
        org,
        verb="created",
        actor=actor,
        after=audit.snapshot(org, _ORG_FIELDS) | {"parent": parent.pk if parent else None},
    )
    return org


@transaction.atomic
def party_org_update(
    *,
    org: PartyOrg,
    actor: Actor,
    name: str | None = None,
    established_on: dt.date | Unchanged | None = UNCHANGED,
    secretary: PartyMember | Unchanged | None = UNCHANGED,
    is_active: bool | None = None,
) -> PartyOrg:
    """Rename, (re)date, appoint or clear the secretary, (de)activate.

    ``established_on`` / ``secretary`` left out stay as they are; ``None`` clears
    them. An organisation with active children or members cannot be
    deactivated: transfer them first.
    """
    org = PartyOrg.objects.select_for_update().select_related("area").get(pk=org.pk)
    ensure_can_manage_area(actor, org.area)
    before = audit.snapshot(org, _ORG_FIELDS)
    if name is not None:
        org.name = _clean_text(name, "name", 100, required=True)
    if established_on is not UNCHANGED:
        org.established_on = established_on
    if secretary is not UNCHANGED:
        if secretary is not None and (
            secretary.organisation_id != org.pk or not secretary.is_active
        ):
            raise ValidationFailed(
                _("The secretary must be an active member of the organisation."),
                code="secretary_not_member",
                extra={"fields": {"secretary": [_("Not an active member of this organisation.")]}},
            )
        org.secretary = secretary
    if is_active is not None and is_active != org.is_active:
        if not is_active:
            busy = (
                PartyOrg.objects.filter(
                    path__startswith=org.path, depth=org.depth + 1, is_active=True
                ).exists()
                or PartyMember.objects.filter(organisation=org, is_active=True).exists()
            )
            if busy:
                raise Conflict(
                    _("Transfer the members and close the child organisations first."),
                    code="party_org_not_empty",
                )
        else:
            parent = PartyOrg.objects.get_parent(org)
            if parent is not None and not parent.is_active:
                raise Conflict(
                    _("Reactivate the parent organisation first."), code="party_org_inactive"
                )
            if not org.area.is_active:
                raise ValidationFailed(
                    _("Merged areas take no new organisations."), code="area_retired"
                )
        org.is_active = is_active
    org.save()
    after = audit.snapshot(org, _ORG_FIELDS)
    if after != before:
        audit.record(org, verb="updated", actor=actor, before=before, after=after)
    return org


# --- Members ----------------------------------------------------------------


def _check_member_org(org: PartyOrg, field: str = "organisation") -> None:
    if org.kind in JOINT_KINDS:
        raise ValidationFailed(
            _("Party membership is held by a regular organisation, not a joint committee."),
            code="party_org_joint",
            extra={"fields": {field: [_("Choose a regular Party organisation.")]}},
        )
    if not org.is_active:
        raise ValidationFailed(
            _("An inactive organisation takes no new members."),
            code="party_org_inactive",
            extra={"fields": {field: [_("This organisation is inactive.")]}},
        )


def _check_residence(area: Area | None) -> None:
    if area is not None and area.level != AreaLevel.COMMUNITY:
        raise _fail("residence_community", _("Choose a community."))


def _check_employment(in_service: bool, employer: str) -> None:
    if employer and not in_service:
        raise _fail("employer", _("Only an in-service member has an employer."))


def _check_id_free(id_number: str, exclude_pk: int | None = None) -> None:
    if not id_number:
        return
    taken = PartyMember.objects.filter(id_number=id_number)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise ValidationFailed(
            _("A member with this ID number is already registered."),
            code="party_member_exists",
            extra={"fields": {"id_number": [_("Already registered.")]}},
        )


@transaction.atomic
def party_member_add(
    *,
    organisation: PartyOrg,
    name: str,
    actor: Actor,
    gender: str = "",
    phone: str = "",
    id_number: str = "",
    joined_on: dt.date | None = None,
    in_service: bool = False,
    employer: str = "",
    residence_community: Area | None = None,
) -> PartyMember:
    ensure_can_manage_area(actor, organisation.area)
    _check_member_org(organisation)
    name = _clean_text(name, "name", 50, required=True)
    if gender not in ("", "male", "female"):
        raise _fail("gender", _("Unknown gender."))
    phone = _clean_phone(phone)
    id_number = _clean_id_number(id_number)
    employer = _clean_text(employer, "employer", 100, required=False)
    _check_employment(in_service, employer)
    _check_residence(residence_community)
    _check_id_free(id_number)
    member = PartyMember.objects.create(
        organisation=organisation,
        name=name,
        gender=gender,
        phone=phone,
        id_number=id_number,
        joined_on=joined_on,
        in_service=in_service,
        employer=employer,
        residence_community=residence_community,
    )
    audit.record(
        member, verb="added", actor=actor, after=_masked(audit.snapshot(member, _MEMBER_FIELDS))
    )
    logger.info(
        "party member %s added to organisation %s (phone %s, id %s)",
        member.pk,
        organisation.pk,
        mask_phone(phone),
        mask_id_number(id_number),
    )
    return member


@transaction.atomic
def party_member_update(
    *,
    member: PartyMember,
    actor: Actor,
    name: str | None = None,
    gender: str | None = None,
    phone: str | None = None,
    id_number: str | None = None,
    joined_on: dt.date | Unchanged | None = UNCHANGED,
    in_service: bool | None = None,
    employer: str | None = None,
    residence_community: Area | Unchanged | None = UNCHANGED,
    is_active: bool | None = None,
) -> PartyMember:
    """Change a member's own data; the organisation changes only by transfer."""
    member = (
        PartyMember.objects.select_for_update()
        .select_related("organisation__area")
        .get(pk=member.pk)
    )
    ensure_can_manage_area(actor, member.organisation.area)
    before = audit.snapshot(member, _MEMBER_FIELDS)
    if name is not None:
        member.name = _clean_text(name, "name", 50, required=True)
    if gender is not None:
        if gender not in ("", "male", "female"):
            raise _fail("gender", _("Unknown gender."))
        member.gender = gender
    if phone is not None:
        member.phone = _clean_phone(phone)
    if id_number is not None:
        member.id_number = _clean_id_number(id_number)
        _check_id_free(member.id_number, exclude_pk=member.pk)
    if joined_on is not UNCHANGED:
        member.joined_on = joined_on
    if in_service is not None:
        member.in_service = in_service
        if not in_service and employer is None:
            member.employer = ""
    if employer is not None:
        member.employer = _clean_text(employer, "employer", 100, required=False)
    _check_employment(member.in_service, member.employer)
    if residence_community is not UNCHANGED:
        _check_residence(residence_community)
        member.residence_community = residence_community
    if is_active is not None:
        if not is_active and PartyOrg.objects.filter(secretary=member, is_active=True).exists():
            raise Conflict(
                _("Appoint another secretary before deactivating this member."),
                code="member_is_secretary",
            )
        member.is_active = is_active
    member.save()
    after = audit.snapshot(member, _MEMBER_FIELDS)
    if after != before:
        audit.record(
            member, verb="updated", actor=actor, before=_masked(before), after=_masked(after)
        )
    return member


@transaction.atomic
def party_member_transfer(
    *, member: PartyMember, organisation: PartyOrg, actor: Actor, note: str = ""
) -> PartyMember:
    """Move a member's membership to ``organisation`` (组织关系转接).

    The actor must manage both the old and the new organisation's area. A
    secretary is relieved of the post at the old organisation.
    """
    member = (
        PartyMember.objects.select_for_update()
        .select_related("organisation__area")
        .get(pk=member.pk)
    )
    ensure_can_manage_area(actor, member.organisation.area)
    ensure_can_manage_area(actor, organisation.area)
    if organisation.pk == member.organisation_id:
        raise ValidationFailed(
            _("The member already belongs to this organisation."),
            code="transfer_same_organisation",
            extra={"fields": {"organisation": [_("Choose another organisation.")]}},
        )
    if not member.is_active:
        raise Conflict(_("An inactive member cannot be transferred."), code="party_member_inactive")
    _check_member_org(organisation)
    old = member.organisation
    before = {"organisation": old.pk, "organisation_name": old.name}
    relieved = list(PartyOrg.objects.filter(secretary=member).values_list("pk", flat=True))
    for org in PartyOrg.objects.filter(pk__in=relieved):
        org_before = audit.snapshot(org, _ORG_FIELDS)
        org.secretary = None
        org.save(update_fields=["secretary"])
        audit.record(
            org,
            verb="secretary_transferred",
            actor=actor,
            before=org_before,
            after=audit.snapshot(org, _ORG_FIELDS),
        )
    member.organisation = organisation
    member.save(update_fields=["organisation"])
    audit.record(
        member,
        verb="transferred",
        actor=actor,
        before=before,
        after={"organisation": organisation.pk, "organisation_name": organisation.name},
        note=note,
    )
    logger.info(
        "party member %s transferred from organisation %s to %s", member.pk, old.pk, organisation.pk
    )
    return member


# --- Joint committees -------------------------------------------------------


def _check_joint(committee: PartyOrg) -> None:
    if committee.kind not in JOINT_KINDS:
        raise ValidationFailed(
            _("This organisation is not a joint committee."),
            code="not_a_joint_committee",
            extra={"fields": {"committee": [_("Choose a joint committee.")]}},
        )


def _check_term(term_start: dt.date, term_end: dt.date | None) -> None:
    if term_end is not None and term_end < term_start:
        raise ValidationFailed(
            _("A term cannot end before it starts."),
            code="term_end_before_start",
            extra={"fields": {"term_end": [_("Must be on or after the start of the term.")]}},
        )


@transaction.atomic
def joint_member_add(
    *,
    committee: PartyOrg,
    unit_name: str,
    person_name: str,
    term_start: dt.date,
    actor: Actor,
    position: str = "",
    phone: str = "",
    term_end: dt.date | None = None,
) -> JointCommitteeMember:
    """Add a part-time member (兼职委员) from a resident unit."""
    ensure_can_manage_area(actor, committee.area)
    _check_joint(committee)
    unit_name = _clean_text(unit_name, "unit_name", 100, required=True)
    person_name = _clean_text(person_name, "person_name", 50, required=True)
    position = _clean_text(position, "position", 60, required=False)
    phone = _clean_phone(phone)
    _check_term(term_start, term_end)
    member = JointCommitteeMember.objects.create(
        committee=committee,
        unit_name=unit_name,
        person_name=person_name,
        position=position,
        phone=phone,
        term_start=term_start,
        term_end=term_end,
    )
    audit.record(
        member,
        verb="added",
        actor=actor,
        after=_masked(audit.snapshot(member, _JOINT_MEMBER_FIELDS)),
    )
    return member


@transaction.atomic
def joint_member_update(
    *,
    member: JointCommitteeMember,
    actor: Actor,
    position: str | None = None,
    phone: str | None = None,
    term_start: dt.date | None = None,
    term_end: dt.date | Unchanged | None = UNCHANGED,
) -> JointCommitteeMember:
    """Change a part-time member's post, phone or term (``term_end`` ends the term)."""
    member = (
        JointCommitteeMember.objects.select_for_update()
        .select_related("committee__area")
        .get(pk=member.pk)
    )
    ensure_can_manage_area(actor, member.committee.area)
    before = audit.snapshot(member, _JOINT_MEMBER_FIELDS)
    if position is not None:
        member.position = _clean_text(position, "position", 60, required=False)
    if phone is not None:
        member.phone = _clean_phone(phone)
    if term_start is not None:
        member.term_start = term_start
    if term_end is not UNCHANGED:
        member.term_end = term_end
    _check_term(member.term_start, member.term_end)
    member.save()
    after = audit.snapshot(member, _JOINT_MEMBER_FIELDS)
    if after != before:
        audit.record(
            member, verb="updated", actor=actor, before=_masked(before), after=_masked(after)
        )
    return member


@transaction.atomic
def joint_rotation_set(
    *,
    committee: PartyOrg,
    units: list[str],
    period: str,
    starts_on: dt.date,
    actor: Actor,
) -> JointMeetingRotation:
    """Set the chairing order of the joint meeting from ``starts_on``.

    ``units`` are resident units of members whose term covers ``starts_on``,
    in chairing order. Earlier rotations stay in force up to ``starts_on``.
    """
    ensure_can_manage_area(actor, committee.area)
    _check_joint(committee)
    if period not in RotationPeriod.values:
        raise _fail("period", _("Unknown rotation period."))
    units = [u.strip() for u in units if u and u.strip()]
    if not units:
        raise _fail("units", _("List at least one unit."))
    if len(set(units)) != len(units):
        raise _fail("units", _("A unit appears twice."))
    member_units = set(
        JointCommitteeMember.objects.filter(committee=committee)
        .filter(current_member_q(starts_on))
        .values_list("unit_name", flat=True)
    )
    strangers = [u for u in units if u not in member_units]
    if strangers:
        raise ValidationFailed(
            _("Only units with a member on the committee may chair: %(units)s.")
            % {"units": ", ".join(strangers)},
            code="rotation_unit_not_member",
            extra={"fields": {"units": [", ".join(strangers)]}},
        )
    if JointMeetingRotation.objects.filter(committee=committee, starts_on=starts_on).exists():
        raise Conflict(_("A rotation already starts on this date."), code="rotation_exists")
    rotation = JointMeetingRotation.objects.create(
        committee=committee, period=period, starts_on=starts_on
    )
    JointMeetingRotationSlot.objects.bulk_create(
        [
            JointMeetingRotationSlot(rotation=rotation, position=i, unit_name=u)
            for i, u in enumerate(units)
        ]
    )
    audit.record(
        rotation,
        verb="created",
        actor=actor,
        after={
            "committee": committee.pk,
            "period": period,
            "starts_on": starts_on.isoformat(),
            "units": units,
        },
    )
    return rotation


# --- Receivers of governance hooks -----------------------------------------


def move_on_area_merged(*, actor: Actor, source: Area, target: Area) -> None:
    """Organisations on a merged area (and members living in it) follow it to the target.

    Runs inside ``governance.actions.area_merge``'s transaction (connected to
    ``governance.hooks.AREA_MERGED``); the rows are audited as the merge's actor.
    """
    for org in PartyOrg.objects.filter(area=source).order_by("path"):
        PartyOrg.objects.filter(pk=org.pk).update(area=target)
        audit.record(
            org,
            verb="moved_by_merge",
            actor=actor,
            before={"area": source.pk},
            after={"area": target.pk},
        )
    for member_id in PartyMember.objects.filter(residence_community=source).values_list(
        "pk", flat=True
    ):
        PartyMember.objects.filter(pk=member_id).update(residence_community=target)
        audit.record(
            PartyMember(pk=member_id),
            verb="moved_by_merge",
            actor=actor,
            before={"residence_community": source.pk},
            after={"residence_community": target.pk},
        )
