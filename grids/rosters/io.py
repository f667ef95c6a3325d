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
- every change goes through grids.rosters.actions, which own the rules and
  their messages; the preview runs them in a transaction that is rolled
  back, and the apply runs them again for real, all-or-nothing (one
  transaction, any error → nothing written).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import identity
from core.errors import ApplicationError, ValidationFailed
from core.logging import mask_id_number, mask_phone
from core.types import Actor, AnyUser
from governance.access import ensure_can_manage_area
from governance.models import Area, AreaLevel
from governance.selectors import user_scope
from grids.rosters import actions
from grids.rosters.models import Gender, RosterEntry, RosterRole, Worker
from grids.rosters.selectors import worker_list
from grids.rosters.validators import is_masked

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
#
# A row goes through small steps. Preparing (no writes, bulk reads only):
# parse the cells, resolve the grid, resolve the worker, work out the
# worker's changes. Running (the real actions, in one transaction): save the
# people (create / update), end the entries the file ends, then hold the
# entries the file wants open (add, or leave an open one as it is). Ends run
# before adds so one file can move a full-time worker to another grid.
#
# The preview runs the same steps as the apply and rolls the transaction
# back, so the actions alone decide what is allowed and say why; this module
# only knows the file format and the import's own semantics (what a row
# means, and that a row matching the current roster changes nothing).


@dataclass
class RowError:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class Op:
    """One change the import makes (or would make)."""

    row: int
    action: str  # add | end | unchanged | create_worker | update_worker
    grid: Area | None = None
    worker: Worker | None = None
    name: str = ""
    new_person: bool = False  # the worker is created by this file
    role: str = ""
    full_time: bool = False
    start: dt.date | None = None
    end: dt.date | None = None
    worker_changes: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "row": self.row,
            "action": self.action,
            "grid_code": self.grid.code if self.grid else "",
            "worker_code": self.worker.code if self.worker else "",
            "name": self.name,
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
class _Row:
    """One file row, as the preparing steps leave it for the run."""

    number: int
    cells: dict[str, str]
    role: str = ""
    full_time: bool = False
    start: dt.date | None = None
    end: dt.date | None = None
    gender: str = ""
    grid: Area | None = None
    worker: Worker | None = None  # an existing worker
    new_key: str = ""  # ID number of a person the file creates
    creates_person: bool = False  # the first row naming that person
    changes: dict[str, Any] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)

    def fail(self, column: str, message: Any) -> None:
        self.errors.append(RowError(self.number, column, str(message)))


@dataclass
class ImportPlan:
    lookups: _Lookups | None = None
    rows: list[_Row] = field(default_factory=list)  # rows that passed preparing
    row_errors: list[RowError] = field(default_factory=list)  # from preparing
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


@dataclass
class _Lookups:
    """What the rows refer to, read in bulk up front (a constant number of queries)."""

    actor: AnyUser
    grids: dict[str, Area]
    by_pk: dict[int, Worker]
    by_id_number: dict[str, Worker]
    entries: dict[int, list[RosterEntry]]
    roles: dict[str, str]


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


def _full_id_number(value: str) -> str:
    """The ID number written in a cell, or "" when empty or masked (= unchanged)."""
    return "" if is_masked(value) else identity.normalize_id_number(value)


def _load_lookups(rows: list[tuple[int, dict[str, str]]], *, actor: AnyUser) -> _Lookups:
    scope = user_scope(actor)
    grid_codes = {r["grid_code"] for _n, r in rows if r["grid_code"]}
    grids = Area.objects.filter(scope.work_q(), code__in=grid_codes, level=AreaLevel.GRID)
    worker_pks = {Worker.pk_from_code(r["worker_code"]) for _n, r in rows if r["worker_code"]}
    by_pk = {w.pk: w for w in worker_list(user=actor).filter(pk__in=worker_pks - {None})}
    id_numbers = {_full_id_number(r["id_number"]) for _n, r in rows} - {""}
    # Only workers the importer may see: an ID number outside their scope is
    # never matched (nor named back); creating it again fails as worker_exists.
    by_id_number = {
        w.id_number: w for w in worker_list(user=actor).filter(id_number__in=id_numbers)
    }
    known = {w.pk for w in by_pk.values()} | {w.pk for w in by_id_number.values()}
    entries: dict[int, list[RosterEntry]] = defaultdict(list)
    for entry in RosterEntry.objects.filter(worker_id__in=known).select_related("grid"):
        entries[entry.worker_id].append(entry)
    return _Lookups(
        actor=actor,
        grids={g.code: g for g in grids},
        by_pk=by_pk,
        by_id_number=by_id_number,
        entries=entries,
        roles=_role_lookup(),
    )


def _parse_cells(row: _Row) -> None:
    """Dates, the full-time flag and the gender, as the file writes them."""
    cells = row.cells
    row.start = _parse_date(cells["start"]) if cells["start"] else timezone.localdate()
    if row.start is None:
        row.fail("start", _("Enter a date as YYYY-MM-DD."))
    row.end = _parse_date(cells["end"]) if cells["end"] else None
    if cells["end"] and row.end is None:
        row.fail("end", _("Enter a date as YYYY-MM-DD."))
    ft_text = cells["full_time"].strip().lower()
    if ft_text in _TRUE:
        row.full_time = True
    elif ft_text and ft_text not in _FALSE:
        row.fail("full_time", _("Write 1 for full-time or 0 for part-time."))
    elif not ft_text:
        # Unsaid: the role decides (only a full-time grid worker is full-time).
        row.full_time = row.role == RosterRole.FULL_TIME_WORKER
    gender = cells["gender"].strip()
    # A gender the file spells otherwise goes to the action as written.
    row.gender = _GENDERS.get(gender.lower(), gender)


def _resolve_role(row: _Row, lookups: _Lookups) -> None:
    """The role by value or label; an unknown one is the action's to refuse."""
    text = row.cells["role"].strip()
    row.role = lookups.roles.get(text.lower(), text)


def _resolve_grid(row: _Row, lookups: _Lookups) -> None:
    code = row.cells["grid_code"]
    grid = lookups.grids.get(code)
    if not code:
        row.fail("grid_code", _("This field may not be blank."))
    elif grid is None:
        row.fail("grid_code", _("Unknown grid code."))
    else:
        try:
            ensure_can_manage_area(lookups.actor, grid)
        except ApplicationError as exc:
            row.fail("grid_code", exc.message)
        else:
            row.grid = grid


def _resolve_worker(row: _Row, lookups: _Lookups) -> None:
    """By worker code, else by the full ID number, else a person to create."""
    code, id_text = row.cells["worker_code"], row.cells["id_number"]
    if code:
        pk = Worker.pk_from_code(code)
        row.worker = lookups.by_pk.get(pk) if pk is not None else None
        if row.worker is None:
            row.fail("worker_code", _("Unknown worker code."))
        return
    if not _full_id_number(id_text):
        row.fail(
            "id_number", _("Give the worker code of an existing worker or the full ID number.")
        )
        return
    try:
        key = identity.validate_id_number(id_text)
    except DjangoValidationError as exc:  # no person can be found by a broken number
        row.fail("id_number", exc.messages[0])
        return
    row.worker = lookups.by_id_number.get(key)
    if row.worker is None:
        row.new_key = key


def _worker_changes(row: _Row, current: dict[int, dict[str, Any]]) -> None:
    """Full values that differ from the worker's (as earlier rows leave them).

    Empty or masked cells mean "unchanged"; the action validates the rest.
    """
    worker = row.worker
    if worker is None:
        return
    values = current.setdefault(
        worker.pk,
        {
            "name": worker.name,
            "gender": worker.gender,
            "phone": worker.phone,
            "id_number": worker.id_number,
        },
    )
    phone = row.cells["phone"].strip()
    wanted = {
        "name": row.cells["name"].strip(),
        "gender": row.gender,
        "phone": "" if is_masked(phone) else identity.normalize_phone(phone),
        "id_number": _full_id_number(row.cells["id_number"]),
    }
    row.changes = {k: v for k, v in wanted.items() if v and v != values[k]}
    values.update(row.changes)


def _prepare(rows: list[tuple[int, dict[str, str]]], *, actor: AnyUser) -> ImportPlan:
    """Run the preparing steps over every row; nothing is written."""
    lookups = _load_lookups(rows, actor=actor)
    plan = ImportPlan(lookups=lookups)
    current: dict[int, dict[str, Any]] = {}
    people: set[str] = set()
    for number, cells in rows:
        row = _Row(number=number, cells=cells)
        _resolve_role(row, lookups)
        _parse_cells(row)
        _resolve_grid(row, lookups)
        _resolve_worker(row, lookups)
        if row.errors:
            plan.row_errors.extend(row.errors)
            continue
        _worker_changes(row, current)
        if row.new_key and row.new_key not in people:
            people.add(row.new_key)
            row.creates_person = True
        plan.rows.append(row)
    return plan


# --- Running ---------------------------------------------------------------

#: Action field names that are named differently in the file.
_FIELD_COLUMNS = {"grid": "grid_code", "worker": "worker_code", "user": "worker_code"}
#: The column an action error without field messages is about, by its code.
_CODE_COLUMNS = {
    "cannot_manage_area": "grid_code",
    "cannot_manage_worker": "worker_code",
    "worker_exists": "id_number",
    "worker_inactive": "worker_code",
    "worker_already_full_time": "full_time",
    "roster_entry_exists": "role",
    "roster_entry_ended": "end",
}


@dataclass
class _Run:
    actor: Actor
    lookups: _Lookups
    ops: list[Op] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    failed: set[int] = field(default_factory=set)  # row numbers
    created: dict[str, Worker] = field(default_factory=dict)  # by ID number
    ended: set[int] = field(default_factory=set)  # entry ids

    def attempt(self, row: _Row, column: str, action: Callable[..., Any], **kwargs: Any) -> Any:
        """Call an action; its refusal becomes the row's errors (and None)."""
        try:
            return action(**kwargs, actor=self.actor)
        except ApplicationError as exc:
            self.fail_with(row, exc, column)
            return None

    def fail_with(self, row: _Row, exc: ApplicationError, column: str) -> None:
        fields = exc.extra.get("fields") or {}
        for name, messages in fields.items():
            self.fail(row, _FIELD_COLUMNS.get(name, name), messages[0])
        if not fields:
            self.fail(row, _CODE_COLUMNS.get(exc.code, column), exc.message)

    def fail(self, row: _Row, column: str, message: Any) -> None:
        self.failed.add(row.number)
        self.errors.append(RowError(row.number, column, str(message)))

    def worker_of(self, row: _Row) -> Worker | None:
        return row.worker or self.created.get(row.new_key)

    def op(self, row: _Row, action: str, worker: Worker, **kw: Any) -> None:
        self.ops.append(
            Op(
                row=row.number,
                action=action,
                grid=row.grid,
                worker=worker,
                name=worker.name,
                new_person=bool(row.new_key),
                role=row.role,
                **kw,
            )
        )

    def open_entry(self, row: _Row, worker: Worker) -> RosterEntry | None:
        """The worker's open entry in the row's grid and role, unless the file ended it."""
        assert row.grid is not None
        return next(
            (
                e
                for e in self.lookups.entries.get(worker.pk, [])
                if e.grid_id == row.grid.pk
                and e.role == row.role
                and e.end is None
                and e.pk not in self.ended
            ),
            None,
        )


def _save_person(row: _Row, run: _Run) -> None:
    """Create the person the row names first, or apply the row's changes."""
    if row.creates_person:
        worker = run.attempt(
            row,
            "id_number",
            actions.worker_create,
            name=row.cells["name"],
            gender=row.gender,
            phone=row.cells["phone"],
            id_number=row.new_key,
        )
        if worker is not None:
            run.created[row.new_key] = worker
            run.op(row, "create_worker", worker)
    elif row.changes:
        assert row.worker is not None
        if run.attempt(row, "worker_code", actions.worker_update, worker=row.worker, **row.changes):
            run.op(row, "update_worker", row.worker, worker_changes=row.changes)


def _end_entry(row: _Row, run: _Run) -> None:
    """A row with an end date ends the open entry (or finds it ended on that date)."""
    worker = run.worker_of(row)
    if worker is None or row.end is None:
        return
    entry = run.open_entry(row, worker)
    if entry is None:
        assert row.grid is not None
        ended = next(
            (
                e
                for e in run.lookups.entries.get(worker.pk, [])
                if e.grid_id == row.grid.pk and e.role == row.role and e.end == row.end
            ),
            None,
        )
        if ended is None:
            run.fail(row, "end", _("There is no open entry of this worker in this role to end."))
        else:
            run.op(
                row,
                "unchanged",
                worker,
                full_time=ended.full_time,
                start=ended.start,
                end=ended.end,
            )
        return
    if run.attempt(
        row, "end", actions.roster_end, entry=entry, end=row.end, note=row.cells["note"]
    ):
        run.ended.add(entry.pk)
        run.op(row, "end", worker, full_time=entry.full_time, start=entry.start, end=row.end)


def _hold_entry(row: _Row, run: _Run) -> None:
    """A row without an end date: an open entry stays as it is, else one is added."""
    worker = run.worker_of(row)
    if worker is None:
        return
    entry = run.open_entry(row, worker)
    if entry is not None:
        if entry.full_time != row.full_time:
            run.fail(
                row,
                "full_time",
                _("The open entry differs in full-time; end it and add a new one."),
            )
        else:
            run.op(row, "unchanged", worker, full_time=entry.full_time, start=entry.start)
        return
    if run.attempt(
        row,
        "role",
        actions.roster_add,
        grid=row.grid,
        worker=worker,
        role=row.role,
        full_time=row.full_time,
        start=row.start,
        note=row.cells["note"],
    ):
        run.op(row, "add", worker, full_time=row.full_time, start=row.start)


def _execute(plan: ImportPlan, *, actor: Actor) -> None:
    """Run every prepared row through the actions; call inside a transaction."""
    assert plan.lookups is not None
    run = _Run(actor=actor, lookups=plan.lookups)
    for row in plan.rows:
        _save_person(row, run)
    for step, rows in (
        (_end_entry, [r for r in plan.rows if r.end is not None]),
        (_hold_entry, [r for r in plan.rows if r.end is None]),
    ):
        for row in rows:
            if row.number not in run.failed:
                step(row, run)
    rank = {"create_worker": 0, "update_worker": 0}
    plan.ops = sorted(
        (op for op in run.ops if op.row not in run.failed),
        key=lambda op: (op.row, rank.get(op.action, 1)),
    )
    plan.errors = plan.row_errors + run.errors


def plan_import(rows: list[tuple[int, dict[str, str]]], *, actor: AnyUser) -> ImportPlan:
    """Check every row and work out the changes, writing nothing.

    The rows run through the real actions inside a transaction that is then
    rolled back, so the preview reports exactly what the apply would do or
    refuse, row by row. (Sequences do not roll back: ids drawn here are
    skipped, so worker codes of later imports may jump; codes are keys, not
    counts.)
    """
    plan = _prepare(rows, actor=actor)
    with transaction.atomic():
        _execute(plan, actor=actor)
        transaction.set_rollback(True)
    # The people created in the preview were rolled back: no code to show.
    for op in plan.ops:
        if op.new_person:
            op.worker = None
    return plan


class _Rollback(Exception):
    pass


def apply_import(plan: ImportPlan, *, actor: Actor) -> ImportPlan:
    """Carry out a previewed plan through the actions, all or nothing.

    A plan with errors is not run. An action that refuses a row now (a race
    since the preview) becomes a row error and rolls everything back.
    """
    if plan.errors:
        return plan
    try:
        with transaction.atomic():
            _execute(plan, actor=actor)
            if plan.errors:
                raise _Rollback
    except _Rollback:
        for op in plan.ops:
            if op.new_person:
                op.worker = None
    return plan
