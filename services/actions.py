"""Every change to a ticket. ``grep -n "def ticket_"`` lists what can happen.

Each action: keyword-only, one transaction, locks the ticket row (then its
dispatch), asks the transition table (services.workflow) whether the actor
may take the step and writes the states the table answers (no target state
is chosen here), starts and stops deadlines through services.clocks (the only
writer of a deadline), and writes its TicketEvent in the same transaction.
Nothing is half-written: any error rolls the whole step back.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.errors import AccessDenied, Conflict, NotFound, ValidationFailed
from core.i18n import recipe
from core.logging import mask_phone
from core.types import User
from core.workcalendar import TZ
from governance.models import Area, AreaLevel, Department
from services import clocks, deadlines, hooks, notifications, workflow
from services.access import capacities
from services.models import (
    ACTIVE_DISPATCH_STATES,
    Attachment,
    Callback,
    Category,
    Clock,
    ClockKind,
    Dispatch,
    DispatchRole,
    DispatchState,
    ExtensionRequest,
    OnAccountRequest,
    Resolution,
    ReturnRequest,
    ReviewState,
    Satisfaction,
    Source,
    Supervision,
    SupervisionKind,
    Ticket,
    TicketEvent,
    Urgency,
    WhistleType,
)
from services.photos import CleanPhoto, clean_photos

logger = logging.getLogger(__name__)


# --- helpers --------------------------------------------------------------


def _event(
    ticket: Ticket,
    *,
    verb: str,
    actor: User | None,
    from_state: str = "",
    to_state: str = "",
    note: str = "",
    data: dict[str, Any] | None = None,
    dispatch: Dispatch | None = None,
    photos: Sequence[CleanPhoto] = (),
) -> TicketEvent:
    event = TicketEvent.objects.create(
        ticket=ticket,
        dispatch=dispatch,
        actor=actor,
        verb=verb,
        from_state=from_state,
        to_state=to_state,
        note=note,
        data=data or {},
    )
    for photo in photos:
        attachment = Attachment(
            ticket=ticket,
            event=event,
            content_type=photo.content_type,
            size=len(photo.content),
            sha256=photo.sha256,
            exif_lat=photo.lat,
            exif_lng=photo.lng,
        )
        attachment.file.save(
            f"{photo.sha256[:16]}.{photo.extension}", ContentFile(photo.content), save=False
        )
        attachment.save()
    hooks.ticket_events([event])
    return event


def _record(
    ticket: Ticket,
    move: workflow.Move,
    actor: User,
    *,
    dispatch: Dispatch | None = None,
    note: str = "",
    data: dict[str, Any] | None = None,
    photos: Sequence[CleanPhoto] = (),
) -> TicketEvent:
    """The timeline entry of a step: its verb and the states of its move."""
    return _event(
        ticket,
        verb=move.verb,
        actor=actor,
        from_state=move.ticket_from,
        to_state=move.ticket_to,
        note=note,
        data=data,
        dispatch=dispatch,
        photos=photos,
    )


def _lock(ticket: Ticket) -> Ticket:
    # of=("self",): lock the ticket row only, not its category and grid rows
    # (which every other ticket of that category or grid shares).
    return (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("category", "category__parent", "grid")
        .get(pk=ticket.pk)
    )


def _set_state(ticket: Ticket, state: str, **extra: Any) -> None:
    now = timezone.now()
    Ticket.objects.filter(pk=ticket.pk).update(
        state=state, updated_at=now, version=F("version") + 1, **extra
    )
    ticket.state = state
    ticket.updated_at = now
    for key, value in extra.items():
        setattr(ticket, key, value)


def _require_text(value: str, field: str, *, max_length: int = 4000) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed(extra={"fields": {field: [_("This field may not be blank.")]}})
    if len(value) > max_length:
        raise ValidationFailed(
            extra={"fields": {field: [_("At most %(n)d characters.") % {"n": max_length}]}}
        )
    return value


def _as_user(actor: Any) -> User:
    if not isinstance(actor, User) or not actor.is_authenticated:
        raise AccessDenied(_("Log in first."), code="not_authenticated")
    return actor


def _check(
    verb: str, ticket: Ticket, actor: User, dispatch: Dispatch | None = None
) -> workflow.Move:
    """Ask the transition table; ``dispatch`` is the verb's subject dispatch."""
    return workflow.check(
        verb,
        ticket_state=ticket.state,
        capacities=capacities(actor, ticket, dispatch=dispatch),
        dispatch_state=dispatch.state if dispatch is not None else None,
        dispatch_role=dispatch.role if dispatch is not None else None,
    )


def _move_ticket(ticket: Ticket, move: workflow.Move, **extra: Any) -> None:
    """Write the move's ticket state (and ``extra`` fields) if anything changes."""
    if move.changes_ticket or extra:
        _set_state(ticket, move.ticket_to, **extra)


def _set_dispatch(dispatch: Dispatch, state: str | None, **extra: Any) -> None:
    """Write a dispatch's next state (None: unchanged) and ``extra`` fields."""
    if state is not None:
        extra["state"] = state
    if not extra:
        return
    Dispatch.objects.filter(pk=dispatch.pk).update(version=F("version") + 1, **extra)
    for key, value in extra.items():
        setattr(dispatch, key, value)


def next_ticket_number(district_code: str, day: dt.date) -> str:
    """``{district}{yyyymmdd}{serial:05d}``, unique under concurrent intake.

    One upsert statement hands out the serial: concurrent callers queue on
    the row lock and each gets the next value (PostgreSQL and SQLite ≥ 3.35).
    """
    table = connection.ops.quote_name("services_ticketserial")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (district_code, day, last) VALUES (%s, %s, 1) "  # noqa: S608
            "ON CONFLICT (district_code, day) DO UPDATE SET last = "
            f"{table}.last + 1 RETURNING last",
            [district_code, day],
        )
        serial = cursor.fetchone()[0]
    if serial > 99999:
        raise Conflict(_("The daily ticket serial is exhausted."), code="serial_exhausted")
    return f"{district_code}{day:%Y%m%d}{serial:05d}"


# --- intake -----------------------------------------------------------------


@transaction.atomic
def ticket_report(
    *,
    actor: User,
    category: Category,
    description: str,
    grid: Area | None = None,
    lat: Decimal | float | None = None,
    lng: Decimal | float | None = None,
    address: str = "",
    urgency: str = Urgency.NORMAL,
    source: str = Source.GRID_PATROL,
    reporter_name: str = "",
    reporter_phone: str = "",
    photos: Sequence[Any] = (),
    external_no: str = "",
) -> Ticket:
    """Log a case. The grid comes from the location (grid lookup) or is given;
    either way it must lie where the reporter works."""
    from governance.selectors import user_scope

    actor = _as_user(actor)
    description = _require_text(description, "description")
    if urgency not in Urgency.values:
        raise ValidationFailed(extra={"fields": {"urgency": [_("Unknown urgency.")]}})
    if source not in Source.values:
        raise ValidationFailed(extra={"fields": {"source": [_("Unknown source.")]}})
    if (lat is None) != (lng is None):
        raise ValidationFailed(extra={"fields": {"lat": [_("Give both latitude and longitude.")]}})
    if lat is not None and lng is not None:
        lat, lng = (
            Decimal(str(lat)).quantize(Decimal("0.000001")),
            Decimal(str(lng)).quantize(Decimal("0.000001")),
        )
        if not (-90 <= lat <= 90 and -180 <= lng <= 180):
            raise ValidationFailed(extra={"fields": {"lat": [_("The location is out of range.")]}})
    if grid is None:
        if lat is None or lng is None:
            raise ValidationFailed(
                _("Give a location or choose a grid."),
                extra={"fields": {"grid": [_("Give a location or choose a grid.")]}},
            )
        from grids.geography.lookup import grid_at

        grid = grid_at(float(lat), float(lng))
        if grid is None:
            raise ValidationFailed(
                _("The location is outside every grid; choose the grid."),
                code="point_outside_grids",
                extra={"fields": {"grid": [_("The location is outside every grid.")]}},
            )
    # Re-read under a lock: a grid being moved right now must not leave the
    # new ticket with its old path.
    grid = Area.objects.select_for_update().filter(pk=grid.pk).first() or grid
    if grid.level != AreaLevel.GRID or not grid.is_active:
        raise ValidationFailed(extra={"fields": {"grid": [_("Choose an active grid.")]}})
    from services.selectors import categories_for_city

    city = Area.objects.filter(path=grid.path[: Area.steplen]).first()
    if not categories_for_city(city).filter(pk=category.pk).exists():
        raise ValidationFailed(
            extra={"fields": {"category": [_("This category is not used in this city.")]}}
        )
    report = workflow.TRANSITIONS["report"]
    assert report.ticket_to is not None  # a report always makes a ticket state
    if not user_scope(actor).covers_path(grid.path) or not (
        capacities(actor, Ticket(path=grid.path)) & report.who
    ):
        raise AccessDenied(_("You can only report cases where you work."), code="grid_out_of_scope")
    cleaned = clean_photos(list(photos))
    now = timezone.now()
    district_code = grid.code[:6]
    number = next_ticket_number(district_code, now.astimezone(TZ).date())
    try:
        with transaction.atomic():
            ticket = Ticket.objects.create(
                number=number,
                external_no=(external_no or "").strip()[:64],
                source=source,
                category=category,
                description=description,
                address=(address or "").strip()[:200],
                lat=lat,
                lng=lng,
                grid=grid,
                path=grid.path,
                state=report.ticket_to,
                urgency=urgency,
                reporter_name=(reporter_name or "").strip()[:60],
                reporter_phone=(reporter_phone or "").strip()[:20],
                reported_by=actor,
                created_at=now,
                updated_at=now,
            )
    except IntegrityError as exc:
        raise Conflict(
            _("This external number was already taken in."), code="duplicate_external_no"
        ) from exc
    _event(
        ticket,
        verb="report",
        actor=actor,
        to_state=ticket.state,
        data={"source": source, "urgency": urgency, "category": category.code},
        photos=cleaned,
    )
    logger.info(
        "ticket %s reported in grid %s by user %s (reporter phone %s)",
        ticket.number,
        grid.code,
        actor.pk,
        mask_phone(ticket.reporter_phone),
    )
    return ticket


# --- local handling ---------------------------------------------------------


@transaction.atomic
def ticket_self_handle(*, ticket: Ticket, actor: User, note: str = "") -> Ticket:
    actor = _as_user(actor)
    ticket = _lock(ticket)
    move = _check("self_handle", ticket, actor)
    _move_ticket(ticket, move)
    _record(
        ticket,
        move,
        actor,
        note=note,
    )
    return ticket


def _start_callback_clock(ticket: Ticket, start: dt.datetime | None = None) -> Clock:
    amount, unit = deadlines.CALLBACK_LIMIT
    return clocks.clock_start(
        ticket=ticket, kind=ClockKind.CALLBACK, amount=amount, unit=unit, start=start
    )


@transaction.atomic
def ticket_self_close(
    *, ticket: Ticket, actor: User, result: str, photos: Sequence[Any] = ()
) -> Ticket:
    actor = _as_user(actor)
    result = _require_text(result, "result")
    cleaned = clean_photos(list(photos))
    ticket = _lock(ticket)
    move = _check("self_close", ticket, actor)
    _move_ticket(ticket, move, result=result, closed_at=timezone.now())
    _start_callback_clock(ticket)
    _record(
        ticket,
        move,
        actor,
        note=result,
        photos=cleaned,
    )
    return ticket


# --- whistle and dispatch -------------------------------------------------------


def _check_department(department: Department, ticket: Ticket) -> None:
    if not department.is_active:
        raise ValidationFailed(
            _("%(name)s is not active.") % {"name": department.name}, code="department_inactive"
        )
    if not ticket.path.startswith(department.area.path):
        raise ValidationFailed(
            _("%(name)s does not cover this grid.") % {"name": department.name},
            code="department_out_of_area",
        )


def _start_claim_clock(ticket: Ticket, dispatch: Dispatch, start: dt.datetime) -> Clock:
    amount, unit, kind = deadlines.claim_policy(
        ticket.urgency, dispatch.whistle_type, ticket.category
    )
    return clocks.clock_start(
        ticket=ticket, dispatch=dispatch, kind=kind, amount=amount, unit=unit, start=start
    )


def _start_handle_clock(ticket: Ticket, dispatch: Dispatch, start: dt.datetime | None) -> Clock:
    amount, unit = deadlines.handle_policy(ticket.urgency, ticket.category)
    return clocks.clock_start(
        ticket=ticket,
        dispatch=dispatch,
        kind=ClockKind.HANDLE,
        amount=amount,
        unit=unit,
        start=start,
    )


#: The clocks a department owes on a dispatch until it replies.
_DISPATCH_CLOCKS: list[str] = [ClockKind.CLAIM, ClockKind.WHISTLE_REPORT, ClockKind.HANDLE]


@transaction.atomic
def ticket_whistle(
    *,
    ticket: Ticket,
    actor: User,
    whistle_type: str,
    lead: Department,
    assists: Sequence[Department] = (),
    informs: Sequence[Department] = (),
    note: str = "",
) -> list[Dispatch]:
    """Blow the whistle (吹哨): one lead (主办) and any assists (协办) and
    informs (知会). Starts each claim clock."""
    actor = _as_user(actor)
    if whistle_type not in WhistleType.values:
        raise ValidationFailed(extra={"fields": {"whistle_type": [_("Unknown whistle type.")]}})
    everyone = [lead, *assists, *informs]
    if len({d.pk for d in everyone}) != len(everyone):
        raise ValidationFailed(
            _("Each department can be called once."),
            code="duplicate_department",
            extra={"fields": {"departments": [_("Each department can be called once.")]}},
        )
    ticket = _lock(ticket)
    move = _check("whistle", ticket, actor)
    from governance.selectors import department_list

    visible = set(
        department_list(user=actor)
        .filter(pk__in=[d.pk for d in everyone])
        .values_list("pk", flat=True)
    )
    if any(d.pk not in visible for d in everyone):
        raise NotFound(_("Department not found."), code="department_not_found")
    for department in everyone:
        _check_department(department, ticket)
    live = set(
        Dispatch.objects.filter(ticket=ticket, state__in=ACTIVE_DISPATCH_STATES).values_list(
            "department_id", flat=True
        )
    )
    if live & {d.pk for d in everyone}:
        raise Conflict(
            _("A department called is already working on this case."), code="already_dispatched"
        )
    now = timezone.now()
    dispatches = [
        Dispatch.objects.create(
            ticket=ticket,
            department=department,
            role=role,
            whistle_type=whistle_type,
            state=workflow.NEW_DISPATCH_STATE[role],
            dispatched_by=actor,
            dispatched_at=now,
        )
        for department, role in (
            [(lead, DispatchRole.LEAD)]
            + [(d, DispatchRole.ASSIST) for d in assists]
            + [(d, DispatchRole.INFORM) for d in informs]
        )
    ]
    claim_due = [
        _start_claim_clock(ticket, dispatch, now).due_at
        for dispatch in dispatches
        if dispatch.role != DispatchRole.INFORM  # informed departments owe no claim
    ]
    _move_ticket(ticket, move, whistle_type=whistle_type)
    _record(
        ticket,
        move,
        actor,
        note=note,
        data={
            "whistle_type": whistle_type,
            "dispatches": [
                {"id": d.pk, "department": d.department.name, "role": d.role} for d in dispatches
            ],
            "claim_due_at": claim_due[0].isoformat(),
        },
    )
    notifications.tell_departments(ticket, [d.department for d in dispatches], actor=actor)
    return dispatches


def _lock_dispatch(dispatch: Dispatch) -> tuple[Ticket, Dispatch]:
    # Lock order as in every action: the ticket, then its dispatches.
    ticket = _lock(dispatch.ticket)
    locked = (
        Dispatch.objects.select_for_update(of=("self",))
        .select_related("department")
        .get(pk=dispatch.pk)
    )
    return ticket, locked


@transaction.atomic
def ticket_claim(*, dispatch: Dispatch, actor: User) -> Dispatch:
    """Claim (签收/报到). Concurrent claims queue on the ticket's row lock;
    the first wins, the others see the claim (409 ``already_claimed``)."""
    actor = _as_user(actor)
    ticket, dispatch = _lock_dispatch(dispatch)
    if (
        dispatch.claimed_by_id is not None
        and dispatch.state == DispatchState.CLAIMED
        and workflow.Capacity.DEPARTMENT in capacities(actor, ticket, dispatch=dispatch)
    ):
        claimer = User.objects.get(pk=dispatch.claimed_by_id)
        who = claimer.get_full_name() or claimer.get_username()
        raise Conflict(
            _("Already claimed by %(who)s.") % {"who": who},
            code="already_claimed",
            extra={
                "claimed_by": who,
                "claimed_at": dispatch.claimed_at.isoformat() if dispatch.claimed_at else None,
            },
        )
    move = _check("claim", ticket, actor, dispatch)
    now = timezone.now()
    clocks.clock_stop(ticket=ticket, dispatch=dispatch, kinds=_DISPATCH_CLOCKS)
    _set_dispatch(dispatch, move.dispatch_to, claimed_by=actor, claimed_at=now)
    handle = _start_handle_clock(ticket, dispatch, now)
    _move_ticket(ticket, move)
    _record(
        ticket,
        move,
        actor,
        dispatch=dispatch,
        data={
            "department": dispatch.department.name,
            "role": dispatch.role,
            "handle_due_at": handle.due_at.isoformat(),
            "provisional": handle.provisional,
        },
    )
    dispatch.refresh_from_db()
    return dispatch


@transaction.atomic
def ticket_request_return(
    *, dispatch: Dispatch, actor: User, reason: str, legal_basis: str
) -> ReturnRequest:
    """退单: send a mis-routed dispatch back, with the legal basis."""
    actor = _as_user(actor)
    reason = _require_text(reason, "reason")
    legal_basis = _require_text(legal_basis, "legal_basis")
    ticket, dispatch = _lock_dispatch(dispatch)
    move = _check("request_return", ticket, actor, dispatch)
    request = ReturnRequest.objects.create(
        dispatch=dispatch, reason=reason, legal_basis=legal_basis, requested_by=actor
    )
    previous = dispatch.state
    _set_dispatch(dispatch, move.dispatch_to)
    _record(
        ticket,
        move,
        actor,
        dispatch=dispatch,
        note=reason,
        data={"legal_basis": legal_basis, "dispatch_from": previous, "return_request": request.pk},
    )
    notifications.tell_street(
        ticket,
        "return_requested",
        recipe(
            gettext_noop("%(dept)s returns case %(number)s"),
            {"dept": dispatch.department.name, "number": ticket.number},
        ),
        actor=actor,
    )
    return request


def _end_other_dispatches(
    ticket: Ticket, dispatch: Dispatch | None, state: str, *, actor: User, note: str
) -> None:
    """The ticket's other live dispatches end in ``state``: their pending
    requests are decided with them and their clocks stop."""
    others = Dispatch.objects.filter(ticket=ticket, state__in=ACTIVE_DISPATCH_STATES)
    if dispatch is not None:
        others = others.exclude(pk=dispatch.pk)
    ids = list(others.values_list("pk", flat=True))
    _expire_pending_requests(ids, actor=actor, note=note)
    Dispatch.objects.filter(pk__in=ids).update(
        state=state, closed_at=timezone.now(), version=F("version") + 1
    )


@transaction.atomic
def ticket_review_return(
    *, request: ReturnRequest, actor: User, approve: bool, note: str = ""
) -> ReturnRequest:
    """The dispatching street decides: approve → the dispatch ends and, when
    it was the lead, the case waits for a new whistle; reject → it must be
    claimed again (the table says which states)."""
    actor = _as_user(actor)
    ticket, dispatch = _lock_dispatch(request.dispatch)
    request = ReturnRequest.objects.select_for_update().get(pk=request.pk)
    if request.state != ReviewState.PENDING:
        raise Conflict(_("This request was already decided."), code="already_decided")
    move = _check("approve_return" if approve else "reject_return", ticket, actor, dispatch)
    now = timezone.now()
    ReturnRequest.objects.filter(pk=request.pk).update(
        state=ReviewState.APPROVED if approve else ReviewState.REJECTED,
        reviewed_by=actor,
        reviewed_at=now,
        review_note=note,
    )
    clocks.clock_stop(ticket=ticket, dispatch=dispatch, kinds=_DISPATCH_CLOCKS, met=False)
    if approve:
        _set_dispatch(dispatch, move.dispatch_to, closed_at=now)
    else:
        _set_dispatch(dispatch, move.dispatch_to, claimed_by=None, claimed_at=None)
        _start_claim_clock(ticket, dispatch, now)
    if move.others_to is not None:
        clocks.clock_stop(ticket=ticket, kinds=_DISPATCH_CLOCKS, met=False)
        _end_other_dispatches(
            ticket,
            dispatch,
            move.others_to,
            actor=actor,
            note=_("The lead department was released."),
        )
    _move_ticket(ticket, move)
    _record(
        ticket,
        move,
        actor,
        dispatch=dispatch,
        note=note,
        data={"return_request": request.pk, "department": dispatch.department.name},
    )
    request.refresh_from_db()
    return request


# --- handling ----------------------------------------------------------------


@transaction.atomic
def ticket_progress(
    *, dispatch: Dispatch, actor: User, note: str, photos: Sequence[Any] = ()
) -> TicketEvent:
    actor = _as_user(actor)
    note = _require_text(note, "note")
    cleaned = clean_photos(list(photos))
    ticket, dispatch = _lock_dispatch(dispatch)
    move = _check("progress", ticket, actor, dispatch)
    return _record(
        ticket,
        move,
        actor,
        dispatch=dispatch,
        note=note,
        photos=cleaned,
    )


@transaction.atomic
def ticket_reply(
    *, dispatch: Dispatch, actor: User, result: str, photos: Sequence[Any] = ()
) -> Dispatch:
    """回单: the department reports back with its result (and photos)."""
    actor = _as_user(actor)
    result = _require_text(result, "result")
    cleaned = clean_photos(list(photos))
    ticket, dispatch = _lock_dispatch(dispatch)
    move = _check("reply", ticket, actor, dispatch)
    clocks.clock_stop(ticket=ticket, dispatch=dispatch, kinds=[ClockKind.HANDLE])
    _set_dispatch(dispatch, move.dispatch_to, replied_at=timezone.now())
    if move.changes_ticket:
        # The lead's reply is what the street verifies: it is the case's result.
        _move_ticket(ticket, move, result=result)
    _record(
        ticket,
        move,
        actor,
        dispatch=dispatch,
        note=result,
        photos=cleaned,
    )
    notifications.tell_street(
        ticket,
        "replied",
        recipe(
            gettext_noop("%(dept)s replied on case %(number)s"),
            {"dept": dispatch.department.name, "number": ticket.number},
        ),
        actor=actor,
    )
    dispatch.refresh_from_db()
    return dispatch


def _restart_handle_clock(ticket: Ticket, dispatch: Dispatch) -> Clock:
    """Rework, reopen and resume give the department a fresh handling deadline."""
    clocks.clock_stop(ticket=ticket, dispatch=dispatch, kinds=[ClockKind.HANDLE], met=False)
    return _start_handle_clock(ticket, dispatch, None)


def _expire_pending_requests(dispatch_ids: list[int], *, actor: User, note: str) -> None:
    """Requests on dispatches that end are decided with them, never left pending."""
    now = timezone.now()
    for model in (ReturnRequest, ExtensionRequest, OnAccountRequest):
        model.objects.filter(dispatch_id__in=dispatch_ids, state=ReviewState.PENDING).update(
            state=ReviewState.REJECTED, reviewed_by=actor, reviewed_at=now, review_note=note
        )


def _lead(ticket: Ticket) -> Dispatch | None:
    """The ticket's latest lead dispatch (locked), whatever its state: the
    table decides whether a step may move it."""
    return (
        Dispatch.objects.select_for_update()
        .select_related("department")
        .filter(ticket=ticket, role=DispatchRole.LEAD)
        .order_by("-id")
        .first()
    )


@transaction.atomic
def ticket_close(*, ticket: Ticket, actor: User, note: str = "") -> Ticket:
    """核查 → 结案: the street verifies the reply and closes the case."""
    actor = _as_user(actor)
    ticket = _lock(ticket)
    move = _check("close", ticket, actor)
    now = timezone.now()
    clocks.clock_stop(ticket=ticket, kinds=_DISPATCH_CLOCKS)
    if move.others_to is not None:
        _end_other_dispatches(
            ticket, None, move.others_to, actor=actor, note=_("The case was closed.")
        )
    _start_callback_clock(ticket, now)
    _move_ticket(ticket, move, closed_at=now)
    _record(
        ticket,
        move,
        actor,
        note=note,
    )
    return ticket


@transaction.atomic
def ticket_rework(*, ticket: Ticket, actor: User, note: str) -> Ticket:
    """返工: the reply is not good enough; back to the lead department."""
    actor = _as_user(actor)
    note = _require_text(note, "note")
    ticket = _lock(ticket)
    lead = _lead(ticket)
    move = _check("rework", ticket, actor, lead)
    assert lead is not None  # the table requires the lead for rework
    _set_dispatch(lead, move.dispatch_to, replied_at=None)
    _restart_handle_clock(ticket, lead)
    _move_ticket(ticket, move, rework_count=ticket.rework_count + 1)
    _record(
        ticket,
        move,
        actor,
        dispatch=lead,
        note=note,
    )
    return ticket


def _clean_callback(contacted: bool, resolution: str, satisfaction: str) -> tuple[str, str]:
    if not contacted:
        return "", ""
    errors = {}
    if resolution not in Resolution.values:
        errors["resolution"] = [_("Choose resolved, partly resolved or unresolved.")]
    if satisfaction not in Satisfaction.values:
        errors["satisfaction"] = [_("Choose satisfied, mostly satisfied or unsatisfied.")]
    if errors:
        raise ValidationFailed(extra={"fields": errors})
    return resolution, satisfaction


@transaction.atomic
def ticket_callback(
    *,
    ticket: Ticket,
    actor: User,
    contacted: bool = True,
    resolution: str = "",
    satisfaction: str = "",
    note: str = "",
) -> Callback:
    """回访: record what the resident says; the case is done. (An unsatisfied
    resident's case can be reopened instead: :func:`ticket_reopen`.)"""
    actor = _as_user(actor)
    resolution, satisfaction = _clean_callback(contacted, resolution, satisfaction)
    ticket = _lock(ticket)
    move = _check("callback", ticket, actor)
    callback = Callback.objects.create(
        ticket=ticket,
        contacted=contacted,
        resolution=resolution,
        satisfaction=satisfaction,
        note=note,
        by=actor,
    )
    _move_ticket(ticket, move)
    clocks.clock_stop(ticket=ticket, kinds=[ClockKind.CALLBACK])
    _record(
        ticket,
        move,
        actor,
        note=note,
        data={"contacted": contacted, "resolution": resolution, "satisfaction": satisfaction},
    )
    return callback


@transaction.atomic
def ticket_reopen(*, ticket: Ticket, actor: User, resolution: str, note: str) -> Callback:
    """重办: the resident was called back and is unsatisfied; the case goes
    back to its lead department (a fresh handling deadline) or, when it never
    left the grid, to the grid. The callback is recorded as unsatisfied."""
    actor = _as_user(actor)
    note = _require_text(note, "note")
    resolution, satisfaction = _clean_callback(True, resolution, Satisfaction.UNSATISFIED)
    ticket = _lock(ticket)
    lead = _lead(ticket)
    move = _check("reopen", ticket, actor, lead)
    callback = Callback.objects.create(
        ticket=ticket,
        contacted=True,
        resolution=resolution,
        satisfaction=satisfaction,
        note=note,
        reopened=True,
        by=actor,
    )
    if lead is not None:
        _set_dispatch(lead, move.dispatch_to, closed_at=None, replied_at=None)
        _restart_handle_clock(ticket, lead)
    _move_ticket(ticket, move, closed_at=None)
    clocks.clock_stop(ticket=ticket, kinds=[ClockKind.CALLBACK])
    _record(
        ticket,
        move,
        actor,
        dispatch=lead,
        note=note,
        data={"contacted": True, "resolution": resolution, "satisfaction": satisfaction},
    )
    return callback


# --- extension, on account, supervision ----------------------------------------------


@transaction.atomic
def ticket_request_extension(
    *,
    dispatch: Dispatch,
    actor: User,
    requested_due_at: dt.datetime,
    reason: str,
    legal_basis: str = "",
) -> ExtensionRequest:
    """延期: only before the handling deadline, to a later time."""
    actor = _as_user(actor)
    reason = _require_text(reason, "reason")
    ticket, dispatch = _lock_dispatch(dispatch)
    move = _check("request_extension", ticket, actor, dispatch)
    handle = clocks.running_clock(ticket, ClockKind.HANDLE, dispatch)
    if handle is None or timezone.now() >= handle.due_at:
        raise Conflict(
            _("An extension must be asked for before the deadline."), code="deadline_passed"
        )
    if requested_due_at <= handle.due_at:
        raise ValidationFailed(
            extra={"fields": {"requested_due_at": [_("Choose a time after the current deadline.")]}}
        )
    if ExtensionRequest.objects.filter(dispatch=dispatch, state=ReviewState.PENDING).exists():
        raise Conflict(_("An extension request is already waiting."), code="extension_pending")
    request = ExtensionRequest.objects.create(
        dispatch=dispatch,
        requested_due_at=requested_due_at,
        previous_due_at=handle.due_at,
        reason=reason,
        legal_basis=legal_basis,
        requested_by=actor,
    )
    _record(
        ticket,
        move,
        actor,
        dispatch=dispatch,
        note=reason,
        data={"requested_due_at": requested_due_at.isoformat(), "extension_request": request.pk},
    )
    return request


@transaction.atomic
def ticket_review_extension(
    *, request: ExtensionRequest, actor: User, approve: bool, note: str = ""
) -> ExtensionRequest:
    actor = _as_user(actor)
    ticket, dispatch = _lock_dispatch(request.dispatch)
    request = ExtensionRequest.objects.select_for_update().get(pk=request.pk)
    if request.state != ReviewState.PENDING:
        raise Conflict(_("This request was already decided."), code="already_decided")
    move = _check("approve_extension" if approve else "reject_extension", ticket, actor, dispatch)
    ExtensionRequest.objects.filter(pk=request.pk).update(
        state=ReviewState.APPROVED if approve else ReviewState.REJECTED,
        reviewed_by=actor,
        reviewed_at=timezone.now(),
        review_note=note,
    )
    if approve:
        handle = clocks.running_clock(ticket, ClockKind.HANDLE, dispatch)
        if handle is not None:
            clocks.clock_move(clock=handle, due_at=request.requested_due_at)
    _record(
        ticket,
        move,
        actor,
        dispatch=dispatch,
        note=note,
        data={
            "extension_request": request.pk,
            "previous_due_at": request.previous_due_at.isoformat(),
            "requested_due_at": request.requested_due_at.isoformat(),
        },
    )
    request.refresh_from_db()
    return request


@transaction.atomic
def ticket_request_on_account(*, dispatch: Dispatch, actor: User, reason: str) -> OnAccountRequest:
    """挂账: ask to park a case that cannot be solved for now."""
    actor = _as_user(actor)
    reason = _require_text(reason, "reason")
    ticket, dispatch = _lock_dispatch(dispatch)
    move = _check("request_on_account", ticket, actor, dispatch)
    if OnAccountRequest.objects.filter(dispatch=dispatch, state=ReviewState.PENDING).exists():
        raise Conflict(_("An on-account request is already waiting."), code="on_account_pending")
    request = OnAccountRequest.objects.create(dispatch=dispatch, reason=reason, requested_by=actor)
    _record(
        ticket,
        move,
        actor,
        dispatch=dispatch,
        note=reason,
        data={"on_account_request": request.pk},
    )
    return request


@transaction.atomic
def ticket_review_on_account(
    *, request: OnAccountRequest, actor: User, approve: bool, note: str = ""
) -> OnAccountRequest:
    actor = _as_user(actor)
    ticket, dispatch = _lock_dispatch(request.dispatch)
    request = OnAccountRequest.objects.select_for_update().get(pk=request.pk)
    if request.state != ReviewState.PENDING:
        raise Conflict(_("This request was already decided."), code="already_decided")
    move = _check("approve_on_account" if approve else "reject_on_account", ticket, actor, dispatch)
    OnAccountRequest.objects.filter(pk=request.pk).update(
        state=ReviewState.APPROVED if approve else ReviewState.REJECTED,
        reviewed_by=actor,
        reviewed_at=timezone.now(),
        review_note=note,
    )
    if move.changes_ticket:
        # A parked case runs no handling clock (it is reviewed in the pool).
        clocks.clock_stop(ticket=ticket, dispatch=dispatch, kinds=[ClockKind.HANDLE], met=False)
    _move_ticket(ticket, move)
    _record(
        ticket,
        move,
        actor,
        dispatch=dispatch,
        note=note,
        data={"on_account_request": request.pk},
    )
    request.refresh_from_db()
    return request


@transaction.atomic
def ticket_resume(*, ticket: Ticket, actor: User, note: str = "") -> Ticket:
    """A parked case is taken up again: the lead gets a fresh handling deadline."""
    actor = _as_user(actor)
    ticket = _lock(ticket)
    lead = _lead(ticket)
    move = _check("resume", ticket, actor, lead)
    assert lead is not None  # the table requires the lead for resume
    _move_ticket(ticket, move)
    _restart_handle_clock(ticket, lead)
    _record(
        ticket,
        move,
        actor,
        dispatch=lead,
        note=note,
    )
    return ticket


@transaction.atomic
def ticket_supervise(
    *, ticket: Ticket, actor: User, kind: str = SupervisionKind.LEADER, note: str = ""
) -> Supervision:
    """督办: a leader puts the case under formal supervision."""
    actor = _as_user(actor)
    if kind not in SupervisionKind.values:
        raise ValidationFailed(extra={"fields": {"kind": [_("Unknown supervision kind.")]}})
    ticket = _lock(ticket)
    move = _check("supervise", ticket, actor)
    if Supervision.objects.filter(ticket=ticket, closed_at__isnull=True, kind=kind).exists():
        raise Conflict(_("This case is already under this supervision."), code="already_supervised")
    supervision = Supervision.objects.create(ticket=ticket, kind=kind, note=note, opened_by=actor)
    _move_ticket(ticket, move, supervised=True)
    _record(
        ticket,
        move,
        actor,
        note=note,
        data={"kind": kind, "supervision": supervision.pk},
    )
    return supervision
