"""Benchmark the clock sweep against a million tickets (PostgreSQL only).

    .venv/bin/python bench/sweep.py [--fresh] [--tickets 1000000] [--due 10000] [--profile]

Uses its own PostgreSQL database ``bench_sweep`` (created if missing; dropped
and created again with ``--fresh``) on the server of DATABASE_URL, or on
postgres@127.0.0.1:5432 when DATABASE_URL is unset. SQLite is refused: the
sweep's ``SELECT … FOR UPDATE SKIP LOCKED`` and its partial index are what is
measured. Seeds, with server-side ``INSERT … SELECT FROM generate_series`` in
committed chunks (an interrupted seed resumes; a complete one is skipped):
one city → district → street → community → 100 grids (through
governance.actions), one department with officers, a head and street/district
leaders, and N tickets, each with a live lead dispatch and one running claim
(1 in 5) or handle clock. Exactly ``--due`` clocks are due at the benchmark's
moment ("now", fixed when the data was seeded): half for the reminder, 30 %
just past the deadline (→ L1), 20 % two days overdue at L1 (→ L2, then L3 and
督办). Every other clock is next checked between 45 minutes and 30 days later.
``--profile`` adds a cProfile of the due sweep (BENCH_SORT=tottime to re-sort).

Each run re-arms the due clocks (their level, ``next_check_at`` and seeded
escalation rows; the sweep's notifications, deliveries and supervisions are
deleted; ticket events stay, the timeline is append-only), runs ANALYZE, then
times the real ``services.clocks.sweep()``: idle (nothing due), once with
every due clock, and idle again afterwards. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import os
import pstats
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB_NAME = "bench_sweep"


def _database_url() -> str:
    """The bench database's URL: DATABASE_URL's server (or the local default), own database."""
    given = os.environ.get("DATABASE_URL", "")
    if given and not given.startswith(("postgres://", "postgresql://", "pgsql://")):
        sys.exit(
            f"bench/sweep.py runs on PostgreSQL only (DATABASE_URL is {given.split(':', 1)[0]}://…): "
            "the sweep's SELECT … FOR UPDATE SKIP LOCKED and its partial index are what it "
            "measures, and SQLite has neither. Unset DATABASE_URL to use "
            "postgres://postgres@127.0.0.1:5432/bench_sweep, or point it at a PostgreSQL server."
        )
    parts = urlsplit(given or "postgres://postgres@127.0.0.1:5432/postgres")
    return urlunsplit(("postgres", parts.netloc, f"/{DB_NAME}", "", ""))


BENCH_URL = _database_url()
os.environ["DATABASE_URL"] = BENCH_URL
os.environ["DEBUG"] = "true"
os.environ["CELERY_BROKER_URL"] = "memory://"  # never publish the bench's deliveries anywhere real
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402
import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402


def ensure_database(*, fresh: bool) -> None:
    """Create bench_sweep if it is missing (drop it first with --fresh); never touch another."""
    parts = urlsplit(BENCH_URL)
    admin = urlunsplit(("postgresql", parts.netloc, "/postgres", "", ""))
    try:
        conn = psycopg.connect(admin, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        sys.exit(f"cannot reach PostgreSQL at {parts.netloc}: {exc}")
    with conn:
        if fresh:
            print(f"--fresh: dropping database {DB_NAME}")
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DB_NAME))
            )
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DB_NAME)))
            print(f"created database {DB_NAME}")


django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from core import notify as notify_module  # noqa: E402
from core.models import Delivery, Notification  # noqa: E402
from governance import actions as gov  # noqa: E402
from governance.models import Area, Department, Role  # noqa: E402
from services import clocks  # noqa: E402
from services.models import (  # noqa: E402
    Category,
    Clock,
    ClockState,
    Escalation,
    Supervision,
    Ticket,
    TicketEvent,
)

CITY_CODE, DISTRICT_CODE = "150300000000", "150302000000"
N_GRIDS = 100
CHUNK = 100_000

# Per ticket i (= its dispatch's and its clock's id): when its clock started,
# when it is due, and where the sweep finds it (in minutes around "now").
# i <= due: due now. i % 10 in 0..4 → the reminder is due; 5..7 → the
# deadline has just passed (the reminder was taken); 8..9 → two days overdue
# at L1, so L2 and L3 are both due. Others: next look in 45 min … 30 days.
TIMES = """
CROSS JOIN LATERAL (
    SELECT
        %(now)s::timestamptz - m.back * interval '1 minute' AS started_at,
        %(now)s::timestamptz + m.ahead * interval '1 minute' AS due_at,
        m.back + m.ahead AS minutes,
        m.level,
        m.grp
    FROM (
        SELECT
            CASE
                WHEN i > %(due)s THEN (i * 7) %% 2880
                WHEN i %% 10 < 5 THEN 240 + i %% 30
                WHEN i %% 10 < 8 THEN 480 + i %% 30
                ELSE 4320 + i %% 30
            END AS back,
            CASE
                WHEN i > %(due)s THEN ((i * 7) %% 2880) / 3 + 60 + (i * 13) %% 43200
                WHEN i %% 10 < 5 THEN 60 - i %% 30
                WHEN i %% 10 < 8 THEN -10 - i %% 30
                ELSE -2880 - i %% 30
            END AS ahead,
            CASE WHEN i <= %(due)s AND i %% 10 >= 8 THEN 1 ELSE 0 END AS level,
            CASE
                WHEN i > %(due)s THEN 'future'
                WHEN i %% 10 < 5 THEN 'remind'
                WHEN i %% 10 < 8 THEN 'due'
                ELSE 'overdue'
            END AS grp
    ) m
) t
CROSS JOIN LATERAL (
    SELECT
        t.started_at + (t.due_at - t.started_at) * %(share)s AS remind_at,
        -- half the clock, between 30 minutes and a day (clocks.gap)
        GREATEST(interval '30 minutes', LEAST((t.due_at - t.started_at) / 2, interval '1 day')) AS gap
) r
CROSS JOIN LATERAL (
    SELECT CASE
        WHEN t.grp IN ('future', 'remind') THEN r.remind_at
        WHEN t.grp = 'due' THEN t.due_at
        ELSE t.due_at + r.gap
    END AS next_check_at
) n
"""

INSERT_TICKETS = (
    """
INSERT INTO services_ticket (
    id, number, external_no, source, description, address, lat, lng, path, urgency, state,
    whistle_type, reporter_name, reporter_phone, result, supervised, rework_count,
    created_at, updated_at, closed_at, version, category_id, grid_id, reported_by_id)
SELECT
    i,
    %(district)s || to_char(t.started_at, 'YYMMDD') || lpad(i::text, 7, '0'),
    '',
    (ARRAY['grid_patrol', 'hotline_12345', 'resident', 'walk_in'])[1 + i %% 4],
    '基准工单 ' || i || ':路灯不亮、占道经营或垃圾堆放',
    '海勃湾区新华街道 ' || (i %% 500) || ' 号',
    NULL, NULL,
    (%(paths)s::text[])[1 + i %% %(n_grids)s],
    'normal',
    CASE WHEN i %% 5 = 0 THEN 'dispatched' ELSE 'in_progress' END,
    'resident_demand', '', '', '', false, 0,
    t.started_at - interval '40 minutes', t.started_at, NULL, 1,
    %(category)s,
    (%(grids)s::bigint[])[1 + i %% %(n_grids)s],
    NULL
FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) AS i
"""
    + TIMES
)

INSERT_DISPATCHES = (
    """
INSERT INTO services_dispatch (
    id, role, state, whistle_type, dispatched_at, claimed_at, claim_due_at, handle_due_at,
    replied_at, closed_at, version, claimed_by_id, department_id, dispatched_by_id, ticket_id)
SELECT
    i, 'lead',
    CASE WHEN i %% 5 = 0 THEN 'awaiting_claim' ELSE 'claimed' END,
    'resident_demand',
    CASE WHEN i %% 5 = 0 THEN t.started_at ELSE t.started_at - interval '30 minutes' END,
    CASE WHEN i %% 5 = 0 THEN NULL ELSE t.started_at END,
    CASE WHEN i %% 5 = 0 THEN t.due_at ELSE t.started_at + interval '90 minutes' END,
    CASE WHEN i %% 5 = 0 THEN NULL ELSE t.due_at END,
    NULL, NULL, 1,
    CASE WHEN i %% 5 = 0 THEN NULL ELSE %(claimer)s::integer END,
    %(department)s, %(dispatcher)s, i
FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) AS i
"""
    + TIMES
)

INSERT_CLOCKS = (
    """
INSERT INTO services_clock (
    id, kind, state, started_at, amount, unit, due_at, remind_at, provisional,
    next_check_at, level, stopped_at, dispatch_id, ticket_id)
SELECT
    i,
    CASE WHEN i %% 5 = 0 THEN 'claim' ELSE 'handle' END,
    'running', t.started_at, t.minutes, 'natural_minutes', t.due_at, r.remind_at, false,
    n.next_check_at, t.level, NULL, i, i
FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) AS i
"""
    + TIMES
)

# Re-arm the due clocks as seeded (a previous run's sweep moved them on).
REARM_CLOCKS = (
    """
UPDATE services_clock c SET
    state = 'running', started_at = t.started_at, amount = t.minutes, due_at = t.due_at,
    remind_at = r.remind_at, next_check_at = n.next_check_at, level = t.level, stopped_at = NULL
FROM generate_series(1::bigint, %(due)s::bigint) AS i
"""
    + TIMES
    + "WHERE c.id = i"
)

# The steps the seeded due clocks had already taken: the reminder for those
# at the deadline, the reminder and L1 for those long overdue.
SEEDED_ESCALATIONS = (
    """
INSERT INTO services_escalation (clock_id, step, at)
SELECT i, s.step, CASE WHEN s.step = 0 THEN r.remind_at ELSE t.due_at END
FROM generate_series(1::bigint, %(due)s::bigint) AS i
"""
    + TIMES
    + """
CROSS JOIN LATERAL (SELECT generate_series(0, CASE WHEN t.grp = 'overdue' THEN 1 ELSE 0 END) AS step) s
WHERE t.grp IN ('due', 'overdue')
"""
)


# --- seeding -----------------------------------------------------------------------


def meta_get(key: str) -> str | None:
    with connection.cursor() as cur:
        cur.execute(
            "CREATE TABLE IF NOT EXISTS bench_sweep_meta (key text PRIMARY KEY, value text NOT NULL)"
        )
        cur.execute("SELECT value FROM bench_sweep_meta WHERE key = %s", [key])
        row = cur.fetchone()
    return row[0] if row else None


def meta_set(key: str, value: str) -> None:
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO bench_sweep_meta (key, value) VALUES (%s, %s) "
            "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            [key, value],
        )


def staff(
    username: str, role: str, *, area: Area | None = None, department: Department | None = None
) -> Any:
    from django.contrib.auth import get_user_model

    user, _created = get_user_model().objects.get_or_create(
        username=username, defaults={"email": f"{username}@bench.example.gov.cn"}
    )
    if not user.posts.filter(role=role, active=True).exists():
        gov.post_grant(user=user, role=role, area=area, department=department, actor=None)
    return user


@transaction.atomic
def seed_base() -> dict[str, Any]:
    """The area tree, the department and the people the sweep notifies (through the actions)."""
    city = Area.objects.filter(code=CITY_CODE).first()
    if city is None:
        city = gov.area_create(parent=None, name="乌海市", code=CITY_CODE, actor=None)
        district = gov.area_create(parent=city, name="海勃湾区", code=DISTRICT_CODE, actor=None)
        street = gov.area_create(parent=district, name="新华街道", actor=None)
        community = gov.area_create(parent=street, name="新华社区", actor=None)
        for g in range(N_GRIDS):
            community.refresh_from_db()
            gov.area_create(parent=community, name=f"新华第{g + 1}网格", actor=None)
    district = Area.objects.get(code=DISTRICT_CODE)
    street = Area.objects.get(level="street", path__startswith=district.path)
    department = Department.objects.filter(area=district, name="区城市管理局").first()
    if department is None:
        department = gov.department_create(name="区城市管理局", area=district, actor=None)
    officer = staff("bench_dept_officer_1", Role.DEPARTMENT_OFFICER, department=department)
    staff("bench_dept_officer_2", Role.DEPARTMENT_OFFICER, department=department)
    staff("bench_dept_head", Role.DEPARTMENT_HEAD, department=department)
    dispatcher = staff("bench_street_officer_1", Role.STREET_OFFICER, area=street)
    staff("bench_street_officer_2", Role.STREET_OFFICER, area=street)
    staff("bench_street_leader", Role.LEADER, area=street)
    staff("bench_district_leader", Role.LEADER, area=district)
    grids = list(Area.objects.filter(level="grid", path__startswith=street.path).order_by("path"))
    category = Category.objects.filter(code__regex=r"^E\d{4}$").order_by("code").first()
    assert category is not None, "the reference categories migration seeds E…"
    return {
        "grids": [g.pk for g in grids],
        "paths": [g.path for g in grids],
        "n_grids": len(grids),
        "category": category.pk,
        "department": department.pk,
        "claimer": officer.pk,
        "dispatcher": dispatcher.pk,
    }


def params(base: dict[str, Any], now: dt.datetime, due: int, **more: Any) -> dict[str, Any]:
    return {
        **base,
        "now": now,
        "due": due,
        "share": settings.CLOCK_REMIND_SHARE,
        "district": DISTRICT_CODE[:6],  # ticket numbers carry the 6-digit county code
        **more,
    }


def seed(n_tickets: int, n_due: int) -> tuple[dt.datetime, dict[str, Any]]:
    """Seed (or finish seeding) the volume; return the benchmark's "now"."""
    wanted = f"{n_tickets}/{n_due}"
    seeded = meta_get("seeded")
    if seeded is not None and seeded != wanted:
        sys.exit(f"{DB_NAME} holds another volume ({seeded} tickets/due); rerun with --fresh")
    base = seed_base()
    stamp = meta_get("now")
    if stamp is None:
        now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
        meta_set("now", now.isoformat())
    else:
        now = dt.datetime.fromisoformat(stamp)
    if seeded == wanted and Ticket.objects.count() == n_tickets:
        print(f"seed: {DB_NAME} already holds {n_tickets:,} tickets ({n_due:,} due) — skipped")
        return now, base
    with connection.cursor() as cur:
        cur.execute("SELECT coalesce(max(id), 0) FROM services_ticket")
        done = cur.fetchone()[0]
    if done:
        print(f"seed: resuming after ticket {done:,}")
    started = time.perf_counter()
    for lo in range(done + 1, n_tickets + 1, CHUNK):
        hi = min(lo + CHUNK - 1, n_tickets)
        t = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("SET LOCAL synchronous_commit = off")
            p = params(base, now, n_due, lo=lo, hi=hi)
            for statement in (INSERT_TICKETS, INSERT_DISPATCHES, INSERT_CLOCKS):
                cur.execute(statement, p)
        print(f"  tickets {lo:,}–{hi:,}: {time.perf_counter() - t:.1f} s", flush=True)
    with connection.cursor() as cur:
        for table in ("services_ticket", "services_dispatch", "services_clock"):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: S608
            )
    meta_set("seeded", wanted)
    print(
        f"seed: {n_tickets - done:,} tickets + dispatches + running clocks in "
        f"{time.perf_counter() - started:.1f} s"
    )
    return now, base


def rearm(base: dict[str, Any], now: dt.datetime, n_due: int) -> None:
    """Put the due clocks back as seeded and clear what a previous sweep wrote."""
    t = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        p = params(base, now, n_due)
        cur.execute("DELETE FROM services_escalation")
        cur.execute("DELETE FROM services_supervision")
        cur.execute("UPDATE services_ticket SET supervised = false WHERE supervised")
        cur.execute("DELETE FROM core_delivery")
        cur.execute("DELETE FROM core_notification")
        cur.execute(REARM_CLOCKS, p)
        cur.execute(SEEDED_ESCALATIONS, p)
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('services_escalation', 'id'), (SELECT max(id) FROM services_escalation))"
        )
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    print(f"re-armed {n_due:,} due clocks, VACUUM ANALYZE: {time.perf_counter() - t:.1f} s")


# --- measuring ---------------------------------------------------------------------


class QueryLog:
    """Counts (and times, by kind and table) every statement the connection runs."""

    def __init__(self) -> None:
        self.count = 0
        self.seconds: defaultdict[str, float] = defaultdict(float)
        self.kinds: Counter[str] = Counter()

    def __call__(
        self, execute: Callable[..., Any], sql_text: str, params: Any, many: bool, context: Any
    ) -> Any:
        self.count += 1
        t = time.perf_counter()
        try:
            return execute(sql_text, params, many, context)
        finally:
            key = self.kind(sql_text)
            self.kinds[key] += 1
            self.seconds[key] += time.perf_counter() - t

    @staticmethod
    def kind(sql_text: str) -> str:
        words = sql_text.split()
        verb = words[0].upper() if words else "?"
        if verb in ("SAVEPOINT", "RELEASE", "ROLLBACK"):
            return "SAVEPOINT/RELEASE"
        marker = {"INSERT": "INTO", "UPDATE": "UPDATE"}.get(verb, "FROM")
        idx = words.index(marker) + 1 if marker in words else len(words)
        table = words[idx].strip('"') if idx < len(words) else ""
        return f"{verb} {table}".strip()


@contextmanager
def counting() -> Iterator[QueryLog]:
    log = QueryLog()
    with connection.execute_wrapper(log):
        yield log


class EnqueueTimer:
    """Times core.notify's after-commit publishing of one ``deliver`` task per delivery."""

    def __init__(self) -> None:
        self.original = notify_module._enqueue
        self.seconds = 0.0
        self.tasks = 0

    def __call__(self, ids: list[int]) -> None:
        t = time.perf_counter()
        try:
            self.original(ids)
        finally:
            self.seconds += time.perf_counter() - t
            self.tasks += len(ids)


def timed_sweep(now: dt.datetime, **kwargs: Any) -> tuple[float, QueryLog, dict[str, int]]:
    with counting() as log:
        t = time.perf_counter()
        totals = clocks.sweep(now=now, **kwargs)
        elapsed = time.perf_counter() - t
    return elapsed, log, totals


def idle_series(now: dt.datetime, label: str, runs: int) -> None:
    elapsed, log, totals = timed_sweep(now)
    assert totals["clocks"] == 0, totals
    print(f"idle sweep ({label}), first call: {elapsed * 1000:.2f} ms, {log.count} queries")
    times, queries = [], set()
    for _ in range(runs):
        elapsed, log, totals = timed_sweep(now)
        times.append(elapsed * 1000)
        queries.add(log.count)
    print(
        f"idle sweep ({label}) × {runs}: median {statistics.median(times):.2f} ms "
        f"(min {min(times):.2f}, max {max(times):.2f}), queries per sweep: "
        + ", ".join(map(str, sorted(queries)))
    )


def explain(now: dt.datetime, label: str, batch: int = 500) -> None:
    qs = (
        Clock.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(state=ClockState.RUNNING, next_check_at__lte=now)
        .select_related("ticket", "dispatch")
        .order_by("next_check_at")[:batch]
    )
    with transaction.atomic():
        plan = qs.explain(analyze=True)
        transaction.set_rollback(True)
    print(f"EXPLAIN ANALYZE of the sweep's select ({label}):")
    for line in plan.splitlines():
        print(f"    {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fresh", action="store_true", help=f"drop and re-create {DB_NAME} first")
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--idle-runs", type=int, default=20)
    parser.add_argument("--profile", action="store_true", help="cProfile the due sweep")
    args = parser.parse_args()
    if not 0 < args.due <= args.tickets:
        parser.error("--due must be between 1 and --tickets")

    ensure_database(fresh=args.fresh)
    t = time.perf_counter()
    call_command("migrate", verbosity=0)
    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        version = cur.fetchone()[0]
    print(
        f"database: PostgreSQL {version} ({settings.DATABASES['default']['NAME']}), "
        f"migrate {time.perf_counter() - t:.1f} s"
    )
    now, base = seed(args.tickets, args.due)
    rearm(base, now, args.due)

    running = Clock.objects.filter(state=ClockState.RUNNING).count()
    due = Clock.objects.filter(state=ClockState.RUNNING, next_check_at__lte=now).count()
    earliest = (
        Clock.objects.filter(state=ClockState.RUNNING, next_check_at__isnull=False)
        .order_by("next_check_at")
        .values_list("next_check_at", flat=True)
        .first()
    )
    assert earliest is not None
    idle_now = earliest - dt.timedelta(minutes=1)  # nothing is due yet
    print(
        f"volume: {Ticket.objects.count():,} tickets, {running:,} running clocks, {due:,} due at "
        f"{now:%Y-%m-%d %H:%M} UTC; {TicketEvent.objects.count():,} ticket events"
    )

    explain(idle_now, "idle")
    explain(now, f"{due:,} due")

    idle_series(idle_now, "nothing due yet", args.idle_runs)

    profiler = cProfile.Profile() if args.profile else None
    if profiler:
        profiler.enable()
    enqueue = EnqueueTimer()
    notify_module._enqueue = enqueue  # queue()'s on-commit lambda looks it up at call time
    # A budget large enough to finish: the beat task's 50 s would stop a slow sweep early.
    elapsed, log, totals = timed_sweep(now, budget_seconds=3600)
    notify_module._enqueue = enqueue.original
    if profiler:
        profiler.disable()
    print(
        f"due sweep: {elapsed:.2f} s for {totals['clocks']:,} clocks, {totals['steps']:,} steps "
        f"in {totals['batches']} batches; {log.count:,} queries "
        f"({log.count / max(totals['clocks'], 1):.2f} per clock)"
    )
    print(
        f"  wrote {Escalation.objects.filter(at=now).count():,} escalations, "
        f"{Notification.objects.count():,} notifications, {Delivery.objects.count():,} deliveries, "
        f"{Supervision.objects.count():,} supervisions"
    )
    db_time = sum(log.seconds.values())
    print(
        f"  time: {db_time:.2f} s in SQL, {enqueue.seconds:.2f} s publishing {enqueue.tasks:,} "
        f"deliver tasks after commit ({settings.CELERY_BROKER_URL}), "
        f"{elapsed - db_time - enqueue.seconds:.2f} s in Python; SQL by statement:"
    )
    for key, n in log.kinds.most_common(12):
        print(f"    {n:>7,} × {key:<40} {log.seconds[key]:6.2f} s")
    if profiler:
        stats = pstats.Stats(profiler)
        stats.sort_stats(os.environ.get("BENCH_SORT", "cumulative")).print_stats(30)
        if os.environ.get("BENCH_CALLERS"):
            stats.print_callers(os.environ["BENCH_CALLERS"])

    idle_series(now, "after the due sweep", args.idle_runs)


if __name__ == "__main__":
    main()
