from __future__ import annotations

import math
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from governance.serializers import AreaBriefSerializer
from grids.geography.models import GridKind, GridProfile, GridSubtype


class GridProfileSerializer(serializers.ModelSerializer[GridProfile]):
    grid = AreaBriefSerializer(read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    subtype_display = serializers.CharField(source="get_subtype_display", read_only=True)
    bbox = serializers.SerializerMethodField()

    class Meta:
        model = GridProfile
        fields = [
            "id",
            "grid",
            "kind",
            "kind_display",
            "subtype",
            "subtype_display",
            "households",
            "population",
            "boundary",
            "area_m2",
            "bbox",
            "updated_at",
        ]
        read_only_fields = fields

    def get_bbox(self, obj: GridProfile) -> list[float] | None:
        """[min_lng, min_lat, max_lng, max_lat] (GeoJSON order), or null without a boundary."""
        if obj.min_lng is None or obj.min_lat is None or obj.max_lng is None or obj.max_lat is None:
            return None
        return [obj.min_lng, obj.min_lat, obj.max_lng, obj.max_lat]


class GridWarningSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    message = serializers.CharField()
    extra = serializers.DictField()


class GridProfileSavedSerializer(GridProfileSerializer):
    """The saved profile plus advisory warnings (overlaps, sizing guidance)."""

    warnings = GridWarningSerializer(many=True, read_only=True)

    class Meta(GridProfileSerializer.Meta):
        fields = [*GridProfileSerializer.Meta.fields, "warnings"]
        read_only_fields = fields


class GridProfileInputSerializer(serializers.Serializer[Any]):
    """Shape checks only; the rules live in grid_profile_set."""

    kind = serializers.ChoiceField(choices=GridKind.choices)
    subtype = serializers.ChoiceField(
        choices=GridSubtype.choices, required=False, allow_blank=True, default=""
    )
    households = serializers.IntegerField(min_value=0)
    population = serializers.IntegerField(min_value=0)
    boundary = serializers.JSONField(
        allow_null=True,
        required=False,
        default=None,
        help_text=_("GeoJSON Polygon: {'type': 'Polygon', 'coordinates': [[[lng, lat], …]]}."),
    )


class LocateQuerySerializer(serializers.Serializer[Any]):
    lat = serializers.FloatField(min_value=-90, max_value=90)
    lng = serializers.FloatField(min_value=-180, max_value=180)

    def _finite(self, value: float) -> float:
        if not math.isfinite(value):
            raise serializers.ValidationError(_("A valid number is required."))
        return value

    def validate_lat(self, value: float) -> float:
        return self._finite(value)

    def validate_lng(self, value: float) -> float:
        return self._finite(value)


class AncestorSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    level = serializers.CharField()


class LocateResultSerializer(serializers.Serializer[Any]):
    grid = AncestorSerializer()
    ancestors = AncestorSerializer(many=True)
