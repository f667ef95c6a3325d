"""The import preview runs the real roster actions and rolls them back."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction

from core import identity
from core.errors import ApplicationError
from core.models import AuditEntry
from grids.rosters import actions
from grids.rosters import io as roster_io
from grids.rosters.models import RosterEntry, Worker
from tests.grids.conftest import make_id_number


def _rows(*rows: dict[str, str]) -> list[tuple[int, dict[str, str]]]:
    """Data rows as read_upload gives them (the header is spreadsheet row 1)."""
    return [(n, dict.fromkeys(roster_io.KEYS, "") | r) for n, r in enumerate(rows, start=2)]


def _counts() -> tuple[int, int, int]:
    return Worker.objects.count(), RosterEntry.objects.count(), AuditEntry.objects.count()


def _refusal(action: Any, **kwargs: Any) -> ApplicationError:
    """What the action itself says (in a rolled-back savepoint)."""
    with pytest.raises(ApplicationError) as exc, transaction.atomic():
        action(**kwargs)
    return exc.value


def _errors(plan: roster_io.ImportPlan) -> list[tuple[int, str, str]]:
    return sorted((e.row, e.column, e.message) for e in plan.errors)


def test_the_preview_leaves_nothing_behind_and_reports_the_actions_messages_by_row(city, personas):
    grid = city.grid_a1.code
    rows = _rows(
        {
            "grid_code": grid,
            "name": "甲",
            "phone": "13700000001",
            "id_number": make_id_number(1),
            "role": "volunteer",
        },
        {
            "grid_code": grid,
            "name": "乙",
            "phone": "12345",
            "id_number": make_id_number(2),
            "role": "volunteer",
        },
        {
            "grid_code": grid,
            "name": "丙",
            "phone": "13700000003",
            "id_number": make_id_number(3),
            "role": "full_time_worker",
            "full_time": "0",
        },
        {
            "grid_code": grid,
            "name": "丁",
            "phone": "13700000004",
            "id_number": "110105194912310021",
            "role": "volunteer",
        },
    )
    before = _counts()
    plan = roster_io.plan_import(rows, actor=personas.roster_admin)
    assert _counts() == before
    # The messages are the actions' own (or the one identity rule's).
    worker = Worker(name="x", phone="13700000009", id_number=make_id_number(9))
    full_time = _refusal(
        actions.roster_add,
        grid=city.grid_a1,
        worker=worker,
        role="full_time_worker",
        full_time=False,
        start=dt.date(2026, 1, 5),
        actor=None,
    )
    assert _errors(plan) == [
        (3, "phone", str(identity.PHONE_INVALID)),
        (4, "full_time", full_time.extra["fields"]["full_time"][0]),
        (5, "id_number", str(identity.ID_NUMBER_CHECK_DIGIT)),
    ]
    assert [(op.row, op.action) for op in plan.ops] == [(2, "create_worker"), (2, "add")]
    # Nobody was created: the preview names no worker code.
    assert [c["worker_code"] for c in plan.report(dry_run=True, applied=False)["changes"]] == [
        "",
        "",
    ]


def test_apply_runs_the_same_actions_for_real(city, personas):
    rows = _rows(
        {
            "grid_code": city.grid_a1.code,
            "name": "甲",
            "phone": "+86 137 0000 0001",
            "id_number": make_id_number(1),
            "role": "volunteer",
        }
    )
    plan = roster_io.plan_import(rows, actor=personas.roster_admin)
    preview = plan.report(dry_run=True, applied=False)
    assert not Worker.objects.filter(name="甲").exists()
    roster_io.apply_import(plan, actor=personas.roster_admin)
    applied = plan.report(dry_run=False, applied=True)
    assert applied["errors"] == [] and applied["counts"] == preview["counts"]
    worker = Worker.objects.get(name="甲")
    assert worker.phone == "13700000001"  # normalised by the action
    assert [c["worker_code"] for c in applied["changes"]] == [worker.code, worker.code]
    assert RosterEntry.objects.filter(worker=worker, grid=city.grid_a1, end=None).exists()


def test_ends_run_before_adds_so_a_file_can_move_a_full_time_worker(city, personas, roster_kit):
    ft = roster_kit.add(city.grid_a1, role="full_time_worker")
    rows = _rows(
        # The new job comes first in the file; the old one ends further down.
        {"grid_code": city.grid_a2.code, "worker_code": ft.worker.code, "role": "full_time_worker"},
        {
            "grid_code": city.grid_a1.code,
            "worker_code": ft.worker.code,
            "role": "full_time_worker",
            "end": "2024-05-31",
        },
    )
    plan = roster_io.plan_import(rows, actor=personas.roster_admin)
    assert plan.errors == []
    assert [(op.row, op.action) for op in plan.ops] == [(2, "add"), (3, "end")]
    roster_io.apply_import(plan, actor=personas.roster_admin)
    assert plan.errors == []
    open_grids = RosterEntry.objects.filter(worker=ft.worker, end=None).values_list(
        "grid", flat=True
    )
    assert list(open_grids) == [city.grid_a2.pk]


def test_a_row_repeated_in_the_file_is_refused_by_the_action(city, personas, roster_kit):
    worker = roster_kit.worker()
    row = {"grid_code": city.grid_a1.code, "worker_code": worker.code, "role": "volunteer"}
    before = _counts()
    plan = roster_io.plan_import(_rows(row, row), actor=personas.roster_admin)
    assert _counts() == before
    roster_kit.add(city.grid_a1, worker=worker)
    held = _refusal(
        actions.roster_add,
        grid=city.grid_a1,
        worker=worker,
        role="volunteer",
        full_time=False,
        start=dt.date(2026, 1, 5),
        actor=None,
    )
    assert _errors(plan) == [(3, "role", held.message)]
    assert [(op.row, op.action) for op in plan.ops] == [(2, "add")]
