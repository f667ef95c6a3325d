"""Admin for grid profiles: saves through the action, shows warnings, never deletes."""

from __future__ import annotations

import json

import pytest
from django.contrib.messages import get_messages

from core import audit
from grids.geography.models import GridProfile
from tests.factories import UserFactory
from tests.grids.conftest import A1_1, rect, set_profile


@pytest.fixture
def admin_client(client, city):
    user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client, user


def _form(grid, boundary, **kw):
    return {
        "grid": grid.pk,
        "kind": "general",
        "subtype": "",
        "households": 200,
        "population": 500,
        "boundary": json.dumps(boundary),
    } | kw


def test_adding_a_profile_in_the_admin_goes_through_the_action(admin_client, city):
    client, user = admin_client
    set_profile(city.grid_a1, A1_1)
    response = client.post(
        "/admin/grids/gridprofile/add/",
        _form(city.grid_a2, rect(106.805, 39.70, 106.815, 39.71)),
        follow=True,
    )
    assert response.status_code == 200
    profile = GridProfile.objects.get(grid=city.grid_a2)
    assert profile.area_m2 and profile.area_m2 > 0  # derived by the action
    entry = audit.history(profile).get()
    assert entry.verb == "created" and entry.actor == user
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert any(city.grid_a1.name in t for t in texts)  # overlap warning
    assert any("300–500 households" in t for t in texts)  # sizing warning


def test_an_invalid_boundary_in_the_admin_shows_the_error_and_saves_nothing(admin_client, city):
    client, _user = admin_client
    bow_tie = {"type": "Polygon", "coordinates": [[[106.80, 39.70], [106.81, 39.71], [106.81, 39.70], [106.80, 39.71], [106.80, 39.70]]]}  # fmt: skip
    response = client.post(
        "/admin/grids/gridprofile/add/", _form(city.grid_a1, bow_tie), follow=True
    )
    assert not GridProfile.objects.exists()
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("Self-intersection" in t for t in texts)


def test_the_admin_never_deletes_a_profile(admin_client, city):
    client, _user = admin_client
    profile = set_profile(city.grid_a1, A1_1).profile
    assert client.get(f"/admin/grids/gridprofile/{profile.pk}/delete/").status_code == 403
    assert client.get(f"/admin/grids/gridprofile/{profile.pk}/change/").status_code == 200
    response = client.post(
        f"/admin/grids/gridprofile/{profile.pk}/change/",
        _form(city.grid_a1, A1_1, households=420, population=1000),
        follow=True,
    )
    assert response.status_code == 200
    profile.refresh_from_db()
    assert profile.households == 420
    assert [e.verb for e in audit.history(profile)] == ["updated", "created"]
