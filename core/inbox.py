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


@transaction.atomic
def inbox_mark_all_read(*, user: Actor) -> int:
    """Mark every unread notification of ``user`` read; returns how many."""
    if user is None or not user.is_authenticated:
        return 0
    return Notification.objects.filter(user_id=user.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )
