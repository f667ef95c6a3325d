"""Scoped reads of tickets and dispatches."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
)
from django.utils import timezone

from core.types import AnyUser
from governance.models import Area
from governance.selectors import user_scope
from services.models import (
    ACTIVE_DISPATCH_STATES,
    OPEN_STATES,
    Category,
    CategoryCitySetting,
    Clock,
    ClockState,
    Dispatch,
    RoutingRule,
    Ticket,
    TicketEvent,
)


def _is_date(value: Any) -> bool:
    return isinstance(value, dt.date) and not isinstance(value, dt.datetime)


def _day_start(value: dt.date | dt.datetime) -> dt.datetime:
    """A date's first moment in the portal's time zone; a datetime unchanged."""
    if not _is_date(value):
        return value  # type: ignore[return-value]
    return dt.datetime.combine(value, dt.time.min, tzinfo=timezone.get_current_timezone())


def ticket_list(*, user: AnyUser) -> QuerySet[Ticket]:
    """Tickets the user may read.

    Area staff and leaders: tickets in the subtrees where they work (one
    prefix match on the stored path). Department staff: tickets dispatched
    to their departments. Nobody else sees anything.
    """
    scope = user_scope(user)
    qs = Ticket.objects.all()
    if not scope.everything:
        dispatched_to_me = Exists(
            Dispatch.objects.filter(ticket=OuterRef("pk"), department_id__in=scope.department_ids)
        )
        qs = qs.filter(scope.work_q() | Q(dispatched_to_me))
    return qs


# --- overdue: the one definition ---------------------------------------------


def overdue_q(now: dt.datetime, prefix: str = "") -> Q:
    """**Overdue** means: a clock still running past its deadline. This is
    the only definition; a case or a dispatch is overdue when one of its
    clocks is (``prefix`` reaches clocks across a relation, e.g. ``clocks__``).
    Stopped clocks are never overdue, however late they stopped."""
    return Q(**{f"{prefix}state": ClockState.RUNNING, f"{prefix}due_at__lt": now})


def ticket_overdue_q(now: dt.datetime) -> Q:
    """Tickets with an overdue clock."""
    return Q(Exists(Clock.objects.filter(overdue_q(now), ticket=OuterRef("pk"))))


def dispatch_overdue_q(now: dt.datetime) -> Q:
    """Dispatches with an overdue clock (claim, report or handling)."""
    return Q(Exists(Clock.objects.filter(overdue_q(now), dispatch=OuterRef("pk"))))


def clock_rows(ticket: Ticket) -> list[dict[str, Any]]:
    """A ticket's deadlines, oldest first, each with whether it is overdue."""
    clocks = (
        ticket.clocks.select_related("dispatch__department")
        .annotate(is_overdue=ExpressionWrapper(overdue_q(timezone.now()), BooleanField()))
        .order_by("started_at", "id")
    )
    return [
        {
            "id": c.pk,
            "kind": c.kind,
            "state": c.state,
            "started_at": c.started_at,
            "due_at": c.due_at,
            "remind_at": c.remind_at,
            "provisional": c.provisional,
            "level": c.level,
            "overdue": bool(c.is_overdue),
            "department": c.dispatch.department.name if c.dispatch else None,
        }
        for c in clocks
    ]


def ticket_list_for_display(*, user: AnyUser) -> QuerySet[Ticket]:
    live = Dispatch.objects.filter(state__in=ACTIVE_DISPATCH_STATES).select_related("department")
    return (
        ticket_list(user=user)
        .select_related("category", "grid")
        .prefetch_related(Prefetch("dispatches", queryset=live, to_attr="live_dispatches"))
    )


def ticket_filter(qs: QuerySet[Ticket], filters: dict[str, Any]) -> QuerySet[Ticket]:
    """Apply the list filters (already validated by the API's filter form)."""
    if states := filters.get("state"):
        qs = qs.filter(state__in=states)
    if category := filters.get("category"):
        qs = qs.filter(Q(category=category) | Q(category__parent=category))
    if area := filters.get("area"):
        qs = qs.filter(path__startswith=area.path)
    if department := filters.get("department"):
        qs = qs.filter(
            Exists(Dispatch.objects.filter(ticket=OuterRef("pk"), department=department))
        )
    if urgency := filters.get("urgency"):
        qs = qs.filter(urgency=urgency)
    if filters.get("overdue") is not None:
        overdue = ticket_overdue_q(timezone.now())
        qs = qs.filter(overdue) if filters["overdue"] else qs.exclude(overdue)
    # A plain date means the whole local day: from its first moment, up to
    # and including its last.
    if created_from := filters.get("created_from"):
        qs = qs.filter(created_at__gte=_day_start(created_from))
    if created_to := filters.get("created_to"):
        qs = qs.filter(
            created_at__lt=_day_start(created_to + dt.timedelta(days=1))
            if _is_date(created_to)
            else created_to
        )
    if q := (filters.get("q") or "").strip():
        qs = qs.filter(
            Q(number__startswith=q) | Q(address__icontains=q) | Q(description__icontains=q)
        )
    return qs


def ticket_timeline(ticket: Ticket) -> QuerySet[TicketEvent]:
    return ticket.events.select_related("actor", "dispatch__department").prefetch_related(
        "attachments"
    )


def dispatch_queue(*, user: AnyUser) -> QuerySet[Dispatch]:
    """Dispatches of the user's departments (the department's work queue)."""
    scope = user_scope(user)
    qs = Dispatch.objects.all()
    if not scope.everything:
        qs = qs.filter(department_id__in=scope.department_ids)
    return qs.select_related(
        "ticket", "ticket__category", "ticket__grid", "department", "claimed_by"
    )


def categories_for_city(city: Area | None) -> QuerySet[Category]:
    """Categories a city uses: the default switch, overridden per city."""
    qs = Category.objects.all()
    if city is None:
        return qs.filter(enabled=True)
    on = CategoryCitySetting.objects.filter(category=OuterRef("pk"), city=city, enabled=True)
    off = CategoryCitySetting.objects.filter(category=OuterRef("pk"), city=city, enabled=False)
    return qs.filter((Q(enabled=True) & ~Exists(off)) | Exists(on))


def routing_suggestions(ticket: Ticket) -> list[RoutingRule]:
    """Active rules matching the ticket, in rule order; one per department."""
    ancestors = [ticket.path[:i] for i in range(Area.steplen, len(ticket.path) + 1, Area.steplen)]
    category_ids = [ticket.category_id]
    if ticket.category.parent_id:
        category_ids.append(ticket.category.parent_id)
    rules = (
        RoutingRule.objects.filter(active=True, area__path__in=ancestors)
        .filter(Q(category__isnull=True) | Q(category_id__in=category_ids))
        .select_related("department", "category", "area")
        .order_by("order", "id")
    )
    seen: set[int] = set()
    out = []
    for rule in rules:
        if rule.department_id in seen or not rule.department.is_active:
            continue
        seen.add(rule.department_id)
        out.append(rule)
    return out


def supervision_list(*, user: AnyUser) -> QuerySet[Ticket]:
    """The 督办清单: open tickets that are overdue or under supervision.

    ``overdue_since`` is the earliest missed deadline of a running clock.
    """
    from django.db.models import Subquery

    overdue = Clock.objects.filter(overdue_q(timezone.now()), ticket=OuterRef("pk"))
    return (
        ticket_list(user=user)
        .filter(state__in=OPEN_STATES)
        .annotate(overdue_since=Subquery(overdue.order_by("due_at").values("due_at")[:1]))
        .filter(Q(overdue_since__isnull=False) | Q(supervised=True))
        .select_related("category", "grid")
    )


def supervision_list_for_display(*, user: AnyUser) -> QuerySet[Ticket]:
    live = Dispatch.objects.filter(state__in=ACTIVE_DISPATCH_STATES).select_related("department")
    return supervision_list(user=user).prefetch_related(
        Prefetch("dispatches", queryset=live, to_attr="live_dispatches")
    )


def supervision_rows(tickets: Sequence[Ticket]) -> list[dict[str, Any]]:
    """Rows of the 督办清单 for display: street name, live departments and
    how long each case is overdue (the tickets come from supervision_list
    with ``live_dispatches`` prefetched)."""
    streets = dict(
        Area.objects.filter(path__in={t.path[: 3 * Area.steplen] for t in tickets}).values_list(
            "path", "name"
        )
    )
    now = timezone.now()
    rows = []
    for t in tickets:
        since = getattr(t, "overdue_since", None)
        rows.append(
            {
                "id": t.pk,
                "number": t.number,
                "state": t.state,
                "urgency": t.urgency,
                "category": t.category.name,
                "grid": t.grid.name,
                "street": streets.get(t.path[: 3 * Area.steplen], ""),
                "departments": [d.department.name for d in getattr(t, "live_dispatches", [])],
                "supervised": t.supervised,
                "overdue_since": since,
                "overdue_minutes": int((now - since).total_seconds() // 60) if since else None,
            }
        )
    return rows


def supervision_summary(*, user: AnyUser) -> dict[str, Any]:
    """督办清单 counted by street and by department (three queries)."""
    from django.db.models import Count
    from django.db.models.functions import Substr

    base = supervision_list(user=user)
    by_path = list(
        base.annotate(street_path=Substr("path", 1, 3 * Area.steplen))
        .values("street_path")
        .annotate(
            overdue=Count("id", filter=Q(overdue_since__isnull=False), distinct=True),
            supervised=Count("id", filter=Q(supervised=True), distinct=True),
        )
        .order_by("street_path")
    )
    names = dict(
        Area.objects.filter(path__in=[r["street_path"] for r in by_path]).values_list(
            "path", "name"
        )
    )
    by_department = (
        Dispatch.objects.filter(ticket__in=base.values("pk"), state__in=ACTIVE_DISPATCH_STATES)
        .values("department__name")
        .annotate(
            overdue=Count(
                "ticket",
                filter=overdue_q(timezone.now(), prefix="clocks__"),
                distinct=True,
            ),
            supervised=Count("ticket", filter=Q(ticket__supervised=True), distinct=True),
        )
        .order_by("department__name")
    )
    return {
        "by_street": [
            {
                "name": names.get(r["street_path"], r["street_path"]),
                "overdue": r["overdue"],
                "supervised": r["supervised"],
            }
            for r in by_path
        ],
        "by_department": [
            {"name": r["department__name"], "overdue": r["overdue"], "supervised": r["supervised"]}
            for r in by_department
        ],
        "total": base.count(),
    }
