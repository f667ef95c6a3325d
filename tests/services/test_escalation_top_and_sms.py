"""The top of the escalation ladder and SMS at its urgent steps (decision 0024).

L3 reaches the leaders of the nearest level above the street that has any
(the district's, else the city's). L2 and L3 text the mobile on each
recipient's post through the provider's gateway: here a real HTTP server on
127.0.0.1 that checks the documented signature and records every request.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import notify
from core.models import Delivery, Notification
from governance import actions as governance
from services import actions, clocks
from services.models import Escalation
from tests.factories import UserFactory

T0 = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)  # Monday 10:00 in Shanghai
L1 = T0 + dt.timedelta(hours=2, minutes=1)  # an urgent claim: 2 natural hours, gap 1 hour
L2 = T0 + dt.timedelta(hours=3, minutes=1)
L3 = T0 + dt.timedelta(hours=4, minutes=1)
KEY_ID, SECRET = "LTAI-test-key", "gateway-secret-for-tests"
STREET_LEADER_PHONE, HEAD_PHONE = "13800000002", "13900000001"


def _whistled_at(when, report, city, personas):
    with time_machine.travel(when, tick=False):
        ticket = report(urgency="urgent")  # claim within 2 natural hours
        actions.ticket_whistle(
            ticket=ticket,
            actor=personas.street_officer_a,
            whistle_type="resident_demand",
            lead=city.dept_urban,
        )
    return ticket


@pytest.fixture
def on_monday(report, city, personas):
    return _whistled_at(T0, report, city, personas)


def sweep_at(when):
    with time_machine.travel(when, tick=False):
        return clocks.sweep()


def holder(username, role, *, phone="", **place):
    user = UserFactory(username=username, email=f"{username}@example.gov.cn")
    governance.post_grant(user=user, role=role, actor=None, phone=phone, **place)
    return user


def l3_notices(user):
    return Notification.objects.filter(
        user=user, verb="overdue", data__step=Escalation.Step.DISTRICT
    )


# --- the top of the ladder ----------------------------------------------------------------


def test_l3_reaches_the_city_leaders_when_the_district_has_none(on_monday, personas):
    assert sweep_at(L3)["steps"] == 3  # L1, L2, L3
    assert l3_notices(personas.leader).count() == 1  # the city's leader (conftest)


def test_l3_reaches_the_district_leaders_and_not_the_city_above_them(on_monday, personas, city):
    district_leader = holder("district_leader", "leader", area=city.district)
    assert sweep_at(L3)["steps"] == 3
    assert l3_notices(district_leader).count() == 1
    assert not l3_notices(personas.leader).exists()
    assert not personas.leader.notifications.exists()


def test_a_district_leader_whose_post_ended_leaves_l3_to_the_city(on_monday, personas, city):
    gone = holder("former_district_leader", "leader", area=city.district)
    governance.post_end(post=gone.posts.get(), actor=None)
    sweep_at(L3)
    assert not gone.notifications.exists()
    assert l3_notices(personas.leader).count() == 1


def test_l3_leaders_in_another_district_do_not_count(on_monday, personas, city):
    elsewhere = holder("other_district_leader", "leader", area=city.other_district)
    sweep_at(L3)
    assert not elsewhere.notifications.exists()
    assert l3_notices(personas.leader).count() == 1


def test_l3_recipients_are_resolved_once_per_batch_not_per_clock(report, city, personas):
    """Three clocks at L3 in one district cost the same queries as one."""

    def queries_for_a_batch(start, n):
        for _i in range(n):
            _whistled_at(start, report, city, personas)
        with CaptureQueriesContext(connection) as ctx:
            taken = sweep_at(start + (L3 - T0))
        assert taken["steps"] == 3 * n
        return len(ctx.captured_queries)

    queries_for_a_batch(T0, 1)  # warms caches (content types, calendar)
    one = queries_for_a_batch(T0 + dt.timedelta(days=1), 1)
    three = queries_for_a_batch(T0 + dt.timedelta(days=2), 3)
    assert three == one
    assert l3_notices(personas.leader).count() == 5


# --- SMS through a real gateway ----------------------------------------------------------


def expected_signature(path, headers, body):
    """The documented canonical form (core.channels.sms_canonical), restated."""
    fields = json.loads(body)
    canonical = "\n".join(
        [
            "POST",
            path,
            headers["X-Sms-Access-Key-Id"],
            fields["timestamp"],
            fields["nonce"],
            hashlib.sha256(body).hexdigest(),
        ]
    )
    mac = hmac.new(SECRET.encode(), canonical.encode(), hashlib.sha256).digest()
    return base64.b64encode(mac).decode()


class Gateway:
    """An SMS gateway on 127.0.0.1 answering with ``statuses`` in turn (then 200)."""

    def __init__(self, statuses=(), delay=0.0):
        self.statuses = list(statuses)
        self.requests = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                path = urllib.parse.urlsplit(self.path).path
                headers = dict(self.headers)
                signed = hmac.compare_digest(
                    headers.get("X-Sms-Signature", ""), expected_signature(path, headers, body)
                )
                gateway.requests.append(
                    {"headers": headers, "body": json.loads(body), "signed": signed}
                )
                time.sleep(delay)
                status = gateway.statuses.pop(0) if gateway.statuses else 200
                if not signed:
                    status = 403
                payload = json.dumps({"code": "OK" if status == 200 else "ERROR"}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/sms/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway_settings(settings):
    def configure(url):
        settings.SMS_GATEWAY_URL = url
        settings.SMS_ACCESS_KEY_ID = KEY_ID
        settings.SMS_ACCESS_KEY_SECRET = SECRET
        settings.SMS_SIGN_NAME = "网格治理"
        settings.SMS_TEMPLATE_CODE = "SMS_0024"
        settings.WEBHOOK_TIMEOUT = 0.5

    return configure


@pytest.fixture
def ladder_with_phones(on_monday, city):
    """The head (L1, not urgent) and the street leader (L2, urgent) have a
    mobile on their post; the street officer (also told at L2) has none."""
    head = holder("urban_head", "department_head", phone=HEAD_PHONE, department=city.dept_urban)
    street_leader = holder("street_leader", "leader", phone=STREET_LEADER_PHONE, area=city.street_a)
    return on_monday, head, street_leader


def send_sms():
    return [notify.deliver_one(d.pk) for d in Delivery.objects.filter(channel="sms")]


def test_an_urgent_step_sends_one_signed_sms_to_the_post_s_mobile(
    ladder_with_phones, gateway_settings, caplog
):
    ticket, head, street_leader = ladder_with_phones
    with Gateway() as gateway:
        gateway_settings(gateway.url)
        assert sweep_at(L2)["steps"] == 2  # L1 (head: inbox and email) and L2 (urgent)
        with caplog.at_level("INFO"):
            assert send_sms() == ["sent"]
    assert len(gateway.requests) == 1
    request = gateway.requests[0]
    assert request["signed"]
    assert request["headers"]["X-Sms-Access-Key-Id"] == KEY_ID
    sms = Delivery.objects.get(channel="sms")
    assert request["headers"]["Idempotency-Key"] == sms.idempotency_key
    body = request["body"]
    assert body["phone"] == STREET_LEADER_PHONE
    assert (body["sign_name"], body["template_code"]) == ("网格治理", "SMS_0024")
    assert body["template_params"] == {
        "number": ticket.number,
        "kind": "签收",
        "level": "L2",
        "due": "2026-03-02 12:00",
    }
    assert (sms.state, sms.notification.user, sms.notification.data["step"]) == (
        "sent",
        street_leader,
        Escalation.Step.STREET,
    )
    # L1 is not urgent: the head's overdue notice is emailed, not texted
    assert head.notifications.filter(verb="overdue").exists()
    assert not Delivery.objects.filter(channel="sms", recipient=HEAD_PHONE).exists()
    # logs carry the number masked, never in full
    assert "138****0002" in caplog.text
    assert STREET_LEADER_PHONE not in caplog.text


def test_a_failing_gateway_is_retried_and_the_inbox_has_the_notice_meanwhile(
    ladder_with_phones, gateway_settings
):
    _ticket, _head, street_leader = ladder_with_phones
    with Gateway(statuses=[500]) as gateway:
        gateway_settings(gateway.url)
        sweep_at(L2)
        assert send_sms() == ["failed"]
        sms = Delivery.objects.get(channel="sms")
        assert (sms.state, sms.attempts) == ("failed", 1)
        assert "500" in sms.last_error
        notice = street_leader.notifications.get(verb="overdue")
        assert sms.notification_id == notice.pk  # the inbox has it regardless
        notify.sweep()  # sends the emails; the SMS waits for its backoff
        assert len(gateway.requests) == 1
        with time_machine.travel(sms.next_attempt_at + dt.timedelta(seconds=1), tick=False):
            assert notify.sweep() == {"sent": 1, "failed": 0, "skipped": 0}
    sms.refresh_from_db()
    assert (sms.state, sms.attempts, sms.last_error) == ("sent", 2, "")
    assert len(gateway.requests) == 2
    first, second = gateway.requests
    assert first["signed"] and second["signed"]
    # the same message (one idempotency key), signed afresh (a new nonce)
    assert first["headers"]["Idempotency-Key"] == second["headers"]["Idempotency-Key"]
    assert first["body"]["nonce"] != second["body"]["nonce"]
    assert first["body"]["template_params"] == second["body"]["template_params"]


@pytest.mark.parametrize("failure", ["connection refused", "timeout"])
def test_an_unreachable_or_slow_gateway_is_a_failed_attempt(
    failure, ladder_with_phones, gateway_settings
):
    if failure == "timeout":
        with Gateway(delay=1.5) as slow:  # WEBHOOK_TIMEOUT is 0.5 s here
            gateway_settings(slow.url)
            sweep_at(L2)
            assert send_sms() == ["failed"]
    else:
        with Gateway() as closed:
            pass
        gateway_settings(closed.url)  # the port is closed again
        sweep_at(L2)
        assert send_sms() == ["failed"]
    sms = Delivery.objects.get(channel="sms")
    assert (sms.state, sms.attempts) == ("failed", 1)
    assert sms.next_attempt_at > sms.created_at


def test_the_gateway_gives_up_after_the_outbox_s_attempts(ladder_with_phones, gateway_settings):
    with Gateway(statuses=[503] * notify.MAX_ATTEMPTS) as gateway:
        gateway_settings(gateway.url)
        sweep_at(L2)
        for _attempt in range(notify.MAX_ATTEMPTS):
            sms = Delivery.objects.get(channel="sms")
            with time_machine.travel(sms.next_attempt_at + dt.timedelta(seconds=1), tick=False):
                notify.deliver_one(sms.pk)
        sms.refresh_from_db()
        assert (sms.state, sms.attempts) == ("dead", notify.MAX_ATTEMPTS)
        assert notify.deliver_one(sms.pk) == "skipped"
    assert len(gateway.requests) == notify.MAX_ATTEMPTS


def test_with_sms_off_the_ladder_texts_nobody_and_still_notifies(
    ladder_with_phones, settings, personas
):
    _ticket, _head, street_leader = ladder_with_phones
    settings.SMS_GATEWAY_URL = ""
    with Gateway() as gateway:
        assert sweep_at(L3)["steps"] == 3
        assert notify.sweep()["failed"] == 0
    assert gateway.requests == []
    assert not Delivery.objects.filter(channel="sms").exists()
    assert street_leader.notifications.filter(verb="overdue").count() == 1
    assert l3_notices(personas.leader).count() == 1


def test_l3_texts_the_city_leader_when_the_district_has_none(on_monday, personas, gateway_settings):
    post = personas.leader.posts.get()
    governance.post_set_phone(post=post, phone="139 0000 0003", actor=None)
    with Gateway() as gateway:
        gateway_settings(gateway.url)
        sweep_at(L3)
        assert send_sms() == ["sent"]
    assert [r["body"]["phone"] for r in gateway.requests] == ["13900000003"]
    assert gateway.requests[0]["body"]["template_params"]["level"] == "L3"
