"""Serializers for rosters and visits.

Lists show phone and ID numbers masked; the worker detail shows them in full
only to someone who manages one of the worker's grids (``show_full`` in the
context, decided by the view).
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from core import dates
from core.logging import mask_id_number, mask_phone
from core.models import AuditEntry
from governance.models import Area
from grids.rosters.models import Gender, RosterEntry, RosterRole, Visit, VisitKind, Worker


class GridBriefSerializer(serializers.ModelSerializer[Area]):
    class Meta:
        model = Area
        fields = ["id", "code", "name"]
        read_only_fields = fields


class WorkerSerializer(serializers.ModelSerializer[Worker]):
    """Read view; phone and ID number masked unless ``show_full`` is in the context."""

    code = serializers.CharField(read_only=True)
    gender = serializers.CharField(read_only=True)
    phone = serializers.SerializerMethodField()
    id_number = serializers.SerializerMethodField()
    masked = serializers.SerializerMethodField()

    class Meta:
        model = Worker
        fields = [
            "id",
            "code",
            "name",
            "gender",
            "phone",
            "id_number",
            "masked",
            "user",
            "notes",
            "active",
        ]
        read_only_fields = fields

    def _full(self) -> bool:
        return bool(self.context.get("show_full"))

    def get_phone(self, obj: Worker) -> str:
        return obj.phone if self._full() else mask_phone(obj.phone)

    def get_id_number(self, obj: Worker) -> str:
        return obj.id_number if self._full() else mask_id_number(obj.id_number)

    def get_masked(self, obj: Worker) -> bool:
        """True when phone and ID number are shown masked."""
        return not self._full()


class WorkerBriefSerializer(serializers.ModelSerializer[Worker]):
    code = serializers.CharField(read_only=True)
    phone = serializers.CharField(source="masked_phone", read_only=True)

    class Meta:
        model = Worker
        fields = ["id", "code", "name", "phone"]
        read_only_fields = fields


class WorkerWriteSerializer(serializers.Serializer[Any]):
    """Shape only; rules live in worker_create / worker_update."""

    name = serializers.CharField(max_length=50)
    gender = serializers.ChoiceField(choices=Gender.choices, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=20)
    id_number = serializers.CharField(max_length=18)
    notes = serializers.CharField(required=False, allow_blank=True)
    active = serializers.BooleanField(required=False)


# Read serializers render choice fields as plain strings (``*_display`` holds
# the label): each choice set then appears in one schema component only, the
# write one, and drf-spectacular names its enum without a collision.


class RosterEntrySerializer(serializers.ModelSerializer[RosterEntry]):
    worker = WorkerBriefSerializer(read_only=True)
    role = serializers.CharField(read_only=True)
    role_display = serializers.CharField(source="get_role_display", read_only=True)

    class Meta:
        model = RosterEntry
        fields = [
            "id",
            "grid_id",
            "worker",
            "role",
            "role_display",
            "full_time",
            "start",
            "end",
            "note",
        ]
        read_only_fields = fields


class RosterAddSerializer(serializers.Serializer[Any]):
    worker = serializers.IntegerField()
    role = serializers.ChoiceField(choices=RosterRole.choices)
    full_time = serializers.BooleanField(default=False)
    start = dates.DateField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=200)


class RosterEndSerializer(serializers.Serializer[Any]):
    end = dates.DateField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=200)


class ComplianceReasonSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    message = serializers.CharField()


class GridComplianceSerializer(serializers.Serializer[Any]):
    grid = GridBriefSerializer()
    grid_heads = serializers.IntegerField()
    grid_police = serializers.IntegerField()
    full_time_workers = serializers.IntegerField()
    people = serializers.IntegerField()
    reasons = ComplianceReasonSerializer(many=True)


class ComplianceTotalsSerializer(serializers.Serializer[Any]):
    grids = serializers.IntegerField()
    compliant = serializers.IntegerField()
    non_compliant = serializers.IntegerField()


class ComplianceReportSerializer(serializers.Serializer[Any]):
    area = GridBriefSerializer()
    totals = ComplianceTotalsSerializer()
    non_compliant = GridComplianceSerializer(many=True)


class AuditEntrySerializer(serializers.ModelSerializer[AuditEntry]):
    object_type = serializers.SerializerMethodField()
    actor = serializers.SerializerMethodField()
    changes = serializers.SerializerMethodField()

    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "at",
            "verb",
            "actor",
            "object_type",
            "object_id",
            "before",
            "after",
            "changes",
            "note",
        ]
        read_only_fields = fields

    def get_object_type(self, obj: AuditEntry) -> str:
        return "worker" if obj.content_type.model == "worker" else "roster_entry"

    def get_actor(self, obj: AuditEntry) -> str | None:
        return obj.actor.get_username() if obj.actor else None

    def get_changes(self, obj: AuditEntry) -> dict[str, list[Any]]:
        return {k: [b, a] for k, (b, a) in obj.changes.items()}


class VisitSerializer(serializers.ModelSerializer[Visit]):
    grid = GridBriefSerializer(read_only=True)
    worker = WorkerBriefSerializer(read_only=True)
    kind = serializers.CharField(read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    photos = serializers.SerializerMethodField()

    class Meta:
        model = Visit
        fields = [
            "id",
            "grid",
            "worker",
            "visited_at",
            "kind",
            "kind_display",
            "household",
            "address",
            "notes",
            "photos",
            "created_at",
        ]
        read_only_fields = fields

    def get_photos(self, obj: Visit) -> list[str]:
        return [p.image.url for p in obj.photos.all()]


class VisitCreateSerializer(serializers.Serializer[Any]):
    grid = serializers.IntegerField()
    worker = serializers.IntegerField(required=False)
    visited_at = dates.DateTimeField()  # years 1900–2999: no overflow
    kind = serializers.ChoiceField(choices=VisitKind.choices)
    household = serializers.CharField(required=False, allow_blank=True, max_length=60)
    address = serializers.CharField(required=False, allow_blank=True, max_length=200)
    notes = serializers.CharField(required=False, allow_blank=True)
    photos = serializers.ListField(child=serializers.FileField(), required=False)


class VisitStatsRowSerializer(serializers.Serializer[Any]):
    grid = GridBriefSerializer()
    visits = serializers.IntegerField()
    households = serializers.IntegerField()


class VisitStatsSerializer(serializers.Serializer[Any]):
    area = GridBriefSerializer()
    month = serializers.CharField()
    totals = serializers.DictField(child=serializers.IntegerField())
    grids = VisitStatsRowSerializer(many=True)


class ImportRowErrorSerializer(serializers.Serializer[Any]):
    row = serializers.IntegerField()
    column = serializers.CharField()
    message = serializers.CharField()


class ImportReportSerializer(serializers.Serializer[Any]):
    dry_run = serializers.BooleanField()
    applied = serializers.BooleanField()
    counts = serializers.DictField(child=serializers.IntegerField())
    changes = serializers.ListField(child=serializers.DictField())
    errors = ImportRowErrorSerializer(many=True)  # type: ignore[assignment]
