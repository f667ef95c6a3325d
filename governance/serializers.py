from __future__ import annotations

from rest_framework import serializers

from governance.models import Area, Department, Post


class AreaSerializer(serializers.ModelSerializer[Area]):
    parent = serializers.SerializerMethodField()  # type: ignore[assignment]  # Field.parent
    level_display = serializers.CharField(source="get_level_display", read_only=True)
    merged_into: serializers.PrimaryKeyRelatedField[Area] = serializers.PrimaryKeyRelatedField(
        read_only=True
    )

    class Meta:
        model = Area
        fields = [
            "id",
            "code",
            "name",
            "level",
            "level_display",
            "parent",
            "depth",
            "path",
            "numchild",
            "is_active",
            "merged_into",
            "retired_at",
        ]
        read_only_fields = fields

    def get_parent(self, obj: Area) -> int | None:
        """The parent's id, from the ``parent_ids`` map the view fills (no query per row)."""
        if obj.depth <= 1:
            return None
        parent_ids: dict[str, int] = self.context.get("parent_ids", {})
        return parent_ids.get(obj.path[: -Area.steplen])


class AreaBriefSerializer(serializers.ModelSerializer[Area]):
    class Meta:
        model = Area
        fields = ["id", "code", "name", "level"]
        read_only_fields = fields


class DepartmentSerializer(serializers.ModelSerializer[Department]):
    area = AreaBriefSerializer(read_only=True)
    stationed_at = AreaBriefSerializer(read_only=True)

    class Meta:
        model = Department
        fields = ["id", "name", "short_name", "area", "stationed_at", "is_active"]
        read_only_fields = fields


class DepartmentBriefSerializer(serializers.ModelSerializer[Department]):
    class Meta:
        model = Department
        fields = ["id", "name", "area_id"]
        read_only_fields = fields


class PostSerializer(serializers.ModelSerializer[Post]):
    role_display = serializers.CharField(source="get_role_display", read_only=True)
    area = AreaBriefSerializer(read_only=True)
    department = DepartmentBriefSerializer(read_only=True)

    class Meta:
        model = Post
        fields = ["id", "role", "role_display", "title", "area", "department", "started_at"]
        read_only_fields = fields


class MeSerializer(serializers.Serializer[object]):
    id = serializers.IntegerField()
    username = serializers.CharField()
    display_name = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    posts = PostSerializer(many=True)
    is_superuser = serializers.BooleanField()
