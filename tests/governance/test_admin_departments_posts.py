"""The Django admin for departments and posts goes through the actions."""

import pytest
from django.contrib.auth import get_user_model

from core.audit import history
from governance.models import Department, Post
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, city):
    root = get_user_model().objects.create_superuser("root", "root@example.com", "pw-root-123")
    client.force_login(root)
    client.root = root
    return client


def test_adding_a_department_in_the_admin_is_the_action_with_its_audit_row(city, admin_client):
    assert admin_client.get("/admin/governance/department/").status_code == 200
    response = admin_client.post(
        "/admin/governance/department/add/",
        {
            "name": "区水务局",
            "short_name": "水务",
            "area": city.district.pk,
            "stationed_at": city.street_a.pk,
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:1500]
    department = Department.objects.get(name="区水务局")
    assert department.stationed_at_id == city.street_a.pk
    assert history(department).get().actor == admin_client.root


def test_a_department_on_a_street_is_refused_and_nothing_is_written(city, admin_client):
    before = Department.objects.count()
    response = admin_client.post(
        "/admin/governance/department/add/",
        {"name": "街道部门", "short_name": "", "area": city.street_a.pk, "is_active": "on"},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    assert "A department belongs to a district or a city." in response.content.decode()
    assert Department.objects.count() == before


def test_granting_and_ending_a_post_in_the_admin(city, admin_client):
    person = UserFactory(username="new_grid_worker")
    response = admin_client.post(
        "/admin/governance/post/add/",
        {"user": person.pk, "role": "grid_worker", "area": city.grid_a1.pk, "title": "网格员"},
    )
    assert response.status_code == 302, response.content.decode()[:1500]
    post = Post.objects.get(user=person)
    assert (post.role, post.area_id, post.active) == ("grid_worker", city.grid_a1.pk, True)
    assert person.groups.filter(name="grid_worker").exists()
    ended = admin_client.post(
        "/admin/governance/post/",
        {"action": "end_posts", "_selected_action": [post.pk]},
        follow=True,
    )
    assert ended.status_code == 200
    post.refresh_from_db()
    assert post.active is False and post.ended_at is not None
    assert not person.groups.filter(name="grid_worker").exists()
    assert [e.verb for e in history(post)] == ["ended", "granted"]
