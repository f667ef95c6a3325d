"""Malformed input is a 400 in the one error shape, never a 500 or an HTML
page (issue 18, finding 8). Each test replays one request of the attack."""

from __future__ import annotations

import base64
import json
import re

import pytest
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.pagination import CursorPagination

from core.dates import DATE_OUT_OF_RANGE
from core.errors import BAD_HOST, JSON_TOO_DEEP, REQUEST_TOO_LARGE, TOO_MANY_FIELDS
from core.pagination import INVALID_CURSOR
from core.parsers import MAX_DEPTH, depth_exceeds
from tests.partyorg.conftest import party  # noqa: F401 (fixture)

SHAPE = {"code", "message", "extra"}


def assert_error(response, code=None, status=400):
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body) == SHAPE, body
    if code is not None:
        assert body["code"] == code, body
    return body


def assert_open311_error(response, status=400):
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body, list) and body[0]["code"] == status, body
    assert body[0]["description"]
    return body


# --- deeply nested JSON ---------------------------------------------------------------


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("path", ["/api/v1/tickets/", "/api/v1/visits/", "/api/v1/party/orgs/"])
@pytest.mark.parametrize("body", [nested(10_000), '{"a":' * 10_000 + "1" + "}" * 10_000])
def test_json_nested_10000_deep_is_a_400(city, personas, api_as, path, body):
    response = api_as(personas.leader).post(path, body, content_type="application/json")
    assert_error(response, JSON_TOO_DEEP)


def test_json_just_past_the_depth_limit_is_refused_and_within_it_parsed(city, personas, api_as):
    client = api_as(personas.leader)
    too_deep = client.post(
        "/api/v1/tickets/", nested(MAX_DEPTH + 1), content_type="application/json"
    )
    assert_error(too_deep, JSON_TOO_DEEP)
    # Parsed, then refused by the serializer for what it says, not for its shape.
    within = client.post("/api/v1/tickets/", {"description": [[1]]}, format="json")
    assert_error(within, "validation_error")


def test_depth_is_measured_without_recursion():
    deep: list = []
    cursor = deep
    for _ in range(50_000):
        cursor.append([])
        cursor = cursor[0]
    assert depth_exceeds(deep)
    assert not depth_exceeds({"a": [{"b": 1}]})


# --- crafted cursors ------------------------------------------------------------------


def _cursor(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _join(prefix: str, pattern: object) -> str | None:
    """``api/v1/`` + ``^tickets/$`` → ``/api/v1/tickets/``; None when it takes arguments."""
    text = str(pattern)
    if "<" in text or "(?P" in text or "(" in text:
        return None
    return prefix + re.sub(r"^\^|\$$|\\Z$", "", text)


def cursor_paginated_lists() -> list[str]:
    """Every GET endpoint under /api/ without arguments whose pagination is a cursor."""
    found: list[str] = []

    def walk(patterns: list, prefix: str) -> None:
        for entry in patterns:
            here = _join(prefix, entry.pattern)
            if here is None:
                continue
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, here)
                continue
            assert isinstance(entry, URLPattern)
            view = getattr(entry.callback, "cls", None)
            actions = getattr(entry.callback, "actions", None) or {"get": "get"}
            if view is None or "get" not in actions or not here.startswith("/api/"):
                continue
            initkwargs = getattr(entry.callback, "initkwargs", {}) or {}
            pagination = initkwargs.get("pagination_class", getattr(view, "pagination_class", None))
            if pagination and issubclass(pagination, CursorPagination):
                found.append(here)

    walk(get_resolver().url_patterns, "/")
    return sorted(set(found))


def test_the_url_conf_walk_finds_the_id_ordered_lists():
    lists = cursor_paginated_lists()
    for path in (
        "/api/v1/tickets/",
        "/api/v1/departments/",
        "/api/v1/grids/workers/",
        "/api/v1/party/members/",
        "/api/v1/visits/",
        "/api/v1/inbox/",
    ):
        assert path in lists, lists


def _listable(path, personas, admin):
    """A client that may list ``path`` (200 without a cursor), or None."""
    from rest_framework.test import APIClient

    for user in (personas.leader, personas.department_officer, admin):
        client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(user)
        if client.get(path).status_code == 200:
            return client
    return None


@pytest.fixture
def admin(db):
    from tests.factories import UserFactory

    return UserFactory(username="root", is_superuser=True, is_staff=True)


@pytest.mark.parametrize("crafted", ["o=abc&p=x", "r=abc", "p=%00", "o=-1"])
def test_a_crafted_cursor_is_a_400_on_every_cursor_paginated_list(city, personas, admin, crafted):
    checked = []
    for path in cursor_paginated_lists():
        client = _listable(path, personas, admin)
        if client is None:
            continue  # no persona may list it; nothing reaches the paginator
        response = client.get(path, {"cursor": _cursor(crafted)})
        body = assert_error(response, INVALID_CURSOR)
        assert "cursor" in body["extra"]["fields"]
        checked.append(path)
    assert len(checked) >= 10, checked


#: Lists ordered by an id or a time: a position must be one of those.
TYPED_ORDER_LISTS = [
    "/api/v1/departments/",
    "/api/v1/grids/workers/",
    "/api/v1/party/members/",
    "/api/v1/tickets/",
    "/api/v1/visits/",
    "/api/v1/inbox/",
    "/api/v1/dispatches/",
]


@pytest.mark.parametrize("path", TYPED_ORDER_LISTS)
@pytest.mark.parametrize("crafted", ["o=0&p=x", "p=9999-12-31T23:59:59-12:00", "r=1&p=1e400"])
def test_a_position_that_is_not_a_value_of_the_order_column_is_a_400(
    city, personas, admin, path, crafted
):
    client = _listable(path, personas, admin)
    assert client is not None, path
    body = assert_error(client.get(path, {"cursor": _cursor(crafted)}), INVALID_CURSOR)
    assert "cursor" in body["extra"]["fields"]


def test_a_genuine_cursor_still_walks_the_list(city, personas, api_as):
    client = api_as(personas.leader)
    first = client.get("/api/v1/departments/", {"page_size": 1}).json()
    assert first["next"]
    second = client.get(first["next"])
    assert second.status_code == 200 and second.json()["results"]


# --- extreme dates ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/tickets/?created_to=9999-12-31", "created_to"),
        ("/api/v1/tickets/?created_from=0001-01-01", "created_from"),
        ("/api/v1/tickets/?created_to=0001-01-01", "created_to"),
        ("/api/v1/tickets/?created_from=9999-12-31T23:59:59-12:00", "created_from"),
        ("/api/v1/visits/?date_to=9999-12-31", "date_to"),
        ("/api/v1/visits/?date_from=0001-01-01", "date_from"),
        ("/api/v1/visits/?date_to=0001-01-01", "date_to"),
        (
            "/api/v1/calendar/deadline/?start=9999-12-31T00:00:00%2B08:00&amount=1&unit=calendar_days",
            "start",
        ),
        (
            "/api/v1/calendar/deadline/?start=0001-01-01T00:00:00%2B08:00&amount=1&unit=natural_hours",
            "start",
        ),
        ("/api/v1/calendar/deadline/?start=0001-01-01&amount=1&unit=working_days", "start"),
        ("/api/v1/party/joint-committees/?on=0001-01-01", "on"),
    ],
)
def test_an_extreme_date_is_a_400_naming_the_field(city, personas, api_as, path, field):
    body = assert_error(api_as(personas.leader).get(path), "validation_error")
    assert field in body["extra"]["fields"], body


@pytest.mark.parametrize(
    ("field", "value"),
    [("visited_at", "0001-01-01"), ("visited_at", "9999-12-31T23:59:59-12:00")],
)
def test_an_extreme_date_time_in_a_body_is_a_400(city, personas, api_as, field, value):
    body = {"grid": city.grid_a1.pk, "kind": "patrol", field: value}
    response = api_as(personas.grid_worker_a).post("/api/v1/visits/", body, format="json")
    assert field in assert_error(response, "validation_error")["extra"]["fields"]


@pytest.mark.parametrize(
    ("what", "body", "field"),
    [
        (
            "members",
            {"unit_name": "甲", "person_name": "甲委员", "term_start": "0001-01-01"},
            "term_start",
        ),
        (
            "members",
            {
                "unit_name": "甲",
                "person_name": "甲委员",
                "term_start": "2024-01-01",
                "term_end": "9999-12-31",
            },
            "term_end",
        ),
        (
            "rotation",
            {"units": ["甲"], "period": "quarter", "starts_on": "9999-12-01"},
            "starts_on",
        ),
    ],
)
def test_an_extreme_date_in_a_party_body_is_a_400(personas, api_as, party, what, body, field):  # noqa: F811
    url = f"/api/v1/party/joint-committees/{party.joint_a.pk}/{what}/"
    response = api_as(personas.roster_admin).post(url, body, format="json")
    assert field in assert_error(response, "validation_error")["extra"]["fields"]


def test_the_date_error_says_the_range(city, personas, api_as):
    from core.dates import validate_date_range

    response = api_as(personas.leader).get("/api/v1/tickets/?created_to=9999-12-31")
    message = response.json()["extra"]["fields"]["created_to"][0]
    assert "1900" in message and "2999" in message
    with pytest.raises(Exception) as caught:
        validate_date_range(__import__("datetime").date(9999, 12, 31))
    assert caught.value.code == DATE_OUT_OF_RANGE


def test_dates_inside_the_range_still_filter(city, personas, api_as):
    client = api_as(personas.leader)
    assert client.get("/api/v1/tickets/?created_to=2999-12-30").status_code == 200
    assert client.get("/api/v1/visits/?date_from=1900-01-01").status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        "start_date=0001-01-01",
        "end_date=9999-12-31",
        "start_date=9999-12-31T23:59:59-12:00&end_date=9999-12-31T23:59:59-12:00",
        "end_date=0001-01-01T00:00:00%2B14:00",
    ],
)
def test_open311_extreme_dates_are_its_400(city, api, query):
    response = api.get(f"/open311/v2/requests.json?{query}")
    body = assert_open311_error(response)
    assert "date" in body[0]["description"]


# --- requests Django refuses to read ------------------------------------------------------


@pytest.fixture
def small_limits(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    return settings


def test_a_multipart_body_over_the_size_limit_is_a_json_400(small_limits, city, personas, api_as):
    response = api_as(personas.leader).post(
        "/api/v1/tickets/", {"description": "x" * 5000}, format="multipart"
    )
    assert_error(response, REQUEST_TOO_LARGE)


def test_a_json_body_over_the_size_limit_is_a_json_400(small_limits, city, personas, api_as):
    response = api_as(personas.leader).post(
        "/api/v1/tickets/", {"description": "x" * 5000}, format="json"
    )
    assert_error(response, REQUEST_TOO_LARGE)


def test_a_form_body_over_the_size_limit_is_a_json_400(small_limits, city, personas, api_as):
    response = api_as(personas.leader).post(
        "/api/v1/tickets/",
        "description=" + "x" * 5000,
        content_type="application/x-www-form-urlencoded",
    )
    assert_error(response, REQUEST_TOO_LARGE)


@pytest.mark.parametrize("fmt", ["multipart", "urlencoded"])
def test_too_many_fields_is_a_json_400(small_limits, city, personas, api_as, fmt):
    fields = {f"f{i}": "1" for i in range(50)}
    client = api_as(personas.leader)
    if fmt == "multipart":
        response = client.post("/api/v1/tickets/", fields, format="multipart")
    else:
        from urllib.parse import urlencode

        response = client.post(
            "/api/v1/tickets/",
            urlencode(fields),
            content_type="application/x-www-form-urlencoded",
        )
    assert_error(response, TOO_MANY_FIELDS)


def test_a_bad_host_on_the_api_is_a_json_400(db, api):
    response = api.get("/api/v1/me/", HTTP_HOST="evil.example")
    assert_error(response, BAD_HOST)
    response = api.post("/api/v1/tickets/", {}, format="json", HTTP_HOST="evil.example")
    assert_error(response, BAD_HOST)


def test_a_bad_host_on_open311_is_its_400(db, api):
    assert_open311_error(api.get("/open311/v2/services.json", HTTP_HOST="evil.example"))
    xml = api.get("/open311/v2/services.xml", HTTP_HOST="evil.example")
    assert xml.status_code == 400 and xml["Content-Type"].startswith("text/xml")
    assert b"<errors><error><code>400</code>" in xml.content


def test_open311_too_many_fields_is_its_400(small_limits, city, api):
    fields = "&".join(f"f{i}=1" for i in range(50))
    response = api.post(
        "/open311/v2/requests.json", fields, content_type="application/x-www-form-urlencoded"
    )
    assert_open311_error(response)


def test_a_bad_host_on_a_page_is_an_html_400(db, client):
    response = client.get("/accounts/login/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert b"Bad request" in response.content


# --- the error handlers -------------------------------------------------------------------


@pytest.mark.parametrize("status", [400, 403, 404, 500])
def test_every_error_handler_is_ours(status):
    handler = get_resolver().resolve_error_handler(status)
    assert handler.__module__ == "core.views", handler


@pytest.mark.parametrize(
    ("status", "exception"), [(400, None), (403, PermissionDenied()), (404, None)]
)
def test_handlers_answer_json_on_the_api_and_html_on_pages(db, status, exception):
    from django.contrib.auth.models import AnonymousUser

    handler = get_resolver().resolve_error_handler(status)
    for path, kind in (("/api/v1/tickets/", "application/json"), ("/tickets/", "text/html")):
        request = RequestFactory().get(path)
        request.user = AnonymousUser()
        response = handler(request, exception)
        assert response.status_code == status
        assert response["Content-Type"].startswith(kind), (path, response["Content-Type"])
        if kind == "application/json":
            assert set(json.loads(response.content)) == SHAPE
