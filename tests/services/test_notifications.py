"""Inbox and the delivery outbox: written with their cause, sent after commit,
retried, and never lost when the broker is down."""

import datetime as dt
import json

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import notify
from core.models import Delivery, Notification
from services import actions
from services.models import Clock, Dispatch


def test_a_whistle_tells_the_department_in_its_inbox(whistled, personas, api_as):
    inbox = api_as(personas.department_officer).get("/api/v1/inbox/").json()["results"]
    assert [n["verb"] for n in inbox] == ["dispatched"]
    assert whistled.number in inbox[0]["title"]
    assert inbox[0]["url"] == f"/tickets/{whistled.pk}/"
    # nobody else hears of it
    assert api_as(personas.other_department_officer).get("/api/v1/inbox/").json()["results"] == []


def test_unread_count_and_mark_read(whistled, personas, api_as):
    client = api_as(personas.department_officer)
    assert client.get("/api/v1/inbox/unread_count/").json() == {"unread": 1}
    note_id = client.get("/api/v1/inbox/").json()["results"][0]["id"]
    assert client.post(f"/api/v1/inbox/{note_id}/read/").json()["read_at"]
    assert client.get("/api/v1/inbox/unread_count/").json() == {"unread": 0}
    assert client.get("/api/v1/inbox/?unread=true").json()["results"] == []
    other = api_as(personas.street_officer_b)
    assert other.post(f"/api/v1/inbox/{note_id}/read/").status_code == 404


def test_a_reply_tells_the_street(whistled, personas, api_as):
    dispatch = Dispatch.objects.get(ticket=whistled)
    actions.ticket_claim(dispatch=dispatch, actor=personas.department_officer)
    actions.ticket_reply(dispatch=dispatch, actor=personas.department_officer, result="已处理")
    titles = [n.title for n in Notification.objects.filter(user=personas.street_officer_a)]
    assert any("replied" in t or "回复" in t or "回单" in t for t in titles), titles
    assert not Notification.objects.filter(user=personas.street_officer_b).exists()


def test_inbox_query_count_is_constant(personas, api_as):
    client = api_as(personas.street_officer_a)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/api/v1/inbox/").status_code == 200
        return len(ctx.captured_queries)

    notify.notify(users=[personas.street_officer_a], verb="x", title="one")
    before = count()
    notify.notify(users=[personas.street_officer_a] * 20, verb="x", title="many")
    assert count() == before


def _sms(recipient="13812345678"):
    return notify.queue(
        [Delivery(channel="sms", recipient=recipient, payload={"text": "案件即将超时"})]
    )[0]


def test_deliveries_are_sent_once(settings, tmp_path, db):
    settings.SMS_GATEWAY_URL = "file://"
    settings.VAR_DIR = tmp_path
    delivery = _sms()
    assert notify.deliver_one(delivery.pk) == "sent"
    assert notify.deliver_one(delivery.pk) == "skipped"  # safe to run twice
    lines = (tmp_path / "sms.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0])["text"] == "案件即将超时"


def test_failures_back_off_and_the_sweep_retries(settings, db):
    settings.SMS_GATEWAY_URL = "http://127.0.0.1:9/"  # discard port: nothing listens
    settings.WEBHOOK_TIMEOUT = 0.5
    delivery = _sms()
    assert notify.deliver_one(delivery.pk) == "failed"
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("failed", 1)
    assert delivery.next_attempt_at > delivery.created_at
    assert notify.sweep() == {"sent": 0, "failed": 0, "skipped": 0}  # not due yet
    settings.SMS_GATEWAY_URL = "console://"
    with time_machine.travel(delivery.next_attempt_at + dt.timedelta(seconds=1)):
        assert notify.sweep()["sent"] == 1
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("sent", 2)


def test_webhooks_are_signed(db):
    from core.channels import sign

    body = b'{"event":"ticket.closed"}'
    assert sign(body, "k") == sign(body, "k")
    assert sign(body, "k") != sign(body, "other")
    assert sign(body, "k").startswith("sha256=")


def test_with_the_broker_down_cases_are_still_created_and_claimed(
    monkeypatch, caplog, report, city, personas, api, django_capture_on_commit_callbacks
):
    """No 5xx while the broker is unreachable; the outbox keeps every
    delivery and the sweep sends each exactly once when the broker is back."""
    from config.celery import app

    personas.department_officer.email = "urban@example.gov.cn"
    personas.department_officer.save()
    category_id = report().category_id
    original = app.conf.broker_url
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:1/0")  # nothing listens on port 1
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    app.pool.force_close_all()
    app.amqp._producer_pool = None
    try:
        api.force_login(personas.grid_worker_a)
        created = api.post(
            "/api/v1/tickets/",
            {"category": category_id, "description": "断网测试", "grid": city.grid_a1.pk},
            format="json",
        )
        assert created.status_code == 201
        tid = created.json()["id"]
        api.force_login(personas.street_officer_a)
        with (
            caplog.at_level("WARNING", logger="core.notify"),
            django_capture_on_commit_callbacks(execute=True),
        ):
            response = api.post(
                f"/api/v1/tickets/{tid}/whistle/",
                {"whistle_type": "resident_demand", "lead": city.dept_urban.pk},
                format="json",
            )
        assert response.status_code == 200
        assert "retry sweep will send it" in caplog.text
        api.force_login(personas.department_officer)
        assert api.post(f"/api/v1/tickets/{tid}/claim/").status_code == 200
        pending = list(Delivery.objects.filter(state="pending"))
        assert [d.recipient for d in pending] == ["urban@example.gov.cn"]
    finally:
        monkeypatch.undo()
        app.conf.broker_url = original
        app.pool.force_close_all()
        app.amqp._producer_pool = None
    assert notify.sweep()["sent"] == 1
    assert notify.sweep()["sent"] == 0
    from django.core import mail

    assert [m.to for m in mail.outbox] == [["urban@example.gov.cn"]]
    assert Delivery.objects.get().state == "sent"


def test_a_webhook_is_posted_signed_with_an_idempotency_key_and_retried(db, settings):
    """A real HTTP server on loopback: the first call fails (500), the retry lands."""
    import hashlib
    import hmac
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    received = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((dict(self.headers), body))
            self.send_response(500 if len(received) == 1 else 204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/hook"
        delivery = notify.queue(
            [
                Delivery(
                    channel="webhook",
                    recipient=url,
                    payload={"event": "ticket.closed", "body": {"ticket": 7}, "secret": "s3cret"},
                )
            ]
        )[0]
        assert notify.deliver_one(delivery.pk) == "failed"
        delivery.refresh_from_db()
        with time_machine.travel(delivery.next_attempt_at + dt.timedelta(seconds=1)):
            assert notify.sweep()["sent"] == 1
    finally:
        server.shutdown()
    assert len(received) == 2
    headers, body = received[-1]
    assert json.loads(body) == {"ticket": 7}
    expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers["X-Gridgov-Signature"] == expected
    assert (
        headers["Idempotency-Key"] == delivery.idempotency_key == received[0][0]["Idempotency-Key"]
    )
    assert headers["X-Gridgov-Event"] == "ticket.closed"


def test_each_reader_sees_a_notification_in_their_own_language(whistled, personas, api_as, client):
    """Titles are rendered for the reader, not frozen in the language of
    whoever (or whichever sweep) caused them."""
    from django.utils import translation

    from services import clocks

    officer = personas.department_officer
    with translation.override("zh-hans"):  # the sweep runs in the default language
        clocks.sweep(now=Clock.objects.get(ticket=whistled).remind_at)
    stored = list(officer.notifications.order_by("id").values_list("verb", "title"))
    assert [verb for verb, _t in stored] == ["dispatched", "remind"]
    assert stored[1][1].startswith(f"案件 {whistled.number}：签收时限为")

    api = api_as(officer)
    english = api.get("/api/v1/inbox/", HTTP_ACCEPT_LANGUAGE="en").json()["results"]
    titles = {n["verb"]: n["title"] for n in english}
    assert titles["dispatched"] == f"New case {whistled.number} to claim"
    assert titles["remind"].startswith(f"Case {whistled.number}: Claim (签收) deadline at ")
    chinese = api.get("/api/v1/inbox/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()["results"]
    assert {n["verb"]: n["title"] for n in chinese}["dispatched"] == (
        f"新案件 {whistled.number} 待签收"
    )
    client.force_login(officer)
    page = client.get("/inbox/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"New case {whistled.number} to claim" in page
    # the stored text (email subjects, the admin) stays as it was written
    assert list(officer.notifications.order_by("id").values_list("verb", "title")) == stored
