from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from core.models import AuditEntry
from core.types import Actor, User


def snapshot(obj: models.Model, fields: list[str]) -> dict[str, Any]:
    """JSON-safe view of some fields (FKs by id)."""
    out: dict[str, Any] = {}
    for name in fields:
        field = obj._meta.get_field(name)
        value = getattr(obj, field.attname)  # type: ignore[union-attr]
        if hasattr(value, "isoformat"):
            value = value.isoformat()
        out[name] = value
    return out


def record(
    obj: models.Model,
    *,
    verb: str,
    actor: Actor,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str = "",
) -> AuditEntry:
    """Write an audit row. Call inside the action's transaction."""
    return AuditEntry.objects.create(
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=True),
        object_id=obj.pk,
        verb=verb,
        actor=actor if isinstance(actor, User) else None,
        before=before or {},
        after=after or {},
        note=note,
    )


def history(obj: models.Model) -> models.QuerySet[AuditEntry]:
    ct = ContentType.objects.get_for_model(obj, for_concrete_model=True)
    return AuditEntry.objects.filter(content_type=ct, object_id=obj.pk).select_related("actor")
