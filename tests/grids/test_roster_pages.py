"""Roster pages: scoped like the API, writes through the actions, the
import's upload → preview → apply with nothing written before apply."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from grids.rosters.models import RosterEntry, Worker
from tests.grids.conftest import make_id_number

pytestmark = pytest.mark.django_db


def test_grid_roster_page_is_scoped_and_shows_compliance(client, city, personas, roster_kit):
    roster_kit.staff(city.grid_a1)
    client.force_login(personas.street_officer_b)
    assert client.get(f"/grids/{city.grid_a1.pk}/roster/").status_code == 404
    client.force_login(personas.roster_admin)
    page = client.get(f"/grids/{city.grid_a1.pk}/roster/").content.decode()
    assert 'data-testid="compliance"' in page and "Not compliant" not in page
    page = client.get(f"/grids/{city.grid_a2.pk}/roster/").content.decode()
    assert "Not compliant" in page and 'data-testid="compliance-reasons"' in page


def test_adding_a_new_person_is_one_transaction(client, city, personas, roster_kit):
    head = roster_kit.add(city.grid_a1, role="grid_head", full_time=True)
    client.force_login(personas.roster_admin)
    # A full-time worker cannot take a second full-time post.
    response = client.post(
        f"/grids/{city.grid_a2.pk}/roster/add/",
        {"worker": head.worker.pk, "role": "grid_head", "full_time": "on", "start": "2026-01-05"},
    )
    assert response.status_code == 400
    assert RosterEntry.objects.filter(worker=head.worker).count() == 1
    # The form comes back with the person still chosen, by name, not a bare id.
    page = response.content.decode()
    chosen = re.search(r'<option value="(\d+)" selected>([^<]*)</option>', page)
    assert chosen is not None and chosen.group(1) == str(head.worker.pk)
    assert head.worker.name in chosen.group(2) and head.worker.phone not in page
    workers = Worker.objects.count()
    response = client.post(
        f"/grids/{city.grid_a2.pk}/roster/add/",
        {
            "name": "新来的",
            "phone": "13900009999",
            "id_number": make_id_number(901),
            "role": "full_time_worker",  # refused by roster_add: not marked full-time,
            "start": "2026-01-05",  # after worker_create has run
        },
    )
    assert response.status_code == 400
    assert "full-time" in response.content.decode()
    assert Worker.objects.count() == workers  # the new person was rolled back too


def test_import_preview_writes_nothing_and_apply_is_all_or_nothing(client, city, personas):
    header = "网格代码 grid_code,姓名 name,手机号 phone,身份证号 id_number,角色 role,专职 full_time,开始日期 start\n"
    row = f"{city.grid_a1.code},赵一,13900001234,{make_id_number(77)},volunteer,否,2026-01-05\n"
    client.force_login(personas.roster_admin)
    upload = SimpleUploadedFile("roster.csv", (header + row).encode())
    page = client.post("/rosters/import/", {"file": upload})
    assert page.status_code == 200
    token = page.context["token"]
    assert page.context["report"]["counts"]["add"] == 1
    assert not Worker.objects.filter(name="赵一").exists()
    # Somebody else cannot apply this upload.
    client.force_login(personas.street_officer_a)
    assert client.post("/rosters/import/apply/", {"token": token}).status_code == 404
    client.force_login(personas.roster_admin)
    response = client.post("/rosters/import/apply/", {"token": token})
    assert response.status_code == 302
    assert RosterEntry.objects.filter(worker__name="赵一", grid=city.grid_a1).exists()
    # Applying the same preview twice is refused: it was used up.
    response = client.post("/rosters/import/apply/", {"token": token}, follow=True)
    assert "expired" in response.content.decode()


def test_roster_and_compliance_pages_take_constant_queries(client, city, personas, roster_kit):
    client.force_login(personas.roster_admin)

    def count(url):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    roster_kit.staff(city.grid_a1)
    urls = [f"/grids/{city.grid_a1.pk}/roster/", f"/areas/{city.district.pk}/compliance/"]
    few = [count(u) for u in urls]
    roster_kit.staff(city.grid_a2, extra=6)
    assert [count(u) for u in urls] == few
