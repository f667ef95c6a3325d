"""一格一长一警一专多兼: compliance reasons, totals, scoping and query counts."""

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext

from governance import actions as gov_actions
from grids.rosters import actions
from grids.rosters.selectors import roster_compliance


def _by_code(body):
    return {row["grid"]["code"]: row for row in body["non_compliant"]}


def test_a_fully_staffed_grid_is_compliant(city, personas, roster_kit):
    roster_kit.staff(city.grid_a1)
    report = {
        g.grid.pk: g for g in roster_compliance(user=personas.roster_admin, area=city.district)
    }
    assert report[city.grid_a1.pk].compliant
    assert report[city.grid_a1.pk].people == 5


def test_each_rule_gives_its_reason_code(city, personas, api_as, roster_kit):
    # A1-1: two heads; A1-2: no police and too few people; B1-1: empty.
    roster_kit.staff(city.grid_a1)
    roster_kit.add(city.grid_a1, role="grid_head")
    roster_kit.add(city.grid_a2, role="grid_head")
    roster_kit.add(city.grid_a2, role="full_time_worker")
    roster_kit.add(city.grid_a2, role="volunteer")
    body = (
        api_as(personas.roster_admin)
        .get(f"/api/v1/grids/compliance/?area={city.district.pk}")
        .json()
    )
    rows = _by_code(body)
    reasons = {code: [r["code"] for r in row["reasons"]] for code, row in rows.items()}
    assert reasons[city.grid_a1.code] == ["several_grid_heads"]
    assert reasons[city.grid_a2.code] == ["no_grid_police", "too_few_people"]
    assert reasons[city.grid_b1.code] == [
        "no_grid_head",
        "no_grid_police",
        "no_full_time_worker",
        "too_few_people",
    ]
    assert rows[city.grid_a2.code]["people"] == 3
    assert all(r["message"] for row in rows.values() for r in row["reasons"])
    assert "fewer than 5" in rows[city.grid_a2.code]["reasons"][1]["message"]
    assert body["totals"] == {"grids": 3, "compliant": 0, "non_compliant": 3}


def test_ended_entries_and_duplicate_people_do_not_count(city, personas, roster_kit):
    entries = roster_kit.staff(city.grid_a1)
    # The police officer also volunteers: still one person.
    roster_kit.add(city.grid_a1, entries[1].worker, role="volunteer")
    actions.roster_end(entry=entries[-1], end=dt.date(2024, 6, 1), actor=None)
    report = {
        g.grid.pk: g for g in roster_compliance(user=personas.roster_admin, area=city.grid_a1)
    }
    assert report[city.grid_a1.pk].people == 4
    assert report[city.grid_a1.pk].reasons == ["too_few_people"]


def test_totals_count_compliant_grids(city, personas, api_as, roster_kit):
    roster_kit.staff(city.grid_a1)
    roster_kit.staff(city.grid_a2)
    body = (
        api_as(personas.street_officer_a)
        .get(f"/api/v1/grids/compliance/?area={city.street_a.pk}")
        .json()
    )
    assert body["totals"] == {"grids": 2, "compliant": 2, "non_compliant": 0}
    assert body["non_compliant"] == []


def test_an_area_out_of_scope_is_404(city, personas, api_as):
    client = api_as(personas.street_officer_b)
    for area in (city.street_a, city.district):
        response = client.get(f"/api/v1/grids/compliance/?area={area.pk}")
        assert response.status_code == 404
        assert response.json()["code"] == "area_not_found"
    assert client.get("/api/v1/grids/compliance/").status_code == 400


def test_compliance_takes_constant_queries(city, personas, api_as, roster_kit):
    client = api_as(personas.roster_admin)
    url = f"/api/v1/grids/compliance/?area={city.district.pk}"
    with CaptureQueriesContext(connection) as first:
        client.get(url)
    for grid in (city.grid_a1, city.grid_a2, city.grid_b1):
        roster_kit.staff(grid, extra=1)
    for n in range(5):
        gov_actions.area_create(parent=city.community_a, name=f"加网格{n}", actor=None)
    with CaptureQueriesContext(connection) as second:
        body = client.get(url).json()
    assert body["totals"]["grids"] == 8
    assert len(second.captured_queries) == len(first.captured_queries), "\n".join(
        q["sql"] for q in second.captured_queries
    )
