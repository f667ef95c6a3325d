import time

from governance import demo as governance_demo
from services import demo
from services.models import Callback, Dispatch, Ticket, TicketEvent
from services.workflow import TRANSITIONS


def test_demo_tickets_cover_every_state_with_consistent_timelines(db):
    city = governance_demo.seed_tree()
    governance_demo.seed_accounts(city)
    started = time.monotonic()
    counts = demo.seed(city)
    assert time.monotonic() - started < 30
    assert counts["tickets"] == Ticket.objects.count() == demo.N_TICKETS
    states = set(Ticket.objects.values_list("state", flat=True))
    assert states == {
        "reported",
        "self_handling",
        "dispatched",
        "returned",
        "in_progress",
        "replied",
        "on_account",
        "closed",
        "done",
    }
    # every timeline starts with the report and ends in the ticket's state
    last = {}
    for ticket_id, verb, to_state in TicketEvent.objects.order_by("at", "id").values_list(
        "ticket_id", "verb", "to_state"
    ):
        if ticket_id not in last:
            assert verb == "report"
        last[ticket_id] = (verb, to_state)
    for ticket_id, state in Ticket.objects.values_list("id", "state"):
        assert last[ticket_id][1] == state, (ticket_id, last[ticket_id], state)
    known = set(TRANSITIONS) | {"report", "approve_return", "reply", "reopen"}
    assert set(TicketEvent.objects.values_list("verb", flat=True)) <= known
    assert (
        Callback.objects.filter(ticket__state="done").count()
        == Ticket.objects.filter(state="done").count()
    )
    assert Dispatch.objects.filter(
        state="awaiting_claim", department__name__startswith="海勃湾区城市管理"
    ).exists()
    numbers = list(Ticket.objects.values_list("number", flat=True))
    assert len(numbers) == len(set(numbers)) and all(len(n) == 19 for n in numbers)


def test_demo_live_dispatches_have_running_clocks_the_sweep_can_escalate(db):
    from services.clocks import sweep
    from services.models import Clock, Escalation

    city = governance_demo.seed_tree()
    governance_demo.seed_accounts(city)
    counts = demo.seed(city)
    live = Dispatch.objects.filter(state__in=["awaiting_claim", "claimed"]).count()
    assert counts["running clocks"] == live == Clock.objects.filter(state="running").count()
    totals = sweep()
    assert totals["steps"] == Escalation.objects.count() > 0
