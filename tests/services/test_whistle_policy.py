"""Who may blow the whistle is the city's choice (CityPolicy): street and
community by default; grids too where the city says "网格吹哨"."""

import pytest

from core.errors import AccessDenied
from services import actions
from services.access import user_verbs
from services.models import CityPolicy, Dispatch


def _whistle(ticket, actor, city):
    return actions.ticket_whistle(
        ticket=ticket, actor=actor, whistle_type="resident_demand", lead=city.dept_urban
    )


def test_by_default_a_grid_worker_cannot_whistle(report, personas, city):
    ticket = report()
    assert "whistle" not in user_verbs(personas.grid_worker_a, ticket)[0]
    with pytest.raises(AccessDenied) as exc:
        _whistle(ticket, personas.grid_worker_a, city)
    assert exc.value.code == "not_your_step"
    assert not Dispatch.objects.filter(ticket=ticket).exists()
    # the street still can
    assert "whistle" in user_verbs(personas.street_officer_a, ticket)[0]
    _whistle(ticket, personas.street_officer_a, city)
    ticket.refresh_from_db()
    assert ticket.state == "dispatched"


def test_where_the_city_lets_grids_whistle_the_grid_worker_calls_the_department(
    report, personas, city, api
):
    CityPolicy.objects.create(city=city.city, grid_may_whistle=True)
    ticket = report()
    api.force_login(personas.grid_worker_a)
    detail = api.get(f"/api/v1/tickets/{ticket.pk}/").json()
    assert "whistle" in detail["allowed_actions"]
    response = api.post(
        f"/api/v1/tickets/{ticket.pk}/whistle/",
        {"whistle_type": "resident_demand", "lead": city.dept_urban.pk},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "dispatched"
    lead = Dispatch.objects.get(ticket=ticket)
    assert (lead.dispatched_by, lead.state) == (personas.grid_worker_a, "awaiting_claim")


def test_a_city_can_keep_the_whistle_to_its_communities(report, personas, city):
    CityPolicy.objects.create(city=city.city, street_may_whistle=False)
    ticket = report()
    with pytest.raises(AccessDenied):
        _whistle(ticket, personas.street_officer_a, city)
    # the street's other steps are untouched
    assert "self_handle" in user_verbs(personas.street_officer_a, ticket)[0]


def test_a_city_cannot_switch_the_whistle_off_for_everyone(city):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        CityPolicy.objects.create(
            city=city.city,
            grid_may_whistle=False,
            community_may_whistle=False,
            street_may_whistle=False,
        )
