"""What the header needs on every page: the caller's roles (which
workbenches to offer) and the number of unread notifications. Both are lazy:
a page that does not show them runs no query."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from governance.models import Post


def _roles(request: HttpRequest) -> frozenset[str]:
    user = request.user
    if not user.is_authenticated:
        return frozenset()
    roles = set(Post.objects.filter(user_id=user.pk, active=True).values_list("role", flat=True))
    if user.is_superuser:
        roles.add("sysadmin")
    return frozenset(roles)


def _unread(request: HttpRequest) -> int:
    from core.models import Notification

    if not request.user.is_authenticated:
        return 0
    return Notification.objects.filter(user_id=request.user.pk, read_at__isnull=True).count()


def portal(request: HttpRequest) -> dict[str, Any]:
    return {
        "nav_roles": SimpleLazyObject(lambda: _roles(request)),
        "inbox_unread": SimpleLazyObject(lambda: _unread(request)),
    }
