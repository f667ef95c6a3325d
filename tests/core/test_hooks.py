"""core.hooks: one registry of in-process hooks, the actor passed through."""

from __future__ import annotations

import pytest

from core import hooks
from core.errors import Conflict
from governance import actions as governance_actions
from governance.hooks import AREA_MERGED
from governance.models import Area
from services.hooks import TICKET_EVENTS


@pytest.fixture
def scratch_hook():
    name = hooks.declare("tests.scratch")
    yield name
    for fn in hooks.receivers(name):
        hooks.disconnect(name, fn)


def test_receivers_get_the_actor_and_the_payload_as_keywords(scratch_hook):
    seen = []

    @hooks.register(scratch_hook)
    def receiver(*, actor, thing):
        seen.append((actor, thing))

    hooks.connect(scratch_hook, receiver)  # connecting twice: still called once
    hooks.fire(scratch_hook, actor="someone", thing=42)
    assert seen == [("someone", 42)]


def test_a_hook_that_was_never_declared_is_an_error():
    with pytest.raises(LookupError):
        hooks.connect("tests.typo", lambda **_: None)
    with pytest.raises(LookupError):
        hooks.fire("tests.typo", actor=None)


def test_the_apps_hooks_are_connected_at_start_up():
    from integrations.webhooks import fan_out
    from partyorg.actions import move_on_area_merged
    from services.receivers import follow_merged_areas

    assert {move_on_area_merged, follow_merged_areas} <= set(hooks.receivers(AREA_MERGED))
    assert fan_out in hooks.receivers(TICKET_EVENTS)


def test_a_receiver_that_raises_rolls_the_action_back(city, personas):
    def refuse(*, actor, source, target):
        raise Conflict("not now", code="receiver_refused")

    hooks.connect(AREA_MERGED, refuse)
    try:
        with pytest.raises(Conflict):
            governance_actions.area_merge(
                source=city.community_b, target=city.community_a, actor=personas.roster_admin
            )
    finally:
        hooks.disconnect(AREA_MERGED, refuse)
    source = Area.objects.get(pk=city.community_b.pk)
    assert (source.is_active, source.merged_into_id) == (True, None)
