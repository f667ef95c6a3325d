"""A retried create or step returns the first answer instead of acting twice
(issue 18, finding 12): the API's ``Idempotency-Key`` header and the pages'
hidden ``idempotency_key`` field."""

from __future__ import annotations

import datetime as dt
import re
import threading
import uuid

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from rest_framework.test import APIClient

from core.idempotency import (
    FORM_FIELD,
    KEY_INVALID,
    KEY_REUSED,
    REPLAYED_HEADER,
    expire_keys,
)
from core.models import IdempotencyKey
from services.models import Dispatch, Ticket, TicketEvent
from tests.services.conftest import (  # noqa: F401 (fixtures)
    categories,
    garbage,
    jpeg_bytes,
    report,
    whistled,
)


@pytest.fixture
def report_body(city, garbage):  # noqa: F811
    return {
        "category": garbage.pk,
        "description": "小区门口垃圾堆放三天无人清运",
        "grid": city.grid_a1.pk,
        "address": "新华街道团结路12号",
    }


def key() -> str:
    return str(uuid.uuid4())


# --- the API ------------------------------------------------------------------------


def test_the_same_report_posted_twice_with_one_key_makes_one_case(personas, api, report_body):
    api.force_login(personas.grid_worker_a)
    k = key()
    first = api.post("/api/v1/tickets/", report_body, format="json", HTTP_IDEMPOTENCY_KEY=k)
    second = api.post("/api/v1/tickets/", report_body, format="json", HTTP_IDEMPOTENCY_KEY=k)
    assert first.status_code == 201, first.content
    assert second.status_code == 201
    assert second.json() == first.json()
    assert second[REPLAYED_HEADER] == "true"
    assert REPLAYED_HEADER not in first
    assert Ticket.objects.count() == 1


def test_without_a_key_each_post_acts(personas, api, report_body):
    api.force_login(personas.grid_worker_a)
    api.post("/api/v1/tickets/", report_body, format="json")
    api.post("/api/v1/tickets/", report_body, format="json")
    assert Ticket.objects.count() == 2


def test_the_same_key_with_a_different_body_is_refused(personas, api, report_body):
    api.force_login(personas.grid_worker_a)
    k = key()
    assert (
        api.post("/api/v1/tickets/", report_body, format="json", HTTP_IDEMPOTENCY_KEY=k).status_code
        == 201
    )
    other = {**report_body, "description": "另一件事"}
    response = api.post("/api/v1/tickets/", other, format="json", HTTP_IDEMPOTENCY_KEY=k)
    assert response.status_code == 422
    body = response.json()
    assert set(body) == {"code", "message", "extra"} and body["code"] == KEY_REUSED
    assert Ticket.objects.count() == 1


def test_the_same_json_in_another_key_order_is_the_same_request(personas, api, report_body):
    api.force_login(personas.grid_worker_a)
    k = key()
    import json

    api.post(
        "/api/v1/tickets/",
        json.dumps(report_body),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=k,
    )
    reordered = json.dumps(dict(reversed(list(report_body.items()))), indent=2)
    again = api.post(
        "/api/v1/tickets/", reordered, content_type="application/json", HTTP_IDEMPOTENCY_KEY=k
    )
    assert again.status_code == 201 and again[REPLAYED_HEADER] == "true"
    assert Ticket.objects.count() == 1


def test_a_multipart_retry_with_the_same_photo_is_the_same_request(personas, api, report_body):
    api.force_login(personas.grid_worker_a)
    k = key()

    def post():
        photo = SimpleUploadedFile("a.jpg", jpeg_bytes(), "image/jpeg")
        return api.post(
            "/api/v1/tickets/",
            {**report_body, "photos": [photo]},
            format="multipart",
            HTTP_IDEMPOTENCY_KEY=k,
        )

    first, second = post(), post()
    assert first.status_code == 201, first.content
    assert second.json() == first.json()
    assert Ticket.objects.count() == 1
    assert Ticket.objects.get().attachments.count() == 1


def test_a_refused_request_does_not_use_up_its_key(personas, api, report_body):
    api.force_login(personas.grid_worker_a)
    k = key()
    bad = api.post(
        "/api/v1/tickets/",
        {**report_body, "description": ""},
        format="json",
        HTTP_IDEMPOTENCY_KEY=k,
    )
    assert bad.status_code == 400
    assert not IdempotencyKey.objects.exists()
    fixed = api.post("/api/v1/tickets/", report_body, format="json", HTTP_IDEMPOTENCY_KEY=k)
    assert fixed.status_code == 201
    assert Ticket.objects.count() == 1


def test_keys_belong_to_one_user(personas, api, report_body, city):
    from services.models import Ticket as T

    k = key()
    api.force_login(personas.grid_worker_a)
    api.post("/api/v1/tickets/", report_body, format="json", HTTP_IDEMPOTENCY_KEY=k)
    api.force_login(personas.street_officer_a)
    response = api.post("/api/v1/tickets/", report_body, format="json", HTTP_IDEMPOTENCY_KEY=k)
    assert response.status_code == 201
    assert REPLAYED_HEADER not in response
    assert T.objects.count() == 2


@pytest.mark.parametrize("bad", ["", "a b", "x" * 256, "ключ"])
def test_a_malformed_key_is_a_400(personas, api, report_body, bad):
    api.force_login(personas.grid_worker_a)
    response = api.post(
        "/api/v1/tickets/",
        report_body,
        format="json",
        HTTP_IDEMPOTENCY_KEY=bad.encode().decode("latin-1"),
    )
    assert response.status_code == 400
    assert response.json()["code"] == KEY_INVALID
    assert not Ticket.objects.exists()


def test_a_token_client_gets_the_same_protection(personas, report_body):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=personas.grid_worker_a)
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")
    k = key()
    first = client.post("/api/v1/tickets/", report_body, format="json", HTTP_IDEMPOTENCY_KEY=k)
    second = client.post("/api/v1/tickets/", report_body, format="json", HTTP_IDEMPOTENCY_KEY=k)
    assert first.status_code == 201 and second.json() == first.json()
    assert Ticket.objects.count() == 1
    wrong = APIClient(HTTP_AUTHORIZATION="Token nope").post(
        "/api/v1/tickets/", report_body, format="json", HTTP_IDEMPOTENCY_KEY=k
    )
    assert wrong.status_code == 401


def test_a_step_posted_twice_with_one_key_writes_one_event(whistled, personas, api):  # noqa: F811
    api.force_login(personas.department_officer)
    assert api.post(f"/api/v1/tickets/{whistled.pk}/claim/").status_code == 200
    k = key()
    url = f"/api/v1/tickets/{whistled.pk}/progress/"
    first = api.post(url, {"note": "已联系物业"}, format="json", HTTP_IDEMPOTENCY_KEY=k)
    second = api.post(url, {"note": "已联系物业"}, format="json", HTTP_IDEMPOTENCY_KEY=k)
    assert first.status_code == 200, first.content
    assert second.json() == first.json()
    assert TicketEvent.objects.filter(ticket=whistled, verb="progress").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_duplicates_act_once(personas, city, garbage, monkeypatch):  # noqa: F811
    """The second insert waits on the unique index while the first request
    is still acting, then replays its answer."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    import time

    from services import actions

    original = actions.ticket_report

    def slow_report(**kwargs):
        ticket = original(**kwargs)
        time.sleep(0.5)  # hold the transaction open while the twin arrives
        return ticket

    monkeypatch.setattr(actions, "ticket_report", slow_report)
    body = {"category": garbage.pk, "description": "并发重复提交", "grid": city.grid_a1.pk}
    k = key()
    barrier = threading.Barrier(2)
    responses = []

    def post():
        from django.db import connections

        client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(personas.grid_worker_a)
        barrier.wait()
        try:
            responses.append(
                client.post("/api/v1/tickets/", body, format="json", HTTP_IDEMPOTENCY_KEY=k)
            )
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert [r.status_code for r in responses] == [201, 201], [r.content for r in responses]
    assert responses[0].json() == responses[1].json()
    assert sorted(r.has_header(REPLAYED_HEADER) for r in responses) == [False, True]
    assert Ticket.objects.filter(description="并发重复提交").count() == 1


# --- the pages ---------------------------------------------------------------------


def _hidden_key(html: str) -> str:
    match = re.search(rf'name="{FORM_FIELD}" value="([^"]+)"', html)
    assert match, "the form carries no idempotency key"
    return match.group(1)


def test_forms_carry_a_fresh_key_each_time_they_are_shown(client, personas, whistled):  # noqa: F811
    client.force_login(personas.grid_worker_a)
    first = _hidden_key(client.get("/tickets/new/").content.decode())
    second = _hidden_key(client.get("/tickets/new/").content.decode())
    assert first != second
    client.force_login(personas.department_officer)
    dispatch = Dispatch.objects.get(ticket=whistled, role="lead")
    from services import actions

    actions.ticket_claim(dispatch=dispatch, actor=personas.department_officer)
    assert _hidden_key(client.get(f"/tickets/{whistled.pk}/progress/").content.decode())
    assert _hidden_key(
        client.get(f"/tickets/{whistled.pk}/progress/", HTTP_HX_REQUEST="true").content.decode()
    )


def test_the_progress_form_double_submitted_writes_one_event(client, personas, whistled):  # noqa: F811
    from services import actions

    dispatch = Dispatch.objects.get(ticket=whistled, role="lead")
    actions.ticket_claim(dispatch=dispatch, actor=personas.department_officer)
    client.force_login(personas.department_officer)
    page = client.get(f"/tickets/{whistled.pk}/progress/").content.decode()
    form = {"note": "已到现场", FORM_FIELD: _hidden_key(page)}
    first = client.post(f"/tickets/{whistled.pk}/progress/", form)
    second = client.post(f"/tickets/{whistled.pk}/progress/", form)
    assert first.status_code == 302
    assert second.status_code == 302 and second["Location"] == first["Location"]
    assert TicketEvent.objects.filter(ticket=whistled, verb="progress").count() == 1
    # Under htmx the replay is htmx's redirect, too.
    third = client.post(f"/tickets/{whistled.pk}/progress/", form, HTTP_HX_REQUEST="true")
    assert third.status_code == 204 and third["HX-Redirect"] == f"/tickets/{whistled.pk}/"
    assert TicketEvent.objects.filter(ticket=whistled, verb="progress").count() == 1


def test_a_second_progress_form_is_a_second_note(client, personas, whistled):  # noqa: F811
    from services import actions

    dispatch = Dispatch.objects.get(ticket=whistled, role="lead")
    actions.ticket_claim(dispatch=dispatch, actor=personas.department_officer)
    client.force_login(personas.department_officer)
    for note in ("第一次", "第二次"):
        page = client.get(f"/tickets/{whistled.pk}/progress/").content.decode()
        client.post(
            f"/tickets/{whistled.pk}/progress/", {"note": note, FORM_FIELD: _hidden_key(page)}
        )
    assert TicketEvent.objects.filter(ticket=whistled, verb="progress").count() == 2


def test_the_new_case_form_double_submitted_logs_one_case(client, personas, city, garbage):  # noqa: F811
    client.force_login(personas.grid_worker_a)
    page = client.get("/tickets/new/").content.decode()
    form = {
        "category": garbage.pk,
        "urgency": "normal",
        "description": "路灯不亮",
        "grid": city.grid_a1.pk,
        "source": "grid_patrol",
        FORM_FIELD: _hidden_key(page),
    }
    first = client.post("/tickets/new/", form)
    second = client.post("/tickets/new/", form)
    ticket = Ticket.objects.get()
    assert first["Location"] == second["Location"] == f"/tickets/{ticket.pk}/"
    assert ticket.events.filter(verb="report").count() == 1


def test_a_form_with_errors_keeps_its_key_usable(client, personas, city, garbage):  # noqa: F811
    client.force_login(personas.grid_worker_a)
    k = _hidden_key(client.get("/tickets/new/").content.decode())
    form = {
        "category": garbage.pk,
        "urgency": "normal",
        "description": "",
        "grid": city.grid_a1.pk,
        "source": "grid_patrol",
        FORM_FIELD: k,
    }
    assert client.post("/tickets/new/", form).status_code == 400
    fixed = client.post("/tickets/new/", {**form, "description": "井盖缺失"})
    assert fixed.status_code == 302
    assert Ticket.objects.count() == 1


# --- expiry --------------------------------------------------------------------------


def test_keys_expire_after_a_day(personas, api, report_body):
    api.force_login(personas.grid_worker_a)
    k = key()
    api.post("/api/v1/tickets/", report_body, format="json", HTTP_IDEMPOTENCY_KEY=k)
    assert expire_keys() == 0
    assert expire_keys(now=dt.datetime.now(dt.UTC) + dt.timedelta(hours=25)) == 1
    assert not IdempotencyKey.objects.exists()


def test_an_expired_key_not_yet_swept_acts_again(personas, api, report_body):
    api.force_login(personas.grid_worker_a)
    k = key()
    api.post("/api/v1/tickets/", report_body, format="json", HTTP_IDEMPOTENCY_KEY=k)
    IdempotencyKey.objects.update(created_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=25))
    again = api.post("/api/v1/tickets/", report_body, format="json", HTTP_IDEMPOTENCY_KEY=k)
    assert again.status_code == 201 and REPLAYED_HEADER not in again
    assert Ticket.objects.count() == 2
    assert IdempotencyKey.objects.count() == 1


def test_the_expiry_sweep_is_scheduled():
    from core.tasks import expire_idempotency_keys

    schedule = settings.CELERY_BEAT_SCHEDULE
    assert any(
        entry["task"] == expire_idempotency_keys.name and float(entry["schedule"]) <= 3600
        for entry in schedule.values()
    )


def test_the_api_schema_documents_the_header_and_the_422():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    create = schema["paths"]["/api/v1/tickets/"]["post"]
    assert "Idempotency-Key" in [p["name"] for p in create["parameters"]]
    assert "422" in create["responses"]
    listing = schema["paths"]["/api/v1/tickets/"]["get"]
    assert "Idempotency-Key" not in [p["name"] for p in listing.get("parameters", [])]
