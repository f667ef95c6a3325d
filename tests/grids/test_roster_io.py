"""Roster import/export: template, export masking, dry run, all-or-nothing, round trip."""

import csv
import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook, load_workbook

from core.models import AuditEntry
from grids.rosters import io as roster_io
from grids.rosters.models import RosterEntry, Worker
from tests.grids.conftest import make_id_number

HEADER = roster_io.header_row()
URL = "/api/v1/grids/rosters/import/"


def _csv(rows, header=HEADER):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return SimpleUploadedFile("roster.csv", buffer.getvalue().encode("utf-8-sig"))


def _xlsx(rows, header=HEADER):
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile("roster.xlsx", out.getvalue())


def _row(**kw):
    data = dict.fromkeys(roster_io.KEYS, "") | kw
    return [data[k] for k in roster_io.KEYS]


def _snapshot():
    return (
        list(Worker.objects.order_by("id").values_list("name", "phone", "id_number", "gender")),
        list(RosterEntry.objects.order_by("id").values_list("grid", "worker", "role", "end")),
        AuditEntry.objects.count(),
    )


def test_template_in_both_formats(city, personas, api_as):
    client = api_as(personas.roster_admin)
    response = client.get("/api/v1/grids/rosters/template/?format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.decode("utf-8-sig").strip() == ",".join(HEADER)
    response = client.get("/api/v1/grids/rosters/template/?format=xlsx")
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert [c.value for c in ws[1]] == HEADER
    assert HEADER[0] == "网格代码 grid_code"
    assert client.get("/api/v1/grids/rosters/template/?format=pdf").status_code == 400


def test_export_masks_phone_and_id(city, personas, api_as, roster_kit):
    entries = roster_kit.staff(city.grid_a1)
    roster_kit.staff(city.grid_b1)
    client = api_as(personas.street_officer_a)
    response = client.get(f"/api/v1/grids/rosters/export/?area={city.street_a.pk}&format=csv")
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))[1:]
    assert len(rows) == 5 and {r[0] for r in rows} == {city.grid_a1.code}
    worker = entries[0].worker
    assert worker.phone not in text and worker.id_number not in text
    assert worker.masked_phone in text and worker.masked_id_number in text
    response = client.get(f"/api/v1/grids/rosters/export/?area={city.street_a.pk}&format=xlsx")
    ws = load_workbook(io.BytesIO(response.content)).worksheets[0]
    values = [str(c.value) for row in ws.iter_rows() for c in row]
    assert worker.phone not in values and worker.masked_phone in values
    assert (
        api_as(personas.street_officer_b)
        .get(f"/api/v1/grids/rosters/export/?area={city.street_a.pk}&format=csv")
        .status_code
        == 404
    )


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_round_trip_export_then_import_changes_nothing(city, personas, api_as, roster_kit, fmt):
    roster_kit.staff(city.grid_a1)
    roster_kit.staff(city.grid_a2, extra=3)
    client = api_as(personas.roster_admin)
    exported = client.get(f"/api/v1/grids/rosters/export/?area={city.district.pk}&format={fmt}")
    before = _snapshot()
    upload = SimpleUploadedFile(f"roster.{fmt}", exported.content)
    response = client.post(URL, {"file": upload}, format="multipart")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["errors"] == []
    assert body["counts"] == {
        "add": 0,
        "end": 0,
        "unchanged": 11,
        "create_worker": 0,
        "update_worker": 0,
    }
    assert _snapshot() == before


def test_dry_run_reports_errors_by_row_and_column_and_writes_nothing(
    city, personas, api_as, roster_kit
):
    head = roster_kit.add(city.grid_a1, role="grid_head")
    before = _snapshot()
    rows = [
        _row(
            grid_code=city.grid_a1.code,
            name="新人甲",
            phone="13700000001",
            id_number=make_id_number(101),
            role="volunteer",
        ),
        _row(
            grid_code="150302001001999",
            name="乙",
            phone="13700000002",
            id_number=make_id_number(102),
            role="volunteer",
        ),
        _row(
            grid_code=city.grid_a1.code,
            name="丙",
            phone="137",
            id_number="110105194912310021",
            role="volunteer",
        ),
        _row(
            grid_code=city.grid_a1.code,
            worker_code=head.worker.code,
            name=head.worker.name,
            role="astronaut",
        ),
        _row(
            grid_code=city.grid_a1.code,
            worker_code=head.worker.code,
            name=head.worker.name,
            role="grid_head",
            end="2024-02-01",
        ),
    ]
    response = api_as(personas.roster_admin).post(
        URL + "?dry_run=1", {"file": _csv(rows)}, format="multipart"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    errors = {(e["row"], e["column"]) for e in body["errors"]}
    assert errors == {(3, "grid_code"), (4, "id_number"), (5, "role")}
    assert all(e["message"] for e in body["errors"])
    assert body["counts"]["create_worker"] == 1 and body["counts"]["add"] == 1
    assert body["counts"]["end"] == 1
    assert {c["action"] for c in body["changes"]} == {"create_worker", "add", "end"}
    assert _snapshot() == before


def test_apply_is_all_or_nothing(city, personas, api_as):
    rows = [
        _row(
            grid_code=city.grid_a1.code,
            name="新人甲",
            phone="13700000001",
            id_number=make_id_number(101),
            role="grid_head",
        ),
        _row(
            grid_code=city.grid_b1.code,
            name="新人乙",
            phone="13700000002",
            id_number=make_id_number(102),
            role="nonsense",
        ),
    ]
    before = _snapshot()
    response = api_as(personas.roster_admin).post(URL, {"file": _xlsx(rows)}, format="multipart")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "import_invalid"
    assert body["extra"]["errors"] == [
        {"row": 3, "column": "role", "message": "Unknown roster role."}
    ]
    assert _snapshot() == before


def test_apply_rolls_back_when_an_action_refuses_a_row(
    city, personas, api_as, roster_kit, monkeypatch
):
    """A race between plan and apply: the action's error rolls back earlier rows too."""
    from core.errors import Conflict
    from grids.rosters import actions

    real_add = actions.roster_add
    calls = []

    def flaky_add(**kw):
        calls.append(kw)
        if len(calls) == 2:
            raise Conflict("busy", code="worker_already_full_time")
        return real_add(**kw)

    monkeypatch.setattr(actions, "roster_add", flaky_add)
    rows = [
        _row(
            grid_code=city.grid_a1.code,
            name=f"新人{n}",
            phone=f"1370000000{n}",
            id_number=make_id_number(100 + n),
            role="volunteer",
        )
        for n in range(3)
    ]
    before = _snapshot()
    response = api_as(personas.roster_admin).post(URL, {"file": _csv(rows)}, format="multipart")
    assert response.status_code == 400
    assert response.json()["extra"]["errors"][0]["row"] == 3
    assert _snapshot() == before


def test_apply_adds_creates_updates_and_ends_with_audit(city, personas, api_as, roster_kit):
    ft = roster_kit.add(city.grid_a1, role="full_time_worker")
    vol = roster_kit.add(city.grid_a1, role="volunteer")
    rows = [
        # End the full-time job in A1-1 and start one in A1-2, same file.
        _row(
            grid_code=city.grid_a1.code,
            worker_code=ft.worker.code,
            role="full_time_worker",
            full_time="1",
            end="2024-05-31",
        ),
        _row(
            grid_code=city.grid_a2.code,
            worker_code=ft.worker.code,
            role="full_time_worker",
            start="2024-06-01",
        ),
        # A full new phone number for an existing worker updates it.
        _row(
            grid_code=city.grid_a1.code,
            worker_code=vol.worker.code,
            phone="13812340000",
            role="volunteer",
        ),
        _row(
            grid_code=city.grid_a1.code,
            name="新人甲",
            gender="女",
            phone="13700000001",
            id_number=make_id_number(101),
            role="building_head",
            start="2024/03/01",
        ),
    ]
    response = api_as(personas.roster_admin).post(URL, {"file": _csv(rows)}, format="multipart")
    assert response.status_code == 200, response.content
    assert response.json()["counts"] == {
        "add": 2,
        "end": 1,
        "unchanged": 1,
        "create_worker": 1,
        "update_worker": 1,
    }
    ft.refresh_from_db()
    assert ft.end == dt.date(2024, 5, 31)
    assert RosterEntry.objects.get(grid=city.grid_a2, worker=ft.worker).full_time is True
    assert Worker.objects.get(pk=vol.worker.pk).phone == "13812340000"
    new = Worker.objects.get(name="新人甲")
    assert new.gender == "female"
    assert RosterEntry.objects.get(worker=new).start == dt.date(2024, 3, 1)
    audit = AuditEntry.objects.filter(actor=personas.roster_admin)
    assert {a.verb for a in audit} == {"created", "updated", "ended", "added"}


def test_a_file_cannot_give_a_worker_two_full_time_jobs(city, personas, api_as, roster_kit):
    ft = roster_kit.add(city.grid_a1, role="full_time_worker")
    rows = [_row(grid_code=city.grid_b1.code, worker_code=ft.worker.code, role="full_time_worker")]
    body = (
        api_as(personas.roster_admin)
        .post(URL + "?dry_run=1", {"file": _csv(rows)}, format="multipart")
        .json()
    )
    assert [(e["row"], e["column"]) for e in body["errors"]] == [(2, "full_time")]


def test_rows_on_grids_the_user_does_not_manage_are_errors(city, personas, api_as):
    rows = [
        _row(
            grid_code=city.grid_a1.code,
            name="甲",
            phone="13700000001",
            id_number=make_id_number(101),
            role="volunteer",
        )
    ]
    body = (
        api_as(personas.street_officer_a)
        .post(URL + "?dry_run=1", {"file": _csv(rows)}, format="multipart")
        .json()
    )
    assert body["errors"][0]["column"] == "grid_code"
    body = (
        api_as(personas.street_officer_b)
        .post(URL + "?dry_run=1", {"file": _csv(rows)}, format="multipart")
        .json()
    )
    assert body["errors"][0]["message"] == "Unknown grid code."


def test_it_rejects_large_files_wrong_types_and_missing_columns(
    city, personas, api_as, monkeypatch
):
    client = api_as(personas.roster_admin)
    response = client.post(
        URL, {"file": SimpleUploadedFile("x.pdf", b"%PDF-1.4 hello")}, format="multipart"
    )
    assert response.status_code == 400 and response.json()["code"] == "unsupported_file_type"
    response = client.post(
        URL, {"file": SimpleUploadedFile("x.xlsx", b"not a zip")}, format="multipart"
    )
    assert response.json()["code"] == "unsupported_file_type"
    response = client.post(
        URL, {"file": SimpleUploadedFile("x.xlsx", b"PK\x03\x04garbage")}, format="multipart"
    )
    assert response.json()["code"] == "unsupported_file_type"
    response = client.post(URL, {"file": _csv([], header=["姓名 name"])}, format="multipart")
    assert response.json()["code"] == "missing_columns"
    assert response.json()["extra"]["missing"] == ["grid_code", "role"]
    monkeypatch.setattr(roster_io, "MAX_IMPORT_BYTES", 100)
    response = client.post(URL, {"file": _csv([_row(note="x" * 200)])}, format="multipart")
    assert response.status_code == 400 and response.json()["code"] == "file_too_large"
    assert client.post(URL, {}, format="multipart").status_code == 400


def test_headers_match_by_chinese_label_too(city, personas, api_as):
    header = [zh for _k, zh in roster_io.COLUMNS]
    rows = [
        [
            city.grid_a1.code,
            "",
            "甲",
            "",
            "13700000001",
            make_id_number(101),
            "volunteer",
            "",
            "",
            "",
            "",
        ]
    ]
    body = (
        api_as(personas.roster_admin)
        .post(URL + "?dry_run=1", {"file": _csv(rows, header=header)}, format="multipart")
        .json()
    )
    assert body["errors"] == [] and body["counts"]["add"] == 1


def test_import_and_export_query_counts_stay_constant(city, personas, api_as, roster_kit):
    client = api_as(personas.roster_admin)
    roster_kit.staff(city.grid_a1)

    def run():
        exported = client.get(f"/api/v1/grids/rosters/export/?area={city.district.pk}&format=csv")
        with CaptureQueriesContext(connection) as export_ctx:
            client.get(f"/api/v1/grids/rosters/export/?area={city.district.pk}&format=csv")
        with CaptureQueriesContext(connection) as import_ctx:
            client.post(
                URL + "?dry_run=1",
                {"file": SimpleUploadedFile("r.csv", exported.content)},
                format="multipart",
            )
        return len(export_ctx.captured_queries), len(import_ctx.captured_queries)

    before = run()
    roster_kit.staff(city.grid_a2)
    roster_kit.staff(city.grid_b1)
    assert run() == before
