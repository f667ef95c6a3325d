from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.identity import REPORTER_PHONE_PATTERN
from core.models import Delivery
from integrations.models import WebhookDelivery, WebhookEvent, WebhookSubscription
from services.models import Urgency


class HotlineIntakeSerializer(serializers.Serializer[Any]):
    external_no = serializers.CharField(max_length=64, help_text="the hotline's work order number")
    category_code = serializers.CharField(max_length=40, help_text="the hotline's category code")
    description = serializers.CharField(max_length=4000)
    area_code = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    area_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
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
    reporter_name = serializers.CharField(
        max_length=60, required=False, allow_blank=True, default=""
    )
    reporter_phone = serializers.RegexField(
        REPORTER_PHONE_PATTERN, required=False, allow_blank=True, default=""
    )


class HotlineIntakeResultSerializer(serializers.Serializer[Any]):
    ticket = serializers.IntegerField()
    number = serializers.CharField()
    external_no = serializers.CharField()
    state = serializers.CharField()
    created = serializers.BooleanField(help_text="false when the work order was taken in before")


class WebhookSerializer(serializers.ModelSerializer[WebhookSubscription]):
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEvent.choices), min_length=1, max_length=20
    )
    url = serializers.URLField(max_length=300)

    class Meta:
        model = WebhookSubscription
        fields = ["id", "url", "events", "is_active", "created_at"]
        read_only_fields = ["id", "created_at"]


class WebhookCreatedSerializer(WebhookSerializer):
    secret = serializers.CharField(
        read_only=True, help_text="HMAC-SHA256 key of X-Gridgov-Signature; shown once"
    )

    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "secret"]


class WebhookDeliverySerializer(serializers.ModelSerializer[WebhookDelivery]):
    state = serializers.ChoiceField(choices=Delivery.State.choices, source="delivery.state")
    attempts = serializers.IntegerField(source="delivery.attempts")
    next_attempt_at = serializers.SerializerMethodField()
    last_error = serializers.CharField(source="delivery.last_error")
    sent_at = serializers.DateTimeField(source="delivery.sent_at", allow_null=True)
    idempotency_key = serializers.CharField(source="delivery.idempotency_key")
    ticket = serializers.IntegerField(source="ticket_id", allow_null=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event",
            "ticket",
            "state",
            "attempts",
            "next_attempt_at",
            "last_error",
            "created_at",
            "sent_at",
            "idempotency_key",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_next_attempt_at(self, obj: WebhookDelivery) -> str | None:
        d = obj.delivery
        if d.state in (Delivery.State.PENDING, Delivery.State.FAILED):
            return serializers.DateTimeField().to_representation(d.next_attempt_at)
        return None
