"""Deadlines are written only by services.clocks, and "overdue" means one
thing everywhere: a clock still running past its deadline."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import time_machine

from services import actions, selectors
from services.models import Clock, Dispatch, OnAccountRequest, Ticket

ROOT = Path(__file__).resolve().parents[2]
_WRITE = re.compile(r"\b(claim_due_at|handle_due_at)\s*=(?!=)")


def test_no_module_but_the_clocks_writes_a_dispatch_deadline():
    offenders = []
    for app in ("core", "governance", "grids", "partyorg", "services", "integrations"):
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts or path.name == "clocks.py":
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if _WRITE.search(line) and "DateTimeField" not in line:
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, offenders


def _running(dispatch: Dispatch, kind: str) -> Clock:
    return Clock.objects.get(dispatch=dispatch, kind=kind, state="running")


def test_the_dispatch_shows_its_running_clocks_deadline_through_the_loop(whistled, personas):
    lead = Dispatch.objects.get(ticket=whistled)
    assert lead.claim_due_at == _running(lead, "claim").due_at
    actions.ticket_claim(dispatch=lead, actor=personas.department_officer)
    lead.refresh_from_db()
    assert lead.handle_due_at == _running(lead, "handle").due_at
    actions.ticket_request_on_account(
        dispatch=lead, actor=personas.department_officer, reason="改造"
    )
    actions.ticket_review_on_account(
        request=OnAccountRequest.objects.get(dispatch=lead),
        actor=personas.street_officer_a,
        approve=True,
    )
    lead.refresh_from_db()
    # parked: the handling deadline is withdrawn, not left to go overdue
    assert lead.handle_due_at is None
    assert not Clock.objects.filter(dispatch=lead, kind="handle", state="running").exists()
    actions.ticket_resume(ticket=whistled, actor=personas.street_officer_a)
    lead.refresh_from_db()
    assert lead.handle_due_at == _running(lead, "handle").due_at


def test_overdue_is_the_same_for_the_case_list_the_queue_and_the_clock_rows(whistled, personas):
    lead = Dispatch.objects.get(ticket=whistled)
    claim = _running(lead, "claim")
    after = claim.due_at + dt.timedelta(minutes=1)
    with time_machine.travel(after):
        now = after
        assert Ticket.objects.filter(selectors.ticket_overdue_q(now), pk=whistled.pk).exists()
        assert Dispatch.objects.filter(selectors.dispatch_overdue_q(now), pk=lead.pk).exists()
        rows = {r["kind"]: r["overdue"] for r in selectors.clock_rows(whistled)}
        assert rows == {"claim": True}
        actions.ticket_claim(dispatch=lead, actor=personas.department_officer)
        # the late claim clock stopped: nothing is overdue any more
        assert not Ticket.objects.filter(selectors.ticket_overdue_q(now), pk=whistled.pk).exists()
        assert not Dispatch.objects.filter(selectors.dispatch_overdue_q(now), pk=lead.pk).exists()
        rows = {r["kind"]: r["overdue"] for r in selectors.clock_rows(whistled)}
        assert rows == {"claim": False, "handle": False}
