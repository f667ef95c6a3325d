"""Joint committees over the API: add and change part-time members, set the rotation."""

import datetime as dt

import pytest

from core.audit import history
from partyorg.models import JointCommitteeMember, JointMeetingRotation

pytestmark = pytest.mark.django_db

D = dt.date


def _members_url(party):
    return f"/api/v1/party/joint-committees/{party.joint_a.pk}/members/"


def test_a_roster_admin_adds_a_member_then_ends_the_term(personas, api_as, party):
    client = api_as(personas.roster_admin)
    created = client.post(
        _members_url(party),
        {
            "unit_name": "乌海供电公司",
            "person_name": "王五",
            "position": "党委副书记",
            "phone": "13912345678",
            "term_start": "2025-01-01",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["unit_name"], body["phone"], body["term_end"]) == (
        "乌海供电公司",
        "139****5678",  # masked in the answer too
        None,
    )
    member = JointCommitteeMember.objects.get(pk=body["id"])
    assert member.phone == "13912345678"
    assert history(member).get().verb == "added"

    ended = client.patch(
        f"{_members_url(party)}{member.pk}/", {"term_end": "2025-12-31"}, format="json"
    )
    assert ended.status_code == 200, ended.json()
    assert ended.json()["term_end"] == "2025-12-31"
    assert history(member).first().verb == "updated"
    current = client.get(_members_url(party), {"on": "2026-01-05"}).json()["results"]
    assert current == []  # the term is over; the row stays as history
    assert JointCommitteeMember.objects.filter(pk=member.pk).exists()


def test_bad_member_input_is_400_in_the_error_shape_and_writes_nothing(personas, api_as, party):
    client = api_as(personas.roster_admin)
    missing = client.post(_members_url(party), {"unit_name": "x"}, format="json")
    assert missing.status_code == 400
    assert set(missing.json()) == {"code", "message", "extra"}
    assert {"person_name", "term_start"} <= set(missing.json()["extra"]["fields"])
    backwards = client.post(
        _members_url(party),
        {
            "unit_name": "市第一中学",
            "person_name": "赵六",
            "term_start": "2025-06-01",
            "term_end": "2025-01-01",
        },
        format="json",
    )
    assert (backwards.status_code, backwards.json()["code"]) == (400, "term_end_before_start")
    assert not JointCommitteeMember.objects.exists()


def test_reading_is_not_writing_and_other_streets_get_404(personas, api_as, party):
    member = {"unit_name": "甲单位", "person_name": "甲", "term_start": "2025-01-01"}
    reader = api_as(personas.street_officer_a)  # reads street A's committee, manages no roster
    assert reader.get(_members_url(party)).status_code == 200
    refused = reader.post(_members_url(party), member, format="json")
    assert refused.status_code == 403
    outsider = api_as(personas.street_officer_b)
    assert outsider.post(_members_url(party), member, format="json").status_code == 404
    assert (
        api_as(personas.roster_admin)
        .patch(f"{_members_url(party)}999999/", {"position": "x"}, format="json")
        .status_code
        == 404
    )
    assert not JointCommitteeMember.objects.exists()


def test_the_rotation_is_set_over_the_api_and_the_chair_follows(personas, api_as, party):
    client = api_as(personas.roster_admin)
    for unit in ["甲单位", "乙单位"]:
        response = client.post(
            _members_url(party),
            {"unit_name": unit, "person_name": f"{unit}委员", "term_start": "2024-01-01"},
            format="json",
        )
        assert response.status_code == 201
    url = f"/api/v1/party/joint-committees/{party.joint_a.pk}/rotation/"
    stranger = client.post(
        url,
        {"units": ["甲单位", "丙单位"], "period": "quarter", "starts_on": "2024-01-01"},
        format="json",
    )
    assert (stranger.status_code, stranger.json()["code"]) == (400, "rotation_unit_not_member")
    assert not JointMeetingRotation.objects.exists()
    done = client.post(
        url,
        {"units": ["甲单位", "乙单位"], "period": "quarter", "starts_on": "2024-01-01"},
        format="json",
    )
    assert done.status_code == 201, done.json()
    again = client.post(
        url,
        {"units": ["乙单位"], "period": "quarter", "starts_on": "2024-01-01"},
        format="json",
    )
    assert (again.status_code, again.json()["code"]) == (409, "rotation_exists")
    body = client.get(
        f"/api/v1/party/joint-committees/{party.joint_a.pk}/", {"on": "2024-05-01"}
    ).json()
    assert body["current_chair"]["unit_name"] == "乙单位"  # second quarter
