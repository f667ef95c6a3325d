"""The workbench pages over Django's test client: scoping (404 across streets
and departments), steps through the actions, friendly errors, and query
counts that do not grow with rows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import Notification
from services import actions
from services.models import Dispatch, Ticket
from tests.factories import UserFactory, grant

pytestmark = pytest.mark.django_db


def _login(client, user):
    client.force_login(user)
    return client


def test_case_pages_are_404_outside_ones_posts(client, whistled, personas):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.services.conftest import jpeg_bytes

    photo = SimpleUploadedFile("a.jpg", jpeg_bytes(), content_type="image/jpeg")
    ticket = actions.ticket_report(
        actor=personas.grid_worker_a,
        category=whistled.category,
        description="带照片的案件",
        grid=whistled.grid,
        photos=[photo],
    )
    attachment = ticket.attachments.get()
    for outsider in (personas.street_officer_b, personas.other_department_officer):
        c = _login(client, outsider)
        assert c.get(f"/tickets/{whistled.pk}/").status_code == 404
        assert c.get(f"/tickets/{ticket.pk}/photos/{attachment.pk}/").status_code == 404
        assert c.get(f"/tickets/{whistled.pk}/claim/").status_code == 404
    c = _login(client, personas.street_officer_a)
    response = c.get(f"/tickets/{ticket.pk}/photos/{attachment.pk}/")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"].startswith("private")
    # A photo id of another case is not reachable through this one.
    assert c.get(f"/tickets/{whistled.pk}/photos/{attachment.pk}/").status_code == 404


def test_the_department_sees_the_reporters_phone_masked_the_street_in_full(
    client, whistled, personas
):
    page = _login(client, personas.department_officer).get(f"/tickets/{whistled.pk}/")
    assert "138****5678" in page.content.decode()
    assert "13812345678" not in page.content.decode()
    page = _login(client, personas.street_officer_a).get(f"/tickets/{whistled.pk}/")
    assert "13812345678" in page.content.decode()


def test_report_page_logs_a_case_through_the_action(client, personas, city, garbage):
    c = _login(client, personas.grid_worker_a)
    assert c.get("/tickets/new/").status_code == 200
    response = c.post(
        "/tickets/new/",
        {
            "category": garbage.pk,
            "urgency": "normal",
            "description": "路灯不亮",
            "grid": city.grid_a1.pk,
            "source": "grid_patrol",
        },
    )
    ticket = Ticket.objects.get(description="路灯不亮")
    assert response.status_code == 302 and response["Location"] == f"/tickets/{ticket.pk}/"
    assert ticket.events.filter(verb="report").count() == 1


def test_report_page_refuses_another_grid_and_writes_nothing(client, personas, city, garbage):
    c = _login(client, personas.grid_worker_a)
    response = c.post(
        "/tickets/new/",
        {
            "category": garbage.pk,
            "urgency": "normal",
            "description": "不是我的网格",
            "grid": city.grid_b1.pk,  # not offered: the choice is refused
            "source": "grid_patrol",
        },
    )
    assert response.status_code == 400
    assert "is-invalid" in response.content.decode()
    assert not Ticket.objects.exists()


def test_a_step_the_workflow_refuses_is_a_message_not_an_error_page(client, whistled, personas):
    c = _login(client, personas.street_officer_a)
    # Closing needs a reply first: the street is not offered the step.
    response = c.post(f"/tickets/{whistled.pk}/close/", {"note": ""}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == f"/tickets/{whistled.pk}/"
    assert Ticket.objects.get(pk=whistled.pk).state == "dispatched"


def test_an_action_error_stays_on_the_form(client, whistled, personas, city):
    c = _login(client, personas.department_officer)
    dispatch = Dispatch.objects.get(ticket=whistled, role="lead")
    actions.ticket_claim(dispatch=dispatch, actor=personas.department_officer)
    # An extension to a time before the current deadline is refused by the action.
    response = c.post(
        f"/tickets/{whistled.pk}/request_extension/",
        {"requested_due_at": "2000-01-01T08:00", "reason": "需要更多时间"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert 'data-testid="form-error"' in response.content.decode()
    assert not whistled.events.filter(verb="request_extension").exists()


def test_queue_counts_tabs_and_a_lost_claim_is_friendly(client, whistled, personas, city):
    rival = UserFactory(username="rival", first_name="李四")
    grant(rival, "department_officer", department=city.dept_urban)
    dispatch = Dispatch.objects.get(ticket=whistled, role="lead")
    c = _login(client, personas.department_officer)
    page = c.get("/queue/").content.decode()
    assert 'data-testid="count-awaiting">1<' in page
    actions.ticket_claim(dispatch=dispatch, actor=rival)
    response = c.post(f"/queue/{dispatch.pk}/claim/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "李四" in response.content.decode()
    page = c.get("/queue/?tab=in_progress").content.decode()
    assert 'data-testid="count-in_progress">1<' in page
    # Another department's officer cannot claim it at all.
    other = _login(client, personas.other_department_officer)
    assert other.post(f"/queue/{dispatch.pk}/claim/").status_code == 404


def test_inbox_open_marks_read_and_goes_to_the_case(client, whistled, personas):
    c = _login(client, personas.department_officer)
    note = Notification.objects.get(user=personas.department_officer)
    assert 'data-testid="unread-count">1<' in c.get("/").content.decode()
    response = c.post(f"/inbox/{note.pk}/open/")
    assert response.status_code == 302 and response["Location"] == f"/tickets/{whistled.pk}/"
    note.refresh_from_db()
    assert note.read_at is not None
    assert 'data-testid="unread-count"' not in c.get("/").content.decode()
    # Someone else's notification is not theirs to open.
    assert (
        _login(client, personas.street_officer_b).post(f"/inbox/{note.pk}/open/").status_code == 404
    )


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("street_officer_a", "/tickets/?tab=area"),
        ("grid_worker_a", "/tickets/?tab=mine"),
        ("department_officer", "/queue/"),
        ("department_officer", "/queue/?tab=overdue"),
        ("leader", "/overview/"),
        ("department_officer", "/inbox/"),
    ],
)
def test_list_pages_take_the_same_queries_for_3_and_12_cases(
    client, report, personas, city, who, url
):
    c = _login(client, getattr(personas, who))

    def add(n):
        for _ in range(n):
            ticket = report()
            actions.ticket_whistle(
                ticket=ticket,
                actor=personas.street_officer_a,
                whistle_type="resident_demand",
                lead=city.dept_urban,
                assists=[city.dept_market],
            )

    add(3)
    few = _count(c, url)
    add(9)
    assert _count(c, url) == few
