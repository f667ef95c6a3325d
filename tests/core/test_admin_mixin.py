"""core.admin.ActionAdminMixin: an action's error in the admin undoes the whole
submission and shows the action's message (real admins, through the client)."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages

from core.admin import NOTHING_SAVED
from core.errors import Conflict
from core.models import AuditEntry
from governance import actions as governance_actions
from governance.models import Area, Department, Post
from integrations import actions as integrations_actions
from integrations.models import WebhookSubscription
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

REFUSED = "The registry refused it after writing."


@pytest.fixture
def root(client, city):
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw-root-123")
    client.force_login(user)
    return user


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _raising_after(monkeypatch, module, name, *, on_call: int = 1):
    """Replace ``module.name`` by the real action that raises once it has
    written its rows (on its ``on_call``-th call)."""
    real = getattr(module, name)
    calls = []

    def wrapper(**kwargs):
        result = real(**kwargs)
        calls.append(result)
        if len(calls) == on_call:
            raise Conflict(REFUSED, code="refused_after_writing")
        return result

    monkeypatch.setattr(module, name, wrapper)
    return calls


def test_an_action_raising_after_writing_leaves_no_row_and_shows_its_message(
    city, client, root, monkeypatch
):
    written = _raising_after(monkeypatch, governance_actions, "department_create")
    audit_before = AuditEntry.objects.count()
    response = client.post(
        "/admin/governance/department/add/",
        {"name": "区水务局", "short_name": "水务", "area": city.district.pk, "is_active": "on"},
    )
    assert len(written) == 1 and written[0].pk  # the action did write its row…
    assert not Department.objects.filter(name="区水务局").exists()  # …and it is gone
    assert AuditEntry.objects.count() == audit_before
    assert not LogEntry.objects.exists()
    # The form comes back with what was typed, the message on top of the page.
    assert response.status_code == 200
    assert REFUSED in _messages(response)
    page = response.content.decode()
    assert REFUSED in page and 'value="区水务局"' in page
    assert str(NOTHING_SAVED) in response.context["adminform"].form.non_field_errors()


def test_field_messages_of_the_action_land_on_their_fields(city, client, root):
    response = client.post(
        "/admin/governance/department/add/",
        {
            "name": "区水务局",
            "area": city.district.pk,
            "stationed_at": city.community_a.pk,  # not a street
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors["stationed_at"] == ["A department is stationed at a street of its own area."]
    assert not Department.objects.filter(name="区水务局").exists()
    # Sent again without the bad field, the same form saves: nothing sticks.
    response = client.post(
        "/admin/governance/department/add/",
        {"name": "区水务局", "area": city.district.pk, "is_active": "on"},
    )
    assert response.status_code == 302
    assert Department.objects.filter(name="区水务局").count() == 1


def test_a_failed_move_undoes_the_rename_of_the_same_form(city, client, root):
    area = city.community_a
    response = client.post(
        f"/admin/governance/area/{area.pk}/change/",
        {
            "name": "改了名的社区",
            "new_parent": city.district.pk,  # a community cannot sit under a district
            "code_history-TOTAL_FORMS": "0",
            "code_history-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert any("must sit under" in m for m in _messages(response))
    assert Area.objects.get(pk=area.pk).name == "新华社区"
    assert not AuditEntry.objects.filter(object_id=area.pk, verb="renamed").exists()


def test_a_bulk_admin_action_is_all_or_nothing(city, client, root, monkeypatch):
    first = governance_actions.post_grant(
        user=UserFactory(username="w1"), role="grid_worker", area=city.grid_a1, actor=None
    )
    second = governance_actions.post_grant(
        user=UserFactory(username="w2"), role="grid_worker", area=city.grid_a2, actor=None
    )
    ended = _raising_after(monkeypatch, governance_actions, "post_end", on_call=2)
    response = client.post(
        "/admin/governance/post/",
        {"action": "end_posts", "_selected_action": [first.pk, second.pk]},
        follow=True,
    )
    assert len(ended) == 2  # both were ended, then the second refused
    assert REFUSED in _messages(response)
    assert set(
        Post.objects.filter(pk__in=[first.pk, second.pk]).values_list("active", flat=True)
    ) == {True}
    assert not AuditEntry.objects.filter(verb="ended").exists()


def test_a_delete_that_fails_after_writing_keeps_the_row(city, client, root, monkeypatch):
    api_client = integrations_actions.client_create(name="热线", areas=[city.street_a], actor=None)
    subscription = integrations_actions.webhook_subscribe(
        client=api_client, url="https://hooks.example.org/in", events=["ticket.created"], actor=None
    )
    _raising_after(monkeypatch, integrations_actions, "webhook_unsubscribe")
    url = f"/admin/integrations/webhooksubscription/{subscription.pk}/delete/"
    response = client.post(url, {"post": "yes"}, follow=True)
    assert REFUSED in _messages(response)
    assert WebhookSubscription.objects.filter(pk=subscription.pk).exists()
    assert not AuditEntry.objects.filter(verb="unsubscribed").exists()
