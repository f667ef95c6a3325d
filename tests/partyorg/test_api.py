import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.audit import history
from governance import actions as governance_actions
from partyorg import actions
from partyorg.models import PartyMember
from tests.partyorg.conftest import valid_id

D = dt.date


def _get(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.content
    return response.json()


def test_org_list_is_scoped_to_the_callers_areas(city, personas, api_as, party):
    names = {
        o["name"] for o in _get(api_as(personas.street_officer_a), "/api/v1/party/orgs/")["results"]
    }
    assert names == {
        "新华街道党工委",
        "新华社区党委",
        "第一网格党支部",
        "第二网格党小组",
        "新华街道大工委",
    }
    leader = {o["id"] for o in _get(api_as(personas.leader), "/api/v1/party/orgs/")["results"]}
    assert party.committee_b.pk in leader


def test_another_streets_officer_gets_404(city, personas, api_as, party):
    client = api_as(personas.street_officer_b)
    for url in [
        f"/api/v1/party/orgs/{party.branch_a1.pk}/",
        f"/api/v1/party/members/{party.member_a.pk}/",
        f"/api/v1/party/joint-committees/{party.joint_a.pk}/",
        f"/api/v1/party/joint-committees/{party.joint_a.pk}/members/",
        f"/api/v1/party/coverage/?area={city.street_a.pk}",
        f"/api/v1/party/coverage/?area={city.district.pk}",  # an ancestor, breadcrumbs only
    ]:
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.json()["code"].endswith("not_found")
    assert client.get(f"/api/v1/party/orgs/{party.committee_b.pk}/").status_code == 200
    assert api_as(personas.outsider).get("/api/v1/party/orgs/").json()["results"] == []


def test_org_filters_and_detail(city, personas, api_as, party):
    client = api_as(personas.leader)
    grids = _get(client, "/api/v1/party/orgs/?kind=branch&kind=group")["results"]
    assert {o["id"] for o in grids} == {party.branch_a1.pk, party.group_a2.pk}
    sub = _get(client, f"/api/v1/party/orgs/?area={city.community_a.pk}")["results"]
    assert {o["id"] for o in sub} == {party.committee_a.pk, party.branch_a1.pk, party.group_a2.pk}
    children = _get(client, f"/api/v1/party/orgs/?parent={party.committee_a.pk}")["results"]
    assert [o["id"] for o in children] == [party.branch_a1.pk]
    detail = _get(client, f"/api/v1/party/orgs/{party.branch_a1.pk}/")
    assert detail["parent"] == party.committee_a.pk
    assert detail["member_count"] == 1
    assert detail["area"]["id"] == city.grid_a1.pk
    assert detail["kind_display"] == "Party branch"


def test_create_and_update_go_through_the_actions(city, personas, api_as, party):
    client = api_as(personas.roster_admin)
    response = client.post(
        "/api/v1/party/orgs/",
        {
            "kind": "branch",
            "name": "海北第一网格党支部",
            "area": city.grid_b1.pk,
            "parent": party.committee_b.pk,
            "established_on": "2021-07-01",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    org_id = response.json()["id"]
    assert response.json()["parent"] == party.committee_b.pk
    wrong = client.post(
        "/api/v1/party/orgs/",
        {"kind": "group", "name": "x", "area": city.grid_b1.pk, "parent": party.committee_b.pk},
        format="json",
    )
    assert wrong.status_code == 400
    assert wrong.json()["code"] == "party_org_wrong_parent"
    response = client.patch(f"/api/v1/party/orgs/{org_id}/", {"name": "改名支部"}, format="json")
    assert response.status_code == 200
    assert response.json()["name"] == "改名支部"
    assert response.json()["established_on"] == "2021-07-01"


def test_a_reader_who_does_not_manage_the_area_gets_403(city, personas, api_as, party):
    client = api_as(personas.street_officer_a)
    response = client.patch(
        f"/api/v1/party/orgs/{party.branch_a1.pk}/", {"name": "x"}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "cannot_manage_area"
    response = client.post(
        "/api/v1/party/orgs/",
        {"kind": "branch", "name": "x", "area": city.grid_b1.pk, "parent": party.committee_b.pk},
        format="json",
    )
    assert response.status_code == 404  # street B is not theirs to read


def test_member_lists_mask_phone_and_id_and_details_show_them_to_managers(
    city, personas, api_as, party
):
    rows = _get(api_as(personas.roster_admin), "/api/v1/party/members/")["results"]
    row = next(r for r in rows if r["id"] == party.member_a.pk)
    assert row["phone"] == "138****5678"
    assert (
        row["id_number"]
        == party.member_a.id_number[:6] + "********" + party.member_a.id_number[-4:]
    )
    detail = _get(api_as(personas.roster_admin), f"/api/v1/party/members/{party.member_a.pk}/")
    assert detail["phone"] == "13812345678"
    reader = _get(api_as(personas.street_officer_a), f"/api/v1/party/members/{party.member_a.pk}/")
    assert reader["phone"] == "138****5678"


def test_member_filters(city, personas, api_as, party):
    client = api_as(personas.leader)
    in_service = _get(client, "/api/v1/party/members/?in_service=true")["results"]
    assert [m["id"] for m in in_service] == [party.member_a.pk]
    sub = _get(client, f"/api/v1/party/members/?area={city.street_b.pk}")["results"]
    assert [m["id"] for m in sub] == [party.member_b.pk]


def test_member_create_update_and_transfer(city, personas, api_as, party):
    client = api_as(personas.roster_admin)
    response = client.post(
        "/api/v1/party/members/",
        {
            "organisation": party.branch_a1.pk,
            "name": "新党员",
            "phone": "13500001111",
            "id_number": valid_id("15030219950505123"),
            "in_service": True,
            "employer": "乌海市民政局",
            "residence_community": city.community_a.pk,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    member_id = response.json()["id"]
    response = client.patch(
        f"/api/v1/party/members/{member_id}/", {"phone": "13500002222"}, format="json"
    )
    assert response.status_code == 200
    response = client.post(
        f"/api/v1/party/members/{member_id}/transfer/",
        {"organisation": party.committee_b.pk, "note": "迁出"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["organisation"]["id"] == party.committee_b.pk
    assert history(PartyMember.objects.get(pk=member_id)).first().verb == "transferred"
    bad = client.post(
        "/api/v1/party/members/",
        {"organisation": party.branch_a1.pk, "name": "x", "residence_community": city.grid_a1.pk},
        format="json",
    )
    assert bad.status_code == 400


def test_joint_committee_shows_members_current_chair_and_next_rotations(
    city, personas, api_as, party
):
    for unit in ["甲单位", "乙单位"]:
        actions.joint_member_add(
            committee=party.joint_a,
            unit_name=unit,
            person_name=f"{unit}委员",
            phone="13812340000",
            term_start=D(2024, 1, 1),
            actor=None,
        )
    actions.joint_rotation_set(
        committee=party.joint_a,
        units=["甲单位", "乙单位"],
        period="quarter",
        starts_on=D(2024, 1, 1),
        actor=None,
    )
    client = api_as(personas.street_officer_a)
    body = _get(client, f"/api/v1/party/joint-committees/{party.joint_a.pk}/?on=2024-05-01&count=3")
    assert body["current_chair"] == {
        "unit_name": "乙单位",
        "starts_on": "2024-04-01",
        "ends_on": "2024-06-30",
    }
    assert [t["unit_name"] for t in body["upcoming_chairs"]] == ["甲单位", "乙单位", "甲单位"]
    listed = _get(client, "/api/v1/party/joint-committees/?on=2023-06-01")["results"]
    assert [c["id"] for c in listed] == [party.joint_a.pk]
    assert listed[0]["current_chair"] is None  # before the first rotation
    assert listed[0]["upcoming_chairs"][0]["starts_on"] == "2024-01-01"
    members = _get(
        client, f"/api/v1/party/joint-committees/{party.joint_a.pk}/members/?on=2024-05-01"
    )
    assert {m["unit_name"] for m in members["results"]} == {"甲单位", "乙单位"}
    assert all(m["phone"] == "138****0000" for m in members["results"])
    assert (
        _get(client, f"/api/v1/party/joint-committees/{party.joint_a.pk}/members/?on=2023-01-01")[
            "results"
        ]
        == []
    )


def test_coverage_endpoint(city, personas, api_as, party):
    body = _get(
        api_as(personas.street_officer_a), f"/api/v1/party/coverage/?area={city.street_a.pk}"
    )
    assert body["totals"] == {
        "grids": 2,
        "with_branch": 1,
        "group_only": 1,
        "none": 0,
        "members": 1,
    }
    assert api_as(personas.leader).get("/api/v1/party/coverage/").status_code == 400


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries), ctx


@pytest.mark.parametrize("persona", ["street_officer_a", "leader"])
def test_list_query_counts_stay_constant_as_rows_grow(city, personas, api_as, party, persona):
    client = api_as(getattr(personas, persona))
    # A rotation from the start: its prefetch is one query however many follow.
    actions.joint_member_add(
        committee=party.joint_a,
        unit_name="甲",
        person_name="p",
        term_start=D(2024, 1, 1),
        actor=None,
    )
    actions.joint_rotation_set(
        committee=party.joint_a, units=["甲"], period="year", starts_on=D(2024, 1, 1), actor=None
    )
    urls = [
        "/api/v1/party/orgs/?page_size=200",
        "/api/v1/party/members/?page_size=200",
        "/api/v1/party/joint-committees/?page_size=200",
        f"/api/v1/party/joint-committees/{party.joint_a.pk}/members/?page_size=200",
        f"/api/v1/party/coverage/?area={city.street_a.pk}",
    ]
    before = {url: _count(client, url)[0] for url in urls}
    for n in range(5):
        grid = governance_actions.area_create(
            parent=city.community_a, name=f"加网格{n}", actor=None
        )
        branch = actions.party_org_create(
            kind="branch", name=f"支部{n}", area=grid, parent=party.committee_a, actor=None
        )
        actions.party_org_create(
            kind="group", name=f"小组{n}", area=grid, parent=branch, actor=None
        )
        member = actions.party_member_add(
            organisation=branch, name=f"党员{n}", residence_community=city.community_a, actor=None
        )
        actions.party_org_update(org=branch, secretary=member, actor=None)
        joint = actions.party_org_create(
            kind="community_joint_committee",
            name=f"大党委{n}",
            area=city.community_a,
            parent=party.committee_a,
            actor=None,
        )
        actions.joint_member_add(
            committee=joint,
            unit_name=f"单位{n}",
            person_name="p",
            term_start=D(2024, 1, 1),
            actor=None,
        )
        actions.joint_rotation_set(
            committee=joint, units=[f"单位{n}"], period="year", starts_on=D(2024, 1, 1), actor=None
        )
        actions.joint_member_add(
            committee=party.joint_a,
            unit_name=f"单位{n}",
            person_name="p",
            term_start=D(2024, 1, 1),
            actor=None,
        )
    for url in urls:
        after, ctx = _count(client, url)
        sql = "\n".join(q["sql"] for q in ctx.captured_queries)
        assert after == before[url], f"{url}: {before[url]} → {after} queries\n{sql}"
    assert _count(client, urls[0])[0] <= 8
