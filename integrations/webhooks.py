"""Ticket timeline → webhook deliveries, scoped like every other read.

``fan_out`` is connected to ``services.hooks.TICKET_EVENTS`` (core.hooks): it
runs inside the action's (or the sweep batch's) transaction and writes one
outbox ``Delivery`` per subscription that wants the event *and* whose client
could read the ticket, plus the ``WebhookDelivery`` row that puts it in the
client's delivery log.
Sending, signing (HMAC-SHA256), the idempotency key and retries with backoff
are core's (core.notify, core.channels).

Cost: one query for the subscriptions (none listen: nothing more), then per
listening client its scope and one query for the tickets it can read in the
batch — per call, not per event.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.utils import timezone

from core.models import Delivery
from core.notify import queue
from core.types import Actor
from integrations.models import ApiClient, WebhookDelivery, WebhookEvent, WebhookSubscription
from services.models import OPEN_STATES, Category, TicketEvent

_BY_VERB = {
    "report": WebhookEvent.CREATED,
    "whistle": WebhookEvent.DISPATCHED,
    "claim": WebhookEvent.CLAIMED,
    "reply": WebhookEvent.REPLIED,
    "close": WebhookEvent.CLOSED,
    "self_close": WebhookEvent.CLOSED,
    "supervise": WebhookEvent.ESCALATED,
}


def event_type(event: TicketEvent) -> str | None:
    """The webhook event a timeline row is, if any."""
    if event.verb in _BY_VERB:
        return _BY_VERB[event.verb]
    if event.verb == "escalate":
        # Step 1 is the deadline itself (L1); 2 and 3 go up the tree (L2, L3 督办).
        return (
            WebhookEvent.OVERDUE if (event.data or {}).get("step") == 1 else WebhookEvent.ESCALATED
        )
    if event.to_state and event.from_state != event.to_state:
        return WebhookEvent.STATE_CHANGED
    return None


def _local(value: Any) -> str | None:
    return timezone.localtime(value).isoformat() if value else None


def body(event: TicketEvent, etype: str, category_code: str | None = None) -> dict[str, Any]:
    ticket = event.ticket
    return {
        "event": etype,
        "occurred_at": _local(event.at),
        "ticket": {
            "id": ticket.pk,
            "number": ticket.number,
            "external_no": ticket.external_no,
            "source": ticket.source,
            "state": ticket.state,
            "status": "open" if ticket.state in OPEN_STATES else "closed",
            "category": category_code,
            "updated_at": _local(ticket.updated_at),
        },
        "verb": event.verb,
        "note": event.note,
        "data": event.data or {},
    }


def fan_out(events: Sequence[TicketEvent], *, actor: Actor = None) -> None:
    """Queue the deliveries for ``events``; ``actor`` is unused (each row names its own)."""
    from services.selectors import ticket_list

    typed = [(e, t) for e in events if (t := event_type(e))]
    if not typed:
        return
    wanted = {t for _e, t in typed}
    subscriptions = [
        s
        for s in WebhookSubscription.objects.filter(
            is_active=True, client__is_active=True, client__user__is_active=True
        ).select_related("client", "client__user")
        if wanted & set(s.events or [])
    ]
    if not subscriptions:
        return
    by_client: dict[int, list[WebhookSubscription]] = defaultdict(list)
    clients: dict[int, ApiClient] = {}
    for s in subscriptions:
        by_client[s.client_id].append(s)
        clients[s.client_id] = s.client
    ticket_ids = {e.ticket_id for e, _t in typed}
    # One query for every case's category code, not one per event.
    codes = dict(
        Category.objects.filter(
            pk__in={e.ticket.category_id for e, _t in typed if e.ticket.category_id}
        ).values_list("pk", "code")
    )
    deliveries: list[Delivery] = []
    links: list[WebhookDelivery] = []
    for client_id, subs in by_client.items():
        readable = set(
            ticket_list(user=clients[client_id].user)
            .filter(pk__in=ticket_ids)
            .values_list("pk", flat=True)
        )
        for event, etype in typed:
            if event.ticket_id not in readable:
                continue
            for sub in subs:
                if etype not in (sub.events or []):
                    continue
                deliveries.append(
                    Delivery(
                        channel=Delivery.Channel.WEBHOOK,
                        recipient=sub.url,
                        subject=etype,
                        payload={
                            "event": etype,
                            "body": body(event, etype, codes.get(event.ticket.category_id)),
                            "secret": sub.secret,
                        },
                    )
                )
                links.append(
                    WebhookDelivery(subscription=sub, event=etype, ticket_id=event.ticket_id)
                )
    if not deliveries:
        return
    created = queue(deliveries)
    for link, delivery in zip(links, created, strict=True):
        link.delivery = delivery
    WebhookDelivery.objects.bulk_create(links)
