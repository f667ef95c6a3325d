import pytest

from core.audit import history
from core.errors import AccessDenied, Conflict, ValidationFailed
from governance import actions
from governance.models import Post
from tests.factories import UserFactory, grant


def test_grant_puts_the_user_in_the_role_group_and_end_takes_them_out(city):
    user = UserFactory()
    post = grant(user, "street_officer", area=city.street_a)
    assert user.groups.filter(name="street_officer").exists()
    actions.post_end(post=post, actor=None)
    post.refresh_from_db()
    assert (post.active, post.ended_at is not None) == (False, True)
    assert not user.groups.filter(name="street_officer").exists()
    assert [e.verb for e in history(post)] == ["ended", "granted"]


def test_a_person_may_hold_several_posts_and_keeps_the_group_while_one_is_active(city):
    user = UserFactory()
    first = grant(user, "street_officer", area=city.street_a)
    grant(user, "street_officer", area=city.street_b)
    grant(user, "roster_admin", area=city.district)
    actions.post_end(post=first, actor=None)
    assert set(user.groups.values_list("name", flat=True)) == {"street_officer", "roster_admin"}


def test_the_same_active_post_twice_is_a_conflict(city):
    user = UserFactory()
    grant(user, "street_officer", area=city.street_a)
    with pytest.raises(Conflict) as exc:
        grant(user, "street_officer", area=city.street_a)
    assert exc.value.code == "post_exists"
    assert Post.objects.filter(user=user).count() == 1


@pytest.mark.parametrize(
    ("role", "where", "field"),
    [
        ("street_officer", "grid_a1", "area"),  # wrong level
        ("department_officer", "street_a", "department"),  # needs a department
        ("grid_worker", "dept_urban", "area"),  # needs an area
    ],
)
def test_grant_checks_role_against_place(city, role, where, field):
    place = getattr(city, where)
    kwargs = {"department": place} if where.startswith("dept") else {"area": place}
    with pytest.raises(ValidationFailed) as exc:
        actions.post_grant(user=UserFactory(), role=role, actor=None, **kwargs)
    assert field in exc.value.extra["fields"]


def test_ending_twice_is_a_conflict(city):
    post = grant(UserFactory(), "leader", area=city.city)
    actions.post_end(post=post, actor=None)
    with pytest.raises(Conflict):
        actions.post_end(post=post, actor=None)


def test_department_head_staffs_their_own_department_only(city):
    head = UserFactory()
    grant(head, "department_head", department=city.dept_urban)
    post = actions.post_grant(
        user=UserFactory(), role="department_officer", department=city.dept_urban, actor=head
    )
    assert post.pk
    with pytest.raises(AccessDenied):
        actions.post_grant(
            user=UserFactory(), role="department_officer", department=city.dept_market, actor=head
        )


def test_departments_belong_to_a_district_or_city_and_are_stationed_in_it(city):
    with pytest.raises(ValidationFailed):
        actions.department_create(name="街道部门", area=city.street_a, actor=None)
    with pytest.raises(ValidationFailed):
        actions.department_create(
            name="越界", area=city.other_district, stationed_at=city.street_a, actor=None
        )
    with pytest.raises(ValidationFailed) as exc:
        actions.department_create(name="区城市管理局", area=city.district, actor=None)
    assert exc.value.code == "department_exists"
