"""Roster import and export as XLSX (openpyxl) and CSV.

One row = one roster entry. Headers are "中文 key" (``网格代码 grid_code``);
the reader matches a header by its key or by its Chinese label, so a
re-ordered or relabelled file still reads.

Import semantics (docs/decisions/0009-rosters.md):

- a row without an end date asks that the worker hold the role on the grid:
  an open entry for (grid, worker, role) already there → unchanged, else add;
- a row with an end date ends that open entry (an entry already ended on
  that date → unchanged);
- rows absent from the file change nothing (the import is not a sync);
- the worker is found by ``worker_code`` (W + id), else by full ID number,
  else created. Phone and ID number cells that are empty or masked
  (contain ``*``, as every export writes them) mean "unchanged", so an
  exported file imports back with no change;
- the apply is all-or-nothing: one transaction, any error → nothing written.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import ApplicationError, ValidationFailed
from core.logging import mask_id_number, mask_phone
from core.types import Actor, AnyUser
from governance.models import Area, AreaLevel
from governance.selectors import user_scope
from grids.rosters import actions
from grids.rosters.models import Gender, RosterEntry, RosterRole, Worker
from grids.rosters.selectors import user_manages_worker, worker_list
from grids.rosters.validators import (
    id_number_errors,
    is_masked,
    normalize_id_number,
    normalize_phone,
    phone_errors,
)

MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_IMPORT_ROWS = 20_000
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"

#: (key, Chinese header) in file order.
COLUMNS: list[tuple[str, str]] = [
    ("grid_code", "网格代码"),
    ("worker_code", "人员编号"),
    ("name", "姓名"),
    ("gender", "性别"),
    ("phone", "手机号"),
    ("id_number", "身份证号"),
    ("role", "角色"),
    ("full_time", "专职"),
    ("start", "开始日期"),
    ("end", "结束日期"),
    ("note", "备注"),
]
KEYS = [k for k, _zh in COLUMNS]
REQUIRED_COLUMNS = ("grid_code", "name", "role")
#: Columns kept as text in XLSX so Excel never turns 18 digits into 1.1E+17.
_TEXT_COLUMNS = {"grid_code", "worker_code", "phone", "id_number", "start", "end"}
_TRUE = {"1", "true", "yes", "y", "是", "√", "专职"}
_FALSE = {"0", "false", "no", "n", "否", "", "兼职"}
_GENDERS = {"male": "male", "男": "male", "female": "female", "女": "female", "": ""}

FILE_ERRORS: dict[str, Any] = {
    "file_too_large": gettext_lazy("The file is larger than 5 MB."),
    "unsupported_file_type": gettext_lazy("Upload an .xlsx or a .csv file."),
    "missing_columns": gettext_lazy("The file lacks required columns."),
}


def header_row() -> list[str]:
    return [f"{zh} {key}" for key, zh in COLUMNS]


# --- Writing ---------------------------------------------------------------


def export_rows(entries: QuerySet[RosterEntry]) -> list[list[str]]:
    """One row per entry; phone and ID number masked (the file leaves the system)."""
    rows = []
    for e in entries:
        w = e.worker
        rows.append(
            [
                e.grid.code,
                w.code,
                w.name,
                w.gender,
                mask_phone(w.phone),
                mask_id_number(w.id_number),
                e.role,
                "1" if e.full_time else "0",
                e.start.isoformat(),
                e.end.isoformat() if e.end else "",
                e.note,
            ]
        )
    return rows


def render_csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header_row())
    writer.writerows(rows)
    # UTF-8 with a BOM: Excel on Chinese Windows opens it without garbling.
    return buffer.getvalue().encode("utf-8-sig")


def render_xlsx(rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "roster"
    ws.append(header_row())
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(row)
    for idx, key in enumerate(KEYS, start=1):
        letter = ws.cell(row=1, column=idx).column_letter
        ws.column_dimensions[letter].width = 18
        if key in _TEXT_COLUMNS:
            for r in range(1, max(len(rows) + 1, 500) + 1):
                ws.cell(row=r, column=idx).number_format = "@"
    help_ws = wb.create_sheet("help")
    help_ws.append(["key", "value", "meaning"])
    for role in RosterRole:
        help_ws.append(["role", role.value, str(role.label)])
    for gender in Gender:
        help_ws.append(["gender", gender.value, str(gender.label)])
    help_ws.append(["full_time", "1 / 0", _("full-time / part-time")])
    help_ws.append(["start, end", "YYYY-MM-DD", _("empty end = the entry stays open")])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def render(rows: list[list[str]], fmt: str) -> tuple[bytes, str]:
    if fmt == "csv":
        return render_csv(rows), CSV_CONTENT_TYPE
    return render_xlsx(rows), XLSX_CONTENT_TYPE


# --- Reading ---------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _file_error(code: str, **extra: Any) -> ValidationFailed:
    return ValidationFailed(str(FILE_ERRORS[code]), code=code, extra=extra)


def _read_xlsx(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        ws = wb.worksheets[0]
        rows = []
        for i, row in enumerate(ws.iter_rows(values_only=True)):
            if i > MAX_IMPORT_ROWS + 1:
                break
            rows.append([_cell(v) for v in row])
        wb.close()
    # A malformed workbook can fail anywhere inside openpyxl (XML parse
    # errors are SyntaxError); every such failure is the same 400.
    except (
        zipfile.BadZipFile,
        KeyError,
        ValueError,
        OSError,
        IndexError,
        SyntaxError,
        TypeError,
        AttributeError,
    ) as exc:
        raise _file_error("unsupported_file_type") from exc
    return rows


def _read_csv(data: bytes) -> list[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise _file_error("unsupported_file_type")
    if "\x00" in text:
        raise _file_error("unsupported_file_type")
    try:
        return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))]
    except csv.Error as exc:
        raise _file_error("unsupported_file_type") from exc


def _column_key(header: str) -> str | None:
    header = (header or "").strip()
    if not header:
        return None
    last = header.split()[-1]
    if last in KEYS:
        return last
    for key, zh in COLUMNS:
        if header == zh or header.startswith(zh):
            return key
    return None


def read_upload(upload: UploadedFile) -> list[tuple[int, dict[str, str]]]:
    """(spreadsheet row number, {key: text}) for every non-empty data row.

    File-level problems (size, type, headers) raise ValidationFailed (400).
    """
    if (upload.size or 0) > MAX_IMPORT_BYTES:
        raise _file_error("file_too_large", max_bytes=MAX_IMPORT_BYTES)
    data = upload.read()
    if len(data) > MAX_IMPORT_BYTES:
        raise _file_error("file_too_large", max_bytes=MAX_IMPORT_BYTES)
    name = (upload.name or "").lower()
    # Trust the content, not the name: an .xlsx is a zip archive.
    if data[:4] == b"PK\x03\x04":
        if not name.endswith(".xlsx"):
            raise _file_error("unsupported_file_type")
        raw = _read_xlsx(data)
    elif name.endswith(".csv"):
        raw = _read_csv(data)
    else:
        raise _file_error("unsupported_file_type")
    if not raw:
        raise _file_error("missing_columns", missing=list(REQUIRED_COLUMNS))
    keys = [_column_key(h) for h in raw[0]]
    missing = [k for k in REQUIRED_COLUMNS if k not in keys]
    if missing:
        raise _file_error("missing_columns", missing=missing)
    rows: list[tuple[int, dict[str, str]]] = []
    for number, cells in enumerate(raw[1:], start=2):
        if not any(cells):
            continue
        row = dict.fromkeys(KEYS, "")
        row.update({k: v for k, v in zip(keys, cells, strict=False) if k is not None})
        rows.append((number, row))
    if len(rows) > MAX_IMPORT_ROWS:
        raise ValidationFailed(
            _("A file may hold at most %(n)d rows.") % {"n": MAX_IMPORT_ROWS},
            code="too_many_rows",
        )
    return rows


# --- Planning --------------------------------------------------------------


@dataclass
class RowError:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class NewWorker:
    row: int
    data: dict[str, Any]
    worker: Worker | None = None  # set when applied


@dataclass
class Op:
    """One change the import makes (or would make)."""

    row: int
    action: str  # add | end | unchanged | create_worker | update_worker
    grid: Area | None = None
    worker: Worker | None = None
    new_worker: NewWorker | None = None
    role: str = ""
    full_time: bool = False
    start: dt.date | None = None
    end: dt.date | None = None
    note: str = ""
    entry: RosterEntry | None = None
    worker_changes: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        w = self.worker or (self.new_worker.worker if self.new_worker else None)
        name = w.name if w else (self.new_worker.data["name"] if self.new_worker else "")
        out: dict[str, Any] = {
            "row": self.row,
            "action": self.action,
            "grid_code": self.grid.code if self.grid else "",
            "worker_code": w.code if w else "",
            "name": name,
        }
        if self.action in ("add", "end", "unchanged"):
            out |= {
                "role": self.role,
                "full_time": self.full_time,
                "start": self.start.isoformat() if self.start else None,
                "end": self.end.isoformat() if self.end else None,
            }
        if self.action == "update_worker":
            out["fields"] = sorted(self.worker_changes)
        return out


@dataclass
class ImportPlan:
    ops: list[Op] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        out = {"add": 0, "end": 0, "unchanged": 0, "create_worker": 0, "update_worker": 0}
        for op in self.ops:
            out[op.action] += 1
        return out

    def report(self, *, dry_run: bool, applied: bool) -> dict[str, Any]:
        return {
            "dry_run": dry_run,
            "applied": applied,
            "counts": self.counts,
            "changes": [op.as_dict() for op in self.ops],
            "errors": [e.as_dict() for e in sorted(self.errors, key=lambda e: (e.row, e.column))],
        }


def _parse_date(value: str) -> dt.date | None:
    v = value.strip().replace("/", "-").replace(".", "-")
    v = v.split("T")[0].split(" ")[0]
    try:
        return dt.date.fromisoformat(v)
    except ValueError:
        parts = v.split("-")
        if len(parts) == 3 and all(p.isdigit() for p in parts):
            try:
                return dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
            except ValueError:
                return None
        return None


def _role_lookup() -> dict[str, str]:
    out = {}
    for role in RosterRole:
        out[role.value] = role.value
        out[str(role.label).lower()] = role.value
    return out


def plan_import(rows: list[tuple[int, dict[str, str]]], *, actor: AnyUser) -> ImportPlan:
    """Validate every row and work out the changes, without writing anything.

    A constant number of queries: grids, workers and their entries are read
    in bulk up front.
    """
    plan = ImportPlan()
    scope = user_scope(actor)
    today = timezone.localdate()
    roles = _role_lookup()

    def err(row: int, column: str, message: str) -> None:
        plan.errors.append(RowError(row, column, str(message)))

    grid_codes = {r["grid_code"] for _n, r in rows if r["grid_code"]}
    grids = {
        g.code: g
        for g in Area.objects.filter(scope.work_q(), code__in=grid_codes, level=AreaLevel.GRID)
    }
    worker_pks = {Worker.pk_from_code(r["worker_code"]) for _n, r in rows if r["worker_code"]}
    by_pk = {w.pk: w for w in worker_list(user=actor).filter(pk__in=worker_pks - {None})}
    id_numbers = {
        normalize_id_number(r["id_number"])
        for _n, r in rows
        if r["id_number"] and not is_masked(r["id_number"])
    }
    # Only workers the importer may see: an ID number outside their scope is
    # never matched (nor named back); creating it again fails as worker_exists.
    by_id_number = {
        w.id_number: w for w in worker_list(user=actor).filter(id_number__in=id_numbers)
    }
    known_ids = {w.pk for w in by_pk.values()} | {w.pk for w in by_id_number.values()}
    entries_by_worker: dict[int, list[RosterEntry]] = defaultdict(list)
    for entry in RosterEntry.objects.filter(worker_id__in=known_ids).select_related("grid"):
        entries_by_worker[entry.worker_id].append(entry)

    new_workers: dict[str, NewWorker] = {}
    updated_workers: set[int] = set()
    seen_keys: set[tuple[Any, ...]] = set()
    ending: set[int] = set()  # entry ids ended by the file
    wanted: list[Op] = []  # add/unchanged ops to check for full-time clashes afterwards

    for number, r in rows:
        n_errors = len(plan.errors)
        # Grid
        grid = grids.get(r["grid_code"])
        if not r["grid_code"]:
            err(number, "grid_code", _("This field may not be blank."))
        elif grid is None:
            err(number, "grid_code", _("Unknown grid code."))
        elif not scope.manages_path(grid.path):
            err(number, "grid_code", _("You may not change this grid's roster."))
        elif not grid.is_active:
            err(number, "grid_code", _("This grid was merged or retired."))
        # Role and entry fields
        role = roles.get(r["role"].strip().lower(), "")
        if not role:
            err(number, "role", _("Unknown roster role."))
        ft_text = r["full_time"].strip().lower()
        full_time = role == RosterRole.FULL_TIME_WORKER
        if ft_text in _TRUE:
            full_time = True
        elif ft_text and ft_text in _FALSE:
            full_time = False
        elif ft_text:
            err(number, "full_time", _("Write 1 for full-time or 0 for part-time."))
        if role == RosterRole.FULL_TIME_WORKER and not full_time:
            err(number, "full_time", _("A full-time grid worker's entry is full-time."))
        if role == RosterRole.PART_TIME_WORKER and full_time:
            err(number, "full_time", _("A part-time grid worker's entry is not full-time."))
        start = _parse_date(r["start"]) if r["start"] else today
        if start is None:
            err(number, "start", _("Enter a date as YYYY-MM-DD."))
        end = _parse_date(r["end"]) if r["end"] else None
        if r["end"] and end is None:
            err(number, "end", _("Enter a date as YYYY-MM-DD."))
        elif end is not None and end > today:
            err(number, "end", _("An entry cannot be ended in the future."))
        # Worker
        worker: Worker | None = None
        new_worker: NewWorker | None = None
        changes: dict[str, Any] = {}
        name = r["name"].strip()
        phone, id_number = r["phone"].strip(), r["id_number"].strip()
        gender = _GENDERS.get(r["gender"].strip().lower())
        if gender is None:
            err(number, "gender", _("Write male or female, or leave it empty."))
        if r["worker_code"]:
            pk = Worker.pk_from_code(r["worker_code"])
            worker = by_pk.get(pk) if pk is not None else None
            if worker is None:
                err(number, "worker_code", _("Unknown worker code."))
        elif id_number and not is_masked(id_number):
            if e := id_number_errors(id_number):
                err(number, "id_number", e[0])
            else:
                worker = by_id_number.get(normalize_id_number(id_number))
                if worker is None:
                    key = normalize_id_number(id_number)
                    new_worker = new_workers.get(key)
                    if new_worker is None:
                        if not name:
                            err(number, "name", _("This field may not be blank."))
                        if e := phone_errors(phone):
                            err(number, "phone", e[0])
                        new_worker = NewWorker(
                            row=number,
                            data={
                                "name": name,
                                "gender": gender or "",
                                "phone": normalize_phone(phone),
                                "id_number": key,
                            },
                        )
                        if len(plan.errors) == n_errors:
                            new_workers[key] = new_worker
                            plan.ops.append(
                                Op(row=number, action="create_worker", new_worker=new_worker)
                            )
        else:
            err(
                number,
                "id_number",
                _("Give the worker code of an existing worker or the full ID number."),
            )
        if worker is not None:
            # Empty or masked cells mean "unchanged"; a full value that differs is an update.
            if name and name != worker.name:
                changes["name"] = name
            if gender and gender != worker.gender:
                changes["gender"] = gender
            if phone and not is_masked(phone) and normalize_phone(phone) != worker.phone:
                if e := phone_errors(phone):
                    err(number, "phone", e[0])
                else:
                    changes["phone"] = normalize_phone(phone)
            if (
                id_number
                and not is_masked(id_number)
                and normalize_id_number(id_number) != worker.id_number
            ):
                if e := id_number_errors(id_number):
                    err(number, "id_number", e[0])
                else:
                    changes["id_number"] = normalize_id_number(id_number)
            if changes and worker.pk not in updated_workers:
                if not user_manages_worker(actor, worker):
                    err(number, "worker_code", _("You may not change this worker's details."))
                else:
                    updated_workers.add(worker.pk)
                    plan.ops.append(
                        Op(
                            row=number,
                            action="update_worker",
                            worker=worker,
                            worker_changes=changes,
                        )
                    )
            elif not worker.active:
                err(number, "worker_code", _("This worker is inactive."))
        if len(plan.errors) > n_errors:
            continue
        assert grid is not None and start is not None
        who = worker.pk if worker else f"new:{new_worker.data['id_number'] if new_worker else ''}"
        entry_key = (grid.pk, who, role)
        if entry_key in seen_keys:
            err(number, "role", _("This entry appears twice in the file."))
            continue
        seen_keys.add(entry_key)
        op = Op(
            row=number,
            action="add",
            grid=grid,
            worker=worker,
            new_worker=new_worker,
            role=role,
            full_time=full_time,
            start=start,
            end=end,
            note=r["note"].strip()[:200],
        )
        existing = entries_by_worker.get(worker.pk, []) if worker else []
        open_entry = next(
            (e for e in existing if e.grid_id == grid.pk and e.role == role and e.end is None),
            None,
        )
        if end is None:
            if open_entry is not None:
                op.action, op.entry = "unchanged", open_entry
                op.full_time, op.start = open_entry.full_time, open_entry.start
                if open_entry.full_time != full_time:
                    err(
                        number,
                        "full_time",
                        _("The open entry differs in full-time; end it and add a new one."),
                    )
                    continue
            wanted.append(op)
        else:
            if open_entry is not None:
                if end < open_entry.start:
                    err(number, "end", _("The end cannot be before the start."))
                    continue
                op.action, op.entry, op.start = "end", open_entry, open_entry.start
                op.full_time = open_entry.full_time
                ending.add(open_entry.pk)
            elif any(e.grid_id == grid.pk and e.role == role and e.end == end for e in existing):
                op.action = "unchanged"
            else:
                err(number, "end", _("There is no open entry of this worker in this role to end."))
                continue
        plan.ops.append(op)

    # One open full-time entry per worker: what stays open plus what the file adds.
    full_time_open: dict[Any, int] = defaultdict(int)
    for wid, entries in entries_by_worker.items():
        for entry in entries:
            if entry.full_time and entry.end is None and entry.pk not in ending:
                full_time_open[wid] += 1
    for op in wanted:
        if op.action == "add" and op.full_time:
            who_key: Any = op.worker.pk if op.worker else id(op.new_worker)
            full_time_open[who_key] += 1
            if full_time_open[who_key] > 1:
                err(
                    op.row,
                    "full_time",
                    _("This worker already holds an open full-time entry; end it first."),
                )
    if plan.errors:
        bad_rows = {e.row for e in plan.errors}
        plan.ops = [op for op in plan.ops if op.row not in bad_rows]
    return plan


class _Rollback(Exception):
    pass


def apply_import(plan: ImportPlan, *, actor: Actor) -> ImportPlan:
    """Carry out a valid plan through the actions, in one transaction.

    An action that refuses a row (a race since the plan) becomes a row error
    and rolls everything back.
    """
    if plan.errors:
        return plan
    order = {"create_worker": 0, "update_worker": 1, "end": 2, "add": 3, "unchanged": 4}
    try:
        with transaction.atomic():
            for op in sorted(plan.ops, key=lambda o: (order[o.action], o.row)):
                try:
                    _apply_op(op, actor=actor)
                except ApplicationError as exc:
                    fields = exc.extra.get("fields") or {}
                    column = next(iter(fields), "")
                    plan.errors.append(RowError(op.row, column, exc.message))
            if plan.errors:
                raise _Rollback
    except _Rollback:
        pass
    return plan


def _apply_op(op: Op, *, actor: Actor) -> None:
    if op.action == "create_worker":
        assert op.new_worker is not None
        op.new_worker.worker = actions.worker_create(**op.new_worker.data, actor=actor)
    elif op.action == "update_worker":
        assert op.worker is not None
        actions.worker_update(worker=op.worker, actor=actor, **op.worker_changes)
    elif op.action == "end":
        assert op.entry is not None and op.end is not None
        actions.roster_end(entry=op.entry, end=op.end, actor=actor, note=op.note)
    elif op.action == "add":
        worker = op.worker or (op.new_worker.worker if op.new_worker else None)
        assert op.grid is not None and worker is not None and op.start is not None
        actions.roster_add(
            grid=op.grid,
            worker=worker,
            role=op.role,
            full_time=op.full_time,
            start=op.start,
            note=op.note,
            actor=actor,
        )
