"""12345 intake: idempotent on the external number, mapped through the
tables, a clear 400 naming what is unmapped, nothing written on bad input."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from integrations.models import IntakeRecord
from services.models import Ticket, TicketEvent

ORDER = {
    "external_no": "WH12345-20251001-000123",
    "category_code": "0301",
    "description": "团结路12号门口垃圾三天无人清运，市民来电反映",
    "area_code": "110-XH-01",
    "address": "新华街道团结路12号",
    "urgency": "urgent",
    "reporter_name": "李先生",
    "reporter_phone": "13912345678",
}


def test_a_work_order_becomes_a_ticket_and_a_repeat_returns_it(hotline, city, garbage):
    api = hotline.api()
    first = api.post("/api/v1/intake/12345/", ORDER, format="json")
    assert first.status_code == 201, first.json()
    body = first.json()
    assert body["created"] is True
    ticket = Ticket.objects.get(pk=body["ticket"])
    assert (ticket.source, ticket.external_no, ticket.category, ticket.grid, ticket.urgency) == (
        "hotline_12345",
        ORDER["external_no"],
        garbage,
        city.grid_a1,
        "urgent",
    )
    assert ticket.reported_by == hotline.client.user
    again = api.post("/api/v1/intake/12345/", {**ORDER, "description": "重复来电"}, format="json")
    assert again.status_code == 200
    assert again.json() == {**body, "created": False}
    assert Ticket.objects.count() == 1
    assert TicketEvent.objects.filter(ticket=ticket, verb="report").count() == 1
    # the area can be named instead of coded
    by_name = api.post(
        "/api/v1/intake/12345/",
        {**ORDER, "external_no": "WH-2", "area_code": "", "area_name": "新华社区"},
        format="json",
    )
    assert by_name.status_code == 201
    assert Ticket.objects.get(pk=by_name.json()["ticket"]).grid == city.grid_a1


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"category_code": "9999"}, "unmapped_category", "category_code"),
        ({"area_code": "NOWHERE"}, "unmapped_area", "area_code"),
        ({"area_code": "", "area_name": "不存在社区"}, "unmapped_area", "area_code"),
        ({"area_code": ""}, "location_missing", "area_code"),
        ({"external_no": ""}, "validation_error", "external_no"),
        ({"description": ""}, "validation_error", "description"),
        ({"urgency": "soon"}, "validation_error", "urgency"),
        ({"reporter_phone": "call me"}, "validation_error", "reporter_phone"),
        ({"lat": "95", "lng": "106.8"}, "validation_error", "lat"),
    ],
)
def test_bad_or_unmapped_input_is_400_naming_it_and_writes_nothing(hotline, change, code, field):
    response = hotline.api().post("/api/v1/intake/12345/", {**ORDER, **change}, format="json")
    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["code"] == code
    assert field in body["extra"]["fields"]
    assert Ticket.objects.count() == 0
    assert IntakeRecord.objects.count() == 0


def test_a_grid_outside_the_clients_area_is_refused(hotline):
    response = hotline.api().post(
        "/api/v1/intake/12345/", {**ORDER, "area_code": "110-HB-01"}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "grid_out_of_scope"
    assert Ticket.objects.count() == 0


def test_people_and_read_only_keys_cannot_take_work_orders_in(hotline, personas, api_as):
    assert (
        hotline.api(write=False).post("/api/v1/intake/12345/", ORDER, format="json").json()["code"]
        == "read_only_key"
    )
    response = api_as(personas.street_officer_a).post("/api/v1/intake/12345/", ORDER, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "not_an_api_client"
    assert Ticket.objects.count() == 0


def test_the_same_number_from_another_client_is_its_own_record(hotline, city):
    from tests.integrations.conftest import make_client

    other = make_client("区级热线", areas=[city.street_a])
    assert hotline.api().post("/api/v1/intake/12345/", ORDER, format="json").status_code == 201
    clash = other.api().post("/api/v1/intake/12345/", ORDER, format="json")
    # the ticket's (source, external number) is unique city-wide: a clear 409
    assert clash.status_code == 409
    assert clash.json()["code"] == "duplicate_external_no"
    assert Ticket.objects.count() == 1


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="parallel writers need PostgreSQL (CI runs it)"
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_repeats_make_one_ticket_and_all_get_it(hotline):
    barrier = threading.Barrier(8)

    def send(_):
        try:
            barrier.wait()
            response = hotline.api().post("/api/v1/intake/12345/", ORDER, format="json")
            return response.status_code, response.json()["ticket"]
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(send, range(8)))
    statuses = sorted(s for s, _t in results)
    assert statuses == [200] * 7 + [201], results
    assert len({t for _s, t in results}) == 1
    assert Ticket.objects.count() == 1
    assert IntakeRecord.objects.count() == 1
