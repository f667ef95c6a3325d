"""Every change to workers, rosters and visits.

Each action: keyword-only, one transaction, validates first, checks the
actor's rights (``actor=None`` is the system), writes its audit row in the
same transaction. Audit snapshots and log lines carry phone and ID numbers
masked (docs/decisions/0009-rosters.md).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import audit, identity
from core.errors import AccessDenied, Conflict, ValidationFailed
from core.logging import mask_id_number, mask_phone
from core.types import UNCHANGED, Actor, Unchanged, User
from governance.access import ensure_can_manage_area
from governance.models import Area, AreaLevel
from governance.selectors import user_scope
from grids.rosters.models import (
    Gender,
    RosterEntry,
    RosterRole,
    Visit,
    VisitKind,
    VisitPhoto,
    Worker,
)
from grids.rosters.selectors import user_manages_worker

logger = logging.getLogger("gridgov.rosters")

MAX_PHOTOS_PER_VISIT = 9
MAX_PHOTO_BYTES = 10 * 1024 * 1024
_PHOTO_FORMATS = {"JPEG": "jpg", "PNG": "png"}
#: A phone's clock may run a little ahead of the server's.
_FUTURE_TOLERANCE = dt.timedelta(minutes=10)

_ENTRY_FIELDS = ["grid", "worker", "role", "full_time", "start", "end", "note"]
_WORKER_FIELDS = ["name", "gender", "phone", "id_number", "user_id", "notes", "active"]


def worker_snapshot(worker: Worker) -> dict[str, Any]:
    """Audit view of a worker: personal numbers masked, never stored in full twice."""
    return {
        "code": worker.code,
        "name": worker.name,
        "gender": worker.gender,
        "phone": mask_phone(worker.phone),
        "id_number": mask_id_number(worker.id_number),
        "user": worker.user_id,
        "notes": worker.notes,
        "active": worker.active,
    }


def _fields_error(field: str, messages: list[str], *, code: str | None = None) -> ValidationFailed:
    return ValidationFailed(messages[0], code=code, extra={"fields": {field: messages}})


def _ensure_can_manage_workers(actor: Actor) -> None:
    if actor is None:
        return
    scope = user_scope(actor)
    if not (scope.everything or scope.manage_paths):
        raise AccessDenied(
            _("Only a system or roster administrator may add workers."),
            code="cannot_manage_worker",
        )


def _ensure_can_manage_worker(actor: Actor, worker: Worker) -> None:
    if actor is None:
        return
    if not user_manages_worker(actor, worker):
        raise AccessDenied(
            _("Only a roster administrator of the worker's grid may change them."),
            code="cannot_manage_worker",
        )


def _clean_worker_fields(
    *, name: str, gender: str, phone: str, id_number: str, notes: str
) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("This field may not be blank.")]
    elif len(name) > 50:
        errors["name"] = [_("Ensure this field has at most 50 characters.")]
    gender = (gender or "").strip()
    if gender and gender not in Gender.values:
        errors["gender"] = [_("Choose male, female or leave it empty.")]
    try:
        phone = identity.validate_phone(phone)
    except DjangoValidationError as exc:
        errors["phone"] = exc.messages
    try:
        id_number = identity.validate_id_number(id_number)
    except DjangoValidationError as exc:
        errors["id_number"] = exc.messages
    if errors:
        raise ValidationFailed(extra={"fields": errors})
    return {
        "name": name,
        "gender": gender,
        "phone": phone,
        "id_number": id_number,
        "notes": (notes or "").strip(),
    }


def _check_unique_id_number(id_number: str, *, exclude_pk: int | None = None) -> None:
    taken = Worker.objects.filter(id_number=id_number)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise _fields_error(
            "id_number", [_("A worker with this ID number exists already.")], code="worker_exists"
        )


def _check_user_link(user: User | None, *, exclude_pk: int | None = None) -> None:
    if user is None:
        return
    linked = Worker.objects.filter(user=user)
    if exclude_pk is not None:
        linked = linked.exclude(pk=exclude_pk)
    if linked.exists():
        raise _fields_error(
            "user",
            [_("This login account is linked to another worker.")],
            code="user_already_linked",
        )


@transaction.atomic
def worker_create(
    *,
    name: str,
    phone: str,
    id_number: str,
    gender: str = "",
    user: User | None = None,
    notes: str = "",
    actor: Actor,
) -> Worker:
    _ensure_can_manage_workers(actor)
    data = _clean_worker_fields(
        name=name, gender=gender, phone=phone, id_number=id_number, notes=notes
    )
    _check_unique_id_number(data["id_number"])
    _check_user_link(user)
    try:
        with transaction.atomic():
            worker = Worker.objects.create(**data, user=user)
    except IntegrityError as exc:  # a concurrent create with the same ID number
        raise Conflict(
            _("A worker with this ID number exists already."), code="worker_exists"
        ) from exc
    audit.record(worker, verb="created", actor=actor, after=worker_snapshot(worker))
    logger.info(
        "worker %s created, phone %s, id %s",
        worker.code,
        mask_phone(worker.phone),
        mask_id_number(worker.id_number),
    )
    return worker


@transaction.atomic
def worker_update(
    *,
    worker: Worker,
    actor: Actor,
    name: str | Unchanged = UNCHANGED,
    gender: str | Unchanged = UNCHANGED,
    phone: str | Unchanged = UNCHANGED,
    id_number: str | Unchanged = UNCHANGED,
    user: User | Unchanged | None = UNCHANGED,
    notes: str | Unchanged = UNCHANGED,
    active: bool | Unchanged = UNCHANGED,
) -> Worker:
    """Change some fields of a worker; omitted fields stay as they are.

    A worker with open roster entries cannot be deactivated: end them first.
    """
    _ensure_can_manage_worker(actor, worker)
    worker = Worker.objects.select_for_update().get(pk=worker.pk)
    before = worker_snapshot(worker)
    raw_before = _raw(worker)

    def pick(value: Any, current: Any) -> Any:
        return current if value is UNCHANGED else value

    data = _clean_worker_fields(
        name=pick(name, worker.name),
        gender=pick(gender, worker.gender),
        phone=pick(phone, worker.phone),
        id_number=pick(id_number, worker.id_number),
        notes=pick(notes, worker.notes),
    )
    if data["id_number"] != worker.id_number:
        _check_unique_id_number(data["id_number"], exclude_pk=worker.pk)
    new_user = pick(user, worker.user)
    if new_user is not None and new_user.pk != worker.user_id:
        _check_user_link(new_user, exclude_pk=worker.pk)
    new_active = bool(pick(active, worker.active))
    if (
        not new_active
        and worker.active
        and RosterEntry.objects.filter(worker=worker, end__isnull=True).exists()
    ):
        raise Conflict(
            _("The worker still holds roster entries; end them first."),
            code="worker_has_open_entries",
        )
    for key, value in data.items():
        setattr(worker, key, value)
    worker.user = new_user
    worker.active = new_active
    if _raw(worker) == raw_before:
        return worker
    worker.save()
    audit.record(worker, verb="updated", actor=actor, before=before, after=worker_snapshot(worker))
    logger.info("worker %s updated, phone %s", worker.code, mask_phone(worker.phone))
    return worker


def _raw(worker: Worker) -> tuple[Any, ...]:
    return tuple(getattr(worker, f) for f in _WORKER_FIELDS)


def _check_entry_fields(*, grid: Area, role: str, full_time: bool, start: dt.date) -> None:
    errors: dict[str, list[str]] = {}
    if grid.level != AreaLevel.GRID:
        errors["grid"] = [_("Rosters belong to grid-level areas only.")]
    elif not grid.is_active:
        errors["grid"] = [_("This grid was merged or retired.")]
    if role not in RosterRole.values:
        errors["role"] = [_("Unknown roster role.")]
    elif role == RosterRole.FULL_TIME_WORKER and not full_time:
        errors["full_time"] = [_("A full-time grid worker's entry is full-time.")]
    elif role == RosterRole.PART_TIME_WORKER and full_time:
        errors["full_time"] = [_("A part-time grid worker's entry is not full-time.")]
    if not isinstance(start, dt.date):
        errors["start"] = [_("Enter a valid date.")]
    if errors:
        raise ValidationFailed(extra={"fields": errors})


def _full_time_conflict() -> Conflict:
    return Conflict(
        _("This worker already holds an open full-time entry; end it first."),
        code="worker_already_full_time",
    )


@transaction.atomic
def roster_add(
    *,
    grid: Area,
    worker: Worker,
    role: str,
    full_time: bool,
    start: dt.date,
    actor: Actor,
    note: str = "",
) -> RosterEntry:
    """Put ``worker`` on ``grid``'s roster in ``role`` from ``start``.

    409 ``worker_already_full_time`` when a full-time entry is asked for a
    worker who holds an open one anywhere (the partial unique constraint is
    the backstop for concurrent adds).
    """
    ensure_can_manage_area(actor, grid)
    _check_entry_fields(grid=grid, role=role, full_time=full_time, start=start)
    if not worker.active:
        raise _fields_error("worker", [_("This worker is inactive.")], code="worker_inactive")
    note = (note or "").strip()[:200]
    open_entries = RosterEntry.objects.filter(worker=worker, end__isnull=True)
    if full_time and open_entries.filter(full_time=True).exists():
        raise _full_time_conflict()
    if open_entries.filter(grid=grid, role=role).exists():
        raise Conflict(
            _("This worker already holds this role on this grid."), code="roster_entry_exists"
        )
    try:
        with transaction.atomic():
            entry = RosterEntry.objects.create(
                grid=grid, worker=worker, role=role, full_time=full_time, start=start, note=note
            )
    except IntegrityError as exc:
        if (
            full_time
            and RosterEntry.objects.filter(worker=worker, end__isnull=True, full_time=True).exists()
        ):
            raise _full_time_conflict() from exc
        raise Conflict(
            _("This worker already holds this role on this grid."), code="roster_entry_exists"
        ) from exc
    audit.record(entry, verb="added", actor=actor, after=audit.snapshot(entry, _ENTRY_FIELDS))
    return entry


@transaction.atomic
def roster_add_person(
    *,
    grid: Area,
    worker: Worker | None,
    new_worker: dict[str, Any] | None,
    role: str,
    full_time: bool,
    start: dt.date,
    actor: Actor,
    note: str = "",
) -> RosterEntry:
    """Put an existing worker, or a person created here, on the roster in one
    transaction: a new person is not left behind when the entry is refused."""
    if worker is None:
        worker = worker_create(**(new_worker or {}), actor=actor)
    return roster_add(
        grid=grid,
        worker=worker,
        role=role,
        full_time=full_time,
        start=start,
        note=note,
        actor=actor,
    )


@transaction.atomic
def roster_end(*, entry: RosterEntry, end: dt.date, actor: Actor, note: str = "") -> RosterEntry:
    """End an open entry on ``end`` (not in the future). The row stays as history."""
    ensure_can_manage_area(actor, entry.grid)
    entry = RosterEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.end is not None:
        raise Conflict(_("This roster entry has ended already."), code="roster_entry_ended")
    if not isinstance(end, dt.date):
        raise _fields_error("end", [_("Enter a valid date.")])
    if end < entry.start:
        raise _fields_error("end", [_("The end cannot be before the start.")])
    if end > timezone.localdate():
        raise _fields_error("end", [_("An entry cannot be ended in the future.")])
    before = audit.snapshot(entry, _ENTRY_FIELDS)
    entry.end = end
    if note:
        entry.note = note.strip()[:200]
    entry.save(update_fields=["end", "note"])
    audit.record(
        entry,
        verb="ended",
        actor=actor,
        before=before,
        after=audit.snapshot(entry, _ENTRY_FIELDS),
    )
    return entry


def _check_photo(photo: UploadedFile) -> None:
    """Reject anything but a real JPEG or PNG of at most 10 MB (content, not name)."""
    from PIL import Image, UnidentifiedImageError

    if (photo.size or 0) > MAX_PHOTO_BYTES:
        raise _fields_error("photos", [_("A photo may be at most 10 MB.")], code="photo_too_large")
    try:
        photo.seek(0)
        with Image.open(photo) as img:
            fmt = img.format or ""
            img.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        fmt = ""
    finally:
        photo.seek(0)
    if fmt not in _PHOTO_FORMATS:
        raise _fields_error(
            "photos", [_("Photos must be JPEG or PNG images.")], code="photo_invalid"
        )


@transaction.atomic
def visit_log(
    *,
    grid: Area,
    visited_at: dt.datetime,
    kind: str,
    actor: Actor,
    worker: Worker | None = None,
    household: str = "",
    address: str = "",
    notes: str = "",
    photos: Iterable[UploadedFile] = (),
) -> Visit:
    """Log a visit or patrol on ``grid``.

    A grid worker logs their own visits in a grid where they hold an open
    roster entry (``worker`` defaults to the worker linked to ``actor``);
    a roster administrator of the grid may log one for any worker on it.
    """
    linked = (
        Worker.objects.filter(user=actor).first() if isinstance(actor, User) and actor.pk else None
    )
    if worker is None:
        worker = linked
    if worker is None:
        raise _fields_error("worker", [_("Choose the worker who made the visit.")])
    on_roster = RosterEntry.objects.filter(worker=worker, grid=grid, end__isnull=True).exists()
    is_self = linked is not None and linked.pk == worker.pk
    if not (is_self and on_roster):
        ensure_can_manage_area(actor, grid)
    if grid.level != AreaLevel.GRID:
        raise _fields_error("grid", [_("Visits are logged on grids.")])
    if not on_roster:
        raise _fields_error(
            "worker",
            [_("The worker is not on this grid's roster.")],
            code="worker_not_on_roster",
        )
    if kind not in VisitKind.values:
        raise _fields_error("kind", [_("Unknown visit kind.")])
    if timezone.is_naive(visited_at):
        visited_at = timezone.make_aware(visited_at)
    if visited_at > timezone.now() + _FUTURE_TOLERANCE:
        raise _fields_error("visited_at", [_("A visit cannot be in the future.")])
    photo_list = list(photos)
    if len(photo_list) > MAX_PHOTOS_PER_VISIT:
        raise _fields_error(
            "photos",
            [_("At most %(n)d photos per visit.") % {"n": MAX_PHOTOS_PER_VISIT}],
            code="too_many_photos",
        )
    for photo in photo_list:
        _check_photo(photo)
    visit = Visit.objects.create(
        grid=grid,
        worker=worker,
        visited_at=visited_at,
        kind=kind,
        household=(household or "").strip()[:60],
        address=(address or "").strip()[:200],
        notes=(notes or "").strip(),
        created_by=actor if isinstance(actor, User) else None,
    )
    for photo in photo_list:
        VisitPhoto.objects.create(visit=visit, image=photo)
    audit.record(
        visit,
        verb="logged",
        actor=actor,
        after=audit.snapshot(visit, ["grid", "worker", "visited_at", "kind", "household"]),
    )
    return visit
