from django.db import connection
from django.test.utils import CaptureQueriesContext

from governance import actions as governance_actions
from partyorg import actions
from partyorg.selectors import coverage_report


def _by_code(report):
    return {row["grid"]["code"]: row for row in report["grids"]}


def test_it_tells_branch_group_only_and_none_apart_with_totals(city, personas, party):
    actions.party_member_add(organisation=party.group_a2, name="小组党员", actor=None)
    actions.party_member_add(organisation=party.group_a2, name="小组党员2", actor=None)
    report = coverage_report(user=personas.leader, area=city.city)
    rows = _by_code(report)
    assert rows[city.grid_a1.code]["status"] == "branch"
    assert rows[city.grid_a1.code]["members"] == 1  # member_a of the branch
    assert rows[city.grid_a2.code]["status"] == "group_only"
    assert rows[city.grid_a2.code]["members"] == 2
    assert rows[city.grid_b1.code]["status"] == "none"
    assert rows[city.grid_b1.code]["members"] == 0
    assert report["totals"] == {
        "grids": 3,
        "with_branch": 1,
        "group_only": 1,
        "none": 1,
        "members": 3,
    }


def test_inactive_organisations_and_members_do_not_count(city, personas, party):
    actions.party_member_update(member=party.member_a, is_active=False, actor=None)
    actions.party_org_update(org=party.group_a2, is_active=False, actor=None)
    rows = _by_code(coverage_report(user=personas.leader, area=city.street_a))
    assert rows[city.grid_a1.code] == {
        "grid": rows[city.grid_a1.code]["grid"],
        "status": "branch",
        "members": 0,
    }
    assert rows[city.grid_a2.code]["status"] == "none"


def test_it_covers_only_grids_the_caller_reads(city, personas, party):
    report = coverage_report(user=personas.street_officer_a, area=city.district)
    assert set(_by_code(report)) == {city.grid_a1.code, city.grid_a2.code}


def test_it_takes_a_constant_number_of_queries(city, personas, party):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            coverage_report(user=personas.leader, area=city.city)
        return len(ctx.captured_queries)

    count()  # warm the scope cache
    before = count()
    for n in range(6):
        grid = governance_actions.area_create(parent=city.community_a, name=f"加{n}", actor=None)
        branch = actions.party_org_create(
            kind="branch", name=f"支部{n}", area=grid, parent=party.committee_a, actor=None
        )
        actions.party_member_add(organisation=branch, name=f"党员{n}", actor=None)
    assert count() == before == 1
