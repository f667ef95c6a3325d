"""The street's review page (``tickets/<pk>/review/<kind>/``): the street
officer decides a department's return or extension request from the case
page, through the same actions as the API; people who may not decide get a
404 (not theirs to see) or a message (theirs to see, not theirs to decide),
never an error page."""

from __future__ import annotations

import datetime as dt

import pytest

from services import actions
from services.models import Dispatch, ExtensionRequest, ReturnRequest, Ticket

pytestmark = pytest.mark.django_db


def _login(client, user):
    client.force_login(user)
    return client


def _claimed_lead(ticket, personas):
    dispatch = Dispatch.objects.get(ticket=ticket, role="lead")
    return actions.ticket_claim(dispatch=dispatch, actor=personas.department_officer)


def _return_requested(ticket, personas):
    dispatch = _claimed_lead(ticket, personas)
    return actions.ticket_request_return(
        dispatch=dispatch,
        actor=personas.department_officer,
        reason="非本部门职责",
        legal_basis="三定方案第三条",
    )


def _extension_requested(ticket, personas):
    dispatch = _claimed_lead(ticket, personas)
    request = actions.ticket_request_extension(
        dispatch=dispatch,
        actor=personas.department_officer,
        requested_due_at=dispatch.handle_due_at + dt.timedelta(days=5),
        reason="需协调物业",
    )
    return dispatch, request


def _review(client, ticket, kind, request, decision, note=""):
    return client.post(
        f"/tickets/{ticket.pk}/review/{kind}/",
        {"request": request.pk, "decision": decision, "note": note},
        follow=True,
    )


def _verbs(ticket):
    return list(ticket.events.order_by("at", "id").values_list("verb", flat=True))


def test_it_offers_the_pending_return_on_the_case_page_to_the_street(client, whistled, personas):
    request = _return_requested(whistled, personas)
    page = _login(client, personas.street_officer_a).get(f"/tickets/{whistled.pk}/")
    html = page.content.decode()
    assert 'data-testid="review-return"' in html
    assert f'action="/tickets/{whistled.pk}/review/return/"' in html
    assert f'name="request" value="{request.pk}"' in html


def test_it_approves_a_return_and_the_case_goes_back_to_the_street(client, whistled, personas):
    request = _return_requested(whistled, personas)
    response = _review(
        _login(client, personas.street_officer_a), whistled, "return", request, "approve"
    )
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == f"/tickets/{whistled.pk}/"
    assert "Approved." in response.content.decode()
    request.refresh_from_db()
    dispatch = Dispatch.objects.get(pk=request.dispatch_id)
    assert (request.state, request.reviewed_by_id) == ("approved", personas.street_officer_a.pk)
    assert dispatch.state == "returned" and dispatch.closed_at is not None
    assert Ticket.objects.get(pk=whistled.pk).state == "returned"
    assert _verbs(whistled)[-1] == "approve_return"
    # The street may whistle again: the page offers the step.
    assert 'data-step="whistle"' in response.content.decode()


def test_it_rejects_a_return_and_the_dispatch_awaits_a_claim_again(client, whistled, personas):
    request = _return_requested(whistled, personas)
    response = _review(
        _login(client, personas.street_officer_a),
        whistled,
        "return",
        request,
        "reject",
        note="属于城管职责",
    )
    assert response.status_code == 200
    assert "Rejected." in response.content.decode()
    request.refresh_from_db()
    dispatch = Dispatch.objects.get(pk=request.dispatch_id)
    assert (request.state, request.review_note) == ("rejected", "属于城管职责")
    assert (dispatch.state, dispatch.claimed_by_id) == ("awaiting_claim", None)
    assert dispatch.claim_due_at is not None
    assert Ticket.objects.get(pk=whistled.pk).state == "dispatched"
    event = whistled.events.order_by("at", "id").last()
    assert (event.verb, event.note) == ("reject_return", "属于城管职责")


def test_it_approves_an_extension_and_the_due_time_moves(client, whistled, personas):
    dispatch, request = _extension_requested(whistled, personas)
    before = dispatch.handle_due_at
    response = _review(
        _login(client, personas.street_officer_a), whistled, "extension", request, "approve"
    )
    assert "Approved." in response.content.decode()
    dispatch.refresh_from_db()
    request.refresh_from_db()
    assert request.state == "approved"
    assert dispatch.handle_due_at == request.requested_due_at != before
    assert Ticket.objects.get(pk=whistled.pk).state == "in_progress"
    assert _verbs(whistled)[-2:] == ["request_extension", "approve_extension"]
    assert 'data-verb="approve_extension"' in response.content.decode()


def test_it_denies_an_extension_and_the_due_time_stays(client, whistled, personas):
    dispatch, request = _extension_requested(whistled, personas)
    before = dispatch.handle_due_at
    response = _review(
        _login(client, personas.street_officer_a),
        whistled,
        "extension",
        request,
        "reject",
        note="期限内可完成",
    )
    assert "Rejected." in response.content.decode()
    dispatch.refresh_from_db()
    request.refresh_from_db()
    assert request.state == "rejected"
    assert dispatch.handle_due_at == before
    assert Ticket.objects.get(pk=whistled.pk).state == "in_progress"
    assert _verbs(whistled)[-2:] == ["request_extension", "reject_extension"]
    event = whistled.events.order_by("at", "id").last()
    assert event.note == "期限内可完成"
    assert event.data["previous_due_at"] == before.isoformat()
    html = response.content.decode()
    assert 'data-verb="reject_extension"' in html
    assert 'data-testid="review-extension"' not in html  # decided: no longer offered


def test_it_is_404_for_another_streets_officer(client, whistled, personas):
    request = _return_requested(whistled, personas)
    response = _login(client, personas.street_officer_b).post(
        f"/tickets/{whistled.pk}/review/return/", {"request": request.pk, "decision": "approve"}
    )
    assert response.status_code == 404
    request.refresh_from_db()
    assert request.state == "pending"


def test_it_refuses_a_department_officer_with_a_message(client, whistled, personas):
    request = _return_requested(whistled, personas)
    response = _review(
        _login(client, personas.department_officer), whistled, "return", request, "approve"
    )
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == f"/tickets/{whistled.pk}/"
    assert "Your post does not allow this action on this case." in response.content.decode()
    request.refresh_from_db()
    assert request.state == "pending"
    assert Dispatch.objects.get(pk=request.dispatch_id).state == "return_requested"
    assert _verbs(whistled)[-1] == "request_return"


def test_it_is_404_for_an_unknown_kind(client, whistled, personas):
    request = _return_requested(whistled, personas)
    response = _login(client, personas.street_officer_a).post(
        f"/tickets/{whistled.pk}/review/nonsense/", {"request": request.pk, "decision": "approve"}
    )
    assert response.status_code == 404
    request.refresh_from_db()
    assert request.state == "pending"


def test_it_is_404_for_a_request_of_another_case(client, whistled, report, personas, city):
    request = _return_requested(whistled, personas)
    other = report()
    response = _login(client, personas.street_officer_a).post(
        f"/tickets/{other.pk}/review/return/", {"request": request.pk, "decision": "approve"}
    )
    assert response.status_code == 404
    assert ReturnRequest.objects.get(pk=request.pk).state == "pending"


def test_it_asks_again_when_the_decision_is_missing(client, whistled, personas):
    request = _return_requested(whistled, personas)
    response = _review(
        _login(client, personas.street_officer_a), whistled, "return", request, "maybe"
    )
    assert response.status_code == 200
    assert "Choose approve or reject." in response.content.decode()
    assert ReturnRequest.objects.get(pk=request.pk).state == "pending"


def test_it_tells_the_street_when_the_request_was_already_decided(client, whistled, personas):
    _dispatch, request = _extension_requested(whistled, personas)
    c = _login(client, personas.street_officer_a)
    _review(c, whistled, "extension", request, "reject")
    response = _review(c, whistled, "extension", request, "approve")
    assert response.status_code == 200
    assert "This request was already decided." in response.content.decode()
    assert ExtensionRequest.objects.get(pk=request.pk).state == "rejected"


def test_it_only_accepts_posts(client, whistled, personas):
    request = _return_requested(whistled, personas)
    response = _login(client, personas.street_officer_a).get(
        f"/tickets/{whistled.pk}/review/return/?request={request.pk}&decision=approve"
    )
    assert response.status_code == 405
    assert ReturnRequest.objects.get(pk=request.pk).state == "pending"
