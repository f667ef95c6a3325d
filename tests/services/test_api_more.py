"""More of the cases API: a denied extension, a partly-resolved callback,
the created_from/created_to filters and walking the list by its cursor."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest
import time_machine
from django.utils.dateparse import parse_datetime

from services.models import Callback, Clock, Dispatch, ExtensionRequest, TicketEvent

pytestmark = pytest.mark.django_db

MONDAY_10H = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai


def ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def _ok(response):
    assert response.status_code == 200, response.content
    return response.json()


def test_it_denies_an_extension_and_leaves_state_and_due_time_alone(whistled, personas, api):
    api.force_login(personas.department_officer)
    _ok(api.post(f"/api/v1/tickets/{whistled.pk}/claim/"))
    dispatch = Dispatch.objects.get(ticket=whistled, role="lead")
    due = dispatch.handle_due_at
    wanted = due + dt.timedelta(days=5)
    body = _ok(
        api.post(
            f"/api/v1/tickets/{whistled.pk}/extension/",
            {"requested_due_at": wanted.isoformat(), "reason": "需协调物业"},
            format="json",
        )
    )
    assert "approve_extension" not in body["allowed_actions"]  # not the department's to decide
    request = ExtensionRequest.objects.get(dispatch=dispatch)

    api.force_login(personas.street_officer_a)
    body = _ok(
        api.post(
            f"/api/v1/tickets/{whistled.pk}/review_extension/",
            {"request": request.pk, "approve": False, "note": "期限内可完成"},
            format="json",
        )
    )
    assert body["state"] == "in_progress"
    dispatch.refresh_from_db()
    request.refresh_from_db()
    assert dispatch.handle_due_at == due
    handle_clock = Clock.objects.get(dispatch=dispatch, kind="handle", state="running")
    assert handle_clock.due_at == due
    assert parse_datetime(body["dispatches"][0]["handle_due_at"]) == due
    assert (request.state, request.reviewed_by_id) == ("rejected", personas.street_officer_a.pk)
    last = body["timeline"][-1]
    assert last["verb"] == "reject_extension"
    event = TicketEvent.objects.filter(ticket=whistled).order_by("at", "id").last()
    assert (event.verb, event.note, event.actor_id) == (
        "reject_extension",
        "期限内可完成",
        personas.street_officer_a.pk,
    )
    assert (event.from_state, event.to_state) == ("in_progress", "in_progress")
    assert event.data["previous_due_at"] == due.isoformat()
    # Decided once: a second decision is a conflict in the one error shape.
    again = api.post(
        f"/api/v1/tickets/{whistled.pk}/review_extension/",
        {"request": request.pk, "approve": True},
        format="json",
    )
    assert again.status_code == 409
    assert again.json()["code"] == "already_decided"
    dispatch.refresh_from_db()
    assert dispatch.handle_due_at == due


def test_it_ends_a_partly_resolved_mostly_satisfied_callback_done(whistled, personas, api):
    api.force_login(personas.department_officer)
    _ok(api.post(f"/api/v1/tickets/{whistled.pk}/claim/"))
    _ok(api.post(f"/api/v1/tickets/{whistled.pk}/reply/", {"result": "已清运"}, format="json"))
    api.force_login(personas.street_officer_a)
    assert _ok(api.post(f"/api/v1/tickets/{whistled.pk}/close/", {}, format="json"))["state"] == (
        "closed"
    )
    body = _ok(
        api.post(
            f"/api/v1/tickets/{whistled.pk}/callback/",
            {"resolution": "partly", "satisfaction": "mostly_satisfied", "note": "基本满意"},
            format="json",
        )
    )
    assert body["state"] == "done"
    assert body["allowed_actions"] == []
    assert body["timeline"][-1]["verb"] == "callback"
    callback = Callback.objects.get(ticket=whistled)
    assert (callback.contacted, callback.resolution, callback.satisfaction, callback.reopened) == (
        True,
        "partly",
        "mostly_satisfied",
        False,
    )
    event = TicketEvent.objects.filter(ticket=whistled).order_by("at", "id").last()
    assert event.data == {
        "contacted": True,
        "resolution": "partly",
        "satisfaction": "mostly_satisfied",
    }


def test_it_filters_the_list_by_creation_time(report, personas, api):
    with time_machine.travel(MONDAY_10H, tick=False):
        monday = report()
    with time_machine.travel(MONDAY_10H + dt.timedelta(days=2), tick=False):
        wednesday = report()
    with time_machine.travel(MONDAY_10H + dt.timedelta(days=4), tick=False):
        friday = report()
    api.force_login(personas.street_officer_a)
    url = "/api/v1/tickets/"
    assert ids(api.get(url, {"created_from": "2026-03-03T00:00:00+08:00"})) == [
        friday.pk,
        wednesday.pk,
    ]
    assert ids(api.get(url, {"created_to": "2026-03-03T00:00:00+08:00"})) == [monday.pk]
    assert ids(
        api.get(
            url,
            {
                "created_from": "2026-03-03T00:00:00+08:00",
                "created_to": "2026-03-05T00:00:00+08:00",
            },
        )
    ) == [wednesday.pk]
    # created_from is inclusive, created_to exclusive, to the microsecond.
    exact = "2026-03-04T02:00:00Z"  # Wednesday's report
    assert ids(api.get(url, {"created_from": exact})) == [friday.pk, wednesday.pk]
    assert ids(api.get(url, {"created_to": exact})) == [monday.pk]
    assert ids(api.get(url, {"created_from": "2026-03-07T00:00:00Z"})) == []


@pytest.mark.parametrize("name", ["created_from", "created_to"])
@pytest.mark.parametrize("value", ["yesterday", "2026-13-40T00:00:00Z", "2026-03-03T25:00"])
def test_it_refuses_a_bad_creation_time_in_the_one_error_shape(report, personas, api, name, value):
    report()
    api.force_login(personas.street_officer_a)
    response = api.get("/api/v1/tickets/", {name: value})
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"code", "message", "extra"}
    assert body["code"] == "validation_error"
    assert list(body["extra"]["fields"]) == [name]


def _walk(api, url):
    """Follow ``next`` from ``url``; return every id seen and the page count."""
    seen, pages = [], 0
    while url:
        body = _ok(api.get(url))
        pages += 1
        seen.extend(row["id"] for row in body["results"])
        url = body["next"]
        if url:
            parts = urlsplit(url)
            url = f"{parts.path}?{parts.query}"
        assert pages < 50, "the cursor does not end"
    return seen, pages


def test_it_walks_the_list_by_cursor_and_sees_every_case_once(report, personas, api):
    # Several cases share a creation time (a burst of intake), so pages
    # break inside runs of equal created_at.
    created = []
    for minutes, count in ((0, 3), (1, 1), (2, 4), (3, 2)):
        with time_machine.travel(MONDAY_10H + dt.timedelta(minutes=minutes), tick=False):
            created.extend(report() for _ in range(count))
    api.force_login(personas.street_officer_a)
    seen, pages = _walk(api, "/api/v1/tickets/?page_size=3")
    assert len(seen) == len(set(seen)) == 10
    assert set(seen) == {t.pk for t in created}
    assert pages == 4
    newest_first = sorted(created, key=lambda t: (t.created_at, t.pk), reverse=True)
    assert seen == [t.pk for t in newest_first]


def test_it_keeps_filters_on_the_next_page(report, personas, api, categories):
    lamps = [report(category=categories["C0105"], urgency="urgent") for _ in range(3)]
    for _ in range(3):
        report()
    api.force_login(personas.street_officer_a)
    seen, pages = _walk(api, "/api/v1/tickets/?urgency=urgent&page_size=2")
    assert pages == 2
    assert sorted(seen) == sorted(t.pk for t in lamps)


def test_a_plain_date_filters_whole_local_days(api_as, personas, report):
    """``created_to=2026-03-04`` includes the 4th (Shanghai time); a date-time stays exclusive."""
    made = {}
    for label, when in {
        "3rd_late": dt.datetime(2026, 3, 3, 15, 59, tzinfo=dt.UTC),  # 23:59 on the 3rd locally
        "4th_early": dt.datetime(2026, 3, 3, 16, 0, tzinfo=dt.UTC),  # 00:00 on the 4th locally
        "4th_late": dt.datetime(2026, 3, 4, 15, 0, tzinfo=dt.UTC),  # 23:00 on the 4th
        "5th": dt.datetime(2026, 3, 4, 16, 30, tzinfo=dt.UTC),  # 00:30 on the 5th
    }.items():
        with time_machine.travel(when, tick=False):
            made[label] = report().number
    client = api_as(personas.street_officer_a)

    def numbers(**query):
        response = client.get("/api/v1/tickets/", query)
        assert response.status_code == 200, response.json()
        return {row["number"] for row in response.json()["results"]}

    assert numbers(created_from="2026-03-04", created_to="2026-03-04") == {
        made["4th_early"],
        made["4th_late"],
    }
    assert numbers(created_to="2026-03-04T00:00:00+08:00") == {made["3rd_late"]}
    assert numbers(created_from="2026-03-05") == {made["5th"]}
    bad = client.get("/api/v1/tickets/", {"created_to": "2026-02-30"})
    assert bad.status_code == 400 and "created_to" in bad.json()["extra"]["fields"]
