from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core import dates
from core.identity import REPORTER_PHONE_PATTERN
from core.logging import mask_phone
from governance.models import Area, Department
from governance.serializers import AreaBriefSerializer
from services.models import (
    Attachment,
    Category,
    Dispatch,
    DispatchRole,
    Resolution,
    RoutingRule,
    Satisfaction,
    Source,
    SupervisionKind,
    Ticket,
    TicketEvent,
    Urgency,
    WhistleType,
)
from services.selectors import clock_rows


class CategorySerializer(serializers.ModelSerializer[Category]):
    parent = serializers.PrimaryKeyRelatedField(read_only=True)  # type: ignore[assignment,var-annotated]

    class Meta:
        model = Category
        fields = ["id", "kind", "code", "name", "parent", "clock_amount", "clock_unit"]
        read_only_fields = fields


class CategoryBriefSerializer(serializers.ModelSerializer[Category]):
    class Meta:
        model = Category
        fields = ["id", "code", "name", "kind"]
        read_only_fields = fields


class TicketDepartmentSerializer(serializers.ModelSerializer[Department]):
    class Meta:
        model = Department
        fields = ["id", "name", "short_name"]
        read_only_fields = fields


class DispatchSerializer(serializers.ModelSerializer[Dispatch]):
    department = TicketDepartmentSerializer(read_only=True)
    claimed_by_name = serializers.SerializerMethodField()

    class Meta:
        model = Dispatch
        fields = [
            "id",
            "department",
            "role",
            "state",
            "whistle_type",
            "dispatched_at",
            "claim_due_at",
            "claimed_at",
            "claimed_by_name",
            "handle_due_at",
            "replied_at",
            "closed_at",
        ]
        read_only_fields = fields

    def get_claimed_by_name(self, obj: Dispatch) -> str | None:
        user = obj.claimed_by
        return (user.get_full_name() or user.get_username()) if user else None


class TicketListSerializer(serializers.ModelSerializer[Ticket]):
    category = CategoryBriefSerializer(read_only=True)
    grid = AreaBriefSerializer(read_only=True)
    reporter_phone = serializers.SerializerMethodField()
    dispatches = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields = [
            "id",
            "number",
            "state",
            "urgency",
            "source",
            "category",
            "grid",
            "address",
            "description",
            "reporter_name",
            "reporter_phone",
            "supervised",
            "created_at",
            "updated_at",
            "dispatches",
        ]
        read_only_fields = fields

    def get_reporter_phone(self, obj: Ticket) -> str:
        return mask_phone(obj.reporter_phone)

    def get_dispatches(self, obj: Ticket) -> list[dict[str, Any]]:
        live = getattr(obj, "live_dispatches", None)
        if live is None:
            return []
        return [
            {"id": d.pk, "department": d.department.name, "role": d.role, "state": d.state}
            for d in live
        ]


class AttachmentSerializer(serializers.ModelSerializer[Attachment]):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "url", "content_type", "size"]
        read_only_fields = fields

    def get_url(self, obj: Attachment) -> str:
        return obj.file.url


class TicketEventSerializer(serializers.ModelSerializer[TicketEvent]):
    actor_name = serializers.SerializerMethodField()
    department = serializers.SerializerMethodField()
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = TicketEvent
        fields = [
            "id",
            "verb",
            "from_state",
            "to_state",
            "note",
            "data",
            "at",
            "actor_name",
            "department",
            "attachments",
        ]
        read_only_fields = fields

    def get_actor_name(self, obj: TicketEvent) -> str | None:
        return (obj.actor.get_full_name() or obj.actor.get_username()) if obj.actor else None

    def get_department(self, obj: TicketEvent) -> str | None:
        return obj.dispatch.department.name if obj.dispatch else None


class ClockSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    state = serializers.CharField()
    started_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField()
    remind_at = serializers.DateTimeField()
    provisional = serializers.BooleanField()
    level = serializers.IntegerField()
    overdue = serializers.BooleanField()
    department = serializers.CharField(allow_null=True)


class TicketDetailSerializer(TicketListSerializer):
    dispatches = DispatchSerializer(many=True, read_only=True, source="all_dispatches")  # type: ignore[assignment]
    timeline = TicketEventSerializer(many=True, read_only=True)
    clocks = serializers.SerializerMethodField()
    allowed_actions = serializers.ListField(child=serializers.CharField(), read_only=True)
    lat = serializers.DecimalField(max_digits=9, decimal_places=6, read_only=True)
    lng = serializers.DecimalField(max_digits=9, decimal_places=6, read_only=True)

    @extend_schema_field(ClockSerializer(many=True))
    def get_clocks(self, obj: Ticket) -> list[dict[str, Any]]:
        return clock_rows(obj)

    class Meta(TicketListSerializer.Meta):
        fields = [
            *TicketListSerializer.Meta.fields,
            "lat",
            "lng",
            "whistle_type",
            "result",
            "rework_count",
            "closed_at",
            "external_no",
            "timeline",
            "clocks",
            "allowed_actions",
        ]
        read_only_fields = fields


# --- inputs -------------------------------------------------------------------


class TicketReportSerializer(serializers.Serializer[Any]):
    category = serializers.PrimaryKeyRelatedField(queryset=Category.objects.all())
    description = serializers.CharField(max_length=4000)
    grid = serializers.PrimaryKeyRelatedField(
        queryset=Area.objects.filter(level="grid", is_active=True), required=False, allow_null=True
    )
    lat = serializers.DecimalField(
        max_digits=9, decimal_places=6, required=False, allow_null=True, min_value=-90, max_value=90
    )
    lng = serializers.DecimalField(
        max_digits=10,
        decimal_places=6,
        required=False,
        allow_null=True,
        min_value=-180,
        max_value=180,
    )
    address = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.NORMAL)
    source = serializers.ChoiceField(choices=Source.choices, default=Source.GRID_PATROL)  # type: ignore[assignment]  # Field.source
    reporter_name = serializers.CharField(
        max_length=60, required=False, allow_blank=True, default=""
    )
    reporter_phone = serializers.RegexField(
        REPORTER_PHONE_PATTERN, required=False, allow_blank=True, default=""
    )
    photos = serializers.ListField(
        child=serializers.FileField(), required=False, default=list, max_length=9
    )


class NoteSerializer(serializers.Serializer[Any]):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)


class RequiredNoteSerializer(serializers.Serializer[Any]):
    note = serializers.CharField(max_length=4000)


class ResultSerializer(serializers.Serializer[Any]):
    result = serializers.CharField(max_length=4000)
    photos = serializers.ListField(
        child=serializers.FileField(), required=False, default=list, max_length=9
    )


class ProgressSerializer(serializers.Serializer[Any]):
    note = serializers.CharField(max_length=4000)
    photos = serializers.ListField(
        child=serializers.FileField(), required=False, default=list, max_length=9
    )


class WhistleSerializer(serializers.Serializer[Any]):
    whistle_type = serializers.ChoiceField(choices=WhistleType.choices)
    lead = serializers.PrimaryKeyRelatedField(queryset=Department.objects.all())
    assists = serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.all(), many=True, required=False, default=list
    )
    informs = serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.all(), many=True, required=False, default=list
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)


class ReturnSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=4000)
    legal_basis = serializers.CharField(max_length=4000)


class ReviewSerializer(serializers.Serializer[Any]):
    request = serializers.IntegerField(help_text="id of the pending request")
    approve = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)


class CallbackSerializer(serializers.Serializer[Any]):
    contacted = serializers.BooleanField(default=True)
    resolution = serializers.ChoiceField(
        choices=Resolution.choices, required=False, allow_blank=True, default=""
    )
    satisfaction = serializers.ChoiceField(
        choices=Satisfaction.choices, required=False, allow_blank=True, default=""
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)


class ReopenSerializer(serializers.Serializer[Any]):
    """重办: the resident was reached and is unsatisfied."""

    resolution = serializers.ChoiceField(choices=Resolution.choices)
    note = serializers.CharField(max_length=4000)


class ExtensionSerializer(serializers.Serializer[Any]):
    requested_due_at = dates.DateTimeField()  # years 1900–2999: no overflow
    reason = serializers.CharField(max_length=4000)
    legal_basis = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=4000
    )


class OnAccountSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=4000)


class SuperviseSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=SupervisionKind.choices, default=SupervisionKind.LEADER)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)


class RoutingSuggestionSerializer(serializers.Serializer[Any]):
    department = TicketDepartmentSerializer()
    role = serializers.ChoiceField(choices=DispatchRole.choices)
    rule = serializers.SerializerMethodField()

    def get_rule(self, obj: RoutingRule) -> dict[str, Any]:
        return {
            "id": obj.pk,
            "order": obj.order,
            "area": obj.area.name,
            "category": obj.category.name if obj.category else None,
            "note": obj.note,
        }


class DispatchQueueSerializer(DispatchSerializer):
    ticket = TicketListSerializer(read_only=True)

    class Meta(DispatchSerializer.Meta):
        fields = [*DispatchSerializer.Meta.fields, "ticket"]
        read_only_fields = fields


class SupervisionItemSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    number = serializers.CharField()
    state = serializers.CharField()
    urgency = serializers.CharField()
    category = serializers.CharField()
    grid = serializers.CharField()
    street = serializers.CharField()
    departments = serializers.ListField(child=serializers.CharField())
    supervised = serializers.BooleanField()
    overdue_since = serializers.DateTimeField(allow_null=True)
    overdue_minutes = serializers.IntegerField(allow_null=True)


class SupervisionGroupSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    overdue = serializers.IntegerField()
    supervised = serializers.IntegerField()


class SupervisionSummarySerializer(serializers.Serializer[Any]):
    by_street = SupervisionGroupSerializer(many=True)
    by_department = SupervisionGroupSerializer(many=True)
    total = serializers.IntegerField()
