"""Cross-cutting API: deadline arithmetic, explained."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core import dates, workcalendar
from core.errors import NotFound
from core.models import Notification
from core.pagination import DefaultCursorPagination


class DeadlineQuery(serializers.Serializer[Any]):
    start = dates.DateTimeField(
        help_text="ISO 8601 with time zone, e.g. 2025-09-30T10:00:00+08:00 (years 1900–2999)"
    )
    amount = serializers.IntegerField(min_value=1, max_value=366)
    unit = serializers.ChoiceField(choices=workcalendar.UNITS)


class SkippedDay(serializers.Serializer[Any]):
    day = serializers.DateField()
    reason = serializers.CharField()
    name = serializers.CharField()
    provisional = serializers.BooleanField()


class DeadlineAnswer(serializers.Serializer[Any]):
    start = serializers.DateTimeField()
    amount = serializers.IntegerField()
    unit = serializers.CharField()
    due_at = serializers.DateTimeField()
    provisional = serializers.BooleanField()
    skipped = SkippedDay(many=True)


class DeadlineView(APIView):
    """When a deadline falls, and which days were skipped and why."""

    @extend_schema(
        parameters=[
            OpenApiParameter("start", str, required=True),
            OpenApiParameter("amount", int, required=True),
            OpenApiParameter("unit", str, required=True, enum=list(workcalendar.UNITS)),
        ],
        responses=DeadlineAnswer,
    )
    def get(self, request: Request) -> Response:
        query = DeadlineQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        deadline = workcalendar.add(data["start"], data["amount"], data["unit"])
        answer = {
            "start": data["start"],
            "amount": data["amount"],
            "unit": data["unit"],
            "due_at": deadline.due_at,
            "provisional": deadline.provisional,
            "skipped": [
                {"day": j.day, "reason": j.reason, "name": j.name, "provisional": j.provisional}
                for j in deadline.skipped
            ],
        }
        return Response(DeadlineAnswer(answer).data)


# --- inbox --------------------------------------------------------------------


class NotificationSerializer(serializers.ModelSerializer[Notification]):
    title = serializers.CharField(
        source="display_title", read_only=True, help_text="In the caller's language."
    )

    class Meta:
        model = Notification
        fields = ["id", "verb", "title", "body", "url", "data", "created_at", "read_at"]
        read_only_fields = fields


class UnreadCountSerializer(serializers.Serializer[Any]):
    unread = serializers.IntegerField()


class MarkedSerializer(serializers.Serializer[Any]):
    marked = serializers.IntegerField()


class InboxPagination(DefaultCursorPagination):
    ordering = ("-created_at", "-id")


class InboxViewSet(mixins.ListModelMixin, viewsets.GenericViewSet[Notification]):
    """The caller's notifications, newest first (``?unread=true`` to narrow)."""

    serializer_class = NotificationSerializer
    pagination_class = InboxPagination
    filterset_fields = ["verb"]

    def get_queryset(self) -> QuerySet[Notification]:
        qs = Notification.objects.filter(user_id=int(self.request.user.pk or 0))
        if self.request.query_params.get("unread") in ("1", "true"):
            qs = qs.filter(read_at__isnull=True)
        return qs

    @extend_schema(responses=UnreadCountSerializer)
    @action(detail=False, methods=["get"], pagination_class=None)
    def unread_count(self, request: Request) -> Response:
        return Response(
            {
                "unread": Notification.objects.filter(
                    user_id=int(request.user.pk or 0), read_at__isnull=True
                ).count()
            }
        )

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str) -> Response:
        from core.inbox import inbox_mark_read

        note = Notification.objects.filter(
            user_id=int(request.user.pk or 0), pk=int(pk) if pk.isdigit() else 0
        ).first()
        if note is None:
            raise NotFound(code="notification_not_found")
        return Response(
            NotificationSerializer(inbox_mark_read(notification=note, actor=request.user)).data
        )

    @extend_schema(request=None, responses=MarkedSerializer)
    @action(detail=False, methods=["post"], pagination_class=None)
    def read_all(self, request: Request) -> Response:
        count = Notification.objects.filter(
            user_id=int(request.user.pk or 0), read_at__isnull=True
        ).update(read_at=timezone.now())
        return Response({"marked": count})
