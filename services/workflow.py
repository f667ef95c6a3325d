"""The one transition table: who may move a ticket (and its dispatches) from
which state to which. Every target state lives here; actions only ask.

Capacities are what a user is *to this ticket*, derived from their posts
(``services.access.capacities``):

- ``grid``: a grid worker whose grid (or community) contains the ticket;
- ``community``: community staff of the ticket's community;
- ``street``: a street officer of the ticket's street (the dispatcher);
- ``whistler``: one of the above whose level the city lets blow the whistle
  (``governance.CityPolicy``: street and community by default, grids too
  where the city says "网格吹哨");
- ``department``: an officer or head of a department with a live dispatch;
- ``leader``: a leader whose area contains the ticket;
- ``intake``: a 12345 / Open311 service account.

A verb moves one ticket and at most one dispatch of it, named by
``Transition.subject``: the caller's own dispatch (department steps), the
dispatch under review (the street's decisions on returns, extensions and
parking), the lead dispatch (rework, reopen) or none. Where the ticket
follows its lead dispatch (a lead's claim starts the handling, a lead's
reply waits for verification, …) ``lead_ticket_to`` says so, once.

Every action calls :func:`check` first and writes what the returned
:class:`Move` says; an illegal move raises ``InvalidTransition`` (409
``invalid_transition``) or ``AccessDenied`` before anything is written.
``tests/services/test_workflow.py`` walks every edge of this table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any, TypeVar

from django.utils.translation import gettext as _

from core.errors import AccessDenied, InvalidTransition
from services.models import OPEN_STATES, DispatchRole
from services.models import DispatchState as D
from services.models import TicketState as T


class Capacity(StrEnum):
    GRID = "grid"
    COMMUNITY = "community"
    STREET = "street"
    #: a local capacity whose level the city lets whistle (see CityPolicy)
    WHISTLER = "whistler"
    DEPARTMENT = "department"
    LEADER = "leader"
    #: an intake desk (12345 / Open311 service account): reports, nothing more
    INTAKE = "intake"


LOCAL = frozenset({Capacity.GRID, Capacity.COMMUNITY, Capacity.STREET})
#: Who may report a case: local staff and intake desks.
REPORTERS = LOCAL | {Capacity.INTAKE}
#: Who reviews what departments ask for, verifies and closes.
DISPATCHER = frozenset({Capacity.COMMUNITY, Capacity.STREET})
WHISTLERS = frozenset({Capacity.WHISTLER})
STREET = frozenset({Capacity.STREET})
DEPARTMENT = frozenset({Capacity.DEPARTMENT})
LEADER = frozenset({Capacity.LEADER})
CALLER = frozenset({Capacity.COMMUNITY, Capacity.STREET})


class Subject(StrEnum):
    """Which dispatch a verb moves."""

    NONE = "none"
    #: the caller's department's live dispatch
    OWN = "own"
    #: the dispatch whose request (return, extension, on-account) is decided
    REVIEWED = "reviewed"
    #: the ticket's lead dispatch (must exist)
    LEAD = "lead"
    #: the ticket's lead dispatch if the case went to departments at all
    LEAD_IF_ANY = "lead_if_any"


_V = TypeVar("_V")


def _states(*states: str) -> frozenset[str]:
    return frozenset(states)


def _map(pairs: Mapping[str, _V] | None = None) -> Mapping[str, _V]:
    """A read-only mapping: the table cannot be changed at run time."""
    return MappingProxyType(dict(pairs or {}))


@dataclass(frozen=True)
class Transition:
    """One verb: from which ticket (and dispatch) states, by whom, to what.

    ``ticket_to`` None leaves the ticket's state as it is, unless the moved
    dispatch is the lead and ``lead_ticket_to`` maps the ticket's state.
    ``others_to`` is what the ticket's *other* live dispatches become
    (``others_when_lead``: only when the moved dispatch is the lead).
    """

    ticket_from: frozenset[str]
    who: frozenset[Capacity]
    ticket_to: str | None = None
    subject: Subject = Subject.NONE
    dispatch_from: frozenset[str] = frozenset()
    dispatch_to: str | None = None
    lead_ticket_to: Mapping[str, str] = field(default_factory=_map)
    others_to: str | None = None
    others_when_lead: bool = False
    #: only the lead dispatch may take this step
    lead_only: bool = False


@dataclass(frozen=True)
class Move:
    """What one allowed step writes: the ticket's next state (maybe the
    same), the moved dispatch's next state (None: no dispatch or unchanged)
    and the state the ticket's other live dispatches end in (None: left)."""

    verb: str
    ticket_from: str
    ticket_to: str
    dispatch_to: str | None = None
    others_to: str | None = None

    @property
    def changes_ticket(self) -> bool:
        return self.ticket_from != self.ticket_to


#: The state a new dispatch starts in, by its role in the whistle.
NEW_DISPATCH_STATE: Mapping[str, str] = _map(
    {
        DispatchRole.LEAD: D.AWAITING_CLAIM,
        DispatchRole.ASSIST: D.AWAITING_CLAIM,
        DispatchRole.INFORM: D.INFORMED,
    }
)


def _own(*ticket_from: str, dispatch_from: Iterable[str] = (D.CLAIMED,), **kw: Any) -> Transition:
    """A department's step on its own dispatch."""
    return Transition(
        frozenset(ticket_from),
        DEPARTMENT,
        subject=Subject.OWN,
        dispatch_from=frozenset(dispatch_from),
        **kw,
    )


def _decide(
    *ticket_from: str,
    dispatch_from: Iterable[str],
    who: frozenset[Capacity] = DISPATCHER,
    **kw: Any,
) -> Transition:
    """The street's (or community's) decision on a department's request."""
    return Transition(
        frozenset(ticket_from),
        who,
        subject=Subject.REVIEWED,
        dispatch_from=frozenset(dispatch_from),
        **kw,
    )


TRANSITIONS: Mapping[str, Transition] = _map(
    {
        # the case is logged (intake: a new ticket)
        "report": Transition(frozenset(), REPORTERS, T.REPORTED),
        # grid / community fixes it (自行处置)
        "self_handle": Transition(_states(T.REPORTED), LOCAL, T.SELF_HANDLING),
        "self_close": Transition(_states(T.SELF_HANDLING), LOCAL, T.CLOSED),
        # the street (or community, or grid where the city allows) blows the
        # whistle (吹哨); new dispatches start as NEW_DISPATCH_STATE says
        "whistle": Transition(
            _states(T.REPORTED, T.SELF_HANDLING, T.RETURNED), WHISTLERS, T.DISPATCHED
        ),
        # department reports (报到): claims; the lead's claim starts the handling
        "claim": _own(
            T.DISPATCHED,
            T.IN_PROGRESS,
            T.REPLIED,
            dispatch_from=[D.AWAITING_CLAIM],
            dispatch_to=D.CLAIMED,
            lead_ticket_to=_map({T.DISPATCHED: T.IN_PROGRESS}),
        ),
        # 退单 and the street's decision on it
        "request_return": _own(
            T.DISPATCHED,
            T.IN_PROGRESS,
            dispatch_from=[D.AWAITING_CLAIM, D.CLAIMED],
            dispatch_to=D.RETURN_REQUESTED,
        ),
        "approve_return": _decide(
            T.DISPATCHED,
            T.IN_PROGRESS,
            dispatch_from=[D.RETURN_REQUESTED],
            dispatch_to=D.RETURNED,
            # the lead released: the case waits for a new whistle, and the
            # assists and informs of a mis-routed case end with it
            lead_ticket_to=_map({T.DISPATCHED: T.RETURNED, T.IN_PROGRESS: T.RETURNED}),
            others_to=D.CANCELLED,
            others_when_lead=True,
        ),
        "reject_return": _decide(
            T.DISPATCHED,
            T.IN_PROGRESS,
            dispatch_from=[D.RETURN_REQUESTED],
            dispatch_to=D.AWAITING_CLAIM,
            # the lead must be claimed again
            lead_ticket_to=_map({T.IN_PROGRESS: T.DISPATCHED}),
        ),
        # handling
        "progress": _own(T.IN_PROGRESS),
        "reply": _own(
            T.IN_PROGRESS,
            dispatch_to=D.REPLIED,
            lead_ticket_to=_map({T.IN_PROGRESS: T.REPLIED}),
        ),
        # 核查: verify and close, or send the lead back
        "close": Transition(_states(T.REPLIED), DISPATCHER, T.CLOSED, others_to=D.DONE),
        "rework": Transition(
            _states(T.REPLIED),
            DISPATCHER,
            T.IN_PROGRESS,
            subject=Subject.LEAD,
            dispatch_from=_states(D.REPLIED),
            dispatch_to=D.CLAIMED,
        ),
        # 回访, and 重办 after an unsatisfied resident: back to the lead
        # department when there was one, else to the grid
        "callback": Transition(_states(T.CLOSED), CALLER, T.DONE),
        "reopen": Transition(
            _states(T.CLOSED),
            CALLER,
            T.SELF_HANDLING,
            subject=Subject.LEAD_IF_ANY,
            dispatch_from=_states(D.DONE),
            dispatch_to=D.CLAIMED,
            lead_ticket_to=_map({T.CLOSED: T.IN_PROGRESS}),
        ),
        # 延期: asked before the deadline; decided while handling or after the reply
        "request_extension": _own(T.IN_PROGRESS),
        "approve_extension": _decide(
            T.IN_PROGRESS, T.REPLIED, dispatch_from=[D.CLAIMED, D.REPLIED]
        ),
        "reject_extension": _decide(T.IN_PROGRESS, T.REPLIED, dispatch_from=[D.CLAIMED, D.REPLIED]),
        # 挂账: only the lead parks a case; the street decides; resume
        "request_on_account": _own(T.IN_PROGRESS, lead_only=True),
        "approve_on_account": _decide(
            T.IN_PROGRESS, dispatch_from=[D.CLAIMED], who=STREET, ticket_to=T.ON_ACCOUNT
        ),
        "reject_on_account": _decide(T.IN_PROGRESS, dispatch_from=[D.CLAIMED], who=STREET),
        "resume": Transition(
            _states(T.ON_ACCOUNT),
            STREET,
            T.IN_PROGRESS,
            subject=Subject.LEAD,
            dispatch_from=_states(D.CLAIMED),
        ),
        # 督办
        "supervise": Transition(OPEN_STATES, LEADER),
    }
)

#: Verbs a department takes on its own dispatch.
DEPARTMENT_VERBS = frozenset(v for v, t in TRANSITIONS.items() if t.subject == Subject.OWN)


def check(
    verb: str,
    *,
    ticket_state: str,
    capacities: Iterable[Capacity],
    dispatch_state: str | None = None,
    dispatch_role: str | None = None,
) -> Move:
    """Raise unless ``verb`` is allowed now; return what it writes.

    ``dispatch_state``/``dispatch_role`` describe the verb's subject
    dispatch (None when the verb has none, or for ``lead_if_any`` when the
    case never went to a department).
    """
    transition = TRANSITIONS[verb]
    if not frozenset(capacities) & transition.who:
        raise AccessDenied(
            _("Your post does not allow this action on this case."), code="not_your_step"
        )
    if ticket_state not in transition.ticket_from:
        raise InvalidTransition(
            _("A case that is “%(state)s” cannot take this step.")
            % {"state": T(ticket_state).label},
            extra={"verb": verb, "state": ticket_state},
        )
    needs_dispatch = transition.subject in (Subject.OWN, Subject.REVIEWED, Subject.LEAD)
    if (
        (needs_dispatch or dispatch_state is not None)
        and transition.dispatch_from
        and dispatch_state not in transition.dispatch_from
    ):
        raise InvalidTransition(
            _("This dispatch is “%(state)s”: the step is not possible now.")
            % {"state": D(dispatch_state).label if dispatch_state else "-"},
            extra={"verb": verb, "dispatch_state": dispatch_state},
        )
    if transition.lead_only and dispatch_role != DispatchRole.LEAD:
        raise InvalidTransition(
            _("Only the lead department can take this step."),
            extra={"verb": verb, "dispatch_role": dispatch_role},
        )
    return _move(verb, transition, ticket_state, dispatch_state, dispatch_role)


def _move(
    verb: str,
    transition: Transition,
    ticket_state: str,
    dispatch_state: str | None,
    dispatch_role: str | None,
) -> Move:
    is_lead = dispatch_state is not None and dispatch_role == DispatchRole.LEAD
    ticket_to = transition.ticket_to or ticket_state
    if is_lead and ticket_state in transition.lead_ticket_to:
        ticket_to = transition.lead_ticket_to[ticket_state]
    others_to = transition.others_to
    if transition.others_when_lead and not is_lead:
        others_to = None
    return Move(
        verb=verb,
        ticket_from=ticket_state,
        ticket_to=ticket_to,
        dispatch_to=transition.dispatch_to if dispatch_state is not None else None,
        others_to=others_to,
    )


def allowed_verbs(
    *,
    ticket_state: str,
    capacities: Iterable[Capacity],
    own_dispatch_state: str | None = None,
    own_dispatch_role: str | None = None,
) -> list[str]:
    """Verbs a user could take on a ticket now: the caller's capacities
    match, the ticket is in a starting state, and a department step also
    needs the caller's own dispatch in a state the step starts from.
    (Reviews are offered whenever the ticket allows them; which requests
    wait is a read of the requests themselves.)"""
    caps = frozenset(capacities)
    out = []
    for verb, t in TRANSITIONS.items():
        if verb == "report" or ticket_state not in t.ticket_from or not caps & t.who:
            continue
        if t.subject == Subject.OWN and own_dispatch_state not in t.dispatch_from:
            continue
        if t.subject == Subject.OWN and t.lead_only and own_dispatch_role != DispatchRole.LEAD:
            continue
        out.append(verb)
    return out
