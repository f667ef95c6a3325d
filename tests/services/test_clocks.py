"""Clocks: reminders, the escalation ladder, once-only steps, extensions."""

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import time_machine
from django.db import connection, connections

from services import actions, clocks
from services.models import Clock, Dispatch, Escalation, Supervision, Ticket, TicketEvent
from tests.factories import UserFactory, grant

T0 = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)  # Monday 10:00 in Shanghai


@pytest.fixture
def on_monday(report, city, personas):
    with time_machine.travel(T0, tick=False):
        ticket = report(urgency="urgent")  # claim within 2 natural hours
        actions.ticket_whistle(
            ticket=ticket,
            actor=personas.street_officer_a,
            whistle_type="resident_demand",
            lead=city.dept_urban,
        )
    return ticket


def sweep_at(when):
    with time_machine.travel(when, tick=False):
        return clocks.sweep()


def test_a_whistle_starts_a_claim_clock_with_a_reminder_at_75_percent(on_monday):
    clock = Clock.objects.get(ticket=on_monday)
    assert (clock.kind, clock.state) == ("claim", "running")
    assert clock.due_at == T0 + dt.timedelta(hours=2)
    assert clock.remind_at == T0 + dt.timedelta(minutes=90)
    assert Dispatch.objects.get(ticket=on_monday).claim_due_at == clock.due_at


def test_the_ladder_reminds_then_escalates_each_step_once(on_monday, personas, city):
    head = UserFactory(username="urban_head", email="head@urban.example.gov.cn")
    grant(head, "department_head", department=city.dept_urban)
    street_leader = UserFactory(username="street_a_leader")
    grant(street_leader, "leader", area=city.street_a)
    district_leader = UserFactory(username="district_a_leader")
    grant(district_leader, "leader", area=city.district)
    assert sweep_at(T0 + dt.timedelta(minutes=80))["steps"] == 0
    assert sweep_at(T0 + dt.timedelta(minutes=91))["steps"] == 1  # reminder
    assert sweep_at(T0 + dt.timedelta(minutes=95))["steps"] == 0  # nothing new
    assert sweep_at(T0 + dt.timedelta(hours=2, minutes=1))["steps"] == 1  # L1 at the deadline
    assert head.notifications.filter(verb="overdue").count() == 1
    # the officers who owe the claim are told at the deadline too, once
    officer = personas.department_officer
    assert list(officer.notifications.values_list("verb", flat=True).order_by("id")) == [
        "dispatched",
        "remind",
        "overdue",
    ]
    from core.models import Delivery

    # by inbox only: the head (L1) is the one emailed
    assert not Delivery.objects.filter(notification__user=officer, notification__verb="overdue")
    assert (
        Delivery.objects.filter(notification__user=head, notification__verb="overdue").count() == 1
    )
    gap = clocks.gap(Clock.objects.get(ticket=on_monday))
    assert gap == dt.timedelta(hours=1)
    assert (street_leader.notifications.count(), district_leader.notifications.count()) == (0, 0)
    assert sweep_at(T0 + dt.timedelta(hours=3, minutes=1))["steps"] == 1  # L2
    assert street_leader.notifications.filter(verb="overdue").count() == 1  # street leadership
    assert personas.street_officer_a.notifications.filter(verb="overdue").count() == 1
    assert district_leader.notifications.count() == 0
    assert sweep_at(T0 + dt.timedelta(hours=4, minutes=1))["steps"] == 1  # L3 + 督办
    assert district_leader.notifications.filter(verb="overdue").count() == 1  # district leadership
    assert sweep_at(T0 + dt.timedelta(days=2))["steps"] == 0  # the ladder has ended
    steps = list(Escalation.objects.order_by("step").values_list("step", flat=True))
    assert steps == [0, 1, 2, 3]
    assert Supervision.objects.get(ticket=on_monday).kind == "overdue"
    assert Ticket.objects.get(pk=on_monday.pk).supervised is True
    verbs = list(
        TicketEvent.objects.filter(ticket=on_monday, verb__in=["remind", "escalate"]).values_list(
            "verb", flat=True
        )
    )
    assert verbs == ["remind", "escalate", "escalate", "escalate"]
    assert personas.leader.notifications.count() == 0  # a city leader is not the district's


def test_a_late_first_sweep_takes_every_due_level_at_once(on_monday):
    assert sweep_at(T0 + dt.timedelta(hours=5))["steps"] == 3  # L1, L2, L3; no stale reminder
    assert not Escalation.objects.filter(step=0).exists()


def test_claiming_stops_the_claim_clock_and_starts_the_handle_clock(on_monday, personas):
    with time_machine.travel(T0 + dt.timedelta(minutes=30), tick=False):
        actions.ticket_claim(
            dispatch=Dispatch.objects.get(ticket=on_monday), actor=personas.department_officer
        )
    claim = Clock.objects.get(ticket=on_monday, kind="claim")
    handle = Clock.objects.get(ticket=on_monday, kind="handle")
    assert (claim.state, claim.next_check_at) == ("met", None)
    assert handle.state == "running"
    assert handle.due_at == T0 + dt.timedelta(minutes=30, hours=24)  # urgent: 24 natural hours
    assert sweep_at(T0 + dt.timedelta(hours=3))["steps"] == 0  # the claim clock no longer escalates


def test_an_approved_extension_moves_the_deadline_and_restarts_the_ladder(on_monday, personas):
    dispatch = Dispatch.objects.get(ticket=on_monday)
    with time_machine.travel(T0 + dt.timedelta(minutes=10), tick=False):
        actions.ticket_claim(dispatch=dispatch, actor=personas.department_officer)
    dispatch.refresh_from_db()
    new_due = dispatch.handle_due_at + dt.timedelta(days=3)
    with time_machine.travel(T0 + dt.timedelta(hours=1), tick=False):
        request = actions.ticket_request_extension(
            dispatch=dispatch,
            actor=personas.department_officer,
            requested_due_at=new_due,
            reason="需协调",
        )
        actions.ticket_review_extension(
            request=request, actor=personas.street_officer_a, approve=True
        )
    handle = Clock.objects.get(ticket=on_monday, kind="handle")
    assert handle.due_at == new_due
    assert sweep_at(T0 + dt.timedelta(days=1, hours=1))["steps"] == 0  # the old deadline is gone


def test_closing_starts_the_callback_clock_and_the_callback_stops_it(on_monday, personas):
    dispatch = Dispatch.objects.get(ticket=on_monday)
    actions.ticket_claim(dispatch=dispatch, actor=personas.department_officer)
    actions.ticket_reply(dispatch=dispatch, actor=personas.department_officer, result="已处理")
    actions.ticket_close(ticket=on_monday, actor=personas.street_officer_a)
    assert Clock.objects.get(ticket=on_monday, kind="callback").state == "running"
    assert (
        not Clock.objects.filter(ticket=on_monday, state="running")
        .exclude(kind="callback")
        .exists()
    )
    actions.ticket_callback(
        ticket=on_monday,
        actor=personas.street_officer_a,
        resolution="resolved",
        satisfaction="satisfied",
    )
    assert not Clock.objects.filter(ticket=on_monday, state="running").exists()


def test_an_emergency_whistle_counts_minutes(report, city, personas):
    with time_machine.travel(T0, tick=False):
        ticket = report()
        actions.ticket_whistle(
            ticket=ticket,
            actor=personas.street_officer_a,
            whistle_type="emergency",
            lead=city.dept_urban,
        )
    clock = Clock.objects.get(ticket=ticket)
    assert (clock.kind, clock.due_at) == ("whistle_report", T0 + dt.timedelta(minutes=30))


@pytest.mark.parametrize("how", ["command", "admin"])
def test_loading_a_year_recomputes_provisional_deadlines(
    report, city, personas, categories, tmp_path, client, how
):
    from django.core.management import call_command

    from core import workcalendar
    from core.models import WorkCalendarDay

    WorkCalendarDay.objects.filter(day__year=2026).delete()
    workcalendar.invalidate()
    start = dt.datetime(2025, 12, 29, 2, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        ticket = report(category=categories["E0304"])  # 违法搭建: 15 working days
        actions.ticket_whistle(
            ticket=ticket,
            actor=personas.street_officer_a,
            whistle_type="resident_demand",
            lead=city.dept_urban,
        )
        actions.ticket_claim(
            dispatch=Dispatch.objects.get(ticket=ticket), actor=personas.department_officer
        )
    handle = Clock.objects.get(ticket=ticket, kind="handle")
    assert handle.provisional is True
    lines = "2026-01-01,0,元旦\n2026-01-02,0,元旦\n"
    if how == "command":
        arrangement = tmp_path / "2026.csv"
        arrangement.write_text(lines, encoding="utf-8")
        call_command("load_calendar", "2026", "--file", str(arrangement))
    else:  # an administrator pastes the arrangement in the admin
        client.force_login(UserFactory(username="calendar_admin", is_staff=True, is_superuser=True))
        url = "/admin/core/workcalendarday/load-year/"
        bad = client.post(
            url, {"year": 2026, "text": "2026-02-30,0,x\n"}, HTTP_ACCEPT_LANGUAGE="en"
        )
        assert bad.status_code == 200 and "line 1:" in bad.content.decode()
        assert not WorkCalendarDay.objects.filter(day__year=2026).exists()  # nothing written
        done = client.post(url, {"year": 2026, "text": lines})
        assert done.status_code == 302
        assert WorkCalendarDay.objects.filter(day__year=2026).count() == 365
    provisional_due = handle.due_at
    handle.refresh_from_db()
    assert handle.provisional is False
    assert handle.due_at > provisional_due  # 2 January is a holiday after all
    event = TicketEvent.objects.get(ticket=ticket, verb="deadline_recomputed")
    assert event.data["new_due_at"] == handle.due_at.isoformat()
    assert "now exact" in event.note or "精确" in event.note


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="skip_locked needs PostgreSQL (CI runs it)"
)
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_never_take_a_step_twice(report, city, personas):
    with time_machine.travel(T0, tick=False):
        for _ in range(40):
            ticket = report(urgency="urgent")
            actions.ticket_whistle(
                ticket=ticket,
                actor=personas.street_officer_a,
                whistle_type="resident_demand",
                lead=city.dept_urban,
            )
    barrier = threading.Barrier(2)

    def run(_):
        try:
            barrier.wait()
            with time_machine.travel(T0 + dt.timedelta(hours=5), tick=False):
                return clocks.sweep(batch=7)["steps"]
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(run, range(2)))
    assert sum(results) == 40 * 3
    assert Escalation.objects.count() == 40 * 3


def test_ticket_detail_shows_its_clocks(on_monday, personas, api_as):
    with time_machine.travel(T0 + dt.timedelta(hours=3), tick=False):
        body = api_as(personas.street_officer_a).get(f"/api/v1/tickets/{on_monday.pk}/").json()
    [clock] = body["clocks"]
    assert (clock["kind"], clock["state"], clock["overdue"], clock["provisional"]) == (
        "claim",
        "running",
        True,
        False,
    )
    assert clock["department"] == "区城市管理局"


def test_supervision_list_and_summary(on_monday, report, personas, api_as, city):
    fresh = report()  # not overdue, not supervised: not on the list
    with time_machine.travel(T0 + dt.timedelta(hours=3), tick=False):
        client = api_as(personas.street_officer_a)
        items = client.get("/api/v1/supervision/").json()["results"]
        summary = client.get("/api/v1/supervision/summary/").json()
    assert [i["id"] for i in items] == [on_monday.pk]
    assert items[0]["overdue_minutes"] == 60
    assert items[0]["street"] == "新华街道"
    assert items[0]["departments"] == ["区城市管理局"]
    assert summary["total"] == 1
    assert summary["by_street"] == [{"name": "新华街道", "overdue": 1, "supervised": 0}]
    assert summary["by_department"] == [{"name": "区城市管理局", "overdue": 1, "supervised": 0}]
    assert fresh.pk not in [i["id"] for i in items]
    with time_machine.travel(T0 + dt.timedelta(hours=3), tick=False):
        assert api_as(personas.street_officer_b).get("/api/v1/supervision/").json()["results"] == []


def test_supervision_list_query_count_is_constant(report, city, personas, api_as):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def make(n):
        with time_machine.travel(T0, tick=False):
            for _ in range(n):
                t = report(urgency="urgent")
                actions.ticket_whistle(
                    ticket=t,
                    actor=personas.street_officer_a,
                    whistle_type="key_task",
                    lead=city.dept_urban,
                )

    def count():
        with (
            time_machine.travel(T0 + dt.timedelta(hours=5), tick=False),
            CaptureQueriesContext(connection) as ctx,
        ):
            assert (
                api_as(personas.leader).get("/api/v1/supervision/?page_size=100").status_code == 200
            )
        return len(ctx.captured_queries)

    make(2)
    count()  # warm per-process caches (content types, calendar)
    before = count()
    make(6)
    assert count() == before


def test_health_and_admin_warn_when_a_year_is_not_loaded(db, client, settings):
    from django.contrib.auth import get_user_model

    from core import workcalendar
    from core.models import WorkCalendarDay

    with time_machine.travel(dt.datetime(2026, 11, 22, 4, 0, tzinfo=dt.UTC), tick=False):
        body = client.get("/healthz").json()
        assert body["checks"]["calendar"] == "warning"
        assert any("2027" in w for w in body["warnings"])
        admin_user = get_user_model().objects.create_superuser(
            "root", "r@example.com", "pw-root-123"
        )
        client.force_login(admin_user)
        assert "2027" in client.get("/admin/").content.decode()
        WorkCalendarDay.objects.all().delete()
        workcalendar.invalidate()
        assert any("2026" in w for w in client.get("/healthz").json()["warnings"])


def test_a_category_can_set_its_own_claim_limit(report, city, personas, categories):
    from services.models import Category

    Category.objects.filter(pk=categories["E01"].pk).update(
        claim_amount=1, claim_unit="natural_minutes"
    )
    with time_machine.travel(T0, tick=False):
        ticket = report()  # 暴露垃圾 sits under E01: the parent's claim limit applies
        actions.ticket_whistle(
            ticket=ticket,
            actor=personas.street_officer_a,
            whistle_type="resident_demand",
            lead=city.dept_urban,
        )
    clock = Clock.objects.get(ticket=ticket)
    assert (clock.kind, clock.due_at) == ("claim", T0 + dt.timedelta(minutes=1))


def test_a_return_stops_the_clock_and_a_re_dispatch_starts_a_new_one(on_monday, city, personas):
    """The claim clock keeps running while the street reviews a return request
    (asking to return does not buy time); an approved return stops it, and
    the re-dispatch starts a fresh clock for the new department."""
    first = Dispatch.objects.get(ticket=on_monday)
    with time_machine.travel(T0 + dt.timedelta(minutes=20), tick=False):
        request = actions.ticket_request_return(
            dispatch=first,
            actor=personas.department_officer,
            reason="不属于本部门职责",
            legal_basis="《城市管理执法办法》第八条",
        )
    assert Clock.objects.get(dispatch=first).state == "running"
    with time_machine.travel(T0 + dt.timedelta(minutes=40), tick=False):
        actions.ticket_review_return(request=request, actor=personas.street_officer_a, approve=True)
    old = Clock.objects.get(dispatch=first)
    assert (old.state, old.next_check_at) == ("stopped", None)
    assert sweep_at(T0 + dt.timedelta(hours=3))["steps"] == 0  # a stopped clock never escalates
    with time_machine.travel(T0 + dt.timedelta(hours=3), tick=False):
        actions.ticket_whistle(
            ticket=Ticket.objects.get(pk=on_monday.pk),
            actor=personas.street_officer_a,
            whistle_type="resident_demand",
            lead=city.dept_market,
        )
    new = Clock.objects.get(dispatch__department=city.dept_market)
    assert (new.kind, new.state) == ("claim", "running")
    assert new.started_at == T0 + dt.timedelta(hours=3)
    assert new.due_at == T0 + dt.timedelta(hours=5)  # urgent: claim within 2 natural hours
    verbs = list(TicketEvent.objects.filter(ticket=on_monday).values_list("verb", flat=True))
    assert verbs[-3:] == ["request_return", "approve_return", "whistle"]


@pytest.mark.parametrize(
    ("urgency", "limit"),
    [
        ("emergency", (2, "natural_hours")),  # 突发 2 h
        ("urgent", (24, "natural_hours")),  # 紧急 24 h
        ("normal", (7, "working_days")),  # 一般 7 working days
        ("complex", (15, "working_days")),  # 疑难 15 working days
    ],
)
def test_handling_limits_default_to_the_12345_rules(urgency, limit):
    from services import deadlines
    from services.models import Category

    plain = Category(code="Z9999", name="no policy of its own")
    assert deadlines.handle_policy(urgency, plain) == limit


def test_the_reminder_share_is_configurable(report, city, personas, settings):
    settings.CLOCK_REMIND_SHARE = 0.5
    with time_machine.travel(T0, tick=False):
        ticket = report(urgency="urgent")
        actions.ticket_whistle(
            ticket=ticket,
            actor=personas.street_officer_a,
            whistle_type="resident_demand",
            lead=city.dept_urban,
        )
    clock = Clock.objects.get(ticket=ticket)
    assert clock.remind_at == T0 + dt.timedelta(hours=1)  # half of the 2-hour claim


def test_a_provisional_deadline_is_logged_and_flagged_on_the_api(
    report, city, personas, categories, api_as, caplog
):
    from core import workcalendar
    from core.models import WorkCalendarDay

    WorkCalendarDay.objects.filter(day__year=2026).delete()
    workcalendar.invalidate()
    with time_machine.travel(dt.datetime(2025, 12, 29, 2, 0, tzinfo=dt.UTC), tick=False):
        ticket = report(category=categories["E0304"])  # 15 working days: into 2026
        actions.ticket_whistle(
            ticket=ticket,
            actor=personas.street_officer_a,
            whistle_type="resident_demand",
            lead=city.dept_urban,
        )
        with caplog.at_level("WARNING", logger="services.clocks"):
            actions.ticket_claim(
                dispatch=Dispatch.objects.get(ticket=ticket), actor=personas.department_officer
            )
    assert any(
        "provisional handle deadline" in r.getMessage() and ticket.number in r.getMessage()
        for r in caplog.records
    )
    body = api_as(personas.street_officer_a).get(f"/api/v1/tickets/{ticket.pk}/").json()
    handle = next(c for c in body["clocks"] if c["kind"] == "handle")
    assert handle["provisional"] is True
