import datetime as dt

import pytest

from core.audit import history
from core.errors import AccessDenied, Conflict, ValidationFailed
from partyorg import actions
from partyorg.models import PartyOrg


def test_it_creates_a_tree_and_audits_each_organisation(city, party):
    assert PartyOrg.objects.get_parent(party.group_a2).pk == party.branch_a1.pk
    assert PartyOrg.objects.get_parent(party.branch_a1).pk == party.committee_a.pk
    assert party.wc_a.depth == 1
    entry = history(party.branch_a1).get()
    assert entry.verb == "created"
    assert entry.after["parent"] == party.committee_a.pk
    assert entry.after["area"] == city.grid_a1.pk


@pytest.mark.parametrize(
    ("kind", "area_attr"),
    [
        ("working_committee", "community_a"),
        ("committee", "street_a"),
        ("general_branch", "grid_a1"),
        ("branch", "street_a"),
        ("group", "community_a"),
        ("street_joint_committee", "community_a"),
        ("community_joint_committee", "grid_a1"),
    ],
)
def test_it_rejects_a_kind_on_the_wrong_area_level(city, party, kind, area_attr):
    parents = {
        "working_committee": None,
        "committee": party.wc_a,
        "general_branch": party.committee_a,
        "branch": party.committee_a,
        "group": party.branch_a1,
        "street_joint_committee": None,
        "community_joint_committee": None,
    }
    with pytest.raises(ValidationFailed) as exc:
        actions.party_org_create(
            kind=kind,
            name="错层级",
            area=getattr(city, area_attr),
            parent=parents[kind],
            actor=None,
        )
    assert exc.value.code == "party_org_wrong_level"


def test_it_accepts_a_branch_on_a_community_and_a_general_branch(city, party):
    general = actions.party_org_create(
        kind="general_branch", name="总支", area=city.community_a, parent=party.wc_a, actor=None
    )
    branch = actions.party_org_create(
        kind="branch", name="离退休党支部", area=city.community_a, parent=general, actor=None
    )
    assert PartyOrg.objects.get_parent(branch).pk == general.pk


def test_a_group_sits_only_under_a_branch(city, party):
    with pytest.raises(ValidationFailed) as exc:
        actions.party_org_create(
            kind="group", name="党小组", area=city.grid_a1, parent=party.committee_a, actor=None
        )
    assert exc.value.code == "party_org_wrong_parent"
    with pytest.raises(ValidationFailed) as exc:
        actions.party_org_create(kind="group", name="党小组", area=city.grid_a1, actor=None)
    assert exc.value.code == "party_org_wrong_parent"


def test_a_working_committee_has_no_parent_and_a_committee_needs_one(city, party):
    with pytest.raises(ValidationFailed) as exc:
        actions.party_org_create(
            kind="working_committee", name="x", area=city.street_a, parent=party.wc_b, actor=None
        )
    assert exc.value.code == "party_org_wrong_parent"
    with pytest.raises(ValidationFailed) as exc:
        actions.party_org_create(kind="committee", name="x", area=city.community_a, actor=None)
    assert exc.value.code == "party_org_wrong_parent"


def test_a_child_must_lie_in_its_parents_area(city, party):
    with pytest.raises(ValidationFailed) as exc:
        actions.party_org_create(
            kind="committee", name="跨街道", area=city.community_b, parent=party.wc_a, actor=None
        )
    assert exc.value.code == "party_org_outside_parent"
    # A group may sit on another grid of its branch's community (joint branch).
    assert party.group_a2.area_id == city.grid_a2.pk
    other_branch = actions.party_org_create(
        kind="branch", name="海北网格支部", area=city.grid_b1, parent=party.committee_b, actor=None
    )
    with pytest.raises(ValidationFailed) as exc:
        actions.party_org_create(
            kind="group", name="跨社区小组", area=city.grid_a1, parent=other_branch, actor=None
        )
    assert exc.value.code == "party_org_outside_parent"


def test_only_managers_of_the_area_create_organisations(city, personas, party):
    with pytest.raises(AccessDenied):
        actions.party_org_create(
            kind="branch",
            name="支部",
            area=city.grid_b1,
            parent=party.committee_b,
            actor=personas.street_officer_b,
        )
    org = actions.party_org_create(
        kind="branch",
        name="支部",
        area=city.grid_b1,
        parent=party.committee_b,
        actor=personas.roster_admin,
    )
    assert history(org).get().actor == personas.roster_admin


def test_update_appoints_a_secretary_from_the_organisations_members(city, party):
    with pytest.raises(ValidationFailed) as exc:
        actions.party_org_update(org=party.branch_a1, secretary=party.member_b, actor=None)
    assert exc.value.code == "secretary_not_member"
    org = actions.party_org_update(
        org=party.branch_a1, secretary=party.member_a, name="新名字", actor=None
    )
    assert org.secretary_id == party.member_a.pk
    assert org.established_on == dt.date(2020, 7, 1)  # left as it was
    entry = history(org).first()
    assert entry.verb == "updated"
    assert entry.before["secretary"] is None
    assert entry.after["secretary"] == party.member_a.pk


def test_it_refuses_to_deactivate_an_organisation_with_members_or_children(city, party):
    with pytest.raises(Conflict) as exc:
        actions.party_org_update(org=party.committee_a, is_active=False, actor=None)
    assert exc.value.code == "party_org_not_empty"
    org = actions.party_org_update(org=party.group_a2, is_active=False, actor=None)
    assert org.is_active is False
