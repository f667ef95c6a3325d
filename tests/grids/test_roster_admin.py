"""Admin pages for workers, entries and visits: masked lists, saves through actions, no deletes."""

from django.contrib.auth import get_user_model

from core.models import AuditEntry
from grids.rosters.models import RosterEntry, Worker
from tests.grids.conftest import make_id_number


def _admin_client(client):
    user = get_user_model().objects.create_superuser("root", "root@example.gov.cn", "pw")
    client.force_login(user)
    return client, user


def test_worker_changelist_masks_numbers(city, client, roster_kit):
    entry = roster_kit.add(city.grid_a1)
    client, _user = _admin_client(client)
    page = client.get("/admin/grids/worker/").content.decode()
    assert entry.worker.masked_phone in page and entry.worker.phone not in page
    assert entry.worker.id_number not in page
    assert client.get("/admin/grids/rosterentry/").status_code == 200
    assert client.get("/admin/grids/visit/").status_code == 200


def test_adding_a_worker_with_an_inline_entry_goes_through_the_actions(city, client):
    client, user = _admin_client(client)
    data = {
        "name": "管理员加的人",
        "gender": "female",
        "phone": "13700001234",
        "id_number": make_id_number(55),
        "notes": "",
        "active": "on",
        "roster_entries-TOTAL_FORMS": "1",
        "roster_entries-INITIAL_FORMS": "0",
        "roster_entries-MIN_NUM_FORMS": "0",
        "roster_entries-MAX_NUM_FORMS": "1000",
        "roster_entries-0-grid": str(city.grid_a1.pk),
        "roster_entries-0-role": "full_time_worker",
        "roster_entries-0-full_time": "on",
        "roster_entries-0-start": "2024-01-01",
    }
    response = client.post("/admin/grids/worker/add/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    worker = Worker.objects.get(name="管理员加的人")
    entry = RosterEntry.objects.get(worker=worker)
    assert AuditEntry.objects.filter(actor=user, verb="created", object_id=worker.pk).exists()
    assert AuditEntry.objects.filter(actor=user, verb="added", object_id=entry.pk).exists()


def test_an_action_error_in_the_admin_rolls_the_page_back(city, client, roster_kit):
    client, _user = _admin_client(client)
    data = {
        "name": "不该存在",
        "phone": "13700001235",
        "id_number": make_id_number(56),
        "active": "on",
        "roster_entries-TOTAL_FORMS": "1",
        "roster_entries-INITIAL_FORMS": "0",
        "roster_entries-MIN_NUM_FORMS": "0",
        "roster_entries-MAX_NUM_FORMS": "1000",
        "roster_entries-0-grid": str(city.community_a.pk),  # not a grid
        "roster_entries-0-role": "volunteer",
        "roster_entries-0-start": "2024-01-01",
    }
    client.post("/admin/grids/worker/add/", data)
    assert not Worker.objects.filter(name="不该存在").exists()


def test_nothing_can_be_deleted_from_the_admin(city, client, roster_kit):
    entry = roster_kit.add(city.grid_a1)
    client, _user = _admin_client(client)
    assert client.get(f"/admin/grids/worker/{entry.worker.pk}/delete/").status_code == 403
    assert client.get(f"/admin/grids/rosterentry/{entry.pk}/delete/").status_code == 403
