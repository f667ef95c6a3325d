"""Community staff on the pages: log a case for their community, fix it
locally (自行处置) through the case page's steps, and find it under
"my area's cases"."""

from __future__ import annotations

import re

import pytest

from services.models import Ticket
from tests.factories import UserFactory, grant

pytestmark = pytest.mark.django_db


@pytest.fixture
def community_staff_a(city):
    """Community staff with a post on community A (新华社区)."""
    user = UserFactory(username="community_a")
    grant(user, "community_staff", area=city.community_a)
    return user


def _numbers(response):
    assert response.status_code == 200
    return re.findall(r'href="/tickets/\d+/">(\d+)</a>', response.content.decode())


def _steps(response):
    return re.findall(r'data-step="([a-z_]+)"', response.content.decode())


def test_it_lets_community_staff_log_self_handle_and_self_close_a_case(
    client, community_staff_a, city, garbage
):
    client.force_login(community_staff_a)
    form = client.get("/tickets/new/").content.decode()
    grid_select = re.search(r'<select name="grid".*?</select>', form, re.S)
    assert grid_select is not None
    # Every grid of the community is offered, none of another street's.
    offered = {int(pk) for pk in re.findall(r'value="(\d+)"', grid_select.group(0))}
    assert offered == {city.grid_a1.pk, city.grid_a2.pk}
    response = client.post(
        "/tickets/new/",
        {
            "category": garbage.pk,
            "urgency": "normal",
            "description": "楼道堆放杂物",
            "grid": city.grid_a2.pk,
            "address": "新华社区8号楼",
            "source": "grid_patrol",
        },
    )
    ticket = Ticket.objects.get(description="楼道堆放杂物")
    assert response.status_code == 302 and response["Location"] == f"/tickets/{ticket.pk}/"
    assert (ticket.state, ticket.reported_by_id, ticket.grid_id) == (
        "reported",
        community_staff_a.pk,
        city.grid_a2.pk,
    )

    page = client.get(f"/tickets/{ticket.pk}/")
    assert "self_handle" in _steps(page)
    assert "self_close" not in _steps(page)  # only once it is being handled locally
    response = client.post(f"/tickets/{ticket.pk}/self_handle/", {"note": "社区自行协调"})
    assert response.status_code == 302 and response["Location"] == f"/tickets/{ticket.pk}/"
    assert Ticket.objects.get(pk=ticket.pk).state == "self_handling"

    page = client.get(f"/tickets/{ticket.pk}/")
    assert "self_close" in _steps(page)
    response = client.post(f"/tickets/{ticket.pk}/self_close/", {"result": "已清理完毕"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.state, ticket.result) == ("closed", "已清理完毕")
    assert ticket.closed_at is not None
    assert list(ticket.events.order_by("at", "id").values_list("verb", "actor_id")) == [
        ("report", community_staff_a.pk),
        ("self_handle", community_staff_a.pk),
        ("self_close", community_staff_a.pk),
    ]
    page = client.get(f"/tickets/{ticket.pk}/")
    assert "Done: Close as fixed." in page.content.decode()
    assert "self_close" not in _steps(page)

    assert _numbers(client.get("/tickets/?tab=area")) == [ticket.number]
    assert _numbers(client.get("/tickets/?tab=mine")) == [ticket.number]


def test_it_shows_community_staff_an_empty_self_close_as_a_field_error(
    client, community_staff_a, report
):
    ticket = report()  # grid worker A, in community A
    client.force_login(community_staff_a)
    client.post(f"/tickets/{ticket.pk}/self_handle/", {"note": ""})
    response = client.post(f"/tickets/{ticket.pk}/self_close/", {"result": "   "})
    assert response.status_code == 400
    assert "is-invalid" in response.content.decode()
    assert Ticket.objects.get(pk=ticket.pk).state == "self_handling"
