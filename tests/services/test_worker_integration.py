"""A real Celery worker and beat on Redis remind, escalate and deliver once.

These tests start ``celery -A config worker --pool=solo`` and
``celery -A config beat`` as subprocesses against the test database (rows are
committed: ``transaction=True``) with the sweeps every
``CLOCK_SWEEP_SECONDS`` = 2 s, on a queue of their own so nothing else on the
same Redis database sees their tasks. Tickets go through the real workflow
(``services.actions``): the first uses a category whose claim clock is one
natural minute, so the worker, which runs in real time, reminds after 45 s and
escalates at 60 s; the second backdates its whistles in-process.

They run where PostgreSQL and a Redis broker are configured (CI:
``DATABASE_URL=postgres://…`` and ``CELERY_BROKER_URL=redis://…/15``) and are
skipped elsewhere.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.utils import timezone

from core.models import Delivery, Notification
from services import actions
from services.models import Clock, Escalation, Supervision, Ticket, TicketEvent
from tests.factories import UserFactory, grant

SWEEP_SECONDS = 2.0
BROKER = str(getattr(settings, "CELERY_BROKER_URL", ""))

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL shared with a worker process (CI sets DATABASE_URL=postgres://…)",
    ),
    pytest.mark.skipif(
        not BROKER.startswith(("redis://", "rediss://")),
        reason="needs a Redis broker for a real worker (CI sets CELERY_BROKER_URL=redis://…)",
    ),
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]


def wait_for(
    what: str, check: Callable[[], Any], *, timeout: float, every: float = 0.25, logs: Any = None
) -> Any:
    """Poll ``check`` until it returns something truthy; fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            tail = logs.tail() if logs is not None else ""
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}\n{tail}")
        time.sleep(every)


class Celery:
    """A worker and a beat on a private queue, talking to the test database."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.queue = f"gridgov-test-{uuid.uuid4().hex[:12]}"
        self.mail = tmp / "mail"
        self.mail.mkdir()
        (tmp / "var").mkdir()
        self.worker: subprocess.Popen[bytes] | None = None
        self.beat: subprocess.Popen[bytes] | None = None
        self.worker_starts = 0
        db = connection.settings_dict
        auth = quote(db["USER"] or "", safe="")
        if db["PASSWORD"]:
            auth += ":" + quote(db["PASSWORD"], safe="")
        host = db["HOST"] or "localhost"
        port = f":{db['PORT']}" if db["PORT"] else ""
        self.env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(
                [str(settings.BASE_DIR), *filter(None, [os.environ.get("PYTHONPATH")])]
            ),
            "PYTHONUNBUFFERED": "1",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            # The database pytest created (test_…), not the one DATABASE_URL names.
            "DATABASE_URL": f"postgres://{auth}@{host}{port}/{quote(db['NAME'], safe='')}",
            "DEBUG": "true",
            "CELERY_BROKER_URL": BROKER,
            "CELERY_TASK_DEFAULT_QUEUE": self.queue,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "CLOCK_SWEEP_SECONDS": str(SWEEP_SECONDS),
            "VAR_DIR": str(tmp / "var"),
            "CACHE_URL": "locmem://",
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(self.mail),
            "LOG_FORMAT": "console",
            "LOG_LEVEL": "INFO",
        }
        self.env.pop("TEST_DATABASE_NAME", None)

    def _spawn(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = (self.tmp / f"{name}.log").open("ab")
        try:
            return subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                [sys.executable, "-m", "celery", "-A", "config", *args],
                cwd=self.tmp,  # beat's and celery's files stay in the tmp dir
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            log.close()

    def start_worker(self) -> None:
        self.worker_starts += 1
        ready_before = self.log("worker").count(" ready.")
        self.worker = self._spawn(
            "worker",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            f"--hostname={self.queue}-{self.worker_starts}@%h",
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
        )
        wait_for(
            "the worker to be ready",
            lambda: self.log("worker").count(" ready.") > ready_before or self._died(self.worker),
            timeout=30,
            logs=self,
        )
        assert self.worker.poll() is None, self.tail()

    def start_beat(self) -> None:
        self.beat = self._spawn(
            "beat", "beat", "--loglevel=INFO", f"--schedule={self.tmp / 'beat-schedule'}"
        )

    @staticmethod
    def _died(process: subprocess.Popen[bytes] | None) -> bool:
        return process is not None and process.poll() is not None

    def kill_worker(self) -> None:
        """SIGKILL: no warm shutdown, no ack, the open transaction is cut."""
        assert self.worker is not None
        os.killpg(self.worker.pid, signal.SIGKILL)
        self.worker.wait(timeout=10)
        self.worker = None

    def stop(self) -> None:
        for process in (self.beat, self.worker):
            if process is None or process.poll() is not None:
                continue
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
            except ProcessLookupError:
                pass
        self.beat = self.worker = None
        self._purge_queue()

    def _purge_queue(self) -> None:
        """Drop what is left of the private queue (sweeps beat sent, a killed
        worker's unacknowledged message) so Redis is as it was."""
        import redis

        client = redis.Redis.from_url(BROKER)
        try:
            for key in client.scan_iter(match=f"*{self.queue}*"):
                client.delete(key)
            # A killed worker leaves its remote-control (pidbox) binding behind.
            for key in client.scan_iter(match="_kombu.binding.*", _type="set"):
                ours = [m for m in client.smembers(key) if self.queue.encode() in m]
                if ours:
                    client.srem(key, *ours)
            for tag, raw in client.hscan_iter("unacked"):
                try:
                    _message, exchange, routing_key = json.loads(raw)
                except (ValueError, TypeError):
                    continue
                if self.queue in (exchange, routing_key):
                    client.hdel("unacked", tag)
                    client.zrem("unacked_index", tag)
        finally:
            client.close()

    def log(self, name: str) -> str:
        path = self.tmp / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def tail(self) -> str:
        return "\n".join(
            f"--- {name}.log (end) ---\n{self.log(name)[-3000:]}" for name in ("worker", "beat")
        )

    def mails(self) -> Counter[tuple[str, str]]:
        """(recipient, subject) of every message the file mail backend wrote."""
        import email
        from email.header import decode_header, make_header

        sent: Counter[tuple[str, str]] = Counter()
        for path in sorted(self.mail.glob("*.log")):
            for chunk in path.read_text(encoding="utf-8").split("-" * 79):
                if not chunk.strip():
                    continue
                message = email.message_from_string(chunk.lstrip("\n"))
                subject = str(make_header(decode_header(message["Subject"] or "")))
                sent[(message["To"] or "", subject)] += 1
        return sent


@pytest.fixture
def celery_procs(transactional_db: Any, tmp_path: Path, monkeypatch: Any) -> Iterator[Celery]:
    # Deliveries written here (the whistle tells the departments) are not
    # published from the test process onto the default queue, where another
    # worker on the same Redis database could take them: the worker's
    # delivery sweep sends them.
    monkeypatch.setattr("core.notify._enqueue", lambda ids: None)
    procs = Celery(tmp_path)
    try:
        yield procs
    finally:
        procs.stop()


@pytest.fixture
def urban(city: Any, personas: Any) -> dict[str, Any]:
    """The urban department's officer and head, both with an email address."""
    officer = personas.department_officer
    officer.email = "officer@example.test"
    officer.save(update_fields=["email"])
    head = UserFactory(username="urban_head", email="head@example.test")
    grant(head, "department_head", department=city.dept_urban)
    return {"officer": officer, "head": head}


def whistle_at(when: dt.datetime, report: Any, city: Any, personas: Any, **kw: Any) -> Ticket:
    with time_machine.travel(when, tick=False):
        ticket = report(urgency=kw.pop("urgency", "normal"))
        actions.ticket_whistle(
            ticket=ticket,
            actor=personas.street_officer_a,
            whistle_type=kw.pop("whistle_type", "resident_demand"),
            lead=city.dept_urban,
        )
    return ticket


def all_sent(expected: int) -> Callable[[], bool]:
    def check() -> bool:
        states = Counter(Delivery.objects.values_list("state", flat=True))
        return sum(states.values()) == expected and states["sent"] == expected

    return check


def test_a_real_worker_reminds_escalates_and_delivers_once(
    celery_procs, report, city, personas, urban
):
    procs = celery_procs
    procs.start_beat()
    procs.start_worker()
    wait_for(
        "beat to send the first clock sweep",
        lambda: "Sending due task sweep-clocks" in procs.log("beat"),
        timeout=30,
        logs=procs,
    )
    # A category whose claim clock is one natural minute: reminder at 75 %
    # (45 s), L1 at the deadline (60 s), all by the worker in real time.
    from services.models import Category

    one_minute = Category.objects.create(
        kind="event",
        code="E9901",
        name="一分钟签收测试",
        parent=Category.objects.get(code="E01"),
        claim_amount=1,
        claim_unit="natural_minutes",
    )
    with time_machine.travel(timezone.now(), tick=True):
        ticket = report(category=one_minute)
        actions.ticket_whistle(
            ticket=ticket,
            actor=personas.street_officer_a,
            whistle_type="resident_demand",
            lead=city.dept_urban,
        )
    left = dt.timedelta(minutes=1)
    clock = Clock.objects.get(ticket=ticket)
    assert (clock.kind, clock.state, clock.level) == ("claim", "running", 0)
    assert clock.due_at - clock.started_at == dt.timedelta(minutes=1)

    remind = wait_for(
        "the reminder",
        lambda: Escalation.objects.filter(clock=clock, step=0).first(),
        timeout=75,
        logs=procs,
    )
    assert remind.at < clock.due_at  # before the deadline, by the worker in real time
    overdue = wait_for(
        "the L1 escalation at the deadline",
        lambda: Escalation.objects.filter(clock=clock, step=1).first(),
        timeout=left.total_seconds() + 30,
        logs=procs,
    )
    assert overdue.at >= clock.due_at
    # Deliveries: the whistle told the officer and the head (2), L1 the head (1).
    wait_for("3 deliveries sent", all_sent(3), timeout=30, logs=procs)
    time.sleep(3 * SWEEP_SECONDS)  # later sweeps must find nothing more to do

    assert list(
        Escalation.objects.filter(clock=clock).order_by("step").values_list("step", flat=True)
    ) == [0, 1]
    events = list(
        TicketEvent.objects.filter(ticket=ticket, verb__in=["remind", "escalate"])
        .order_by("at", "pk")
        .values_list("verb", "data__step")
    )
    assert events == [("remind", 0), ("escalate", 1)]
    clock.refresh_from_db()
    assert (clock.level, clock.next_check_at) == (
        1,
        clock.due_at + dt.timedelta(minutes=30),
    )  # gap ≥ 30 min
    officer, head = urban["officer"], urban["head"]
    assert list(
        officer.notifications.filter(verb="remind").values_list("data__step", flat=True)
    ) == [0]
    assert list(head.notifications.filter(verb="overdue").values_list("data__step", flat=True)) == [
        1
    ]
    # the officer hears of the deadline in the inbox; only the head is emailed (below)
    assert list(
        officer.notifications.filter(verb="overdue").values_list("data__step", flat=True)
    ) == [1]
    deliveries = Delivery.objects.all()
    assert sorted((d.notification.verb, d.recipient, d.state, d.attempts) for d in deliveries) == [
        ("dispatched", "head@example.test", "sent", 1),
        ("dispatched", "officer@example.test", "sent", 1),
        ("overdue", "head@example.test", "sent", 1),
    ]
    overdue_delivery = deliveries.get(notification__verb="overdue")
    assert overdue_delivery.notification.user == head
    mails = procs.mails()
    assert sum(mails.values()) == 3
    assert set(mails.values()) == {1}  # each message written once
    assert ("head@example.test", overdue_delivery.subject) in mails
    assert "Traceback" not in procs.log("worker")


def test_killing_the_worker_mid_sweep_loses_and_repeats_nothing(
    celery_procs, report, city, personas, urban
):
    procs = celery_procs
    n = 200
    # Urgent: claim within 2 hours; the gap between levels is 1 hour. Whistled
    # 4 h 1 min ago, every clock is due for L1, L2 and L3 (+ 督办) at once:
    # one batch of 200 clocks, 600 steps, in one transaction.
    past = timezone.now() - dt.timedelta(hours=4, minutes=1)
    tickets = [whistle_at(past, report, city, personas, urgency="urgent") for _ in range(n)]
    clock_ids = set(Clock.objects.filter(ticket__in=tickets).values_list("pk", flat=True))
    assert len(clock_ids) == n
    procs.start_beat()
    procs.start_worker()

    def sweep_in_progress() -> bool:
        # An uncommitted Escalation insert by another session: the worker is
        # inside a sweep batch.
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
                WHERE c.relname = %s AND l.mode = 'RowExclusiveLock' AND l.granted
                  AND l.pid <> pg_backend_pid()
                  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                """,
                [Escalation._meta.db_table],
            )
            return cursor.fetchone() is not None

    wait_for("the sweep to start", sweep_in_progress, timeout=60, every=0.005, logs=procs)
    procs.kill_worker()
    committed_at_kill = Escalation.objects.count()
    # PostgreSQL sees the connection drop and rolls the batch back.
    wait_for("the killed batch to roll back", lambda: not sweep_in_progress(), timeout=30)
    assert committed_at_kill == Escalation.objects.count() == 0, "the kill landed after the commit"
    assert not TicketEvent.objects.filter(verb="escalate").exists()
    assert not Delivery.objects.filter(notification__verb="overdue").exists()
    assert Clock.objects.filter(pk__in=clock_ids, level=0).count() == n

    procs.start_worker()  # beat kept queueing sweeps; the next one redoes the batch
    wait_for(
        f"{3 * n} escalations",
        lambda: Escalation.objects.count() == 3 * n,
        timeout=90,
        logs=procs,
    )
    # Deliveries: the whistle told the officer and the head (2 n), L1 the head (n).
    wait_for(f"{3 * n} deliveries sent", all_sent(3 * n), timeout=60, logs=procs)
    time.sleep(3 * SWEEP_SECONDS)  # later sweeps must find nothing more to do

    steps = Counter(Escalation.objects.values_list("clock_id", "step"))
    assert set(steps) == {(c, s) for c in clock_ids for s in (1, 2, 3)}
    assert set(steps.values()) == {1}
    events = Counter(
        TicketEvent.objects.filter(verb="escalate").values_list("data__clock", "data__step")
    )
    assert set(events) == set(steps)
    assert set(events.values()) == {1}
    assert not TicketEvent.objects.filter(verb="remind").exists()  # no stale reminder
    assert Clock.objects.filter(pk__in=clock_ids, level=3, next_check_at=None).count() == n
    assert Supervision.objects.filter(ticket__in=tickets).count() == n
    assert Ticket.objects.filter(pk__in=[t.pk for t in tickets], supervised=True).count() == n
    head = urban["head"]
    overdue = Counter(
        Notification.objects.filter(verb="overdue").values_list(
            "user_id", "data__clock", "data__step"
        )
    )
    # L1 to the head and (inbox only) the officer, L2 to the street officer,
    # L3 to the city's leader: the district has none (decision 0024)
    assert sum(overdue.values()) == 4 * n
    assert set(overdue.values()) == {1}
    assert {(u, s) for u, _c, s in overdue} == {
        (head.pk, 1),
        (urban["officer"].pk, 1),
        (personas.street_officer_a.pk, 2),
        (personas.leader.pk, 3),
    }
    sent = Delivery.objects.filter(notification__verb="overdue")
    assert sent.count() == n
    assert set(sent.values_list("state", "attempts", "recipient")) == {
        ("sent", 1, "head@example.test")
    }
    mails = procs.mails()
    assert sum(mails.values()) == 3 * n
    assert set(mails.values()) == {1}  # subjects name the case: each message once
    assert procs.worker_starts == 2
