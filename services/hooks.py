"""Extension points for apps above services (integrations' webhooks).

services knows nothing of who listens. Every action that writes timeline rows
calls :func:`ticket_events` with them inside its own transaction, so whatever a
receiver writes (outbox rows) commits or rolls back with the step. The clock
sweep calls it once per batch. The hook lives in the one registry, core.hooks;
receivers connect in their AppConfig.ready():
``core.hooks.connect(services.hooks.TICKET_EVENTS, fn)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from core import hooks

if TYPE_CHECKING:
    from core.types import Actor
    from services.models import TicketEvent

#: fn(*, actor, events): timeline rows just written (each with its ``ticket``
#: loaded). Each row names its own actor too; a sweep batch has none.
TICKET_EVENTS = hooks.declare("services.ticket_events")


def ticket_events(events: Sequence[TicketEvent], *, actor: Actor = None) -> None:
    """Fire :data:`TICKET_EVENTS`; ``actor`` defaults to the rows' one actor, if they share it."""
    if not events:
        return
    first = events[0].actor_id
    if actor is None and first is not None and all(e.actor_id == first for e in events):
        actor = events[0].actor  # loaded already where the action wrote the row
    hooks.fire(TICKET_EVENTS, actor=actor, events=events)
