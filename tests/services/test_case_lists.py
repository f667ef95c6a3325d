"""The case lists on ``/tickets/``: "my cases" and "my area's cases", and
the filters (search, state, urgency, overdue) that narrow them."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine

from services import actions
from tests.factories import UserFactory, grant

pytestmark = pytest.mark.django_db


def _numbers(response):
    """Case numbers listed on the page, in their order."""
    assert response.status_code == 200
    return re.findall(r'href="/tickets/\d+/">(\d+)</a>', response.content.decode())


@pytest.fixture
def three_cases(whistled, report, categories, personas, city):
    """A dispatched garbage case, an urgent street-light case and a plain
    reported case, all in grid A1-1 (newest first: lamp, plain, whistled)."""
    plain = report(description="井盖松动有异响", address="团结路与人民路交口")
    lamp = report(
        category=categories["C0105"],
        urgency="urgent",
        description="路灯整排不亮",
        address="海北路路灯",
    )
    return whistled, plain, lamp


def test_it_lists_every_case_of_the_street_under_my_area(client, three_cases, personas):
    whistled, plain, lamp = three_cases
    client.force_login(personas.street_officer_a)
    assert _numbers(client.get("/tickets/?tab=area")) == [
        lamp.number,
        plain.number,
        whistled.number,
    ]


def test_it_searches_by_number_address_and_description(client, three_cases, personas):
    whistled, plain, lamp = three_cases
    client.force_login(personas.street_officer_a)
    assert _numbers(client.get(f"/tickets/?tab=area&q={plain.number}")) == [plain.number]
    assert _numbers(client.get("/tickets/?tab=area&q=海北路")) == [lamp.number]  # address
    assert _numbers(client.get("/tickets/?tab=area&q=井盖")) == [plain.number]  # description
    assert _numbers(client.get("/tickets/?tab=area&q=垃圾堆放")) == [whistled.number]
    assert _numbers(client.get("/tickets/?tab=area&q=没有这种案件")) == []


def test_it_filters_by_state(client, three_cases, personas):
    whistled, plain, lamp = three_cases
    client.force_login(personas.street_officer_a)
    assert _numbers(client.get("/tickets/?tab=area&state=dispatched")) == [whistled.number]
    assert _numbers(client.get("/tickets/?tab=area&state=reported")) == [
        lamp.number,
        plain.number,
    ]


def test_it_filters_by_urgency(client, three_cases, personas):
    _whistled, _plain, lamp = three_cases
    client.force_login(personas.street_officer_a)
    assert _numbers(client.get("/tickets/?tab=area&urgency=urgent")) == [lamp.number]


def test_it_filters_overdue_cases(client, three_cases, personas):
    whistled, plain, lamp = three_cases
    client.force_login(personas.street_officer_a)
    assert _numbers(client.get("/tickets/?tab=area&overdue=on")) == []
    # Ten days on (longer than any holiday break), the department has missed
    # its claim deadline; the reported cases have no deadline to miss.
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=10)):
        # A session ends after 12 h (docs/decisions/0027): log in again.
        client.force_login(personas.street_officer_a)
        assert _numbers(client.get("/tickets/?tab=area&overdue=on")) == [whistled.number]
        assert _numbers(client.get("/tickets/?tab=area")) == [
            lamp.number,
            plain.number,
            whistled.number,
        ]


def test_it_combines_filters(client, three_cases, personas):
    whistled, _plain, lamp = three_cases
    client.force_login(personas.street_officer_a)
    assert _numbers(client.get("/tickets/?tab=area&state=reported&q=路灯")) == [lamp.number]
    assert _numbers(client.get("/tickets/?tab=area&state=dispatched&urgency=urgent")) == []
    assert _numbers(client.get("/tickets/?tab=area&state=dispatched&q=垃圾")) == [whistled.number]


def test_it_marks_an_unknown_state_on_the_filter_form_instead_of_failing(
    client, three_cases, personas
):
    client.force_login(personas.street_officer_a)
    response = client.get("/tickets/?tab=area&state=nonsense")
    assert response.status_code == 200
    assert re.search(r'<select name="state"[^>]*is-invalid', response.content.decode())


def test_it_shows_a_colleagues_case_in_my_area_but_not_another_streets(
    client, report, personas, city
):
    colleague = UserFactory(username="grid_a_colleague")
    grant(colleague, "grid_worker", area=city.grid_a1)
    mine = report(description="我报的案件")
    theirs = report(actor=colleague, description="同事报的案件")
    elsewhere = report(actor=personas.grid_worker_b, grid=city.grid_b1, description="海北街道案件")
    client.force_login(personas.grid_worker_a)
    area = _numbers(client.get("/tickets/?tab=area"))
    assert area == [theirs.number, mine.number]
    assert elsewhere.number not in area
    # "My cases" is only what I logged.
    assert _numbers(client.get("/tickets/?tab=mine")) == [mine.number]
    assert _numbers(client.get("/tickets/")) == [mine.number]
    # And the other street sees only its own.
    client.force_login(personas.street_officer_b)
    assert _numbers(client.get("/tickets/?tab=area")) == [elsewhere.number]


def test_it_filters_my_cases_too(client, report, personas, categories):
    plain = report(description="井盖松动")
    lamp = report(category=categories["C0105"], urgency="urgent", description="路灯不亮")
    client.force_login(personas.grid_worker_a)
    assert _numbers(client.get("/tickets/?tab=mine&urgency=urgent")) == [lamp.number]
    assert _numbers(client.get("/tickets/?tab=mine&q=井盖")) == [plain.number]
    actions.ticket_self_handle(ticket=plain, actor=personas.grid_worker_a)
    assert _numbers(client.get("/tickets/?tab=mine&state=self_handling")) == [plain.number]
