"""The one way to tell people something: ``notify(...)``.

Call it inside the action's transaction. It writes the in-app notification
and an outbox ``Delivery`` per extra channel in that transaction, and asks a
worker to send them after commit. If the broker is down the request still
succeeds; the retry sweep sends what is left.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core import channels
from core.bulk import bulk_insert
from core.i18n import render
from core.models import Delivery, Notification
from core.types import User

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 8


def notify(
    *,
    users: Iterable[User],
    verb: str,
    title: str | dict[str, Any],
    body: str = "",
    url: str = "",
    data: dict[str, Any] | None = None,
    email: bool = False,
) -> list[Notification]:
    """Tell ``users``. ``title`` is text, or a ``core.i18n.recipe`` so that each
    reader sees it in their own language (stored as text too, in the active one)."""
    data = dict(data or {})
    if isinstance(title, dict):
        data["title_i18n"] = title
        title = render(title)
    notes = Notification.objects.bulk_create(
        [
            Notification(
                user=u, verb=verb, title=title[:200], body=body, url=url[:300], data=data or {}
            )
            for u in users
        ]
    )
    if email:
        queue(
            [
                Delivery(
                    channel=Delivery.Channel.EMAIL,
                    recipient=n.user.email,
                    subject=title[:200],
                    payload={"text": f"{body}\n{url}"},
                    notification=n,
                )
                for n in notes
                if n.user.email
            ]
        )
    return notes


def sms(
    *, phone: str, params: dict[str, str], text: str = "", notification_id: int | None = None
) -> Delivery:
    """An unsaved SMS outbox row (pass it to ``queue``): the provider's template
    ``SMS_TEMPLATE_CODE`` filled with ``params``; ``text`` is what the console
    and file backends show. Sent, retried and given up like every delivery."""
    return Delivery(
        channel=Delivery.Channel.SMS,
        recipient=phone,
        payload={"template_params": params, "text": text},
        notification_id=notification_id,
    )


def queue(deliveries: list[Delivery]) -> list[Delivery]:
    """Write outbox rows now; ask a worker to send them after commit."""
    for d in deliveries:
        d.idempotency_key = d.idempotency_key or uuid.uuid4().hex
    created = bulk_insert(deliveries)
    ids = [d.pk for d in created if d.pk]
    if ids:
        transaction.on_commit(lambda: _enqueue(ids))
    return created


#: Deliveries per task message: one publish per chunk, not per delivery
#: (an escalation sweep can create ten thousand at once).
ENQUEUE_CHUNK = 100


def _enqueue(ids: list[int]) -> None:
    from core.tasks import deliver, deliver_many

    for start in range(0, len(ids), ENQUEUE_CHUNK):
        chunk = ids[start : start + ENQUEUE_CHUNK]
        try:
            if len(chunk) == 1:
                deliver.delay(chunk[0])
            else:
                deliver_many.delay(chunk)
        except Exception as exc:  # broker down: the sweep will send them
            logger.warning(
                "delivery %s not queued (%s); the retry sweep will send it",
                chunk[0],
                exc.__class__.__name__,
            )
            return


def backoff(attempts: int) -> dt.timedelta:
    """1, 2, 4 … minutes, at most 6 hours."""
    return dt.timedelta(minutes=min(2 ** max(attempts - 1, 0), 360))


def deliver_one(delivery_id: int) -> str:
    """Send one delivery if it is still due; safe to run twice."""
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(pk=delivery_id, state__in=[Delivery.State.PENDING, Delivery.State.FAILED])
            .first()
        )
        if delivery is None:
            return "skipped"
        try:
            channels.send(delivery)
        except Exception as exc:  # any channel failure is retried, never lost
            attempts = delivery.attempts + 1
            Delivery.objects.filter(pk=delivery.pk).update(
                attempts=F("attempts") + 1,
                state=Delivery.State.DEAD if attempts >= MAX_ATTEMPTS else Delivery.State.FAILED,
                last_error=f"{exc.__class__.__name__}: {exc}"[:1000],
                next_attempt_at=timezone.now() + backoff(attempts),
            )
            logger.warning(
                "delivery %s attempt %s failed: %s", delivery.pk, attempts, exc.__class__.__name__
            )
            return "failed"
        Delivery.objects.filter(pk=delivery.pk).update(
            state=Delivery.State.SENT,
            attempts=F("attempts") + 1,
            sent_at=timezone.now(),
            last_error="",
        )
        return "sent"


def sweep(limit: int = 500) -> dict[str, int]:
    """Send every delivery whose time has come (stuck pending ones included)."""
    now = timezone.now()
    due = list(
        Delivery.objects.filter(
            state__in=[Delivery.State.PENDING, Delivery.State.FAILED], next_attempt_at__lte=now
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    counts: dict[str, int] = {"sent": 0, "failed": 0, "skipped": 0}
    for delivery_id in due:
        counts[deliver_one(delivery_id)] += 1
    return counts
