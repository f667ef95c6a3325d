"""Webhooks: a client subscribes, gets signed deliveries of the events it
chose for tickets it can read, sees each attempt in its delivery log and can
ask for a redelivery. Real HTTP server on loopback, real outbox."""

import datetime as dt
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import notify
from core.models import Delivery
from integrations.models import WebhookDelivery
from services import actions, clocks
from services.models import Dispatch, Ticket

ALL = [
    "ticket.created",
    "ticket.dispatched",
    "ticket.claimed",
    "ticket.replied",
    "ticket.closed",
    "ticket.overdue",
    "ticket.escalated",
]


@pytest.fixture
def receiver():
    """A loopback HTTP server; answers 500 while ``fail`` holds, else 204."""
    received = []
    state = {"fail": 0}

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((dict(self.headers), body))
            if state["fail"]:
                state["fail"] -= 1
                self.send_response(500)
            else:
                self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook", received, state
    server.shutdown()


def subscribe(keyed, url, events=ALL):
    response = keyed.api().post("/api/v1/webhooks/", {"url": url, "events": events}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def events_of(received):
    return [json.loads(body)["event"] for _h, body in received]


def send_all():
    for delivery_id in Delivery.objects.filter(channel="webhook").values_list("pk", flat=True):
        notify.deliver_one(delivery_id)


def test_a_subscriber_gets_signed_deliveries_through_the_loop(
    receiver, hotline, dept_system, report, city, personas
):
    url, received, _state = receiver
    created = subscribe(hotline, url)
    secret = created["secret"]
    assert len(secret) >= 32
    ticket = report()
    actions.ticket_whistle(
        ticket=ticket,
        actor=personas.street_officer_a,
        whistle_type="resident_demand",
        lead=city.dept_urban,
    )
    dispatch = Dispatch.objects.get(ticket=ticket)
    actions.ticket_claim(dispatch=dispatch, actor=personas.department_officer)
    actions.ticket_reply(dispatch=dispatch, actor=personas.department_officer, result="已清运")
    actions.ticket_close(ticket=ticket, actor=personas.street_officer_a)
    send_all()
    assert events_of(received) == [
        "ticket.created",
        "ticket.dispatched",
        "ticket.claimed",
        "ticket.replied",
        "ticket.closed",
    ]
    headers, body = received[-1]
    assert (
        headers["X-Gridgov-Signature"]
        == "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    )
    assert headers["X-Gridgov-Event"] == "ticket.closed"
    assert headers["Idempotency-Key"]
    payload = json.loads(body)
    assert payload["ticket"]["number"] == ticket.number
    assert payload["ticket"]["status"] == "closed"
    assert payload["ticket"]["state"] == "closed"
    assert payload["occurred_at"].endswith("+08:00")
    # the secret is never in the delivery log
    log = hotline.api().get(f"/api/v1/webhooks/{created['id']}/deliveries/").json()["results"]
    assert len(log) == 5
    assert secret not in json.dumps(log)


def test_a_12345_work_order_reports_its_progress_back_to_the_hotline(
    receiver, hotline, city, personas
):
    url, received, _state = receiver
    hook = subscribe(hotline, url)
    api = hotline.api()
    order = {
        "external_no": "WH12345-20251001-000456",
        "category_code": "0301",
        "description": "团结路12号门口垃圾三天无人清运，市民来电反映",
        "area_code": "110-XH-01",
    }
    taken = api.post("/api/v1/intake/12345/", order, format="json")
    assert taken.status_code == 201, taken.json()
    ticket = Ticket.objects.get(pk=taken.json()["ticket"])
    actions.ticket_whistle(
        ticket=ticket,
        actor=personas.street_officer_a,
        whistle_type="resident_demand",
        lead=city.dept_urban,
    )
    actions.ticket_claim(
        dispatch=Dispatch.objects.get(ticket=ticket), actor=personas.department_officer
    )
    send_all()
    # the hotline's delivery log, as the hotline reads it
    log = api.get(f"/api/v1/webhooks/{hook['id']}/deliveries/").json()["results"]
    mine = [entry for entry in log if entry["ticket"] == ticket.pk]
    assert {entry["event"] for entry in mine} == {
        "ticket.created",
        "ticket.dispatched",
        "ticket.claimed",
    }
    assert {entry["state"] for entry in mine} == {"sent"}
    # what arrived: each status change, naming the hotline's own work order
    bodies = [json.loads(body) for _h, body in received]
    assert [b["event"] for b in bodies] == ["ticket.created", "ticket.dispatched", "ticket.claimed"]
    for b in bodies:
        assert (b["ticket"]["id"], b["ticket"]["number"]) == (ticket.pk, ticket.number)
        assert b["ticket"]["external_no"] == "WH12345-20251001-000456"
        assert b["ticket"]["source"] == "hotline_12345"
        assert b["ticket"]["status"] == "open"
    # each carries the state the change led to
    assert [b["ticket"]["state"] for b in bodies] == ["reported", "dispatched", "in_progress"]


def test_only_chosen_events_and_only_readable_tickets(
    receiver, hotline, dept_system, report, city, personas
):
    url, received, _state = receiver
    subscribe(hotline, url, ["ticket.closed"])
    subscribe(dept_system, url, ["ticket.created", "ticket.dispatched"])
    ticket = report()  # created: the department's system cannot read it yet
    b_ticket = report(actor=personas.grid_worker_b, grid=city.grid_b1)  # street B
    actions.ticket_whistle(
        ticket=ticket,
        actor=personas.street_officer_a,
        whistle_type="resident_demand",
        lead=city.dept_urban,
    )
    actions.ticket_self_handle(ticket=b_ticket, actor=personas.grid_worker_b)
    actions.ticket_self_close(ticket=b_ticket, actor=personas.grid_worker_b, result="已处理")
    send_all()
    # dept_system: dispatched (now readable) only; hotline: no close in street A,
    # and street B's close is outside its scope
    assert events_of(received) == ["ticket.dispatched"]
    assert WebhookDelivery.objects.get().subscription.client == dept_system.client


def test_overdue_and_escalation_from_the_clock_sweep(receiver, hotline, whistled):
    url, received, _state = receiver
    subscribe(hotline, url, ["ticket.overdue", "ticket.escalated"])
    dispatch = Dispatch.objects.get(ticket=whistled)
    with time_machine.travel(dispatch.claim_due_at + dt.timedelta(days=5)):
        clocks.sweep()
    send_all()
    kinds = events_of(received)
    assert kinds[0] == "ticket.overdue"
    assert set(kinds) == {"ticket.overdue", "ticket.escalated"}
    assert json.loads(received[0][1])["data"]["step"] == 1


def test_failed_attempts_show_in_the_log_and_redelivery_sends_again(receiver, hotline, report):
    url, received, state = receiver
    hook = subscribe(hotline, url, ["ticket.created"])
    report()
    state["fail"] = 1
    send_all()
    api = hotline.api()
    log_url = f"/api/v1/webhooks/{hook['id']}/deliveries/"
    [entry] = api.get(log_url).json()["results"]
    assert (entry["state"], entry["attempts"]) == ("failed", 1)
    assert entry["last_error"]
    assert entry["next_attempt_at"]
    delivery = Delivery.objects.get()
    with time_machine.travel(delivery.next_attempt_at + dt.timedelta(seconds=1)):
        assert notify.sweep()["sent"] == 1
    [entry] = api.get(log_url).json()["results"]
    assert (entry["state"], entry["attempts"], entry["next_attempt_at"]) == ("sent", 2, None)
    # ask for it again: same idempotency key, one more POST
    again = api.post(f"{log_url}{entry['id']}/redeliver/")
    assert again.status_code == 202, again.json()
    assert again.json()["state"] == "pending"
    send_all()
    assert len(received) == 3
    assert received[1][0]["Idempotency-Key"] == received[2][0]["Idempotency-Key"]
    assert api.get(log_url).json()["results"][0]["state"] == "sent"


def test_a_client_manages_only_its_own_webhooks(receiver, hotline, dept_system, personas, api_as):
    url, _received, _state = receiver
    mine = subscribe(hotline, url, ["ticket.closed"])
    other = dept_system.api()
    assert other.get("/api/v1/webhooks/").json()["results"] == []
    for method, path in (
        ("get", f"/api/v1/webhooks/{mine['id']}/"),
        ("patch", f"/api/v1/webhooks/{mine['id']}/"),
        ("delete", f"/api/v1/webhooks/{mine['id']}/"),
        ("get", f"/api/v1/webhooks/{mine['id']}/deliveries/"),
        ("post", f"/api/v1/webhooks/{mine['id']}/deliveries/1/redeliver/"),
    ):
        response = getattr(other, method)(path, {}, format="json")
        assert response.status_code == 404, (method, path, response.status_code)
        assert response.json()["code"] == "webhook_not_found"
    person = api_as(personas.street_officer_a).get("/api/v1/webhooks/")
    assert (person.status_code, person.json()["code"]) == (403, "not_an_api_client")
    api = hotline.api()
    patched = api.patch(
        f"/api/v1/webhooks/{mine['id']}/", {"events": ["ticket.claimed"]}, format="json"
    )
    assert patched.json()["events"] == ["ticket.claimed"]
    assert "secret" not in patched.json()
    assert api.delete(f"/api/v1/webhooks/{mine['id']}/").status_code == 204
    assert api.get("/api/v1/webhooks/").json()["results"] == []


@pytest.mark.parametrize(
    "body",
    [
        {"url": "ftp://example.gov.cn/hook", "events": ["ticket.closed"]},
        {"url": "http://127.0.0.1:9/hook", "events": []},
        {"url": "http://127.0.0.1:9/hook", "events": ["ticket.exploded"]},
        {"events": ["ticket.closed"]},
    ],
)
def test_bad_subscriptions_are_400_and_write_nothing(hotline, body):
    response = hotline.api().post("/api/v1/webhooks/", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert not hotline.client.webhooks.exists()


def test_webhook_list_query_counts_do_not_grow_with_rows(receiver, hotline, report):
    url, _received, _state = receiver
    api = hotline.api()

    def count(path):
        with CaptureQueriesContext(connection) as ctx:
            assert api.get(path).status_code == 200
        return len(ctx.captured_queries), "\n".join(q["sql"] for q in ctx.captured_queries)

    hook = subscribe(hotline, url, ["ticket.created"])
    report()
    paths = ["/api/v1/webhooks/", f"/api/v1/webhooks/{hook['id']}/deliveries/"]
    before = {p: count(p)[0] for p in paths}
    for _ in range(4):
        subscribe(hotline, url, ["ticket.created"])
        report()
    for p in paths:
        after, sql = count(p)
        assert after == before[p], f"{p}: {before[p]} → {after}\n{sql}"


def test_no_subscriber_costs_one_query_per_step(report, db, django_assert_max_num_queries):
    """Without subscriptions the fan-out adds one query to an action."""
    from integrations.webhooks import fan_out
    from services.models import TicketEvent

    ticket = report()
    events = list(TicketEvent.objects.filter(ticket=ticket).select_related("ticket"))
    with django_assert_max_num_queries(1):
        fan_out(events)
