"""Cross-cutting Celery tasks."""

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
