"""Permission-checked fetches of tickets and dispatches, and what a user is
to a ticket (their workflow capacities)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from core.errors import NotFound
from core.types import AnyUser
from governance.models import Area, Post, Role
from services import workflow
from services.models import ACTIVE_DISPATCH_STATES, CityPolicy, Dispatch, Ticket
from services.selectors import ticket_list
from services.workflow import Capacity

_POSTS_ATTR = "_gridgov_posts"
_WHISTLE_ATTR = "_gridgov_whistle_levels"
_AREA_CAPACITY = {
    Role.GRID_WORKER: Capacity.GRID,
    Role.COMMUNITY_STAFF: Capacity.COMMUNITY,
    Role.STREET_OFFICER: Capacity.STREET,
    Role.LEADER: Capacity.LEADER,
    Role.INTAKE: Capacity.INTAKE,
}


def _posts(user: AnyUser) -> list[tuple[str, str | None, int | None]]:
    cached = getattr(user, _POSTS_ATTR, None)
    if cached is None:
        cached = (
            list(
                Post.objects.filter(user_id=user.pk, active=True).values_list(
                    "role", "area__path", "department_id"
                )
            )
            if user.is_authenticated
            else []
        )
        setattr(user, _POSTS_ATTR, cached)
    return cached


def forget_posts(user: AnyUser) -> None:
    for attr in (_POSTS_ATTR, _WHISTLE_ATTR):
        if hasattr(user, attr):
            delattr(user, attr)


def whistle_levels(user: AnyUser, city_path: str) -> frozenset[str]:
    """The local capacities the city lets whistle (its CityPolicy, or the
    default: community and street). Read once per user and city."""
    cache: dict[str, frozenset[str]] = getattr(user, _WHISTLE_ATTR, None) or {}
    if city_path not in cache:
        policy = CityPolicy.objects.filter(city__path=city_path).first()
        cache[city_path] = (
            policy.whistle_levels if policy is not None else CityPolicy.DEFAULT_WHISTLE_LEVELS
        )
        setattr(user, _WHISTLE_ATTR, cache)
    return cache[city_path]


def capacities(user: AnyUser, ticket: Ticket, *, dispatch: Dispatch | None = None) -> set[Capacity]:
    """What ``user`` is to ``ticket`` (and, for a department, to ``dispatch``)."""
    out: set[Capacity] = set()
    for role, area_path, department_id in _posts(user):
        if area_path and ticket.path.startswith(area_path) and role in _AREA_CAPACITY:
            out.add(_AREA_CAPACITY[Role(role)])
        if department_id and dispatch is not None and dispatch.department_id == department_id:
            out.add(Capacity.DEPARTMENT)
    local = out & workflow.LOCAL
    if local and {c.value for c in local} & whistle_levels(user, ticket.path[: Area.steplen]):
        out.add(Capacity.WHISTLER)
    return out


def department_ids(user: AnyUser) -> set[int]:
    return {d for _r, _p, d in _posts(user) if d}


def access_ticket(user: AnyUser, ticket_id: int | str) -> Ticket:
    """The ticket if the user may read it; the same 404 for absent and not yours."""
    qs = ticket_list(user=user).select_related("category", "grid")
    try:
        return qs.get(pk=int(ticket_id))
    except (Ticket.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Case not found."), code="ticket_not_found") from None


def access_dispatch(user: AnyUser, dispatch_id: int | str) -> Dispatch:
    """A dispatch of one of the user's departments, or one on a ticket the
    user may read (the street reviewing a return)."""
    try:
        dispatch = Dispatch.objects.select_related("ticket", "department").get(pk=int(dispatch_id))
    except (Dispatch.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Dispatch not found."), code="dispatch_not_found") from None
    if dispatch.department_id in department_ids(user):
        return dispatch
    if ticket_list(user=user).filter(pk=dispatch.ticket_id).exists():
        return dispatch
    raise NotFound(_("Dispatch not found."), code="dispatch_not_found")


def my_live_dispatch(user: AnyUser, ticket: Ticket) -> Dispatch | None:
    """The user's department's live dispatch on the ticket, if any."""
    ids = department_ids(user)
    if not ids:
        return None
    return (
        Dispatch.objects.filter(
            ticket=ticket, department_id__in=ids, state__in=ACTIVE_DISPATCH_STATES
        )
        .select_related("department")
        .order_by("id")
        .first()
    )


def user_verbs(user: AnyUser, ticket: Ticket) -> tuple[list[str], Dispatch | None]:
    """The workflow verbs ``user`` could take on ``ticket`` now (decided by
    ``workflow.allowed_verbs``), and their department's live dispatch on it."""
    caps = capacities(user, ticket)
    mine = my_live_dispatch(user, ticket)
    if mine is not None:
        caps |= capacities(user, ticket, dispatch=mine)
    verbs = workflow.allowed_verbs(
        ticket_state=ticket.state,
        capacities=caps,
        own_dispatch_state=mine.state if mine is not None else None,
        own_dispatch_role=mine.role if mine is not None else None,
    )
    return verbs, mine
