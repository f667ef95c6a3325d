"""Clocks: start, stop and move deadlines; the sweep that reminds and escalates.

Deadlines are rows, never long Celery countdowns (see
docs/decisions/0012-clocks.md). The sweep takes due clocks in batches with
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
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core import workcalendar
from core.bulk import bulk_insert
from core.i18n import recipe
from core.models import Delivery, Notification
from core.notify import queue
from governance.models import Area, Role
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
    return Clock.objects.create(
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


def count_provisional() -> int:
    return Clock.objects.filter(state=ClockState.RUNNING, provisional=True).count()


def clock_stop(
    *, ticket: Ticket, kinds: list[str], dispatch: Dispatch | None = None, met: bool = True
) -> int:
    """Stop running clocks; ``met`` marks the deadline as kept when stopped in time."""
    now = timezone.now()
    qs = Clock.objects.filter(ticket=ticket, kind__in=kinds, state=ClockState.RUNNING)
    if dispatch is not None:
        qs = qs.filter(dispatch=dispatch)
    if not met:
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
    return clock


def running_clock(ticket: Ticket, kind: str, dispatch: Dispatch | None = None) -> Clock | None:
    qs = Clock.objects.filter(ticket=ticket, kind=kind, state=ClockState.RUNNING)
    if dispatch is not None:
        qs = qs.filter(dispatch=dispatch)
    return qs.order_by("-id").first()


# --- the sweep -------------------------------------------------------------------


def _staff(role: str, **where: Any) -> Any:
    return (
        get_user_model()
        .objects.filter(is_active=True, posts__active=True, posts__role=role, **where)
        .distinct()
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
        return _staff(Role.LEADER, posts__area__path=ticket.path[: 3 * Area.steplen]) | _staff(
            Role.STREET_OFFICER, posts__area__path=ticket.path[: 3 * Area.steplen]
        )
    return _staff(Role.LEADER, posts__area__path=ticket.path[: 2 * Area.steplen])


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


def _recipients(clock: Clock, step: int) -> list[tuple[Any, bool]]:
    """(user, email?) for one step: ``_who`` by inbox and email (from the
    deadline on), ``_also_told`` by inbox; nobody twice."""
    emailed = step >= Step.DUE
    out = [(user, emailed) for user in _who(clock, step)]
    quiet = _also_told(clock, step)
    if quiet is not None:
        seen = {user.pk for user, _email in out}
        out += [(user, False) for user in quiet if user.pk not in seen]
    return out


def _audience(clock: Clock, step: int) -> tuple[Any, ...]:
    """What ``_recipients(clock, step)`` depends on: resolved once per batch."""
    department_id = clock.dispatch.department_id if clock.dispatch is not None else None
    if step in (Step.REMIND, Step.DUE) and department_id is not None:
        return (step, "department", department_id)
    if step == Step.DISTRICT:
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
        for user, email in audiences[key]:
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
        if clock.dispatch_id and clock.kind == ClockKind.HANDLE:
            Dispatch.objects.filter(pk=clock.dispatch_id).update(handle_due_at=deadline.due_at)
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
