"""Reads of Party organisations, members and joint committees, shaped and scoped.

Every row hangs on an area; lists filter by the caller's scope on the related
area's path (``scope.area_q("area__")``), never row by row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.types import AnyUser
from governance.models import Area, AreaLevel
from governance.selectors import user_scope
from partyorg.models import (
    JOINT_KINDS,
    ROTATION_MONTHS,
    JointCommitteeMember,
    JointMeetingRotation,
    OrgKind,
    PartyMember,
    PartyOrg,
)


def party_org_list(*, user: AnyUser) -> QuerySet[PartyOrg]:
    scope = user_scope(user)
    return (
        PartyOrg.objects.filter(scope.area_q("area__"))
        .select_related("area", "secretary")
        .annotate(member_count=Count("members", filter=Q(members__is_active=True), distinct=True))
    )


def joint_committee_list(*, user: AnyUser) -> QuerySet[PartyOrg]:
    return party_org_list(user=user).filter(kind__in=JOINT_KINDS)


def party_member_list(*, user: AnyUser) -> QuerySet[PartyMember]:
    scope = user_scope(user)
    # People data: where the user works (a department post does not open a
    # district's Party members; docs/decisions/0004).
    return PartyMember.objects.filter(scope.work_q("organisation__area__")).select_related(
        "organisation", "organisation__area", "residence_community"
    )


def parent_ids(orgs: list[PartyOrg]) -> dict[str, int]:
    """Parent ids for a page of organisations, in one query."""
    paths = {o.path[: -PartyOrg.steplen] for o in orgs if o.depth > 1}
    if not paths:
        return {}
    return dict(PartyOrg.objects.filter(path__in=paths).values_list("path", "id"))


def joint_member_list(
    *, committee: PartyOrg, on: dt.date | None = None, current_only: bool = True
) -> QuerySet[JointCommitteeMember]:
    """Members of a joint committee; by default those whose term covers ``on`` (today)."""
    qs = JointCommitteeMember.objects.filter(committee=committee)
    if current_only:
        qs = qs.filter(current_member_q(on or timezone.localdate()))
    return qs.order_by("term_start", "id")


def current_member_q(on: dt.date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}term_start__lte": on}) & (
        Q(**{f"{prefix}term_end__isnull": True}) | Q(**{f"{prefix}term_end__gte": on})
    )


# --- Coverage ---------------------------------------------------------------

COVERAGE_BRANCH = "branch"
COVERAGE_GROUP_ONLY = "group_only"
COVERAGE_NONE = "none"


def coverage_report(*, user: AnyUser, area: Area) -> dict[str, Any]:
    """Party coverage of every active grid under ``area`` that the caller may read.

    A grid counts as having a branch when an active 党支部 is attached to it,
    as "group only" when only an active 党小组 is, otherwise none. Members are
    the active members of active organisations attached to the grid. One query,
    whatever the number of grids.
    """
    scope = user_scope(user)
    active_orgs = PartyOrg.objects.filter(area=OuterRef("pk"), is_active=True)
    members = (
        PartyMember.objects.filter(
            organisation__area=OuterRef("pk"), organisation__is_active=True, is_active=True
        )
        .order_by()
        .values("organisation__area")
        .annotate(n=Count("id"))
        .values("n")
    )
    grids = (
        Area.objects.filter(scope.area_q(), path__startswith=area.path, level=AreaLevel.GRID)
        .filter(is_active=True)
        .annotate(
            has_branch=Exists(active_orgs.filter(kind=OrgKind.BRANCH)),
            has_group=Exists(active_orgs.filter(kind=OrgKind.GROUP)),
            members=Coalesce(Subquery(members, output_field=IntegerField()), Value(0)),
        )
        .order_by("path")
        .values("id", "code", "name", "path", "has_branch", "has_group", "members")
    )
    rows = []
    totals = {"grids": 0, "with_branch": 0, "group_only": 0, "none": 0, "members": 0}
    for g in grids:
        if g["has_branch"]:
            status, key = COVERAGE_BRANCH, "with_branch"
        elif g["has_group"]:
            status, key = COVERAGE_GROUP_ONLY, "group_only"
        else:
            status, key = COVERAGE_NONE, "none"
        totals["grids"] += 1
        totals[key] += 1
        totals["members"] += g["members"]
        rows.append(
            {
                "grid": {"id": g["id"], "code": g["code"], "name": g["name"], "level": "grid"},
                "status": status,
                "members": g["members"],
            }
        )
    return {
        "area": {"id": area.pk, "code": area.code, "name": area.name, "level": area.level},
        "grids": rows,
        "totals": totals,
    }


# --- Joint meeting rotation -------------------------------------------------


@dataclass(frozen=True)
class ChairTerm:
    """One unit chairing the joint meeting from ``starts_on`` to ``ends_on`` (inclusive)."""

    unit_name: str
    starts_on: dt.date
    ends_on: dt.date
    rotation_id: int


def _add_months(day: dt.date, months: int) -> dt.date:
    """``day`` shifted by whole months, clamped to the month's end (31 Jan + 1 → 28/29 Feb)."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def _months_between(start: dt.date, on: dt.date) -> int:
    """Whole months from ``start`` to ``on`` (``on`` ≥ ``start``)."""
    months = (on.year - start.year) * 12 + (on.month - start.month)
    if _add_months(start, months) > on:
        months -= 1
    return months


def _rotations(committee: PartyOrg) -> list[JointMeetingRotation]:
    return list(
        JointMeetingRotation.objects.filter(committee=committee)
        .prefetch_related("slots")
        .order_by("starts_on")
    )


def _term_on(rotations: list[JointMeetingRotation], on: dt.date) -> ChairTerm | None:
    """The chair term covering ``on`` given a committee's rotations (oldest first)."""
    index = None
    for i, r in enumerate(rotations):
        if r.starts_on <= on:
            index = i
    if index is None:
        return None
    rotation = rotations[index]
    slots = sorted(rotation.slots.all(), key=lambda s: s.position)
    if not slots:
        return None
    step = ROTATION_MONTHS[rotation.period]
    n = _months_between(rotation.starts_on, on) // step
    starts = _add_months(rotation.starts_on, n * step)
    ends = _add_months(rotation.starts_on, (n + 1) * step) - dt.timedelta(days=1)
    if index + 1 < len(rotations):
        # The next rotation cuts this term short.
        ends = min(ends, rotations[index + 1].starts_on - dt.timedelta(days=1))
    return ChairTerm(
        unit_name=slots[n % len(slots)].unit_name,
        starts_on=starts,
        ends_on=ends,
        rotation_id=rotation.pk,
    )


def current_chair(committee: PartyOrg, on: dt.date | None = None) -> ChairTerm | None:
    """The unit chairing ``committee``'s joint meeting on ``on`` (today by default).

    ``None`` before the first rotation starts or when it lists no unit.
    """
    return _term_on(_rotations(committee), on or timezone.localdate())


def _schedule(rotations: list[JointMeetingRotation], on: dt.date, count: int) -> list[ChairTerm]:
    day = on
    terms: list[ChairTerm] = []
    if rotations and day < rotations[0].starts_on:
        day = rotations[0].starts_on
    while len(terms) < count:
        term = _term_on(rotations, day)
        if term is None:
            break
        terms.append(term)
        day = term.ends_on + dt.timedelta(days=1)
    return terms


def chair_schedule(
    committee: PartyOrg, on: dt.date | None = None, *, count: int = 4
) -> list[ChairTerm]:
    """The chair term covering ``on`` (or the first one, if none has begun) and those after it."""
    return _schedule(_rotations(committee), on or timezone.localdate(), count)


def chair_schedules(
    committees: list[PartyOrg], on: dt.date | None = None, *, count: int = 4
) -> dict[int, list[ChairTerm]]:
    """``chair_schedule`` for a page of committees, in two queries."""
    by_committee: dict[int, list[JointMeetingRotation]] = {c.pk: [] for c in committees}
    rotations = (
        JointMeetingRotation.objects.filter(committee__in=list(by_committee))
        .prefetch_related("slots")
        .order_by("starts_on")
    )
    for r in rotations:
        by_committee[r.committee_id].append(r)
    day = on or timezone.localdate()
    return {pk: _schedule(rs, day, count) for pk, rs in by_committee.items()}
