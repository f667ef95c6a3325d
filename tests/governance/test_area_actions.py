import pytest
from django.db import IntegrityError, transaction

from core.audit import history
from core.errors import AccessDenied, ValidationFailed
from governance import actions
from governance.models import Area, AreaCodeHistory, Department, Post
from governance.selectors import area_by_code
from tests.factories import UserFactory, grant


def test_create_derives_level_and_writes_an_audit_row(city):
    grid = actions.area_create(parent=city.community_a, name="新华社区第三网格", actor=None)
    assert grid.level == "grid"
    assert grid.code == "150302001001003"  # next free serial
    assert Area.objects.get_parent(grid).pk == city.community_a.pk
    entry = history(grid).get()
    assert entry.verb == "created"
    assert entry.after["code"] == "150302001001003"


def test_create_rejects_a_code_that_does_not_extend_the_parent(city):
    with pytest.raises(ValidationFailed) as exc:
        actions.area_create(
            parent=city.community_a, name="错网格", code="150302002001009", actor=None
        )
    assert "code" in exc.value.extra["fields"]
    assert not Area.objects.filter(code="150302002001009").exists()


def test_create_rejects_a_taken_code(city):
    with pytest.raises(ValidationFailed) as exc:
        actions.area_create(
            parent=city.community_a, name="重复", code=city.grid_a1.code, actor=None
        )
    assert exc.value.code == "code_taken"


def test_create_rejects_children_of_a_grid(city):
    with pytest.raises(ValidationFailed) as exc:
        actions.area_create(parent=city.grid_a1, name="子网格", actor=None)
    assert exc.value.code == "grid_has_no_children"


def test_database_rejects_a_level_that_does_not_match_the_depth(city):
    with pytest.raises(IntegrityError), transaction.atomic():
        Area.objects.filter(pk=city.grid_a1.pk).update(level="street")


def test_rename_keeps_the_old_name_in_history(city):
    actions.area_rename(area=city.street_a, name="新华新街道", actor=None)
    city.street_a.refresh_from_db()
    assert city.street_a.name == "新华新街道"
    old = AreaCodeHistory.objects.get(area=city.street_a)
    assert (old.name, old.reason) == ("新华街道", "renamed")
    assert next(e.verb for e in history(city.street_a)) == "renamed"


def test_only_managers_of_the_area_may_change_it(city, personas):
    with pytest.raises(AccessDenied):
        actions.area_rename(area=city.street_b, name="x", actor=personas.street_officer_b)
    actions.area_rename(area=city.street_b, name="海北新街道", actor=personas.roster_admin)
    with pytest.raises(AccessDenied):
        # the roster admin of one district cannot touch another
        actions.area_rename(area=city.other_district, name="x", actor=personas.roster_admin)


def test_move_recodes_a_grid_under_its_new_community_and_keeps_the_old_code(city):
    old_code = city.grid_a2.code
    moved = actions.area_move(area=city.grid_a2, new_parent=city.community_b, actor=None)
    assert Area.objects.get_parent(moved).pk == city.community_b.pk
    assert moved.code == "150302002001002"
    assert moved.path.startswith(city.community_b.path)
    assert AreaCodeHistory.objects.filter(area=moved, code=old_code, reason="recoded").exists()
    assert area_by_code(old_code).pk == moved.pk
    entry = history(moved).first()
    assert (entry.verb, entry.before["code"], entry.after["code"]) == (
        "moved",
        old_code,
        "150302002001002",
    )
    assert entry.after["parent"] == city.community_b.pk


def test_creating_a_department_is_audited(city, personas):
    department = actions.department_create(
        name="区水务局", short_name="水务", area=city.district, actor=None
    )
    entry = history(department).first()
    assert entry.verb == "created"
    assert (entry.after["name"], entry.after["area"]) == ("区水务局", city.district.pk)


def test_move_of_a_community_recodes_its_grids(city):
    moved = actions.area_move(area=city.community_a, new_parent=city.street_b, actor=None)
    assert moved.code == "150302002002"
    grid_codes = sorted(Area.objects.get_children(moved).values_list("code", flat=True))
    assert grid_codes == ["150302002002001", "150302002002002"]


def test_move_rejects_a_parent_of_the_wrong_level(city):
    with pytest.raises(ValidationFailed) as exc:
        actions.area_move(area=city.grid_a1, new_parent=city.street_b, actor=None)
    assert exc.value.code == "invalid_move"


def test_move_calls_the_path_hook_so_higher_apps_can_follow(city):
    from core import hooks
    from governance.hooks import PATH_MOVED

    seen = []

    def receiver(*, actor, old_path, new_path):
        seen.append((actor, old_path, new_path))

    hooks.connect(PATH_MOVED, receiver)
    try:
        old_path = city.grid_a2.path
        moved = actions.area_move(area=city.grid_a2, new_parent=city.community_b, actor=None)
    finally:
        hooks.disconnect(PATH_MOVED, receiver)
    assert seen == [(None, old_path, moved.path)]


def test_merge_moves_grids_posts_and_stations_and_deletes_nothing(city, personas):
    staff = UserFactory(username="community_b_staff")
    post = grant(staff, "community_staff", area=city.community_b)
    Department.objects.filter(pk=city.dept_market.pk).update(stationed_at=city.street_b)
    areas_before = Area.objects.count()
    grid_b_old_code = city.grid_b1.code
    merged_hook = []
    from core import hooks
    from governance.hooks import AREA_MERGED

    def receiver(*, actor, source, target):
        merged_hook.append((source.pk, target.pk))

    hooks.connect(AREA_MERGED, receiver)
    try:
        target = actions.area_merge(
            source=city.community_b, target=city.community_a, actor=None, note="撤并"
        )
    finally:
        hooks.disconnect(AREA_MERGED, receiver)

    source = Area.objects.get(pk=city.community_b.pk)
    assert Area.objects.count() == areas_before  # nothing deleted
    assert (source.is_active, source.merged_into_id) == (False, target.pk)
    assert source.numchild == 0
    assert source.code == "150302002001"  # the old code stays with the retired area
    grid_b = Area.objects.get(pk=city.grid_b1.pk)
    assert Area.objects.get_parent(grid_b).pk == target.pk
    assert grid_b.code == "150302001001003"
    assert area_by_code(grid_b_old_code).pk == grid_b.pk
    assert (
        area_by_code("150302002001").pk == target.pk
    )  # the merged community resolves to the target
    assert Post.objects.get(pk=post.pk).area_id == target.pk
    assert merged_hook == [(source.pk, target.pk)]
    assert history(source).first().verb == "merged_into"
    assert history(target).first().after["children"][0]["from"] == grid_b_old_code


def test_merge_of_streets_moves_communities_with_their_grids(city):
    Department.objects.filter(pk=city.dept_market.pk).update(stationed_at=city.street_b)
    target = actions.area_merge(source=city.street_b, target=city.street_a, actor=None)
    # a department stationed at the merged street is stationed at the target, audited
    assert Department.objects.get(pk=city.dept_market.pk).stationed_at_id == city.street_a.pk
    moved = history(Department.objects.get(pk=city.dept_market.pk)).first()
    assert (moved.verb, moved.before, moved.after) == (
        "moved_by_merge",
        {"stationed_at": city.street_b.pk},
        {"stationed_at": city.street_a.pk},
    )
    assert history(target).first().after["stations"] == [city.dept_market.pk]
    community_b = Area.objects.get(pk=city.community_b.pk)
    assert community_b.code == "150302001002"
    assert list(Area.objects.get_children(community_b).values_list("code", flat=True)) == [
        "150302001002001"
    ]


@pytest.mark.parametrize("which", ["self", "levels", "grids"])
def test_merge_rejects_nonsense(city, which):
    source, target = {
        "self": (city.community_a, city.community_a),
        "levels": (city.community_a, city.street_b),
        "grids": (city.grid_a1, city.grid_a2),
    }[which]
    with pytest.raises(ValidationFailed) as exc:
        actions.area_merge(source=source, target=target, actor=None)
    assert exc.value.code == "invalid_merge"


def test_a_merged_area_takes_no_new_children(city):
    actions.area_merge(source=city.community_b, target=city.community_a, actor=None)
    with pytest.raises(ValidationFailed) as exc:
        actions.area_create(parent=Area.objects.get(pk=city.community_b.pk), name="x", actor=None)
    assert exc.value.code == "area_retired"
