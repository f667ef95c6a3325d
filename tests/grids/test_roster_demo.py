"""The demo fills rosters for all 786 grids, mostly compliant, plus visits."""

import time
from io import StringIO

from django.contrib.auth import get_user_model
from django.core.management import call_command

from governance.models import Area
from grids.rosters.models import RosterEntry, Visit, Worker
from grids.rosters.selectors import roster_compliance


def test_seed_demo_fills_rosters_and_visits_quickly(db):
    started = time.monotonic()
    out = StringIO()
    call_command("seed_demo", stdout=out)
    elapsed = time.monotonic() - started
    assert elapsed < 60, f"seed_demo took {elapsed:.1f} s"
    assert "roster entries" in out.getvalue()
    city = Area.objects.get(level="city")
    superuser = get_user_model().objects.get(username="sysadmin")
    report = roster_compliance(user=superuser, area=city)
    assert len(report) == 786
    bad = [g for g in report if not g.compliant]
    assert 0.03 * 786 < len(bad) < 0.15 * 786
    reasons = {r for g in bad for r in g.reasons}
    assert {"no_grid_police", "several_grid_heads", "too_few_people"} <= reasons
    assert 200 <= Visit.objects.count() <= 1000
    # The demo grid worker is the full-time worker of the first grid.
    worker = Worker.objects.get(user__username="grid_worker")
    grid = Area.objects.filter(level="grid").order_by("path").first()
    assert RosterEntry.objects.filter(
        worker=worker, grid=grid, role="full_time_worker", end__isnull=True
    ).exists()
    # Every stored ID number passes GB 11643.
    from grids.rosters.validators import id_number_errors

    assert not [w for w in Worker.objects.all()[:300] if id_number_errors(w.id_number)]
