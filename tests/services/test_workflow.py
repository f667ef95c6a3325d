"""The transition table, edge by edge (in the style of Signalen's
``tests/test_workflow.py``): every allowed edge is listed here by hand, the
table must allow exactly these, and the actions must write exactly what the
table says, for the ticket and for its lead dispatch. A forbidden edge is
refused with nothing written."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from core.errors import AccessDenied, Conflict, InvalidTransition
from services import actions, verbs, workflow
from services.models import (
    Dispatch,
    DispatchRole,
    DispatchState,
    ExtensionRequest,
    OnAccountRequest,
    ReturnRequest,
    Ticket,
    TicketEvent,
    TicketState,
)
from services.workflow import Capacity

T, D = TicketState, DispatchState

LEAD, ASSIST = DispatchRole.LEAD, DispatchRole.ASSIST

#: (verb, ticket from, subject dispatch (state, role) or None) → (ticket to, dispatch to)
EDGES: dict[tuple[str, str, tuple[str, str] | None], tuple[str, str | None]] = {
    ("self_handle", T.REPORTED, None): (T.SELF_HANDLING, None),
    ("self_close", T.SELF_HANDLING, None): (T.CLOSED, None),
    ("whistle", T.REPORTED, None): (T.DISPATCHED, None),
    ("whistle", T.SELF_HANDLING, None): (T.DISPATCHED, None),
    ("whistle", T.RETURNED, None): (T.DISPATCHED, None),
    ("claim", T.DISPATCHED, (D.AWAITING_CLAIM, LEAD)): (T.IN_PROGRESS, D.CLAIMED),
    ("claim", T.DISPATCHED, (D.AWAITING_CLAIM, ASSIST)): (T.DISPATCHED, D.CLAIMED),
    ("claim", T.IN_PROGRESS, (D.AWAITING_CLAIM, ASSIST)): (T.IN_PROGRESS, D.CLAIMED),
    ("claim", T.REPLIED, (D.AWAITING_CLAIM, ASSIST)): (T.REPLIED, D.CLAIMED),
    ("request_return", T.DISPATCHED, (D.AWAITING_CLAIM, LEAD)): (T.DISPATCHED, D.RETURN_REQUESTED),
    ("request_return", T.IN_PROGRESS, (D.CLAIMED, LEAD)): (T.IN_PROGRESS, D.RETURN_REQUESTED),
    ("request_return", T.IN_PROGRESS, (D.CLAIMED, ASSIST)): (T.IN_PROGRESS, D.RETURN_REQUESTED),
    ("approve_return", T.DISPATCHED, (D.RETURN_REQUESTED, LEAD)): (T.RETURNED, D.RETURNED),
    ("approve_return", T.IN_PROGRESS, (D.RETURN_REQUESTED, LEAD)): (T.RETURNED, D.RETURNED),
    ("approve_return", T.IN_PROGRESS, (D.RETURN_REQUESTED, ASSIST)): (T.IN_PROGRESS, D.RETURNED),
    ("reject_return", T.DISPATCHED, (D.RETURN_REQUESTED, LEAD)): (T.DISPATCHED, D.AWAITING_CLAIM),
    ("reject_return", T.IN_PROGRESS, (D.RETURN_REQUESTED, LEAD)): (
        T.DISPATCHED,
        D.AWAITING_CLAIM,
    ),
    ("reject_return", T.IN_PROGRESS, (D.RETURN_REQUESTED, ASSIST)): (
        T.IN_PROGRESS,
        D.AWAITING_CLAIM,
    ),
    ("progress", T.IN_PROGRESS, (D.CLAIMED, LEAD)): (T.IN_PROGRESS, None),
    ("reply", T.IN_PROGRESS, (D.CLAIMED, LEAD)): (T.REPLIED, D.REPLIED),
    ("reply", T.IN_PROGRESS, (D.CLAIMED, ASSIST)): (T.IN_PROGRESS, D.REPLIED),
    ("close", T.REPLIED, None): (T.CLOSED, None),
    ("rework", T.REPLIED, (D.REPLIED, LEAD)): (T.IN_PROGRESS, D.CLAIMED),
    ("callback", T.CLOSED, None): (T.DONE, None),
    ("reopen", T.CLOSED, (D.DONE, LEAD)): (T.IN_PROGRESS, D.CLAIMED),
    ("reopen", T.CLOSED, None): (T.SELF_HANDLING, None),
    ("request_extension", T.IN_PROGRESS, (D.CLAIMED, LEAD)): (T.IN_PROGRESS, None),
    ("approve_extension", T.IN_PROGRESS, (D.CLAIMED, LEAD)): (T.IN_PROGRESS, None),
    ("approve_extension", T.REPLIED, (D.REPLIED, LEAD)): (T.REPLIED, None),
    ("reject_extension", T.IN_PROGRESS, (D.CLAIMED, LEAD)): (T.IN_PROGRESS, None),
    ("reject_extension", T.REPLIED, (D.REPLIED, LEAD)): (T.REPLIED, None),
    ("request_on_account", T.IN_PROGRESS, (D.CLAIMED, LEAD)): (T.IN_PROGRESS, None),
    ("approve_on_account", T.IN_PROGRESS, (D.CLAIMED, LEAD)): (T.ON_ACCOUNT, None),
    ("reject_on_account", T.IN_PROGRESS, (D.CLAIMED, LEAD)): (T.IN_PROGRESS, None),
    ("resume", T.ON_ACCOUNT, (D.CLAIMED, LEAD)): (T.IN_PROGRESS, None),
    **{
        ("supervise", state, None): (state, None)
        for state in (
            T.REPORTED,
            T.SELF_HANDLING,
            T.DISPATCHED,
            T.RETURNED,
            T.IN_PROGRESS,
            T.REPLIED,
            T.ON_ACCOUNT,
        )
    },
}

EVERYONE = frozenset(Capacity)


def test_the_table_allows_exactly_the_listed_ticket_edges():
    table = {
        (verb, state)
        for verb, t in workflow.TRANSITIONS.items()
        if verb != "report"
        for state in t.ticket_from
    }
    assert table == {(verb, state) for verb, state, _subject in EDGES}


@pytest.mark.parametrize(("edge", "target"), list(EDGES.items()), ids=lambda x: str(x))
def test_every_allowed_edge_goes_where_the_list_says(edge, target):
    verb, state, subject = edge
    move = workflow.check(
        verb,
        ticket_state=state,
        capacities=EVERYONE,
        dispatch_state=subject[0] if subject else None,
        dispatch_role=subject[1] if subject else None,
    )
    assert (move.ticket_to, move.dispatch_to) == target


_FORBIDDEN = [
    (verb, state)
    for verb in sorted(set(workflow.TRANSITIONS) - {"report"})
    for state in TicketState.values
    if state not in workflow.TRANSITIONS[verb].ticket_from
]


@pytest.mark.parametrize(("verb", "state"), _FORBIDDEN)
def test_every_forbidden_ticket_edge_is_refused(verb, state):
    with pytest.raises(InvalidTransition) as exc:
        workflow.check(
            verb,
            ticket_state=state,
            capacities=EVERYONE,
            dispatch_state=D.CLAIMED,
            dispatch_role=LEAD,
        )
    assert exc.value.extra["state"] == state


@pytest.mark.parametrize("verb", sorted(workflow.DEPARTMENT_VERBS))
@pytest.mark.parametrize("dispatch_state", D.values)
def test_department_steps_need_their_dispatch_in_a_starting_state(verb, dispatch_state):
    transition = workflow.TRANSITIONS[verb]
    state = sorted(transition.ticket_from)[0]
    run = lambda: workflow.check(  # noqa: E731
        verb,
        ticket_state=state,
        capacities={Capacity.DEPARTMENT},
        dispatch_state=dispatch_state,
        dispatch_role=LEAD,
    )
    if dispatch_state in transition.dispatch_from:
        run()
    else:
        with pytest.raises(InvalidTransition):
            run()


@pytest.mark.parametrize("verb", sorted(set(workflow.TRANSITIONS) - {"report"}))
def test_nobody_without_the_capacity_takes_a_step(verb):
    transition = workflow.TRANSITIONS[verb]
    others = EVERYONE - transition.who
    with pytest.raises(AccessDenied):
        workflow.check(
            verb,
            ticket_state=sorted(transition.ticket_from)[0],
            capacities=others,
            dispatch_state=sorted(transition.dispatch_from)[0]
            if transition.dispatch_from
            else None,
            dispatch_role=LEAD,
        )


def test_only_the_lead_parks_a_case():
    with pytest.raises(InvalidTransition):
        workflow.check(
            "request_on_account",
            ticket_state=T.IN_PROGRESS,
            capacities={Capacity.DEPARTMENT},
            dispatch_state=D.CLAIMED,
            dispatch_role=ASSIST,
        )
    allowed = workflow.allowed_verbs(
        ticket_state=T.IN_PROGRESS,
        capacities={Capacity.DEPARTMENT},
        own_dispatch_state=D.CLAIMED,
        own_dispatch_role=ASSIST,
    )
    assert "request_on_account" not in allowed and "reply" in allowed


def test_every_verb_is_in_the_registry_and_every_registry_verb_in_the_table():
    assert set(verbs.VERBS) == set(workflow.TRANSITIONS)
    reviewed = {v for r in verbs.REVIEWS.values() for v in (r.approve, r.reject)}
    # a verb is a step of its own, the intake's report, or decided in a review
    assert set(verbs.STEPS) | reviewed | {"report"} == set(workflow.TRANSITIONS)
    assert not set(verbs.STEPS) & reviewed


def test_the_api_offers_one_endpoint_per_step_and_review(client):
    from django.urls import reverse

    for verb in verbs.STEPS.values():
        url = reverse(f"v1:ticket-{verb.path.replace('_', '-')}", args=[1])
        assert url == f"/api/v1/tickets/1/{verb.path}/"
    for kind in verbs.REVIEWS:
        url = reverse(f"v1:ticket-review-{kind.replace('_', '-')}", args=[1])
        assert url == f"/api/v1/tickets/1/review_{kind}/"


# --- the actions write what the table says ------------------------------------


def _ticket_in(
    state: str, report: Any, city: Any, p: Any, *, ask_extension: bool = False
) -> Ticket:
    """A ticket brought to ``state`` through the actions, its lead (if any)
    dispatched to the district's urban management department
    (``ask_extension``: the lead asked for more time while handling)."""
    ticket = report()
    if state == T.REPORTED:
        return ticket
    if state in (T.SELF_HANDLING,):
        actions.ticket_self_handle(ticket=ticket, actor=p.grid_worker_a)
        return ticket
    actions.ticket_whistle(
        ticket=ticket,
        actor=p.street_officer_a,
        whistle_type="resident_demand",
        lead=city.dept_urban,
    )
    lead = Dispatch.objects.get(ticket=ticket, role=LEAD)
    if state == T.DISPATCHED:
        return ticket
    if state == T.RETURNED:
        actions.ticket_request_return(
            dispatch=lead, actor=p.department_officer, reason="非本部门职责", legal_basis="三定方案"
        )
        actions.ticket_review_return(
            request=ReturnRequest.objects.get(dispatch=lead), actor=p.street_officer_a, approve=True
        )
        return ticket
    actions.ticket_claim(dispatch=lead, actor=p.department_officer)
    if state == T.IN_PROGRESS:
        return ticket
    if state == T.ON_ACCOUNT:
        actions.ticket_request_on_account(dispatch=lead, actor=p.department_officer, reason="改造")
        actions.ticket_review_on_account(
            request=OnAccountRequest.objects.get(dispatch=lead),
            actor=p.street_officer_a,
            approve=True,
        )
        return ticket
    if ask_extension:
        actions.ticket_request_extension(
            dispatch=lead,
            actor=p.department_officer,
            requested_due_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
            reason="需协调",
        )
    actions.ticket_reply(dispatch=lead, actor=p.department_officer, result="已清运")
    if state == T.REPLIED:
        return ticket
    actions.ticket_close(ticket=ticket, actor=p.street_officer_a)
    if state == T.CLOSED:
        return ticket
    actions.ticket_callback(
        ticket=ticket, actor=p.street_officer_a, resolution="resolved", satisfaction="satisfied"
    )
    assert state == T.DONE
    return ticket


def _pending(model: Any, ticket: Ticket, make: Callable[[], Any]) -> Any:
    return model.objects.filter(dispatch__ticket=ticket, state="pending").first() or make()


def _runner(verb: str, ticket: Ticket, city: Any, p: Any) -> Callable[[], Any]:
    """The call that takes ``verb`` on ``ticket`` as the person whose step it is."""
    lead: Any = Dispatch.objects.filter(ticket=ticket, role=LEAD).order_by("-id").first()
    street, dept = p.street_officer_a, p.department_officer
    later = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)

    def review(model: Any, approve: bool, ask: Callable[[], Any]) -> Callable[[], Any]:
        action = next(r.action for r in verbs.REVIEWS.values() if r.model is model)
        # the department asks first (when it still can), then the street decides
        return lambda: action(
            request=_pending(model, ticket, ask), actor=street, approve=approve, note=""
        )

    ask_return = lambda: actions.ticket_request_return(  # noqa: E731
        dispatch=lead, actor=dept, reason="非本部门职责", legal_basis="三定方案"
    )
    ask_more_time = lambda: actions.ticket_request_extension(  # noqa: E731
        dispatch=lead, actor=dept, requested_due_at=later, reason="需协调"
    )
    ask_to_park = lambda: actions.ticket_request_on_account(  # noqa: E731
        dispatch=lead, actor=dept, reason="改造"
    )
    runs: dict[str, Callable[[], Any]] = {
        "self_handle": lambda: actions.ticket_self_handle(ticket=ticket, actor=p.grid_worker_a),
        "self_close": lambda: actions.ticket_self_close(
            ticket=ticket, actor=p.grid_worker_a, result="已清理"
        ),
        "whistle": lambda: actions.ticket_whistle(
            ticket=ticket, actor=street, whistle_type="resident_demand", lead=city.dept_market
        ),
        "claim": lambda: actions.ticket_claim(dispatch=lead, actor=dept),
        "request_return": ask_return,
        "approve_return": review(ReturnRequest, True, ask_return),
        "reject_return": review(ReturnRequest, False, ask_return),
        "progress": lambda: actions.ticket_progress(dispatch=lead, actor=dept, note="进行中"),
        "reply": lambda: actions.ticket_reply(dispatch=lead, actor=dept, result="已处理"),
        "close": lambda: actions.ticket_close(ticket=ticket, actor=street),
        "rework": lambda: actions.ticket_rework(ticket=ticket, actor=street, note="未处理完"),
        "callback": lambda: actions.ticket_callback(
            ticket=ticket, actor=street, resolution="resolved", satisfaction="satisfied"
        ),
        "reopen": lambda: actions.ticket_reopen(
            ticket=ticket, actor=street, resolution="unresolved", note="仍未解决"
        ),
        "request_extension": ask_more_time,
        "approve_extension": review(ExtensionRequest, True, ask_more_time),
        "reject_extension": review(ExtensionRequest, False, ask_more_time),
        "request_on_account": ask_to_park,
        "approve_on_account": review(OnAccountRequest, True, ask_to_park),
        "reject_on_account": review(OnAccountRequest, False, ask_to_park),
        "resume": lambda: actions.ticket_resume(ticket=ticket, actor=street),
        "supervise": lambda: actions.ticket_supervise(ticket=ticket, actor=p.leader),
    }
    return runs[verb]


_WALK = [
    (verb, state)
    for verb in sorted(set(workflow.TRANSITIONS) - {"report"})
    for state in TicketState.values
]


@pytest.mark.parametrize(("verb", "state"), _WALK)
def test_the_actions_write_what_the_table_says(verb, state, report, city, personas):
    ask = verb in ("approve_extension", "reject_extension")
    ticket = _ticket_in(state, report, city, personas, ask_extension=ask)
    lead = Dispatch.objects.filter(ticket=ticket, role=LEAD).order_by("-id").first()
    subject = workflow.TRANSITIONS[verb].subject
    run = _runner(verb, ticket, city, personas)
    needs_lead = subject != workflow.Subject.NONE and subject != workflow.Subject.LEAD_IF_ANY
    if needs_lead and lead is None:
        # no dispatch to act on: the table refuses the ticket state already
        assert state not in workflow.TRANSITIONS[verb].ticket_from
        return
    key_subject = (lead.state, lead.role) if subject != workflow.Subject.NONE and lead else None
    if verb in ("approve_return", "reject_return") and lead.state in (D.AWAITING_CLAIM, D.CLAIMED):
        key_subject = (D.RETURN_REQUESTED, LEAD)  # the department asks first
    expected = EDGES.get((verb, state, key_subject))
    try:
        run()
    except (InvalidTransition, Conflict) as refused:
        # a claimed dispatch answers "already claimed": refused, more precisely
        assert isinstance(refused, InvalidTransition) or refused.code == "already_claimed"
        assert expected is None, f"{verb} from {state} was refused but the table allows it"
        return
    assert expected is not None, f"{verb} from {state} ran but the table forbids it"
    ticket.refresh_from_db()
    assert ticket.state == expected[0]
    assert TicketEvent.objects.filter(ticket=ticket).last().verb == verb
    if expected[1] is not None:
        lead.refresh_from_db()
        assert lead.state == expected[1]


@pytest.mark.parametrize("state", [T.REPORTED, T.DONE, T.ON_ACCOUNT])
def test_a_refused_step_writes_nothing(state, report, city, personas):
    ticket = _ticket_in(state, report, city, personas)
    before = (
        Ticket.objects.filter(pk=ticket.pk).values_list("state", "version").get(),
        TicketEvent.objects.filter(ticket=ticket).count(),
        Dispatch.objects.filter(ticket=ticket).count(),
    )
    with pytest.raises(InvalidTransition):
        actions.ticket_close(ticket=ticket, actor=personas.street_officer_a)
    after = (
        Ticket.objects.filter(pk=ticket.pk).values_list("state", "version").get(),
        TicketEvent.objects.filter(ticket=ticket).count(),
        Dispatch.objects.filter(ticket=ticket).count(),
    )
    assert before == after
