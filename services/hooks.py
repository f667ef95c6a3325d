"""Extension points for apps above services (integrations' webhooks).

services knows nothing of who listens. Every action that writes timeline rows
calls :func:`ticket_events` with them inside its own transaction, so whatever a
receiver writes (outbox rows) commits or rolls back with the step. The clock
sweep calls it once per batch. Receivers register in their AppConfig.ready().
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from services.models import TicketEvent

#: fn(events): timeline rows just written (each with its ``ticket`` loaded).
TicketEventsWritten = Callable[[Sequence["TicketEvent"]], None]

_ticket_events: list[TicketEventsWritten] = []


def on_ticket_events(fn: TicketEventsWritten) -> TicketEventsWritten:
    if fn not in _ticket_events:
        _ticket_events.append(fn)
    return fn


def ticket_events(events: Sequence[TicketEvent]) -> None:
    if not events:
        return
    for fn in _ticket_events:
        fn(events)
