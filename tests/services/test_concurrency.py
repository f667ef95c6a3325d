"""Races decided by the database, with real threads on PostgreSQL."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import IntegrityError, InternalError, connection, connections, transaction

from core.errors import Conflict
from services import actions
from services.models import Dispatch, Ticket, TicketEvent
from tests.factories import UserFactory, grant

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="row locks and parallel writers need PostgreSQL (CI runs it)",
)


@pytest.mark.django_db(transaction=True)
def test_twenty_officers_claim_one_dispatch_and_exactly_one_wins(whistled, city):
    dispatch = Dispatch.objects.get(ticket=whistled, role="lead")
    officers = [UserFactory(username=f"officer{i}") for i in range(20)]
    for officer in officers:
        grant(officer, "department_officer", department=city.dept_urban)
    barrier = threading.Barrier(20)

    def claim(officer):
        try:
            barrier.wait()
            actions.ticket_claim(
                dispatch=Dispatch.objects.select_related("ticket").get(pk=dispatch.pk),
                actor=officer,
            )
            return "won"
        except Conflict as exc:
            return exc.code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(claim, officers))
    assert results.count("won") == 1
    assert results.count("already_claimed") == 19
    dispatch.refresh_from_db()
    assert dispatch.state == "claimed"
    assert TicketEvent.objects.filter(ticket=whistled, verb="claim").count() == 1
    assert Ticket.objects.get(pk=whistled.pk).state == "in_progress"


@pytest.mark.django_db(transaction=True)
def test_concurrent_intake_gets_distinct_consecutive_numbers(report):
    barrier = threading.Barrier(10)

    def one(_):
        try:
            barrier.wait()
            return report().number
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=10) as pool:
        numbers = list(pool.map(one, range(10)))
    assert len(set(numbers)) == 10
    serials = sorted(int(n[-5:]) for n in numbers)
    assert serials == list(range(1, 11))


@pytest.mark.django_db(transaction=True)
def test_the_database_refuses_to_update_or_delete_an_event(whistled):
    event = TicketEvent.objects.filter(ticket=whistled).first()
    with pytest.raises((IntegrityError, InternalError)) as exc, transaction.atomic():
        TicketEvent.objects.filter(pk=event.pk).update(note="rewritten")
    assert "append-only" in str(exc.value)
    with pytest.raises((IntegrityError, InternalError)), transaction.atomic():
        TicketEvent.objects.filter(pk=event.pk).delete()
    assert TicketEvent.objects.get(pk=event.pk).note == event.note
