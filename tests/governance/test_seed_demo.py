import time
from io import StringIO

from django.contrib.auth import get_user_model
from django.core.management import call_command

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
    assert Area.objects.get(level="city").code == "150300"
    assert set(Area.objects.filter(level="district").values_list("code", flat=True)) == {
        "150302",
        "150303",
        "150304",
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
