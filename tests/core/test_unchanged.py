"""core.types.UNCHANGED: the one "leave it as it is" marker of partial updates."""

from __future__ import annotations

import copy

import pytest

from core.types import UNCHANGED
from governance import actions as governance_actions
from integrations import actions as integrations_actions


def test_it_is_one_object_with_a_readable_name():
    assert repr(UNCHANGED) == "UNCHANGED"
    assert copy.deepcopy(UNCHANGED) is UNCHANGED
    assert copy.copy(UNCHANGED) is UNCHANGED


@pytest.mark.django_db
def test_a_department_left_out_keeps_its_station_and_none_clears_it(city):
    department = governance_actions.department_create(
        name="区水务局", area=city.district, stationed_at=city.street_a, actor=None
    )
    kept = governance_actions.department_update(department=department, name="水务局", actor=None)
    assert (kept.name, kept.stationed_at_id) == ("水务局", city.street_a.pk)
    cleared = governance_actions.department_update(
        department=department, stationed_at=None, actor=None
    )
    assert cleared.stationed_at_id is None


@pytest.mark.django_db
def test_a_client_left_out_keeps_its_default_grid_and_none_clears_it(city):
    client = integrations_actions.client_create(
        name="热线", default_grid=city.grid_a1, areas=[city.street_a], actor=None
    )
    kept = integrations_actions.client_update(client=client, contact="x@example.org", actor=None)
    assert kept.default_grid_id == city.grid_a1.pk
    cleared = integrations_actions.client_update(client=client, default_grid=None, actor=None)
    assert cleared.default_grid_id is None
