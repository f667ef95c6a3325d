"""Receivers of governance hooks: tickets follow their grid through moves."""

from __future__ import annotations

from django.db.models import F, Value
from django.db.models.functions import Concat, Substr

from core.types import Actor
from governance.models import Area
from services.models import RoutingRule, Ticket


def follow_moved_paths(*, actor: Actor, old_path: str, new_path: str) -> None:
    """Rewrite the stored path prefix of every ticket under a moved area.

    Runs inside the governance action's transaction: one UPDATE, so a move and
    its tickets change together or not at all.
    """
    Ticket.objects.filter(path__startswith=old_path).update(
        path=Concat(Value(new_path), Substr(F("path"), len(old_path) + 1))
    )


def follow_merged_areas(*, actor: Actor, source: Area, target: Area) -> None:
    """Routing rules on a merged area now apply to the area it merged into."""
    RoutingRule.objects.filter(area=source).update(area=target)
