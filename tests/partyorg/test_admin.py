import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from core.audit import history
from partyorg.models import JointMeetingRotation, PartyMember, PartyOrg
from partyorg.selectors import current_chair


@pytest.fixture
def root(client, db):
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw-root-123")
    client.force_login(admin)
    return admin


def test_admin_lists_mask_phone_and_id_numbers(city, party, client, root):
    page = client.get("/admin/partyorg/partymember/").content.decode()
    assert "138****5678" in page
    assert "13812345678" not in page
    assert party.member_a.id_number not in page
    assert client.get("/admin/partyorg/partyorg/").status_code == 200
    assert client.get(f"/admin/partyorg/partyorg/{party.branch_a1.pk}/change/").status_code == 200
    assert client.get(f"/admin/partyorg/partyorg/{party.branch_a1.pk}/delete/").status_code == 403


def test_admin_creates_an_organisation_through_the_action(city, party, client, root):
    response = client.post(
        "/admin/partyorg/partyorg/add/",
        {
            "kind": "branch",
            "name": "海北第一网格党支部",
            "area": city.grid_b1.pk,
            "parent": party.committee_b.pk,
            "established_on": "2021-07-01",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    org = PartyOrg.objects.get(name="海北第一网格党支部")
    assert PartyOrg.objects.get_parent(org).pk == party.committee_b.pk
    assert history(org).get().actor == root


def test_admin_rejects_a_wrong_level_with_a_message(city, party, client, root):
    response = client.post(
        "/admin/partyorg/partyorg/add/",
        {"kind": "group", "name": "错", "area": city.community_b.pk, "parent": ""},
        follow=True,
    )
    assert not PartyOrg.objects.filter(name="错").exists()
    assert "Party group" in response.content.decode()


def test_admin_changing_the_organisation_transfers_the_member(city, party, client, root):
    member = party.member_a
    response = client.post(
        f"/admin/partyorg/partymember/{member.pk}/change/",
        {
            "organisation": party.committee_b.pk,
            "name": member.name,
            "gender": "",
            "phone": member.phone,
            "id_number": member.id_number,
            "joined_on": "",
            "in_service": "on",
            "employer": member.employer,
            "residence_community": city.community_a.pk,
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert PartyMember.objects.get(pk=member.pk).organisation_id == party.committee_b.pk
    assert history(member).first().verb == "transferred"


def test_admin_sets_a_rotation_through_the_action(city, party, client, root):
    from partyorg import actions

    for unit in ["甲单位", "乙单位"]:
        actions.joint_member_add(
            committee=party.joint_a,
            unit_name=unit,
            person_name="p",
            term_start=dt.date(2024, 1, 1),
            actor=None,
        )
    response = client.post(
        "/admin/partyorg/jointmeetingrotation/add/",
        {
            "committee": party.joint_a.pk,
            "period": "quarter",
            "starts_on": "2024-01-01",
            "units": "甲单位\n乙单位\n",
            "slots-TOTAL_FORMS": "0",
            "slots-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert JointMeetingRotation.objects.filter(committee=party.joint_a).count() == 1
    assert current_chair(party.joint_a, on=dt.date(2024, 4, 1)).unit_name == "乙单位"
