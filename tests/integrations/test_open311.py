"""Open311 GeoReport v2: every endpoint, both formats, checked against the
spec's field rules (tests/integrations/open311_spec.py)."""

import datetime as dt
import xml.etree.ElementTree as ET
from urllib.parse import urlencode

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from grids.geography import lookup
from integrations.models import HotlineAreaMapping, IntakeRecord, ServiceAttribute
from services import actions as ticket_actions
from services.models import Dispatch, Ticket
from tests.grids.conftest import A1_1, B1_1, set_profile
from tests.integrations import open311_spec as spec
from tests.integrations.conftest import make_client

INSIDE_A1 = {"lat": "39.705", "long": "106.805"}


@pytest.fixture
def anon():
    return APIClient(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def app311(city, garbage, settings):
    """A resident app taking cases in street A, with A1-1 and B1-1 on the map."""
    settings.GRID_LOOKUP_VERSION_TTL = 0
    lookup.invalidate()
    set_profile(city.grid_a1, A1_1)
    set_profile(city.grid_b1, B1_1)
    keyed = make_client("居民随手拍", areas=[city.street_a], default_grid=city.grid_a1)
    ServiceAttribute.objects.create(
        category=garbage,
        code="amount",
        description="How much rubbish?",
        datatype="singlevaluelist",
        required=True,
        order=1,
        values=[{"key": "small", "name": "一袋"}, {"key": "large", "name": "一车"}],
    )
    ServiceAttribute.objects.create(
        category=garbage,
        code="kinds",
        description="What kinds?",
        datatype="multivaluelist",
        required=False,
        order=2,
        values=[{"key": "food", "name": "厨余"}, {"key": "bulky", "name": "大件"}],
    )
    yield keyed
    lookup.invalidate()


def post(api, keyed, *, fmt="json", write=True, **fields):
    data = {
        "api_key": keyed.key if write else keyed.read_key,
        "service_code": "E0101",
        "description": "小区门口垃圾堆放，联系电话13812345678",
        "attribute[amount]": "large",
        **INSIDE_A1,
    }
    data.update(fields)
    data = {k: v for k, v in data.items() if v is not None}
    # multipart/form-data, the test client's default; the spec's own encoding,
    # application/x-www-form-urlencoded, is what post_form() sends
    return api.post(f"/open311/v2/requests.{fmt}", data)


def post_form(api, pairs, *, fmt="json"):
    """POST requests the way the spec says: an application/x-www-form-urlencoded
    body (``pairs`` may repeat a name, as ``attribute[code][]`` does)."""
    return api.post(
        f"/open311/v2/requests.{fmt}",
        data=urlencode(pairs),
        content_type="application/x-www-form-urlencoded",
    )


# --- discovery and services -------------------------------------------------------


def test_discovery_follows_the_field_rules_in_both_formats(anon, db, settings):
    settings.OPEN311_CONTACT = "乌海市网格化服务管理中心 0473-1234567"
    doc = spec.check_discovery(anon)
    assert doc["contact"] == "乌海市网格化服务管理中心 0473-1234567"
    [endpoint] = doc["endpoints"]
    assert endpoint["formats"] == ["text/xml", "application/json"]
    # the advertised base URL is where the API answers
    assert anon.get(f"{endpoint['url']}services.json").status_code == 200
    assert anon.get(f"{endpoint['url']}services.xml").status_code == 200


def test_services_list_categories_with_group_and_metadata(anon, app311):
    services = spec.check_list(
        anon, "/open311/v2/services", root="services", item="service", fields=spec.SERVICE_FIELDS
    )
    by_code = {s["service_code"]: s for s in services}
    garbage = by_code["E0101"]
    assert garbage["metadata"] is True
    assert garbage["group"]  # the 大类
    assert garbage["type"] == "realtime"
    assert all(s["metadata"] is False for c, s in by_code.items() if c != "E0101")
    assert "E01" not in by_code  # groups are not services


def test_a_service_definition_lists_its_attributes(anon, app311):
    for fmt in ("json", "xml"):
        assert anon.get(f"/open311/v2/services/E0101.{fmt}").status_code == 200
    data = anon.get("/open311/v2/services/E0101.json").json()
    assert data["service_code"] == "E0101"
    for i, attribute in enumerate(data["attributes"]):
        spec.check_record(
            {k: v for k, v in attribute.items() if k != "values"}, spec.ATTRIBUTE_FIELDS, f"attr{i}"
        )
    assert [a["code"] for a in data["attributes"]] == ["amount", "kinds"]
    assert data["attributes"][0]["values"] == [
        {"key": "small", "name": "一袋"},
        {"key": "large", "name": "一车"},
    ]
    root = ET.fromstring(anon.get("/open311/v2/services/E0101.xml").content)  # noqa: S314
    assert root.tag == "service_definition"
    assert root.find("service_code").text == "E0101"
    first = root.find("attributes/attribute")
    assert first.find("required").text == "true"
    assert [v.find("key").text for v in first.find("values")] == ["small", "large"]


def test_unknown_service_code_and_resource_are_404_error_lists(anon, db):
    [message] = spec.check_errors(anon, "/open311/v2/services/X9999", 404)
    assert "service_code" in message
    assert spec.check_errors(anon, "/open311/v2/nothing_here", 404)
    assert anon.get("/open311/v2/requests.csv").status_code == 404


# --- POST requests ------------------------------------------------------------------


def test_post_a_request_makes_a_ticket_and_a_token(anon, app311, city):
    response = post(anon, app311)
    assert response.status_code == 201, response.content
    [created] = spec.json_items(response.content)
    spec.check_record(created, spec.CREATED_FIELDS, "created")
    ticket = Ticket.objects.get(number=created["service_request_id"])
    assert (ticket.source, ticket.grid, ticket.reported_by) == (
        "open311",
        city.grid_a1,
        app311.client.user,
    )
    assert "amount: large" in ticket.description
    # the token maps to the request, in both formats
    tokens = spec.check_list(
        anon,
        f"/open311/v2/tokens/{created['token']}",
        root="service_requests",
        item="request",
        fields=spec.TOKEN_FIELDS,
    )
    assert tokens == [{"service_request_id": ticket.number, "token": created["token"]}]
    # XML POST answers with the same shape
    response = post(anon, app311, fmt="xml", **{"attribute[kinds][]": ["food", "bulky"]})
    assert response.status_code == 201
    [record] = spec.xml_items(response.content, "service_requests", "request")
    spec.check_record(record, spec.CREATED_FIELDS, "created.xml")
    assert (
        "kinds: food, bulky" in Ticket.objects.get(number=record["service_request_id"]).description
    )


FORM = [
    ("service_code", "E0101"),
    ("description", "团结路12号门口垃圾堆放"),
    ("lat", "39.705"),
    ("long", "106.805"),
    ("phone", "13812345678"),
    ("attribute[amount]", "large"),
    ("attribute[kinds][]", "food"),
    ("attribute[kinds][]", "bulky"),
]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_form_encoded_post_with_list_attributes_makes_a_ticket(anon, app311, fmt):
    response = post_form(anon, [("api_key", app311.key), *FORM], fmt=fmt)
    assert response.status_code == 201, response.content
    assert response["Content-Type"].startswith("application/json" if fmt == "json" else "text/xml")
    [created] = (
        spec.json_items(response.content)
        if fmt == "json"
        else spec.xml_items(response.content, "service_requests", "request")
    )
    spec.check_record(created, spec.CREATED_FIELDS, f"created.{fmt}")
    ticket = Ticket.objects.get(number=created["service_request_id"])
    assert ticket.source == "open311"
    assert ticket.reporter_phone == "13812345678"
    # UTF-8 text and both values of the multivaluelist survive the encoding
    assert ticket.description == "团结路12号门口垃圾堆放\n\namount: large\nkinds: food, bulky"


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ([("attribute[kinds][]", "food"), ("attribute[kinds][]", "glass")], "kinds"),
        ([("attribute[amount]", "")], "amount"),
    ],
    ids=["unlisted-multivalue", "required-attribute-empty"],
)
def test_a_form_encoded_post_with_bad_attributes_is_a_spec_error(anon, app311, change, words):
    names = {name for name, _value in change}
    pairs = [("api_key", app311.key), *(p for p in FORM if p[0] not in names), *change]
    for fmt in ("json", "xml"):
        response = post_form(anon, pairs, fmt=fmt)
        assert response.status_code == 400, response.content
        errors = (
            spec.json_items(response.content)
            if fmt == "json"
            else spec.xml_items(response.content, "errors", "error")
        )
        for error in errors:
            spec.check_record(error, spec.ERROR_FIELDS, f"error.{fmt}")
        assert [str(e["code"]) for e in errors] == ["400"]
        assert words in errors[0]["description"], errors
    assert Ticket.objects.count() == 0


def test_a_datetime_attribute_must_be_a_real_date(anon, app311, garbage):
    ServiceAttribute.objects.create(
        category=garbage,
        code="seen_at",
        description="When was it first seen?",
        datatype="datetime",
        required=False,
        order=3,
    )
    base = [("api_key", app311.key), *FORM]
    # well formed but no such day: a 400 naming the attribute, not a crash
    bad = post_form(anon, [*base, ("attribute[seen_at]", "2025-02-30T10:00:00+08:00")])
    assert bad.status_code == 400, bad.content
    [error] = spec.json_items(bad.content)
    assert error["code"] == 400
    assert error["description"].startswith("seen_at:")
    assert Ticket.objects.count() == 0
    naive = post_form(anon, [*base, ("attribute[seen_at]", "2025-10-01T09:30:00")])
    assert naive.status_code == 400, naive.content  # GeoReport datetimes carry a zone
    assert Ticket.objects.count() == 0
    good = post_form(anon, [*base, ("attribute[seen_at]", "2025-10-01T09:30:00+08:00")])
    assert good.status_code == 201, good.content
    ticket = Ticket.objects.get(number=good.json()[0]["service_request_id"])
    assert "seen_at: 2025-10-01T09:30:00+08:00" in ticket.description


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-inf", "three"])
def test_a_number_attribute_must_be_a_finite_number(anon, app311, garbage, value):
    ServiceAttribute.objects.create(
        category=garbage, code="bags", description="How many bags?", datatype="number", order=4
    )
    base = [("api_key", app311.key), *FORM]
    bad = post_form(anon, [*base, ("attribute[bags]", value)])
    assert bad.status_code == 400, bad.content
    assert spec.json_items(bad.content)[0]["description"].startswith("bags:")
    assert Ticket.objects.count() == 0
    assert post_form(anon, [*base, ("attribute[bags]", "3.5")]).status_code == 201


def test_post_places_by_address_id_or_address_string(anon, app311, city):
    HotlineAreaMapping.objects.create(external_code="XH-01", grid=city.grid_a1)
    by_id = post(anon, app311, lat=None, long=None, address_id="XH-01")
    assert by_id.status_code == 201, by_id.content
    by_text = post(anon, app311, lat=None, long=None, address_string="团结路12号")
    assert by_text.status_code == 201
    ticket = Ticket.objects.get(number=by_text.json()[0]["service_request_id"])
    assert (ticket.grid, ticket.address) == (city.grid_a1, "团结路12号")


@pytest.mark.parametrize(
    ("fields", "status", "words"),
    [
        ({"api_key": None}, 400, "api_key"),
        ({"api_key": "gg_000000000000.wrongwrongwrongwrongwrong"}, 403, "api_key"),
        ({"service_code": None}, 400, "service_code"),
        ({"service_code": "X9999"}, 404, "service_code"),
        ({"lat": None, "long": None}, 400, "location"),
        ({"long": None}, 400, "long"),
        ({"attribute[amount]": None}, 400, "amount"),
        ({"attribute[amount]": "huge"}, 400, "amount"),
        ({"attribute[kinds][]": ["food", "glass"]}, 400, "kinds"),
        ({"description": "x" * 4001}, 400, "description"),
        ({"lat": "39.9", "long": "116.4"}, 400, "grid"),  # outside every grid
        ({"lat": "abc", "long": "106.8"}, 400, "lat"),
        ({"lat": "1e999", "long": "106.8"}, 400, "lat"),
        ({"lat": "NaN", "long": "106.8"}, 400, "lat"),
    ],
)
def test_bad_posts_are_spec_errors_and_write_nothing(anon, app311, fields, status, words):
    before = Ticket.objects.count()
    for fmt in ("json", "xml"):
        response = post(anon, app311, fmt=fmt, **fields)
        assert response.status_code == status, response.content
        if fmt == "json":
            errors = spec.json_items(response.content)
        else:
            errors = spec.xml_items(response.content, "errors", "error")
        for error in errors:
            spec.check_record(error, spec.ERROR_FIELDS, "error")
        assert any(words in e["description"].lower() for e in errors), errors
    assert Ticket.objects.count() == before


def test_a_read_only_key_cannot_post_and_a_grid_outside_the_client_is_refused(anon, app311):
    assert post(anon, app311, write=False).status_code == 403
    outside = post(anon, app311, lat="39.705", long="106.855")  # grid B1-1, street B
    assert outside.status_code == 403
    assert Ticket.objects.count() == 0


def test_a_wrong_jurisdiction_is_404(anon, app311, settings):
    settings.OPEN311_JURISDICTION_ID = "wuhai.gov.cn"
    assert anon.get("/open311/v2/services.json?jurisdiction_id=wuhai.gov.cn").status_code == 200
    spec.check_errors(anon, "/open311/v2/services?jurisdiction_id=beijing.gov.cn", 404)
    assert post(anon, app311, jurisdiction_id="beijing.gov.cn").status_code == 404


# --- GET requests ---------------------------------------------------------------------


def _query(api, url, query):
    out = {}
    for fmt in ("json", "xml"):
        response = api.get(f"{url}.{fmt}?{query}")
        assert response.status_code == 200, response.content[:400]
        records = (
            spec.json_items(response.content)
            if fmt == "json"
            else spec.xml_items(response.content, "service_requests", "request")
        )
        for i, r in enumerate(records):
            spec.check_record(r, spec.REQUEST_FIELDS, f"{fmt}[{i}]")
        out[fmt] = records
    spec.same(out["json"], out["xml"])
    return out["json"]


def test_states_map_to_open_and_closed_with_agency_and_expected_time(
    anon, app311, city, personas, dept_system
):
    number = post(anon, app311).json()[0]["service_request_id"]
    ticket = Ticket.objects.get(number=number)
    [record] = _query(anon, f"/open311/v2/requests/{number}", "")
    assert record["status"] == "open"
    assert record["agency_responsible"] is None
    assert record["expected_datetime"] is None
    assert record["requested_datetime"].endswith("+08:00")
    assert "138****5678" in record["description"]  # public view masks phones
    ticket_actions.ticket_whistle(
        ticket=ticket,
        actor=personas.street_officer_a,
        whistle_type="resident_demand",
        lead=city.dept_urban,
    )
    dispatch = Dispatch.objects.get(ticket=ticket)
    ticket_actions.ticket_claim(dispatch=dispatch, actor=personas.department_officer)
    dispatch.refresh_from_db()
    [record] = _query(anon, f"/open311/v2/requests/{number}", "")
    assert record["agency_responsible"] == "区城市管理局"
    assert (
        record["expected_datetime"]
        == dispatch.handle_due_at.astimezone(dt.timezone(dt.timedelta(hours=8)))
        .replace(microsecond=0)
        .isoformat()
    )
    ticket_actions.ticket_reply(
        dispatch=dispatch, actor=personas.department_officer, result="已清运完毕"
    )
    ticket_actions.ticket_close(ticket=ticket, actor=personas.street_officer_a)
    [record] = _query(anon, f"/open311/v2/requests/{number}", "")
    assert record["status"] == "closed"
    assert "已清运完毕" in record["status_notes"]
    assert record["expected_datetime"] is None
    ticket.refresh_from_db()
    assert (
        record["updated_datetime"]
        == ticket.closed_at.astimezone(dt.timezone(dt.timedelta(hours=8)))
        .replace(microsecond=0)
        .isoformat()
    )
    assert _query(anon, "/open311/v2/requests", "status=open") == []
    assert [
        r["service_request_id"] for r in _query(anon, "/open311/v2/requests", "status=closed")
    ] == [number]


def test_anonymous_readers_see_open311_requests_only_and_keys_see_their_scope(
    anon, app311, report, city, personas
):
    walk_in = report()  # reported by a grid worker, not through Open311
    mine = post(anon, app311).json()[0]["service_request_id"]
    public = [r["service_request_id"] for r in _query(anon, "/open311/v2/requests", "")]
    assert public == [mine]
    spec.check_errors(anon, f"/open311/v2/requests/{walk_in.number}", 404)
    scoped = _query(anon, "/open311/v2/requests", f"api_key={app311.read_key}")
    assert {r["service_request_id"] for r in scoped} == {mine, walk_in.number}
    assert (
        "13812345678" in next(r for r in scoped if r["service_request_id"] == mine)["description"]
    )
    b_ticket = report(actor=personas.grid_worker_b, grid=city.grid_b1)
    assert b_ticket.number not in {
        r["service_request_id"]
        for r in _query(anon, "/open311/v2/requests", f"api_key={app311.read_key}")
    }


def test_filters_window_and_pages(anon, app311):
    with time_machine.travel(timezone.now() - dt.timedelta(days=120)):
        old = post(anon, app311).json()[0]["service_request_id"]
    numbers = [post(anon, app311).json()[0]["service_request_id"] for _ in range(3)]
    newest_first = list(reversed(numbers))
    assert [
        r["service_request_id"] for r in _query(anon, "/open311/v2/requests", "")
    ] == newest_first
    # the id filter overrides everything else, the old one included
    got = _query(
        anon,
        "/open311/v2/requests",
        f"service_request_id={old},{numbers[0]}&status=open&service_code=X",
    )
    assert {r["service_request_id"] for r in got} == {old, numbers[0]}
    assert _query(anon, "/open311/v2/requests", "service_code=E0102") == []
    assert len(_query(anon, "/open311/v2/requests", "service_code=E0102,E0101")) == 3
    start = (timezone.now() - dt.timedelta(days=130)).date().isoformat()
    end = (timezone.now() - dt.timedelta(days=100)).date().isoformat()
    assert [
        r["service_request_id"]
        for r in _query(anon, "/open311/v2/requests", f"start_date={start}&end_date={end}")
    ] == [old]
    # an empty parameter is the same as an absent one
    assert len(_query(anon, "/open311/v2/requests", "start_date=&status=")) == 3
    assert [
        r["service_request_id"] for r in _query(anon, "/open311/v2/requests", "page=2&page_size=2")
    ] == [numbers[0]]


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("status=pending", "status"),
        ("status=open,pending", "status"),
        ("start_date=yesterday", "start_date"),
        ("end_date=2025-10-01T25:00:00", "end_date"),
        ("start_date=2025-02-30", "start_date"),  # well formed, no such day
        ("start_date=2025-10-01T09:30:00%2B25:00", "start_date"),  # no such offset
        ("start_date={long_ago}&end_date={today}", "90 days"),
        ("start_date={today}&end_date={long_ago}", "end_date"),
        ("page=0", "page"),
        ("page=two", "page"),
        ("page_size=1001", "page_size"),
    ],
)
def test_bad_request_list_queries_are_400_spec_error_lists(anon, app311, query, words):
    post(anon, app311)  # something the query would otherwise find
    today = timezone.localdate()
    query = query.format(
        today=today.isoformat(), long_ago=(today - dt.timedelta(days=91)).isoformat()
    )
    [description] = spec.check_errors(anon, f"/open311/v2/requests?{query}", 400)
    assert words in description, description


def test_the_default_list_stops_at_1000_records(anon, app311):
    """Spec: the default is the last 90 days or the first 1000 requests,
    whichever is smaller. 1,001 requests from the last hour: 1000 come back,
    newest first, and page 2 holds the last one."""
    number = post(anon, app311).json()[0]["service_request_id"]
    first = Ticket.objects.get(number=number)
    same = {
        f.attname: getattr(first, f.attname)
        for f in Ticket._meta.concrete_fields
        if not f.primary_key and f.name not in ("number", "created_at", "updated_at")
    }
    copies = [
        Ticket(
            **same,
            number=f"OT{i:08d}",
            created_at=first.created_at - dt.timedelta(seconds=i),
            updated_at=first.created_at - dt.timedelta(seconds=i),
        )
        for i in range(1, 1001)
    ]
    Ticket.objects.bulk_create(copies, batch_size=500)
    assert Ticket.objects.filter(source="open311").count() == 1001
    expected = [number] + [f"OT{i:08d}" for i in range(1, 1000)]
    listed = _query(anon, "/open311/v2/requests", "")
    assert [r["service_request_id"] for r in listed] == expected
    assert [r["service_request_id"] for r in _query(anon, "/open311/v2/requests", "page=2")] == [
        "OT00001000"
    ]


def test_request_list_query_count_does_not_grow_with_rows(anon, app311, city, personas):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert anon.get("/open311/v2/requests.json").status_code == 200
        return len(ctx.captured_queries), "\n".join(q["sql"] for q in ctx.captured_queries)

    def one():
        number = post(anon, app311).json()[0]["service_request_id"]
        ticket = Ticket.objects.get(number=number)
        ticket_actions.ticket_whistle(
            ticket=ticket,
            actor=personas.street_officer_a,
            whistle_type="key_task",
            lead=city.dept_urban,
        )

    one()
    before, _sql = count()
    for _ in range(5):
        one()
    after, sql = count()
    assert after == before, sql


def test_control_characters_do_not_break_the_xml(anon, app311):
    assert post(anon, app311, description="井盖\x00丢失").status_code == 400
    number = post(anon, app311, description="井盖\x01丢失\x07了").json()[0]["service_request_id"]
    response = anon.get(f"/open311/v2/requests/{number}.xml")
    [record] = spec.xml_items(response.content, "service_requests", "request")
    assert record["description"].startswith("井盖丢失了\n")


def test_tokens_unknown_are_404(anon, db):
    spec.check_errors(anon, "/open311/v2/tokens/abcdef0123", 404)
    assert IntakeRecord.objects.count() == 0
