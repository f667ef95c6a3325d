"""Cross-cutting API: deadline arithmetic, explained."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core import workcalendar


class DeadlineQuery(serializers.Serializer[Any]):
    start = serializers.DateTimeField(
        help_text="ISO 8601 with time zone, e.g. 2025-09-30T10:00:00+08:00"
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
