"""Cross-cutting Celery tasks. Thin: take ids, call one function."""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

logger = logging.getLogger(__name__)


@shared_task(name="core.heartbeat", ignore_result=True)
def heartbeat() -> str:
    """Beat → broker → worker round trip; its log line shows all three run."""
    now = timezone.now().isoformat()
    logger.info("heartbeat %s", now)
    return now


@shared_task(name="core.deliver", ignore_result=True, acks_late=True)
def deliver(delivery_id: int) -> str:
    from core.notify import deliver_one

    return deliver_one(delivery_id)


@shared_task(name="core.deliver_many", ignore_result=True, acks_late=True)
def deliver_many(delivery_ids: list[int]) -> dict[str, int]:
    """A chunk of deliveries; each is sent at most once (see deliver_one)."""
    from core.notify import deliver_one

    counts = {"sent": 0, "failed": 0, "skipped": 0}
    for delivery_id in delivery_ids:
        counts[deliver_one(delivery_id)] += 1
    return counts


@shared_task(name="core.sweep_deliveries", ignore_result=True)
def sweep_deliveries() -> dict[str, int]:
    """Every minute: send what is due, including anything never queued."""
    from core.notify import sweep

    counts = sweep()
    if counts["sent"] or counts["failed"]:
        logger.info("delivery sweep: %s", counts)
    return counts


@shared_task(name="core.expire_idempotency_keys", ignore_result=True)
def expire_idempotency_keys() -> int:
    """Hourly: forget retry keys older than 24 h (core/idempotency.py)."""
    from core.idempotency import expire_keys

    return expire_keys()
