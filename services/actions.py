"""Every change to a ticket. ``grep -n "def ticket_"`` lists what can happen.

Each action: keyword-only, one transaction, checks the transition table
(services.workflow) and the actor's capacity first, locks the ticket row,
writes its TicketEvent in the same transaction. Nothing is half-written: any
error rolls the whole step back.
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

from core import workcalendar as core_workcalendar
from core.errors import AccessDenied, Conflict, InvalidTransition, NotFound, ValidationFailed
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
    TicketState,
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
) -> workflow.Transition:
    return workflow.check(
        verb,
        ticket_state=ticket.state,
        capacities=capacities(actor, ticket, dispatch=dispatch),
        dispatch_state=dispatch.state if dispatch is not None else None,
    )


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
    if not user_scope(actor).covers_path(grid.path) or not (
        capacities(actor, Ticket(path=grid.path)) & workflow.REPORTERS
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
        to_state=TicketState.REPORTED,
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
    t = _check("self_handle", ticket, actor)
    before = ticket.state
    _set_state(ticket, t.ticket_to or ticket.state)
    _event(
        ticket, verb="self_handle", actor=actor, from_state=before, to_state=ticket.state, note=note
    )
    return ticket


@transaction.atomic
def ticket_self_close(
    *, ticket: Ticket, actor: User, result: str, photos: Sequence[Any] = ()
) -> Ticket:
    actor = _as_user(actor)
    result = _require_text(result, "result")
    cleaned = clean_photos(list(photos))
    ticket = _lock(ticket)
    t = _check("self_close", ticket, actor)
    before = ticket.state
    _set_state(ticket, t.ticket_to or ticket.state, result=result, closed_at=timezone.now())
    clocks.clock_start(
        ticket=ticket,
        kind=ClockKind.CALLBACK,
        amount=deadlines.CALLBACK_LIMIT[0],
        unit=deadlines.CALLBACK_LIMIT[1],
    )
    _event(
        ticket,
        verb="self_close",
        actor=actor,
        from_state=before,
        to_state=ticket.state,
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
    t = _check("whistle", ticket, actor)
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
    claim_amount, claim_unit, claim_kind = deadlines.claim_policy(
        ticket.urgency, whistle_type, ticket.category
    )
    claim = core_workcalendar.add(now, claim_amount, claim_unit)
    dispatches = []
    for department, role in (
        [(lead, DispatchRole.LEAD)]
        + [(d, DispatchRole.ASSIST) for d in assists]
        + [(d, DispatchRole.INFORM) for d in informs]
    ):
        informed = role == DispatchRole.INFORM
        dispatches.append(
            Dispatch.objects.create(
                ticket=ticket,
                department=department,
                role=role,
                whistle_type=whistle_type,
                state=DispatchState.INFORMED if informed else DispatchState.AWAITING_CLAIM,
                dispatched_by=actor,
                dispatched_at=now,
                claim_due_at=None if informed else claim.due_at,
            )
        )
    for dispatch in dispatches:
        if dispatch.role != DispatchRole.INFORM:
            clocks.clock_start(
                ticket=ticket,
                dispatch=dispatch,
                kind=claim_kind,
                amount=claim_amount,
                unit=claim_unit,
                start=now,
            )
    before = ticket.state
    _set_state(ticket, t.ticket_to or ticket.state, whistle_type=whistle_type)
    _event(
        ticket,
        verb="whistle",
        actor=actor,
        from_state=before,
        to_state=ticket.state,
        note=note,
        data={
            "whistle_type": whistle_type,
            "dispatches": [
                {"id": d.pk, "department": d.department.name, "role": d.role} for d in dispatches
            ],
            "claim_due_at": claim.due_at.isoformat(),
        },
    )
    notifications.tell_departments(ticket, [d.department for d in dispatches], actor=actor)
    return dispatches


@transaction.atomic
def ticket_claim(*, dispatch: Dispatch, actor: User) -> Dispatch:
    """Claim (签收/报到). One conditional UPDATE decides the race: 1 row = won;
    0 rows = someone else was first (409 ``already_claimed``)."""
    actor = _as_user(actor)
    # Lock order as in every action: the ticket, then its dispatches.
    ticket = _lock(dispatch.ticket)
    transition = workflow.TRANSITIONS["claim"]
    if not capacities(actor, ticket, dispatch=dispatch) & transition.who:
        raise AccessDenied(
            _("Only the department's officers can claim this."), code="not_your_step"
        )
    if dispatch.role == DispatchRole.INFORM:
        raise InvalidTransition(
            _("An informed department does not claim."), extra={"verb": "claim"}
        )
    if ticket.state not in transition.ticket_from:
        raise InvalidTransition(
            _("A case that is “%(state)s” cannot take this step.")
            % {"state": ticket.get_state_display()},
            extra={"verb": "claim", "state": ticket.state},
        )
    now = timezone.now()
    # The race is decided here, by the row count of one conditional UPDATE.
    won = Dispatch.objects.filter(
        pk=dispatch.pk, state=DispatchState.AWAITING_CLAIM, claimed_by__isnull=True
    ).update(
        state=DispatchState.CLAIMED, claimed_by=actor, claimed_at=now, version=F("version") + 1
    )
    if won == 0:
        current = Dispatch.objects.select_related("claimed_by").get(pk=dispatch.pk)
        if current.claimed_by_id is not None and current.state == DispatchState.CLAIMED:
            who = current.claimed_by.get_full_name() or current.claimed_by.get_username()  # type: ignore[union-attr]
            raise Conflict(
                _("Already claimed by %(who)s.") % {"who": who},
                code="already_claimed",
                extra={
                    "claimed_by": who,
                    "claimed_at": current.claimed_at.isoformat() if current.claimed_at else None,
                },
            )
        raise InvalidTransition(
            _("This dispatch is “%(state)s”: the step is not possible now.")
            % {"state": current.get_state_display()},
            extra={"verb": "claim", "dispatch_state": current.state},
        )
    clocks.clock_stop(
        ticket=ticket, dispatch=dispatch, kinds=[ClockKind.CLAIM, ClockKind.WHISTLE_REPORT]
    )
    amount, unit = deadlines.handle_policy(ticket.urgency, ticket.category)
    handle = clocks.clock_start(
        ticket=ticket, dispatch=dispatch, kind=ClockKind.HANDLE, amount=amount, unit=unit, start=now
    )
    Dispatch.objects.filter(pk=dispatch.pk).update(handle_due_at=handle.due_at)
    before = ticket.state
    if dispatch.role == DispatchRole.LEAD and ticket.state == TicketState.DISPATCHED:
        _set_state(ticket, TicketState.IN_PROGRESS)
    dispatch.refresh_from_db()
    _event(
        ticket,
        verb="claim",
        actor=actor,
        dispatch=dispatch,
        from_state=before,
        to_state=ticket.state,
        data={
            "department": dispatch.department.name,
            "role": dispatch.role,
            "handle_due_at": handle.due_at.isoformat(),
            "provisional": handle.provisional,
        },
    )
    return dispatch


def _lock_dispatch(dispatch: Dispatch) -> tuple[Ticket, Dispatch]:
    ticket = _lock(dispatch.ticket)
    locked = (
        Dispatch.objects.select_for_update(of=("self",))
        .select_related("department")
        .get(pk=dispatch.pk)
    )
    return ticket, locked


@transaction.atomic
def ticket_request_return(
    *, dispatch: Dispatch, actor: User, reason: str, legal_basis: str
) -> ReturnRequest:
    """退单: send a mis-routed dispatch back, with the legal basis."""
    actor = _as_user(actor)
    reason = _require_text(reason, "reason")
    legal_basis = _require_text(legal_basis, "legal_basis")
    ticket, dispatch = _lock_dispatch(dispatch)
    t = _check("request_return", ticket, actor, dispatch)
    request = ReturnRequest.objects.create(
        dispatch=dispatch, reason=reason, legal_basis=legal_basis, requested_by=actor
    )
    previous = dispatch.state
    Dispatch.objects.filter(pk=dispatch.pk).update(state=t.dispatch_to, version=F("version") + 1)
    _event(
        ticket,
        verb="request_return",
        actor=actor,
        dispatch=dispatch,
        from_state=ticket.state,
        to_state=ticket.state,
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


@transaction.atomic
def ticket_review_return(
    *, request: ReturnRequest, actor: User, approve: bool, note: str = ""
) -> ReturnRequest:
    """The dispatching street decides: approve → the dispatch ends and the
    case waits for re-dispatch (when it was the lead); reject → it must be
    claimed again."""
    actor = _as_user(actor)
    ticket, dispatch = _lock_dispatch(request.dispatch)
    request = ReturnRequest.objects.select_for_update().get(pk=request.pk)
    if request.state != ReviewState.PENDING:
        raise Conflict(_("This request was already decided."), code="already_decided")
    t = _check("approve_return" if approve else "reject_return", ticket, actor, dispatch)
    now = timezone.now()
    ReturnRequest.objects.filter(pk=request.pk).update(
        state=ReviewState.APPROVED if approve else ReviewState.REJECTED,
        reviewed_by=actor,
        reviewed_at=now,
        review_note=note,
    )
    before = ticket.state
    if approve:
        clocks.clock_stop(
            ticket=ticket,
            dispatch=dispatch,
            kinds=[ClockKind.CLAIM, ClockKind.WHISTLE_REPORT, ClockKind.HANDLE],
            met=False,
        )
        Dispatch.objects.filter(pk=dispatch.pk).update(
            state=t.dispatch_to, closed_at=now, version=F("version") + 1
        )
        if dispatch.role == DispatchRole.LEAD:
            # Assists and informs of a mis-routed case end with it.
            others = Dispatch.objects.filter(ticket=ticket, state__in=ACTIVE_DISPATCH_STATES)
            _expire_pending_requests(
                list(others.values_list("pk", flat=True)),
                actor=actor,
                note=_("The lead department was released."),
            )
            for other in others:
                clocks.clock_stop(
                    ticket=ticket,
                    dispatch=other,
                    kinds=[ClockKind.CLAIM, ClockKind.WHISTLE_REPORT, ClockKind.HANDLE],
                    met=False,
                )
            others.update(state=DispatchState.CANCELLED, closed_at=now)
            _set_state(ticket, TicketState.RETURNED)
    else:
        clocks.clock_stop(
            ticket=ticket,
            dispatch=dispatch,
            kinds=[ClockKind.CLAIM, ClockKind.WHISTLE_REPORT, ClockKind.HANDLE],
            met=False,
        )
        amount, unit, kind = deadlines.claim_policy(
            ticket.urgency, dispatch.whistle_type, ticket.category
        )
        claim = clocks.clock_start(
            ticket=ticket, dispatch=dispatch, kind=kind, amount=amount, unit=unit, start=now
        )
        Dispatch.objects.filter(pk=dispatch.pk).update(
            state=t.dispatch_to,
            claimed_by=None,
            claimed_at=None,
            handle_due_at=None,
            claim_due_at=claim.due_at,
            version=F("version") + 1,
        )
        if dispatch.role == DispatchRole.LEAD and ticket.state == TicketState.IN_PROGRESS:
            _set_state(ticket, TicketState.DISPATCHED)
    _event(
        ticket,
        verb="approve_return" if approve else "reject_return",
        actor=actor,
        dispatch=dispatch,
        from_state=before,
        to_state=ticket.state,
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
    _check("progress", ticket, actor, dispatch)
    return _event(
        ticket,
        verb="progress",
        actor=actor,
        dispatch=dispatch,
        from_state=ticket.state,
        to_state=ticket.state,
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
    t = _check("reply", ticket, actor, dispatch)
    now = timezone.now()
    clocks.clock_stop(ticket=ticket, dispatch=dispatch, kinds=[ClockKind.HANDLE])
    Dispatch.objects.filter(pk=dispatch.pk).update(
        state=t.dispatch_to, replied_at=now, version=F("version") + 1
    )
    before = ticket.state
    if dispatch.role == DispatchRole.LEAD:
        _set_state(ticket, TicketState.REPLIED, result=result)
    _event(
        ticket,
        verb="reply",
        actor=actor,
        dispatch=dispatch,
        from_state=before,
        to_state=ticket.state,
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
    """Rework and reopen give the department a fresh handling deadline."""
    clocks.clock_stop(ticket=ticket, dispatch=dispatch, kinds=[ClockKind.HANDLE], met=False)
    amount, unit = deadlines.handle_policy(ticket.urgency, ticket.category)
    return clocks.clock_start(
        ticket=ticket, dispatch=dispatch, kind=ClockKind.HANDLE, amount=amount, unit=unit
    )


def _expire_pending_requests(dispatch_ids: list[int], *, actor: User, note: str) -> None:
    """Requests on dispatches that end are decided with them, never left pending."""
    now = timezone.now()
    for model in (ReturnRequest, ExtensionRequest, OnAccountRequest):
        model.objects.filter(dispatch_id__in=dispatch_ids, state=ReviewState.PENDING).update(
            state=ReviewState.REJECTED, reviewed_by=actor, reviewed_at=now, review_note=note
        )


def _lead(ticket: Ticket, *states: str) -> Dispatch | None:
    return (
        Dispatch.objects.select_for_update()
        .filter(ticket=ticket, role=DispatchRole.LEAD, state__in=states)
        .order_by("-id")
        .first()
    )


@transaction.atomic
def ticket_close(*, ticket: Ticket, actor: User, note: str = "") -> Ticket:
    """核查 → 结案: the street verifies the reply and closes the case."""
    actor = _as_user(actor)
    ticket = _lock(ticket)
    t = _check("close", ticket, actor)
    now = timezone.now()
    live = Dispatch.objects.filter(ticket=ticket, state__in=ACTIVE_DISPATCH_STATES)
    _expire_pending_requests(
        list(live.values_list("pk", flat=True)), actor=actor, note=_("The case was closed.")
    )
    live.update(state=DispatchState.DONE, closed_at=now)
    clocks.clock_stop(
        ticket=ticket, kinds=[ClockKind.CLAIM, ClockKind.WHISTLE_REPORT, ClockKind.HANDLE]
    )
    clocks.clock_start(
        ticket=ticket,
        kind=ClockKind.CALLBACK,
        amount=deadlines.CALLBACK_LIMIT[0],
        unit=deadlines.CALLBACK_LIMIT[1],
        start=now,
    )
    before = ticket.state
    _set_state(ticket, t.ticket_to or ticket.state, closed_at=now)
    _event(ticket, verb="close", actor=actor, from_state=before, to_state=ticket.state, note=note)
    return ticket


@transaction.atomic
def ticket_rework(*, ticket: Ticket, actor: User, note: str) -> Ticket:
    """返工: the reply is not good enough; back to the lead department."""
    actor = _as_user(actor)
    note = _require_text(note, "note")
    ticket = _lock(ticket)
    t = _check("rework", ticket, actor)
    lead = _lead(ticket, DispatchState.REPLIED)
    if lead is None:
        raise InvalidTransition(
            _("There is no department reply to send back."), extra={"verb": "rework"}
        )
    handle = _restart_handle_clock(ticket, lead)
    Dispatch.objects.filter(pk=lead.pk).update(
        state=DispatchState.CLAIMED,
        replied_at=None,
        handle_due_at=handle.due_at,
        version=F("version") + 1,
    )
    before = ticket.state
    _set_state(ticket, t.ticket_to or ticket.state, rework_count=ticket.rework_count + 1)
    _event(
        ticket,
        verb="rework",
        actor=actor,
        dispatch=lead,
        from_state=before,
        to_state=ticket.state,
        note=note,
    )
    return ticket


@transaction.atomic
def ticket_callback(
    *,
    ticket: Ticket,
    actor: User,
    contacted: bool = True,
    resolution: str = "",
    satisfaction: str = "",
    note: str = "",
    reopen: bool = False,
) -> Callback:
    """回访: record what the resident says. Unsatisfied may reopen (重办)."""
    actor = _as_user(actor)
    if contacted:
        errors = {}
        if resolution not in Resolution.values:
            errors["resolution"] = [_("Choose resolved, partly resolved or unresolved.")]
        if satisfaction not in Satisfaction.values:
            errors["satisfaction"] = [_("Choose satisfied, mostly satisfied or unsatisfied.")]
        if errors:
            raise ValidationFailed(extra={"fields": errors})
    else:
        resolution = satisfaction = ""
    if reopen and satisfaction != Satisfaction.UNSATISFIED:
        raise ValidationFailed(
            _("Only an unsatisfied resident's case is reopened."),
            code="reopen_needs_unsatisfied",
            extra={"fields": {"reopen": [_("Only an unsatisfied resident's case is reopened.")]}},
        )
    ticket = _lock(ticket)
    t = _check("callback", ticket, actor)
    callback = Callback.objects.create(
        ticket=ticket,
        contacted=contacted,
        resolution=resolution,
        satisfaction=satisfaction,
        note=note,
        reopened=reopen,
        by=actor,
    )
    before = ticket.state
    if reopen:
        lead = _lead(ticket, DispatchState.DONE)
        if lead is not None:
            Dispatch.objects.filter(pk=lead.pk).update(
                state=DispatchState.CLAIMED,
                closed_at=None,
                replied_at=None,
                handle_due_at=_restart_handle_clock(ticket, lead).due_at,
                version=F("version") + 1,
            )
            _set_state(ticket, TicketState.IN_PROGRESS, closed_at=None)
        else:
            _set_state(ticket, TicketState.SELF_HANDLING, closed_at=None)
    else:
        _set_state(ticket, t.ticket_to or ticket.state)
    clocks.clock_stop(ticket=ticket, kinds=[ClockKind.CALLBACK])
    _event(
        ticket,
        verb="reopen" if reopen else "callback",
        actor=actor,
        from_state=before,
        to_state=ticket.state,
        note=note,
        data={"contacted": contacted, "resolution": resolution, "satisfaction": satisfaction},
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
    _check("request_extension", ticket, actor, dispatch)
    now = timezone.now()
    if dispatch.handle_due_at is None or now >= dispatch.handle_due_at:
        raise Conflict(
            _("An extension must be asked for before the deadline."), code="deadline_passed"
        )
    if requested_due_at <= dispatch.handle_due_at:
        raise ValidationFailed(
            extra={"fields": {"requested_due_at": [_("Choose a time after the current deadline.")]}}
        )
    if ExtensionRequest.objects.filter(dispatch=dispatch, state=ReviewState.PENDING).exists():
        raise Conflict(_("An extension request is already waiting."), code="extension_pending")
    request = ExtensionRequest.objects.create(
        dispatch=dispatch,
        requested_due_at=requested_due_at,
        previous_due_at=dispatch.handle_due_at,
        reason=reason,
        legal_basis=legal_basis,
        requested_by=actor,
    )
    _event(
        ticket,
        verb="request_extension",
        actor=actor,
        dispatch=dispatch,
        from_state=ticket.state,
        to_state=ticket.state,
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
    _check("review_extension", ticket, actor, dispatch)
    ExtensionRequest.objects.filter(pk=request.pk).update(
        state=ReviewState.APPROVED if approve else ReviewState.REJECTED,
        reviewed_by=actor,
        reviewed_at=timezone.now(),
        review_note=note,
    )
    if approve:
        Dispatch.objects.filter(pk=dispatch.pk).update(
            handle_due_at=request.requested_due_at, version=F("version") + 1
        )
        clock = clocks.running_clock(ticket, ClockKind.HANDLE, dispatch)
        if clock is not None:
            clocks.clock_move(clock=clock, due_at=request.requested_due_at)
    _event(
        ticket,
        verb="approve_extension" if approve else "reject_extension",
        actor=actor,
        dispatch=dispatch,
        from_state=ticket.state,
        to_state=ticket.state,
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
    _check("request_on_account", ticket, actor, dispatch)
    if dispatch.role != DispatchRole.LEAD:
        raise InvalidTransition(
            _("Only the lead department parks a case."), extra={"verb": "request_on_account"}
        )
    if OnAccountRequest.objects.filter(dispatch=dispatch, state=ReviewState.PENDING).exists():
        raise Conflict(_("An on-account request is already waiting."), code="on_account_pending")
    request = OnAccountRequest.objects.create(dispatch=dispatch, reason=reason, requested_by=actor)
    _event(
        ticket,
        verb="request_on_account",
        actor=actor,
        dispatch=dispatch,
        from_state=ticket.state,
        to_state=ticket.state,
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
    t = _check("approve_on_account" if approve else "reject_on_account", ticket, actor, dispatch)
    OnAccountRequest.objects.filter(pk=request.pk).update(
        state=ReviewState.APPROVED if approve else ReviewState.REJECTED,
        reviewed_by=actor,
        reviewed_at=timezone.now(),
        review_note=note,
    )
    before = ticket.state
    if approve:
        _set_state(ticket, t.ticket_to or ticket.state)
        # A parked case runs no handling clock (it is reviewed in the pool).
        clocks.clock_stop(ticket=ticket, dispatch=dispatch, kinds=[ClockKind.HANDLE], met=False)
    _event(
        ticket,
        verb="approve_on_account" if approve else "reject_on_account",
        actor=actor,
        dispatch=dispatch,
        from_state=before,
        to_state=ticket.state,
        note=note,
        data={"on_account_request": request.pk},
    )
    request.refresh_from_db()
    return request


@transaction.atomic
def ticket_resume(*, ticket: Ticket, actor: User, note: str = "") -> Ticket:
    actor = _as_user(actor)
    ticket = _lock(ticket)
    t = _check("resume", ticket, actor)
    before = ticket.state
    _set_state(ticket, t.ticket_to or ticket.state)
    lead = _lead(ticket, DispatchState.CLAIMED)
    if lead is not None:
        handle = _restart_handle_clock(ticket, lead)
        Dispatch.objects.filter(pk=lead.pk).update(handle_due_at=handle.due_at)
    _event(ticket, verb="resume", actor=actor, from_state=before, to_state=ticket.state, note=note)
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
    _check("supervise", ticket, actor)
    if Supervision.objects.filter(ticket=ticket, closed_at__isnull=True, kind=kind).exists():
        raise Conflict(_("This case is already under this supervision."), code="already_supervised")
    supervision = Supervision.objects.create(ticket=ticket, kind=kind, note=note, opened_by=actor)
    _set_state(ticket, ticket.state, supervised=True)
    _event(
        ticket,
        verb="supervise",
        actor=actor,
        from_state=ticket.state,
        to_state=ticket.state,
        note=note,
        data={"kind": kind, "supervision": supervision.pk},
    )
    return supervision


def dispatch_for(ticket: Ticket, department_id: int) -> Dispatch:
    """The live dispatch of ``department_id`` on ``ticket`` (404 if none)."""
    dispatch = (
        Dispatch.objects.filter(
            ticket=ticket, department_id=department_id, state__in=ACTIVE_DISPATCH_STATES
        )
        .select_related("department", "ticket")
        .first()
    )
    if dispatch is None:
        raise NotFound(_("Dispatch not found."), code="dispatch_not_found")
    return dispatch
