import time
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from governance.codes import CommitteeKind, code_errors, committee_kind
from governance.demo import seed_tree
from governance.models import Area, Department, Post


def test_seed_demo_builds_wuhai_once_with_an_account_per_role(db, settings):
    out = StringIO()
    started = time.monotonic()
    call_command("seed_demo", stdout=out)
    elapsed = time.monotonic() - started
    counts = {
        level: Area.objects.filter(level=level).count()
        for level in ("city", "district", "street", "community", "grid")
    }
    assert counts == {"city": 1, "district": 3, "street": 15, "community": 69, "grid": 786}
    assert Area.objects.get(level="city").code == "150300000000"
    assert set(Area.objects.filter(level="district").values_list("code", flat=True)) == {
        "150302000000",
        "150303000000",
        "150304000000",
    }
    assert 18 <= Department.objects.count() <= 22
    users = get_user_model().objects.filter(
        username__in=[
            "grid_worker",
            "community_staff",
            "street_officer",
            "department_officer",
            "department_head",
            "roster_admin",
            "leader",
            "sysadmin",
        ]
    )
    assert users.count() == 8
    for user in users:
        assert user.check_password(settings.DEMO_PASSWORD)
        assert Post.objects.filter(user=user, role=user.username, active=True).exists()
    assert "Demo password:" in out.getvalue()
    assert elapsed < 60, f"seed_demo took {elapsed:.1f} s"

    again = StringIO()
    call_command("seed_demo", stdout=again)
    assert "already loaded" in again.getvalue()
    assert Area.objects.count() == sum(counts.values())


def test_seed_demo_is_deterministic(db):
    from django.db import transaction

    def snapshot():
        return list(Area.objects.order_by("path").values_list("path", "code", "name"))

    with transaction.atomic():
        call_command("seed_demo", stdout=StringIO())
        first = snapshot()
        transaction.set_rollback(True)  # undo the whole first run
    assert Area.objects.count() == 0
    call_command("seed_demo", stdout=StringIO())
    assert snapshot() == first


@pytest.mark.slow
def test_the_demo_codes_follow_the_statistical_division_rules(db):
    """Every code is valid under its parent; 村 in towns are 村委会 numbered 200 and up."""
    seed_tree()
    by_path = {a.path: a for a in Area.objects.all()}
    for area in by_path.values():
        parent = by_path.get(area.path[: -Area.steplen])
        assert (
            code_errors(
                area.level,
                area.code,
                parent.level if parent else None,
                parent.code if parent else None,
            )
            == []
        ), area
        if area.level == "grid":
            assert area.code[:12] == parent.code and len(area.code) == 15
        if area.level == "community":
            town = int(parent.code[6:9]) >= 100
            assert committee_kind(area.code) == (
                CommitteeKind.VILLAGERS if town else CommitteeKind.RESIDENTS
            )
            assert area.name.endswith("村" if town else "社区")
    assert Area.objects.filter(level="community", code="150302101200").exists()
