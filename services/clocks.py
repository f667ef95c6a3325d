"""Clocks: start, stop and move deadlines; the sweep that reminds and escalates.

Deadlines are rows, never long Celery countdowns (see
docs/decisions/0012-clocks-and-notifications.md). This module is the only
writer of a deadline: ``clock_start`` and ``clock_move`` write the clock row
and copy its due time onto the dispatch (``Dispatch.claim_due_at`` /
``handle_due_at``, kept for the department queue's order and index). The sweep takes due clocks in batches with
``select_for_update(skip_locked=True)`` through a partial index, so two
sweeps at once never take the same clock; each step is an ``Escalation`` row
unique per clock and step, so a step is never done twice even if a worker
dies between the step and its commit (the whole batch rolls back).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core import workcalendar
from core.bulk import bulk_insert
from core.channels import sms_enabled
from core.i18n import recipe
from core.models import Delivery, Notification
from core.notify import queue, sms
from governance.models import LEVELS, Area, AreaLevel, Post, Role
from services import hooks
from services.models import (
    Clock,
    ClockKind,
    ClockState,
    Dispatch,
    Escalation,
    Supervision,
    SupervisionKind,
    Ticket,
    TicketEvent,
)

logger = logging.getLogger(__name__)
Step = Escalation.Step


def _remind_at(start: dt.datetime, due: dt.datetime) -> dt.datetime:
    return start + (due - start) * settings.CLOCK_REMIND_SHARE


def gap(clock: Clock) -> dt.timedelta:
    """Time between escalation levels: half the clock, 30 min to 1 day."""
    half = (clock.due_at - clock.started_at) / 2
    return max(dt.timedelta(minutes=30), min(half, dt.timedelta(days=1)))


#: Which dispatch column shows a clock kind's deadline.
_DISPATCH_DUE_FIELD: dict[str, str] = {
    ClockKind.CLAIM: "claim_due_at",
    ClockKind.WHISTLE_REPORT: "claim_due_at",
    ClockKind.HANDLE: "handle_due_at",
}


def _show_on_dispatch(clock: Clock) -> None:
    """Copy the clock's deadline onto its dispatch (the queue reads it there)."""
    column = _DISPATCH_DUE_FIELD.get(clock.kind)
    if clock.dispatch_id is None or column is None:
        return
    Dispatch.objects.filter(pk=clock.dispatch_id).update(**{column: clock.due_at})
    if Clock.dispatch.is_cached(clock) and clock.dispatch is not None:
        setattr(clock.dispatch, column, clock.due_at)


def new_clock(
    *,
    ticket: Ticket,
    kind: str,
    amount: int,
    unit: str,
    dispatch: Dispatch | None = None,
    start: dt.datetime | None = None,
    stopped_at: dt.datetime | None = None,
) -> Clock:
    """An unsaved clock from ``start``: its deadline on the working calendar,
    its reminder time and, when ``stopped_at`` is given (a history being
    loaded), its end state (met when stopped in time)."""
    start = start or timezone.now()
    deadline = workcalendar.add(start, amount, unit)
    remind = _remind_at(start, deadline.due_at)
    if deadline.provisional:
        logger.warning(
            "provisional %s deadline for ticket %s: %s reaches a year whose working calendar is not loaded",
            kind,
            ticket.number,
            deadline.due_at.date().isoformat(),
        )
    clock = Clock(
        ticket=ticket,
        dispatch=dispatch,
        kind=kind,
        started_at=start,
        amount=amount,
        unit=unit,
        due_at=deadline.due_at,
        remind_at=remind,
        provisional=deadline.provisional,
        next_check_at=remind,
    )
    if stopped_at is not None:
        clock.state = ClockState.MET if stopped_at <= clock.due_at else ClockState.STOPPED
        clock.stopped_at, clock.next_check_at = stopped_at, None
    return clock


def clock_start(
    *,
    ticket: Ticket,
    kind: str,
    amount: int,
    unit: str,
    dispatch: Dispatch | None = None,
    start: dt.datetime | None = None,
) -> Clock:
    """Start a clock (call inside the action's transaction)."""
    clock = new_clock(
        ticket=ticket, kind=kind, amount=amount, unit=unit, dispatch=dispatch, start=start
    )
    clock.save(force_insert=True)
    _show_on_dispatch(clock)
    return clock


def show_on_dispatches(clocks: list[Clock]) -> None:
    """Before a loader saves new dispatches (the demo, a history import):
    copy each dispatch's latest deadline of each kind onto it, in memory,
    from clocks made by :func:`new_clock`. Save the clocks after the
    dispatches with ``Clock.objects.bulk_create``."""
    for clock in sorted(clocks, key=lambda c: c.started_at):
        column = _DISPATCH_DUE_FIELD.get(clock.kind)
        if clock.dispatch is not None and column is not None:
            setattr(clock.dispatch, column, clock.due_at)


def count_provisional() -> int:
    return Clock.objects.filter(state=ClockState.RUNNING, provisional=True).count()


def clock_stop(
    *, ticket: Ticket, kinds: list[str], dispatch: Dispatch | None = None, met: bool = True
) -> int:
    """Stop running clocks. ``met``: the work was done, so the deadline
    counts as kept when stopped in time (and stays shown on the dispatch);
    otherwise the deadline is withdrawn (a return, a parked case, a fresh
    start) and the dispatch no longer shows it."""
    now = timezone.now()
    qs = Clock.objects.filter(ticket=ticket, kind__in=kinds, state=ClockState.RUNNING)
    if dispatch is not None:
        qs = qs.filter(dispatch=dispatch)
    if not met:
        withdrawn = list(qs.exclude(dispatch=None).values_list("dispatch_id", "kind"))
        for dispatch_id, kind in withdrawn:
            column = _DISPATCH_DUE_FIELD.get(kind)
            if column is not None:
                Dispatch.objects.filter(pk=dispatch_id).update(**{column: None})
                if dispatch is not None and dispatch.pk == dispatch_id:
                    setattr(dispatch, column, None)
        return qs.update(state=ClockState.STOPPED, stopped_at=now, next_check_at=None)
    kept = qs.filter(due_at__gte=now).update(
        state=ClockState.MET, stopped_at=now, next_check_at=None
    )
    late = qs.update(state=ClockState.STOPPED, stopped_at=now, next_check_at=None)
    return kept + late


def clock_move(*, clock: Clock, due_at: dt.datetime) -> Clock:
    """Move a clock's deadline (an approved extension); levels start again."""
    clock.due_at = due_at
    clock.remind_at = max(_remind_at(clock.started_at, due_at), timezone.now())
    clock.level = 0
    clock.next_check_at = clock.remind_at
    clock.provisional = False
    clock.save(update_fields=["due_at", "remind_at", "level", "next_check_at", "provisional"])
    _show_on_dispatch(clock)
    return clock


def running_clock(ticket: Ticket, kind: str, dispatch: Dispatch | None = None) -> Clock | None:
    qs = Clock.objects.filter(ticket=ticket, kind=kind, state=ClockState.RUNNING)
    if dispatch is not None:
        qs = qs.filter(dispatch=dispatch)
    return qs.order_by("-id").first()


# --- the sweep -------------------------------------------------------------------


def _staff(roles: str | list[str], **where: Any) -> Any:
    """Active users with an active post in ``roles`` matching ``where``
    (``posts__…`` lookups), each with ``sms_phone``: the mobile on such a post."""
    roles = [roles] if isinstance(roles, str) else roles
    on_post = {key.removeprefix("posts__"): value for key, value in where.items()}
    phone = (
        Post.objects.filter(user=OuterRef("pk"), active=True, role__in=roles, **on_post)
        .exclude(phone="")
        .order_by("id")
        .values("phone")[:1]
    )
    return (
        get_user_model()
        .objects.filter(is_active=True, posts__active=True, posts__role__in=roles, **where)
        .annotate(sms_phone=Subquery(phone))
        .distinct()
    )


def _nearest_leadership(path: str) -> Subquery:
    """The path of the nearest area above the street, walking up (district,
    then city), where an active leader sits: a subquery, so that L3's
    recipients stay one query per batch."""
    above = [path[: depth * Area.steplen] for depth in range(LEVELS.index(AreaLevel.STREET), 0, -1)]
    return Subquery(
        Post.objects.filter(
            active=True, role=Role.LEADER, user__is_active=True, area__path__in=above
        )
        .order_by("-area__depth")
        .values("area__path")[:1]
    )


def _who(clock: Clock, step: int) -> Any:
    ticket = clock.ticket
    department_id = clock.dispatch.department_id if clock.dispatch is not None else None
    if step == Step.REMIND:
        if department_id is not None:
            return _staff(Role.DEPARTMENT_OFFICER, posts__department_id=department_id)
        return _staff(Role.STREET_OFFICER, posts__area__path=ticket.path[: 3 * Area.steplen])
    if step == Step.DUE:
        if department_id is not None:
            return _staff(Role.DEPARTMENT_HEAD, posts__department_id=department_id)
        return _staff(Role.STREET_OFFICER, posts__area__path=ticket.path[: 3 * Area.steplen])
    if step == Step.STREET:
        return _staff(
            [Role.LEADER, Role.STREET_OFFICER], posts__area__path=ticket.path[: 3 * Area.steplen]
        )
    # L3: the leaders of the nearest level above the street that has any —
    # the district's, or the city's when the district has none (decision 0024).
    return _staff(Role.LEADER, posts__area__path=_nearest_leadership(ticket.path))


_TITLES = {
    Step.REMIND: gettext_noop("Case %(number)s: %(kind)s deadline at %(due)s"),
    Step.DUE: gettext_noop("Case %(number)s is overdue (%(kind)s)"),
    Step.STREET: gettext_noop(
        "Case %(number)s still overdue (%(kind)s): street leadership informed"
    ),
    Step.DISTRICT: gettext_noop("Case %(number)s under supervision: %(kind)s overdue"),
}


def _also_told(clock: Clock, step: int) -> Any:
    """Who hears of a step in the inbox only (no email): at the deadline, the
    department's officers who owe the step, while their head gets L1."""
    if step == Step.DUE and clock.dispatch is not None:
        return _staff(Role.DEPARTMENT_OFFICER, posts__department_id=clock.dispatch.department_id)
    return None


#: The ladder's channels beyond the inbox, for the people ``_who`` names: email
#: from the deadline on; SMS at the urgent steps, when SMS is on. From L2 the
#: case leaves the department for leaders, who are away from the portal more
#: than anyone (docs/decisions/0024).
_EMAILED = frozenset({Step.DUE, Step.STREET, Step.DISTRICT})
_URGENT = frozenset({Step.STREET, Step.DISTRICT})


def _recipients(clock: Clock, step: int) -> list[tuple[Any, bool, str]]:
    """(user, email?, phone to text or "") for one step: ``_who`` by inbox,
    ``_EMAILED`` and ``_URGENT`` (SMS to the mobile on their post), and
    ``_also_told`` by inbox only; nobody twice."""
    emailed = step in _EMAILED
    texted = step in _URGENT and sms_enabled()
    out = [(user, emailed, (user.sms_phone or "") if texted else "") for user in _who(clock, step)]
    quiet = _also_told(clock, step)
    if quiet is not None:
        seen = {user.pk for user, _email, _phone in out}
        out += [(user, False, "") for user in quiet if user.pk not in seen]
    return out


def _sms_params(clock: Clock, step: int) -> dict[str, str]:
    """Parameters of the SMS template (``SMS_TEMPLATE_CODE``, docs/decisions/0024),
    in the portal's language: a provider approves one template, in Chinese."""
    with translation.override(settings.LANGUAGE_CODE):
        kind = str(ClockKind(clock.kind).label) if clock.kind in ClockKind.values else clock.kind
    return {
        "number": clock.ticket.number,
        "kind": kind,
        "level": f"L{step}",
        "due": clock.due_at.astimezone(workcalendar.TZ).strftime("%Y-%m-%d %H:%M"),
    }


def _audience(clock: Clock, step: int) -> tuple[Any, ...]:
    """What ``_recipients(clock, step)`` depends on: resolved once per batch."""
    department_id = clock.dispatch.department_id if clock.dispatch is not None else None
    if step in (Step.REMIND, Step.DUE) and department_id is not None:
        return (step, "department", department_id)
    if step == Step.DISTRICT:
        # The district decides L3 (its leaders, else the city's above it).
        return (step, "district", clock.ticket.path[: 2 * Area.steplen])
    return (step, "street", clock.ticket.path[: 3 * Area.steplen])


def _due_steps(clock: Clock, now: dt.datetime) -> list[int]:
    """Every step whose time has come; moves ``level`` and ``next_check_at`` on."""
    steps: list[int] = []
    if clock.level == 0 and now < clock.due_at:
        steps.append(Step.REMIND)
        clock.next_check_at = clock.due_at
    else:
        step_gap = gap(clock)
        # Steps after the deadline: DUE at due_at, then one level per gap.
        while clock.level < Step.DISTRICT:
            step = max(clock.level + 1, Step.DUE)
            step_time = clock.due_at + step_gap * (step - Step.DUE)
            if now < step_time:
                break
            steps.append(step)
            clock.level = step
        if clock.level >= Step.DISTRICT:
            clock.next_check_at = None
        else:
            clock.next_check_at = clock.due_at + step_gap * (
                max(clock.level + 1, Step.DUE) - Step.DUE
            )
    return steps


#: (clock, step) pairs per INSERT: 3 parameters each stays under SQLite's 999.
_INSERT_CHUNK = 300


def _record_steps(pairs: list[tuple[Clock, int]], now: dt.datetime) -> set[tuple[int, int]]:
    """Insert one ``Escalation`` per (clock, step); return the pairs that were new.

    ``ON CONFLICT DO NOTHING`` on the (clock, step) unique constraint: a step
    some earlier sweep already took is skipped, never done twice.
    """
    new: set[tuple[int, int]] = set()
    if not connection.features.can_return_rows_from_bulk_insert:  # SQLite before 3.35
        for clock, step in pairs:
            try:
                with transaction.atomic():
                    Escalation.objects.create(clock=clock, step=step, at=now)
            except IntegrityError:
                continue
            new.add((clock.pk, step))
        return new
    qn = connection.ops.quote_name
    at = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        for i in range(0, len(pairs), _INSERT_CHUNK):
            chunk = pairs[i : i + _INSERT_CHUNK]
            cursor.execute(
                f"INSERT INTO {qn(Escalation._meta.db_table)} ({qn('clock_id')}, {qn('step')}, {qn('at')}) "  # noqa: S608
                f"VALUES {', '.join(['(%s, %s, %s)'] * len(chunk))} "
                f"ON CONFLICT ({qn('clock_id')}, {qn('step')}) DO NOTHING "
                f"RETURNING {qn('clock_id')}, {qn('step')}",
                [value for clock, step in chunk for value in (clock.pk, step, at)],
            )
            new.update((clock_id, step) for clock_id, step in cursor.fetchall())
    return new


def _take_steps(pairs: list[tuple[Clock, int]], now: dt.datetime) -> int:
    """Record a batch's steps once each; write their events, supervisions and notifications.

    A constant number of queries per batch: recipients are resolved once per
    department/street/district, events, notifications and outbox rows are
    inserted in bulk (the rows ``core.notify.notify`` would write, step by step).
    """
    new = _record_steps(pairs, now)
    taken = [(clock, step) for clock, step in pairs if (clock.pk, step) in new]
    if not taken:
        return 0
    events: list[TicketEvent] = []
    supervised: dict[int, str] = {}
    notes: list[Notification] = []
    emailed: list[str] = []  # per notification: the address to email, or ""
    texted: list[tuple[str, dict[str, str]]] = []  # per notification: phone and SMS parameters
    audiences: dict[tuple[Any, ...], list[Any]] = {}
    kinds = {kind: str(label) for kind, label in ClockKind.choices}
    with translation.override(None):  # the labels' msgids, for readers' languages
        kind_msgids = {kind: str(label) for kind, label in ClockKind.choices}
    for clock, step in taken:
        ticket = clock.ticket
        due_local = clock.due_at.astimezone(workcalendar.TZ).strftime("%Y-%m-%d %H:%M")
        params = {"number": ticket.number, "due": due_local}
        title = _(_TITLES[Step(step)]) % {**params, "kind": kinds.get(clock.kind, clock.kind)}
        title_i18n = recipe(
            _TITLES[Step(step)],
            {**params, "kind": kind_msgids.get(clock.kind, clock.kind)},
            translate=["kind"],
        )
        events.append(
            TicketEvent(
                ticket=ticket,
                dispatch_id=clock.dispatch_id,
                verb="remind" if step == Step.REMIND else "escalate",
                from_state=ticket.state,
                to_state=ticket.state,
                note=title,
                data={
                    "clock": clock.pk,
                    "kind": clock.kind,
                    "step": step,
                    "due_at": clock.due_at.isoformat(),
                },
                at=now,
            )
        )
        if step == Step.DISTRICT:
            supervised.setdefault(ticket.pk, title)
        key = _audience(clock, step)
        if key not in audiences:
            audiences[key] = _recipients(clock, step)
        for user, email, phone in audiences[key]:
            notes.append(
                Notification(
                    user_id=user.pk,
                    verb="remind" if step == Step.REMIND else "overdue",
                    title=title[:200],
                    url=f"/tickets/{ticket.pk}/",
                    data={
                        "ticket": ticket.pk,
                        "clock": clock.pk,
                        "step": step,
                        "title_i18n": title_i18n,
                    },
                )
            )
            emailed.append(user.email if email else "")
            texted.append((phone, _sms_params(clock, step)) if phone else ("", {}))
    bulk_insert(events, need_ids=False)
    hooks.ticket_events(events)
    if supervised:
        # get_or_create per ticket: one open overdue supervision at most.
        already = set(
            Supervision.objects.filter(
                ticket_id__in=supervised, kind=SupervisionKind.OVERDUE, closed_at=None
            ).values_list("ticket_id", flat=True)
        )
        Supervision.objects.bulk_create(
            Supervision(
                ticket_id=ticket_id,
                kind=SupervisionKind.OVERDUE,
                closed_at=None,
                level=3,
                note=title,
            )
            for ticket_id, title in supervised.items()
            if ticket_id not in already
        )
        Ticket.objects.filter(pk__in=supervised).update(supervised=True)
    created = bulk_insert(notes)
    queue(
        [
            Delivery(
                channel=Delivery.Channel.EMAIL,
                recipient=address,
                subject=n.title,
                payload={"text": f"\n{n.url}"},
                notification_id=n.pk,
            )
            for n, address in zip(created, emailed, strict=True)
            if address
        ]
        + [
            sms(phone=phone, params=params, text=n.title, notification_id=n.pk)
            for n, (phone, params) in zip(created, texted, strict=True)
            if phone
        ]
    )
    return len(taken)


def _save_progress(clocks: list[Clock]) -> None:
    """Write each clock's ``level`` and ``next_check_at``: one statement per batch."""
    if not clocks:
        return
    if connection.vendor != "postgresql":
        Clock.objects.bulk_update(clocks, ["level", "next_check_at"])
        return
    # bulk_update's CASE WHEN per row costs more Python than the whole batch's
    # SQL; UPDATE … FROM (VALUES …) says the same in one statement.
    table = connection.ops.quote_name(Clock._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET level = v.level, next_check_at = v.next_check_at "  # noqa: S608
            f"FROM (VALUES {', '.join(['(%s::bigint, %s::smallint, %s::timestamptz)'] * len(clocks))}) "
            f"AS v (id, level, next_check_at) WHERE {table}.id = v.id",
            [value for c in clocks for value in (c.pk, c.level, c.next_check_at)],
        )


_SWEEP_COLUMNS = (
    *(f.name for f in Clock._meta.concrete_fields),
    "ticket__number",
    "ticket__state",
    "ticket__path",
    "ticket__external_no",
    "ticket__source",
    "ticket__category",
    "ticket__updated_at",
    "dispatch__department",
)


def sweep(
    *, now: dt.datetime | None = None, batch: int = 1000, budget_seconds: float = 50.0
) -> dict[str, int]:
    """Process every due clock, ``batch`` at a time, each batch one transaction."""
    started = time.monotonic()
    totals = {"clocks": 0, "steps": 0, "batches": 0}
    while time.monotonic() - started < budget_seconds:
        current = now or timezone.now()
        with transaction.atomic():
            clocks = list(
                Clock.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(state=ClockState.RUNNING, next_check_at__lte=current)
                .select_related("ticket", "dispatch")
                # What the steps, their timeline rows and webhooks read: a
                # batch is thousands of rows, and the case's texts and
                # timestamps cost more to load than the rest of the step.
                .only(*_SWEEP_COLUMNS)
                .order_by("next_check_at")[:batch]
            )
            pairs = [(clock, step) for clock in clocks for step in _due_steps(clock, current)]
            totals["steps"] += _take_steps(pairs, current)
            _save_progress(clocks)
        totals["clocks"] += len(clocks)
        totals["batches"] += 1
        if len(clocks) < batch:
            break
    return totals


def recompute_provisional(year: int, actor: Any = None) -> int:
    """A year's arrangement was loaded: recompute provisional deadlines."""
    changed = 0
    for clock in Clock.objects.filter(state=ClockState.RUNNING, provisional=True).select_related(
        "ticket"
    ):
        deadline = workcalendar.add(clock.started_at, clock.amount, clock.unit)
        if deadline.due_at.year < year and not deadline.provisional and clock.due_at.year < year:
            continue
        old = clock.due_at
        clock.due_at = deadline.due_at
        clock.provisional = deadline.provisional
        clock.remind_at = _remind_at(clock.started_at, deadline.due_at)
        if clock.level == 0:
            clock.next_check_at = clock.remind_at
        clock.save(update_fields=["due_at", "provisional", "remind_at", "next_check_at"])
        _show_on_dispatch(clock)
        TicketEvent.objects.create(
            ticket=clock.ticket,
            dispatch_id=clock.dispatch_id,
            verb="deadline_recomputed",
            from_state=clock.ticket.state,
            to_state=clock.ticket.state,
            note=(
                _(
                    "The %(year)d working calendar was loaded; the deadline still reaches "
                    "a year that is not loaded and stays provisional."
                )
                if deadline.provisional
                else _("The %(year)d working calendar was loaded; the deadline is now exact.")
            )
            % {"year": year},
            data={
                "clock": clock.pk,
                "old_due_at": old.isoformat(),
                "new_due_at": deadline.due_at.isoformat(),
                "provisional": deadline.provisional,
            },
        )
        changed += 1
    return changed
