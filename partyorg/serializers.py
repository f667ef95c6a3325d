"""Serializers: shape only. Rules live in partyorg.actions.

Lists always mask phone and ID numbers; detail views show them in full only
when the view puts ``show_personal=True`` in the context (managers of the
organisation's area).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core import dates
from core.logging import mask_id_number, mask_phone
from governance.serializers import AreaBriefSerializer
from partyorg.models import (
    Gender,
    JointCommitteeMember,
    OrgKind,
    PartyMember,
    PartyOrg,
    RotationPeriod,
)


class MemberBriefSerializer(serializers.ModelSerializer[PartyMember]):
    class Meta:
        model = PartyMember
        fields = ["id", "name"]
        read_only_fields = fields


class PartyOrgBriefSerializer(serializers.ModelSerializer[PartyOrg]):
    class Meta:
        model = PartyOrg
        fields = ["id", "kind", "name", "area_id"]
        read_only_fields = fields


class PartyOrgSerializer(serializers.ModelSerializer[PartyOrg]):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    area = AreaBriefSerializer(read_only=True)
    parent = serializers.SerializerMethodField()  # type: ignore[assignment]  # Field.parent
    secretary = MemberBriefSerializer(read_only=True)
    member_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = PartyOrg
        fields = [
            "id",
            "kind",
            "kind_display",
            "name",
            "area",
            "parent",
            "depth",
            "secretary",
            "established_on",
            "is_active",
            "member_count",
        ]
        read_only_fields = fields

    def get_parent(self, obj: PartyOrg) -> int | None:
        """The parent's id from the ``parent_ids`` map the view fills (no query per row)."""
        if obj.depth <= 1:
            return None
        parent_ids: dict[str, int] = self.context.get("parent_ids", {})
        return parent_ids.get(obj.path[: -PartyOrg.steplen])


class PartyOrgCreateSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=OrgKind.choices)
    name = serializers.CharField(max_length=100)
    area = serializers.IntegerField()
    parent = serializers.IntegerField(required=False, allow_null=True)  # type: ignore[assignment]  # Field.parent
    established_on = dates.DateField(required=False, allow_null=True)


class PartyOrgUpdateSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=100, required=False)
    established_on = dates.DateField(required=False, allow_null=True)
    secretary = serializers.IntegerField(required=False, allow_null=True)
    is_active = serializers.BooleanField(required=False)


class PartyMemberSerializer(serializers.ModelSerializer[PartyMember]):
    organisation = PartyOrgBriefSerializer(read_only=True)
    residence_community = AreaBriefSerializer(read_only=True)
    phone = serializers.SerializerMethodField()
    id_number = serializers.SerializerMethodField()

    class Meta:
        model = PartyMember
        fields = [
            "id",
            "name",
            "gender",
            "phone",
            "id_number",
            "joined_on",
            "in_service",
            "employer",
            "organisation",
            "residence_community",
            "is_active",
        ]
        read_only_fields = fields

    def get_phone(self, obj: PartyMember) -> str:
        return obj.phone if self.context.get("show_personal") else mask_phone(obj.phone)

    def get_id_number(self, obj: PartyMember) -> str:
        return obj.id_number if self.context.get("show_personal") else mask_id_number(obj.id_number)


class PartyMemberCreateSerializer(serializers.Serializer[Any]):
    organisation = serializers.IntegerField()
    name = serializers.CharField(max_length=50)
    gender = serializers.ChoiceField(choices=Gender.choices, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    id_number = serializers.CharField(max_length=18, required=False, allow_blank=True)
    joined_on = dates.DateField(required=False, allow_null=True)
    in_service = serializers.BooleanField(required=False, default=False)
    employer = serializers.CharField(max_length=100, required=False, allow_blank=True)
    residence_community = serializers.IntegerField(required=False, allow_null=True)


class PartyMemberUpdateSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=50, required=False)
    gender = serializers.ChoiceField(choices=Gender.choices, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    id_number = serializers.CharField(max_length=18, required=False, allow_blank=True)
    joined_on = dates.DateField(required=False, allow_null=True)
    in_service = serializers.BooleanField(required=False)
    employer = serializers.CharField(max_length=100, required=False, allow_blank=True)
    residence_community = serializers.IntegerField(required=False, allow_null=True)
    is_active = serializers.BooleanField(required=False)


class PartyMemberTransferSerializer(serializers.Serializer[Any]):
    organisation = serializers.IntegerField()
    note = serializers.CharField(required=False, allow_blank=True, default="")


class JointCommitteeMemberSerializer(serializers.ModelSerializer[JointCommitteeMember]):
    phone = serializers.SerializerMethodField()

    class Meta:
        model = JointCommitteeMember
        fields = [
            "id",
            "unit_name",
            "person_name",
            "position",
            "phone",
            "term_start",
            "term_end",
        ]
        read_only_fields = fields

    def get_phone(self, obj: JointCommitteeMember) -> str:
        return mask_phone(obj.phone)


class ChairTermSerializer(serializers.Serializer[Any]):
    unit_name = serializers.CharField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()


class JointCommitteeSerializer(PartyOrgSerializer):
    current_chair = serializers.SerializerMethodField()
    upcoming_chairs = serializers.SerializerMethodField()

    class Meta(PartyOrgSerializer.Meta):
        fields = [*PartyOrgSerializer.Meta.fields, "current_chair", "upcoming_chairs"]
        read_only_fields = fields

    @extend_schema_field(ChairTermSerializer(allow_null=True))
    def get_current_chair(self, obj: PartyOrg) -> dict[str, Any] | None:
        """The unit chairing the joint meeting on the view's date (``None`` before any rotation)."""
        current, _upcoming = self.context.get("chair_terms", {}).get(obj.pk, (None, []))
        return dict(ChairTermSerializer(current).data) if current else None

    @extend_schema_field(ChairTermSerializer(many=True))
    def get_upcoming_chairs(self, obj: PartyOrg) -> list[dict[str, Any]]:
        _current, upcoming = self.context.get("chair_terms", {}).get(obj.pk, (None, []))
        return [dict(ChairTermSerializer(t).data) for t in upcoming]


class JointMemberCreateSerializer(serializers.Serializer[Any]):
    unit_name = serializers.CharField(max_length=100)
    person_name = serializers.CharField(max_length=50)
    position = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    term_start = dates.DateField()
    term_end = dates.DateField(required=False, allow_null=True, default=None)


class JointMemberUpdateSerializer(serializers.Serializer[Any]):
    """Every field optional; ``term_end`` ends the term (null reopens it)."""

    position = serializers.CharField(max_length=60, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    term_start = dates.DateField(required=False)
    term_end = dates.DateField(required=False, allow_null=True)


class JointRotationSerializer(serializers.Serializer[Any]):
    units = serializers.ListField(child=serializers.CharField(max_length=100), min_length=1)
    period = serializers.ChoiceField(choices=RotationPeriod.choices)
    starts_on = dates.DateField()


class CoverageGridSerializer(serializers.Serializer[Any]):
    grid = AreaBriefSerializer()
    status = serializers.ChoiceField(choices=["branch", "group_only", "none"])
    members = serializers.IntegerField()


class CoverageTotalsSerializer(serializers.Serializer[Any]):
    grids = serializers.IntegerField()
    with_branch = serializers.IntegerField()
    group_only = serializers.IntegerField()
    none = serializers.IntegerField()
    members = serializers.IntegerField()


class CoverageSerializer(serializers.Serializer[Any]):
    area = AreaBriefSerializer()
    grids = CoverageGridSerializer(many=True)
    totals = CoverageTotalsSerializer()
