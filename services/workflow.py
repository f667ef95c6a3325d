"""The one transition table: who may move a ticket (and its dispatch) from
which state to which.

Capacities are what a user is *to this ticket*, derived from their posts:

- ``grid``: a grid worker whose grid (or community) contains the ticket;
- ``community``: community staff of the ticket's community;
- ``street``: a street officer of the ticket's street (the dispatcher);
- ``department``: an officer or head of a department with a live dispatch;
- ``leader``: a leader whose area contains the ticket.

Every action calls :func:`check` first; an illegal move raises
``InvalidTransition`` (409 ``invalid_transition``) before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.utils.translation import gettext as _

from core.errors import AccessDenied, InvalidTransition
from services.models import DispatchState as D
from services.models import TicketState as T


class Capacity(StrEnum):
    GRID = "grid"
    COMMUNITY = "community"
    STREET = "street"
    DEPARTMENT = "department"
    LEADER = "leader"
    #: an intake desk (12345 / Open311 service account): reports, nothing more
    INTAKE = "intake"


LOCAL = frozenset({Capacity.GRID, Capacity.COMMUNITY, Capacity.STREET})
#: Who may report a case: local staff and intake desks.
REPORTERS = LOCAL | {Capacity.INTAKE}
DISPATCHER = frozenset({Capacity.COMMUNITY, Capacity.STREET})
STREET = frozenset({Capacity.STREET})
DEPARTMENT = frozenset({Capacity.DEPARTMENT})
LEADER = frozenset({Capacity.LEADER})
CALLER = frozenset({Capacity.COMMUNITY, Capacity.STREET})

OPEN = frozenset(
    {T.REPORTED, T.SELF_HANDLING, T.DISPATCHED, T.RETURNED, T.IN_PROGRESS, T.REPLIED, T.ON_ACCOUNT}
)


@dataclass(frozen=True)
class Transition:
    """``ticket_from`` → ``ticket_to`` (None: unchanged) and, for verbs on a
    dispatch, ``dispatch_from`` → ``dispatch_to`` (None: unchanged)."""

    ticket_from: frozenset[str]
    ticket_to: str | None
    who: frozenset[Capacity]
    dispatch_from: frozenset[str] = frozenset()
    dispatch_to: str | None = None


TRANSITIONS: dict[str, Transition] = {
    # grid / community fixes it (自行处置)
    "self_handle": Transition(frozenset({T.REPORTED}), T.SELF_HANDLING, LOCAL),
    "self_close": Transition(frozenset({T.SELF_HANDLING}), T.CLOSED, LOCAL),
    # the street (or community) blows the whistle (吹哨) to departments
    "whistle": Transition(
        frozenset({T.REPORTED, T.SELF_HANDLING, T.RETURNED}), T.DISPATCHED, DISPATCHER
    ),
    # department reports (报到): claims; the lead's claim starts the handling
    "claim": Transition(
        frozenset({T.DISPATCHED, T.IN_PROGRESS, T.REPLIED}),
        None,  # IN_PROGRESS when the lead claims (see actions.ticket_claim)
        DEPARTMENT,
        frozenset({D.AWAITING_CLAIM}),
        D.CLAIMED,
    ),
    "request_return": Transition(
        frozenset({T.DISPATCHED, T.IN_PROGRESS}),
        None,
        DEPARTMENT,
        frozenset({D.AWAITING_CLAIM, D.CLAIMED}),
        D.RETURN_REQUESTED,
    ),
    "approve_return": Transition(
        frozenset({T.DISPATCHED, T.IN_PROGRESS}),
        None,  # RETURNED when the lead is returned
        DISPATCHER,
        frozenset({D.RETURN_REQUESTED}),
        D.RETURNED,
    ),
    "reject_return": Transition(
        frozenset({T.DISPATCHED, T.IN_PROGRESS}),
        None,  # DISPATCHED again when the lead must be claimed again
        DISPATCHER,
        frozenset({D.RETURN_REQUESTED}),
        D.AWAITING_CLAIM,
    ),
    "progress": Transition(
        frozenset({T.IN_PROGRESS}), None, DEPARTMENT, frozenset({D.CLAIMED}), None
    ),
    "reply": Transition(
        frozenset({T.IN_PROGRESS}),
        None,  # REPLIED when the lead replies
        DEPARTMENT,
        frozenset({D.CLAIMED}),
        D.REPLIED,
    ),
    "close": Transition(frozenset({T.REPLIED}), T.CLOSED, DISPATCHER),
    "rework": Transition(frozenset({T.REPLIED}), T.IN_PROGRESS, DISPATCHER),
    "callback": Transition(frozenset({T.CLOSED}), T.DONE, CALLER),
    "request_extension": Transition(
        frozenset({T.IN_PROGRESS}), None, DEPARTMENT, frozenset({D.CLAIMED}), None
    ),
    "review_extension": Transition(
        frozenset({T.IN_PROGRESS, T.REPLIED}),
        None,
        DISPATCHER,
        frozenset({D.CLAIMED, D.REPLIED}),
        None,
    ),
    "request_on_account": Transition(
        frozenset({T.IN_PROGRESS}), None, DEPARTMENT, frozenset({D.CLAIMED}), None
    ),
    "approve_on_account": Transition(
        frozenset({T.IN_PROGRESS}), T.ON_ACCOUNT, STREET, frozenset({D.CLAIMED}), None
    ),
    "reject_on_account": Transition(
        frozenset({T.IN_PROGRESS}), None, STREET, frozenset({D.CLAIMED}), None
    ),
    "resume": Transition(frozenset({T.ON_ACCOUNT}), T.IN_PROGRESS, STREET),
    "supervise": Transition(OPEN, None, LEADER),
}


def check(
    verb: str,
    *,
    ticket_state: str,
    capacities: set[Capacity] | frozenset[Capacity],
    dispatch_state: str | None = None,
) -> Transition:
    """Raise unless ``verb`` is allowed; return the transition."""
    transition = TRANSITIONS[verb]
    if not capacities & transition.who:
        raise AccessDenied(
            _("Your post does not allow this action on this case."), code="not_your_step"
        )
    if ticket_state not in transition.ticket_from:
        raise InvalidTransition(
            _("A case that is “%(state)s” cannot take this step.")
            % {"state": T(ticket_state).label},
            extra={"verb": verb, "state": ticket_state},
        )
    if transition.dispatch_from and dispatch_state not in transition.dispatch_from:
        raise InvalidTransition(
            _("This dispatch is “%(state)s”: the step is not possible now.")
            % {"state": D(dispatch_state).label if dispatch_state else "-"},
            extra={"verb": verb, "dispatch_state": dispatch_state},
        )
    return transition


def allowed_verbs(
    *, ticket_state: str, capacities: set[Capacity] | frozenset[Capacity]
) -> list[str]:
    """Verbs the user could take on the ticket now (for the UI and the API)."""
    return [
        verb
        for verb, t in TRANSITIONS.items()
        if ticket_state in t.ticket_from and capacities & t.who
    ]
