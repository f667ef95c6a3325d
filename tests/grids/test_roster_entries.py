"""Workers and roster entries: actions, constraints, API, history, scoping."""

import datetime as dt
import logging

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.errors import AccessDenied, Conflict, ValidationFailed
from core.models import AuditEntry
from grids.rosters import actions
from grids.rosters.models import RosterEntry, Worker
from grids.rosters.validators import id_number_errors
from tests.grids.conftest import make_id_number

ID_OK = "11010519491231002X"  # the textbook example, valid check digit


# --- Workers ---------------------------------------------------------------


def test_it_validates_the_id_number_check_digit():
    assert id_number_errors(ID_OK) == []
    assert id_number_errors("110105194912310021")  # wrong check digit
    assert id_number_errors("11010519491331002X")  # month 13
    assert id_number_errors("1101051949123100")  # too short


def test_it_rejects_a_worker_with_a_bad_id_number_or_phone(db):
    with pytest.raises(ValidationFailed) as exc:
        actions.worker_create(
            name="张三", phone="12345", id_number="110105194912310021", actor=None
        )
    assert set(exc.value.extra["fields"]) == {"phone", "id_number"}


def test_it_rejects_a_second_worker_with_the_same_id_number(db):
    actions.worker_create(name="张三", phone="13912345678", id_number=ID_OK, actor=None)
    with pytest.raises(ValidationFailed) as exc:
        actions.worker_create(name="李四", phone="13912345679", id_number=ID_OK, actor=None)
    assert exc.value.code == "worker_exists"


def test_it_stores_numbers_in_full_but_masks_them_in_audit_and_log_lines(db, caplog):
    with caplog.at_level(logging.INFO, logger="gridgov.rosters"):
        worker = actions.worker_create(
            name="张三", phone="13912345678", id_number=ID_OK, actor=None
        )
    worker.refresh_from_db()
    assert (worker.phone, worker.id_number) == ("13912345678", ID_OK)
    assert "13912345678" not in caplog.text and ID_OK not in caplog.text
    assert "139****5678" in caplog.text and "110105********002X" in caplog.text
    entry = AuditEntry.objects.get(verb="created", object_id=worker.pk)
    assert entry.after["phone"] == "139****5678"
    assert entry.after["id_number"] == "110105********002X"


def test_only_roster_admins_create_workers(city, personas):
    with pytest.raises(AccessDenied):
        actions.worker_create(
            name="张三", phone="13912345678", id_number=ID_OK, actor=personas.street_officer_a
        )
    worker = actions.worker_create(
        name="张三", phone="13912345678", id_number=ID_OK, actor=personas.roster_admin
    )
    assert worker.code == f"W{worker.pk:08d}"
    assert Worker.pk_from_code(worker.code) == worker.pk


def test_a_worker_with_open_entries_cannot_be_deactivated(city, roster_kit):
    entry = roster_kit.add(city.grid_a1)
    with pytest.raises(Conflict) as exc:
        actions.worker_update(worker=entry.worker, active=False, actor=None)
    assert exc.value.code == "worker_has_open_entries"
    actions.roster_end(entry=entry, end=dt.date(2024, 6, 1), actor=None)
    assert actions.worker_update(worker=entry.worker, active=False, actor=None).active is False


# --- Roster entries -----------------------------------------------------------


def test_it_adds_an_entry_and_records_who_and_what(city, personas, roster_kit):
    worker = roster_kit.worker()
    entry = actions.roster_add(
        grid=city.grid_a1,
        worker=worker,
        role="grid_head",
        full_time=False,
        start=dt.date(2024, 1, 1),
        actor=personas.roster_admin,
    )
    audit = AuditEntry.objects.get(verb="added", object_id=entry.pk)
    assert audit.actor == personas.roster_admin
    assert audit.after["role"] == "grid_head" and audit.after["grid"] == city.grid_a1.pk


def test_the_grid_must_be_a_grid_level_area(city, roster_kit):
    with pytest.raises(ValidationFailed) as exc:
        roster_kit.add(city.community_a, role="grid_head")
    assert "grid" in exc.value.extra["fields"]


def test_a_street_officer_cannot_change_a_roster(city, personas, roster_kit):
    with pytest.raises(AccessDenied):
        actions.roster_add(
            grid=city.grid_a1,
            worker=roster_kit.worker(),
            role="volunteer",
            full_time=False,
            start=dt.date(2024, 1, 1),
            actor=personas.street_officer_a,
        )


def test_it_rejects_a_second_open_full_time_entry_anywhere(city, roster_kit):
    worker = roster_kit.worker()
    roster_kit.add(city.grid_a1, worker, role="full_time_worker")
    with pytest.raises(Conflict) as exc:
        roster_kit.add(city.grid_b1, worker, role="patroller", full_time=True)
    assert exc.value.code == "worker_already_full_time"
    # Part-time elsewhere is fine.
    roster_kit.add(city.grid_b1, worker, role="volunteer")


def test_the_database_refuses_a_second_open_full_time_entry_on_direct_insert(city, roster_kit):
    worker = roster_kit.worker()
    roster_kit.add(city.grid_a1, worker, role="full_time_worker")
    with pytest.raises(IntegrityError), transaction.atomic():
        RosterEntry.objects.create(
            grid=city.grid_b1,
            worker=worker,
            role="patroller",
            full_time=True,
            start=dt.date(2024, 6, 1),
        )


def test_the_database_refuses_an_end_before_the_start(city, roster_kit):
    with pytest.raises(IntegrityError), transaction.atomic():
        RosterEntry.objects.create(
            grid=city.grid_a1,
            worker=roster_kit.worker(),
            role="volunteer",
            start=dt.date(2024, 5, 1),
            end=dt.date(2024, 4, 1),
        )


def test_a_race_on_full_time_becomes_a_409_not_a_500(city, roster_kit, monkeypatch):
    """The check passes (as if another request had not committed yet); the constraint answers."""
    worker = roster_kit.worker()
    roster_kit.add(city.grid_a1, worker, role="full_time_worker")
    real_filter = RosterEntry.objects.filter

    class Blind:
        def filter(self, *a, **kw):
            return RosterEntry.objects.none()

    def fake_filter(*args, **kwargs):
        if kwargs.get("worker") == worker and kwargs.get("end__isnull") and len(kwargs) == 2:
            return Blind()
        return real_filter(*args, **kwargs)

    monkeypatch.setattr(RosterEntry.objects, "filter", fake_filter)
    with pytest.raises(Conflict) as exc:
        roster_kit.add(city.grid_b1, worker, role="patroller", full_time=True)
    assert exc.value.code == "worker_already_full_time"


def test_ending_keeps_the_entry_as_history(city, roster_kit):
    entry = roster_kit.add(city.grid_a1, role="full_time_worker")
    actions.roster_end(entry=entry, end=dt.date(2024, 3, 1), actor=None)
    entry.refresh_from_db()
    assert entry.end == dt.date(2024, 3, 1)
    assert RosterEntry.objects.filter(pk=entry.pk).exists()
    # The worker may now take a full-time job elsewhere.
    roster_kit.add(city.grid_b1, entry.worker, role="full_time_worker")
    assert RosterEntry.objects.filter(worker=entry.worker).count() == 2
    with pytest.raises(Conflict):
        actions.roster_end(entry=entry, end=dt.date(2024, 4, 1), actor=None)


def test_it_rejects_an_end_before_start_or_in_the_future(city, roster_kit):
    entry = roster_kit.add(city.grid_a1)
    with pytest.raises(ValidationFailed):
        actions.roster_end(entry=entry, end=dt.date(2023, 1, 1), actor=None)
    with pytest.raises(ValidationFailed):
        actions.roster_end(entry=entry, end=timezone.localdate() + dt.timedelta(days=3), actor=None)


# --- API ------------------------------------------------------------------------


def test_api_add_and_full_time_conflict_is_409(city, personas, api_as, roster_kit):
    worker = roster_kit.worker()
    client = api_as(personas.roster_admin)
    url = f"/api/v1/grids/{city.grid_a1.pk}/roster/"
    body = {
        "worker": worker.pk,
        "role": "full_time_worker",
        "full_time": True,
        "start": "2024-01-01",
    }
    assert client.post(url, body, format="json").status_code == 201
    body = {"worker": worker.pk, "role": "patroller", "full_time": True, "start": "2024-01-01"}
    response = client.post(f"/api/v1/grids/{city.grid_b1.pk}/roster/", body, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "worker_already_full_time"


def test_api_roster_lists_current_entries_with_masked_numbers(city, personas, api_as, roster_kit):
    entries = roster_kit.staff(city.grid_a1)
    actions.roster_end(entry=entries[-1], end=dt.date(2024, 2, 1), actor=None)
    body = api_as(personas.street_officer_a).get(f"/api/v1/grids/{city.grid_a1.pk}/roster/").json()
    assert len(body["results"]) == 4
    phones = {row["worker"]["phone"] for row in body["results"]}
    assert all("****" in p for p in phones)
    assert entries[0].worker.phone not in str(body)


def test_api_end_entry(city, personas, api_as, roster_kit):
    entry = roster_kit.add(city.grid_a1)
    url = f"/api/v1/grids/roster-entries/{entry.pk}/end/"
    assert api_as(personas.street_officer_a).post(url, {"end": "2024-02-01"}).status_code == 403
    response = api_as(personas.roster_admin).post(url, {"end": "2024-02-01"})
    assert response.status_code == 200 and response.json()["end"] == "2024-02-01"


def test_another_streets_officer_gets_404_on_a_grids_roster(city, personas, api_as, roster_kit):
    roster_kit.staff(city.grid_a1)
    client = api_as(personas.street_officer_b)
    for url in (
        f"/api/v1/grids/{city.grid_a1.pk}/roster/",
        f"/api/v1/grids/{city.grid_a1.pk}/roster/history/",
    ):
        response = client.get(url)
        assert response.status_code == 404
        assert response.json()["code"] == "grid_not_found"
    # A department officer of the district does not read rosters either.
    assert (
        api_as(personas.department_officer)
        .get(f"/api/v1/grids/{city.grid_a1.pk}/roster/")
        .status_code
        == 404
    )


def test_history_shows_before_and_after_newest_first(city, personas, api_as, roster_kit):
    entry = roster_kit.add(city.grid_a1, role="grid_head")
    actions.roster_end(entry=entry, end=dt.date(2024, 3, 1), actor=personas.roster_admin)
    actions.worker_update(worker=entry.worker, phone="13800001111", actor=personas.roster_admin)
    other = roster_kit.add(city.grid_b1)  # another grid's change stays out
    body = (
        api_as(personas.street_officer_a)
        .get(f"/api/v1/grids/{city.grid_a1.pk}/roster/history/")
        .json()
    )
    rows = body["results"]
    assert [(r["object_type"], r["verb"]) for r in rows] == [
        ("worker", "updated"),
        ("roster_entry", "ended"),
        ("roster_entry", "added"),
        ("worker", "created"),
    ]
    assert rows[0]["changes"]["phone"] == ["139****0001", "138****1111"]
    assert rows[0]["actor"] == "roster_admin"
    assert rows[1]["before"]["end"] is None and rows[1]["after"]["end"] == "2024-03-01"
    assert all(r["object_id"] != other.pk or r["object_type"] != "roster_entry" for r in rows)


def test_worker_list_masks_and_detail_is_full_only_for_managers(city, personas, api_as, roster_kit):
    entry = roster_kit.add(city.grid_a1)
    worker = entry.worker
    listing = api_as(personas.street_officer_a).get("/api/v1/grids/workers/").json()["results"]
    assert [w["phone"] for w in listing] == [worker.masked_phone]
    assert listing[0]["id_number"] == worker.masked_id_number
    detail = api_as(personas.street_officer_a).get(f"/api/v1/grids/workers/{worker.pk}/").json()
    assert detail["phone"] == worker.masked_phone and detail["masked"] is True
    admin_list = api_as(personas.roster_admin).get("/api/v1/grids/workers/").json()["results"]
    assert admin_list[0]["phone"] == worker.masked_phone
    detail = api_as(personas.roster_admin).get(f"/api/v1/grids/workers/{worker.pk}/").json()
    assert (detail["phone"], detail["id_number"]) == (worker.phone, worker.id_number)
    assert (
        api_as(personas.street_officer_b).get(f"/api/v1/grids/workers/{worker.pk}/").status_code
        == 404
    )


def test_api_create_and_update_worker(city, personas, api_as):
    client = api_as(personas.roster_admin)
    response = client.post(
        "/api/v1/grids/workers/",
        {"name": "王五", "phone": "13911112222", "id_number": make_id_number(7)},
        format="json",
    )
    assert response.status_code == 201, response.content
    wid = response.json()["id"]
    response = client.patch(f"/api/v1/grids/workers/{wid}/", {"name": "王小五"}, format="json")
    assert response.status_code == 200 and response.json()["name"] == "王小五"
    bad = client.post(
        "/api/v1/grids/workers/",
        {"name": "赵六", "phone": "13911112223", "id_number": "110105194912310021"},
        format="json",
    )
    assert bad.status_code == 400 and "id_number" in bad.json()["extra"]["fields"]


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries), ctx


def test_list_query_counts_stay_constant(city, personas, api_as, roster_kit):
    client = api_as(personas.roster_admin)
    roster_kit.staff(city.grid_a1, extra=0)
    urls = [
        f"/api/v1/grids/{city.grid_a1.pk}/roster/",
        f"/api/v1/grids/{city.grid_a1.pk}/roster/history/",
        "/api/v1/grids/workers/",
    ]
    before = {url: _count(client, url)[0] for url in urls}
    for _ in range(6):
        entry = roster_kit.add(city.grid_a1)
        actions.worker_update(worker=entry.worker, notes="x", actor=personas.roster_admin)
    for url in urls:
        after, ctx = _count(client, url)
        sql = "\n".join(q["sql"] for q in ctx.captured_queries)
        assert after == before[url], f"{url}: {before[url]} → {after}\n{sql}"
