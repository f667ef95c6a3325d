"""A post's mobile for urgent notices (decision 0024): set at grant or later,
a mainland mobile only, audited masked."""

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from core.audit import history
from core.errors import Conflict, ValidationFailed
from governance import actions
from governance.models import Post
from tests.factories import UserFactory, grant


def test_a_post_is_granted_with_its_mobile_normalised_and_audited_masked(city):
    post = actions.post_grant(
        user=UserFactory(), role="leader", area=city.district, actor=None, phone="+86 139 0000 0003"
    )
    assert post.phone == "13900000003"
    assert history(post).get().after["phone"] == "139****0003"


@pytest.mark.parametrize("phone", ["0473-1234567", "1390000000", "23900000003", "phone"])
def test_a_landline_or_malformed_number_is_refused(city, phone):
    with pytest.raises(ValidationFailed) as exc:
        actions.post_grant(
            user=UserFactory(), role="leader", area=city.district, actor=None, phone=phone
        )
    assert "phone" in exc.value.extra["fields"]
    assert not Post.objects.filter(role="leader", area=city.district).exists()


def test_the_mobile_changes_in_place_with_an_audit_row(city):
    post = grant(UserFactory(), "leader", area=city.district)
    actions.post_set_phone(post=post, phone="13900000003", actor=None)
    actions.post_set_phone(post=post, phone="13900000003", actor=None)  # no change, no row
    actions.post_set_phone(post=post, phone="", actor=None)
    post.refresh_from_db()
    assert post.phone == ""
    changes = [(e.verb, e.before, e.after) for e in history(post)]
    assert changes[:2] == [
        ("phone_set", {"phone": "139****0003"}, {"phone": ""}),
        ("phone_set", {"phone": ""}, {"phone": "139****0003"}),
    ]


def test_an_ended_post_takes_no_mobile(city):
    post = grant(UserFactory(), "leader", area=city.district)
    actions.post_end(post=post, actor=None)
    with pytest.raises(Conflict):
        actions.post_set_phone(post=post, phone="13900000003", actor=None)


def test_the_database_refuses_a_post_phone_that_is_not_a_mobile(city):
    post = grant(UserFactory(), "leader", area=city.district)
    with pytest.raises(IntegrityError), transaction.atomic():
        Post.objects.filter(pk=post.pk).update(phone="04731234567")


def test_the_admin_sets_the_mobile_of_an_existing_post(city, client):
    root = get_user_model().objects.create_superuser("root", "root@example.com", "pw-root-123")
    client.force_login(root)
    post = grant(UserFactory(), "leader", area=city.district)
    response = client.post(f"/admin/governance/post/{post.pk}/change/", {"phone": "13900000003"})
    assert response.status_code == 302, response.content.decode()[:1500]
    post.refresh_from_db()
    assert post.phone == "13900000003"
    assert history(post).first().actor == root
