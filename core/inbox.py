"""Inbox actions."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from core.models import Notification
from core.types import Actor


@transaction.atomic
def inbox_mark_read(*, notification: Notification, actor: Actor) -> Notification:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
    return notification
