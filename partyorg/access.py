"""Permission-checked fetches. Absent and out-of-scope give the same 404."""

from __future__ import annotations

from django.utils.translation import gettext as _

from core.errors import NotFound
from core.types import AnyUser
from governance.access import ensure_can_manage_area
from governance.models import Area
from governance.selectors import area_list, user_scope
from partyorg.models import PartyMember, PartyOrg
from partyorg.selectors import joint_committee_list, party_member_list, party_org_list


def access_party_org(user: AnyUser, org_id: int | str, *, for_write: bool = False) -> PartyOrg:
    try:
        org = party_org_list(user=user).get(pk=int(org_id))
    except (PartyOrg.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Party organisation not found."), code="party_org_not_found") from None
    if for_write:
        ensure_can_manage_area(user, org.area)
    return org


def access_joint_committee(
    user: AnyUser, committee_id: int | str, *, for_write: bool = False
) -> PartyOrg:
    try:
        committee = joint_committee_list(user=user).get(pk=int(committee_id))
    except (PartyOrg.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Joint committee not found."), code="joint_committee_not_found") from None
    if for_write:
        ensure_can_manage_area(user, committee.area)
    return committee


def access_party_member(
    user: AnyUser, member_id: int | str, *, for_write: bool = False
) -> PartyMember:
    try:
        member = party_member_list(user=user).get(pk=int(member_id))
    except (PartyMember.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Party member not found."), code="party_member_not_found") from None
    if for_write:
        ensure_can_manage_area(user, member.organisation.area)
    return member


def access_coverage_area(user: AnyUser, area_id: int | str) -> Area:
    """An area whose subtree the caller reads: ancestors shown for breadcrumbs do not count."""
    try:
        area = area_list(user=user).get(pk=int(area_id))
    except (Area.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Area not found."), code="area_not_found") from None
    scope = user_scope(user)
    # A street officer reads the district row for breadcrumbs, not its coverage.
    if not scope.covers_path(area.path):
        raise NotFound(_("Area not found."), code="area_not_found")
    return area


def can_see_personal_data(user: AnyUser, org: PartyOrg) -> bool:
    """Managers of the organisation's area may see full phone and ID numbers."""
    return user_scope(user).manages_path(org.area.path)
