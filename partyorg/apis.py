"""REST endpoints for Party organisations, members, joint committees and coverage.

Flow: validate → access (404 outside the caller's scope) → action/selector →
serialize. Lists are cursor-paginated with a constant number of queries.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, mixins, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.dates import date_in_range
from core.errors import NotFound, ValidationFailed
from core.filters import IdFilter
from core.pagination import DefaultCursorPagination
from governance.access import access_area
from governance.models import Area, AreaLevel
from partyorg import actions
from partyorg.access import (
    access_coverage_area,
    access_joint_committee,
    access_party_member,
    access_party_org,
    can_see_personal_data,
)
from partyorg.models import JointCommitteeMember, OrgKind, PartyMember, PartyOrg
from partyorg.selectors import (
    ChairTerm,
    chair_schedules,
    coverage_report,
    joint_committee_list,
    joint_member_list,
    parent_ids,
    party_member_list,
    party_org_list,
)
from partyorg.serializers import (
    CoverageSerializer,
    JointCommitteeMemberSerializer,
    JointCommitteeSerializer,
    JointMemberCreateSerializer,
    JointMemberUpdateSerializer,
    JointRotationSerializer,
    PartyMemberCreateSerializer,
    PartyMemberSerializer,
    PartyMemberTransferSerializer,
    PartyMemberUpdateSerializer,
    PartyOrgCreateSerializer,
    PartyOrgSerializer,
    PartyOrgUpdateSerializer,
)


def _area_subtree(queryset: QuerySet[Any], prefix: str, area_id: int) -> QuerySet[Any]:
    path = Area.objects.filter(pk=area_id).values_list("path", flat=True).first()
    if path is None:
        return queryset.none()
    return queryset.filter(**{f"{prefix}path__startswith": path})


def _parse_date(value: str | None, field: str = "on") -> dt.date:
    if not value:
        return timezone.localdate()
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        day = None
    if day is None or not date_in_range(day):
        raise ValidationFailed(extra={"fields": {field: [_("Enter a date as YYYY-MM-DD.")]}})
    return day


class OrgCursorPagination(DefaultCursorPagination):
    ordering = "path"  # Party tree order; unique


class IdCursorPagination(DefaultCursorPagination):
    ordering = "id"


class PartyOrgFilter(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=OrgKind.choices)
    area = IdFilter(method="filter_area", label="area id (its whole subtree)")
    parent = IdFilter(method="filter_parent", label="parent organisation id")
    name = django_filters.CharFilter(field_name="name", lookup_expr="icontains")
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = PartyOrg
        fields = ["kind", "area", "parent", "name", "is_active"]

    def filter_area(
        self, queryset: QuerySet[PartyOrg], name: str, value: int
    ) -> QuerySet[PartyOrg]:
        return _area_subtree(queryset, "area__", value)

    def filter_parent(
        self, queryset: QuerySet[PartyOrg], name: str, value: int
    ) -> QuerySet[PartyOrg]:
        parent = PartyOrg.objects.filter(pk=value).values_list("path", "depth").first()
        if parent is None:
            return queryset.none()
        return queryset.filter(path__startswith=parent[0], depth=parent[1] + 1)


class _OrgPageMixin:
    def _page_response(self, queryset: QuerySet[PartyOrg]) -> Response:
        view: Any = self
        page = view.paginate_queryset(queryset)
        rows = page if page is not None else list(queryset)
        context = view.get_serializer_context() | self._extra_context(rows)
        data = view.get_serializer_class()(rows, many=True, context=context).data
        return view.get_paginated_response(data) if page is not None else Response(data)

    def _extra_context(self, rows: list[PartyOrg]) -> dict[str, Any]:
        return {"parent_ids": parent_ids(rows)}


class PartyOrgViewSet(
    _OrgPageMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[PartyOrg],
):
    """Party organisations on the areas the caller reads (404 outside)."""

    serializer_class = PartyOrgSerializer
    filterset_class = PartyOrgFilter
    pagination_class = OrgCursorPagination

    def get_queryset(self) -> QuerySet[PartyOrg]:
        return party_org_list(user=self.request.user)

    def get_object(self) -> PartyOrg:
        return access_party_org(self.request.user, self.kwargs["pk"])

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._page_response(self.filter_queryset(self.get_queryset()))

    def _one(self, org: PartyOrg, status: int = 200) -> Response:
        org = access_party_org(self.request.user, org.pk)  # fresh, with member_count
        context = self.get_serializer_context() | {"parent_ids": parent_ids([org])}
        return Response(PartyOrgSerializer(org, context=context).data, status=status)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._one(self.get_object())

    @extend_schema(request=PartyOrgCreateSerializer, responses={201: PartyOrgSerializer})
    def create(self, request: Request) -> Response:
        form = PartyOrgCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        area = access_area(request.user, data["area"])
        parent = access_party_org(request.user, data["parent"]) if data.get("parent") else None
        org = actions.party_org_create(
            kind=data["kind"],
            name=data["name"],
            area=area,
            parent=parent,
            established_on=data.get("established_on"),
            actor=request.user,
        )
        return self._one(org, status=201)

    @extend_schema(request=PartyOrgUpdateSerializer, responses=PartyOrgSerializer)
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        form = PartyOrgUpdateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        org = access_party_org(request.user, self.kwargs["pk"], for_write=True)
        kwargs: dict[str, Any] = {}
        if "name" in data:
            kwargs["name"] = data["name"]
        if "established_on" in data:
            kwargs["established_on"] = data["established_on"]
        if "is_active" in data:
            kwargs["is_active"] = data["is_active"]
        if "secretary" in data:
            kwargs["secretary"] = (
                access_party_member(request.user, data["secretary"])
                if data["secretary"] is not None
                else None
            )
        org = actions.party_org_update(org=org, actor=request.user, **kwargs)
        return self._one(org)


class PartyMemberFilter(django_filters.FilterSet):
    organisation = IdFilter(field_name="organisation_id")
    area = IdFilter(method="filter_area", label="area id (members of organisations in its subtree)")
    residence_community = IdFilter(field_name="residence_community_id")
    in_service = django_filters.BooleanFilter()
    is_active = django_filters.BooleanFilter()
    name = django_filters.CharFilter(field_name="name", lookup_expr="icontains")

    class Meta:
        model = PartyMember
        fields = ["organisation", "area", "residence_community", "in_service", "is_active", "name"]

    def filter_area(
        self, queryset: QuerySet[PartyMember], name: str, value: int
    ) -> QuerySet[PartyMember]:
        return _area_subtree(queryset, "organisation__area__", value)


def _community(area_id: int | None) -> Area | None:
    """A residence community: any community (members may live outside the caller's area)."""
    if area_id is None:
        return None
    area = Area.objects.filter(pk=area_id, level=AreaLevel.COMMUNITY).first()
    if area is None:
        raise ValidationFailed(
            extra={"fields": {"residence_community": [_("Choose an existing community.")]}}
        )
    return area


class PartyMemberViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[PartyMember],
):
    """Party members of the organisations the caller reads. Lists mask phone and ID."""

    serializer_class = PartyMemberSerializer
    filterset_class = PartyMemberFilter
    pagination_class = IdCursorPagination

    def get_queryset(self) -> QuerySet[PartyMember]:
        return party_member_list(user=self.request.user)

    def get_object(self) -> PartyMember:
        return access_party_member(self.request.user, self.kwargs["pk"])

    def _one(self, member: PartyMember, status: int = 200) -> Response:
        member = access_party_member(self.request.user, member.pk)
        context = self.get_serializer_context() | {
            "show_personal": can_see_personal_data(self.request.user, member.organisation)
        }
        return Response(PartyMemberSerializer(member, context=context).data, status=status)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._one(self.get_object())

    @extend_schema(request=PartyMemberCreateSerializer, responses={201: PartyMemberSerializer})
    def create(self, request: Request) -> Response:
        form = PartyMemberCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        organisation = access_party_org(request.user, data.pop("organisation"))
        residence = _community(data.pop("residence_community", None))
        member = actions.party_member_add(
            organisation=organisation,
            residence_community=residence,
            actor=request.user,
            **data,
        )
        return self._one(member, status=201)

    @extend_schema(request=PartyMemberUpdateSerializer, responses=PartyMemberSerializer)
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        form = PartyMemberUpdateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        member = access_party_member(request.user, self.kwargs["pk"], for_write=True)
        if "residence_community" in data:
            data["residence_community"] = _community(data["residence_community"])
        member = actions.party_member_update(member=member, actor=request.user, **data)
        return self._one(member)

    @extend_schema(request=PartyMemberTransferSerializer, responses=PartyMemberSerializer)
    @action(detail=True, methods=["post"], filterset_class=None, pagination_class=None)
    def transfer(self, request: Request, pk: str | None = None) -> Response:
        form = PartyMemberTransferSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        member = access_party_member(request.user, self.kwargs["pk"], for_write=True)
        target = access_party_org(request.user, form.validated_data["organisation"])
        member = actions.party_member_transfer(
            member=member,
            organisation=target,
            actor=request.user,
            note=form.validated_data["note"],
        )
        return self._one(member)


class JointMemberCursorPagination(DefaultCursorPagination):
    ordering = "id"


_ON_PARAM = OpenApiParameter(
    "on", OpenApiTypes.DATE, description="Date to evaluate (default: today)"
)


class JointCommitteeViewSet(_OrgPageMixin, viewsets.ReadOnlyModelViewSet[PartyOrg]):
    """Joint committees (大工委/大党委): current chair and the next rotations."""

    serializer_class = JointCommitteeSerializer
    filterset_class = PartyOrgFilter
    pagination_class = OrgCursorPagination

    def get_queryset(self) -> QuerySet[PartyOrg]:
        return joint_committee_list(user=self.request.user)

    def get_object(self) -> PartyOrg:
        return access_joint_committee(self.request.user, self.kwargs["pk"])

    def _extra_context(self, rows: list[PartyOrg]) -> dict[str, Any]:
        on = _parse_date(self.request.query_params.get("on"))
        try:
            count = max(1, min(12, int(self.request.query_params.get("count", 4))))
        except ValueError:
            count = 4
        schedules = chair_schedules(rows, on, count=count + 1)
        terms: dict[int, tuple[ChairTerm | None, list[ChairTerm]]] = {}
        for pk, schedule in schedules.items():
            if schedule and schedule[0].starts_on <= on:
                terms[pk] = (schedule[0], schedule[1:])
            else:
                terms[pk] = (None, schedule[:count])
        return super()._extra_context(rows) | {"chair_terms": terms}

    @extend_schema(parameters=[_ON_PARAM])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._page_response(self.filter_queryset(self.get_queryset()))

    @extend_schema(
        parameters=[
            _ON_PARAM,
            OpenApiParameter("count", OpenApiTypes.INT, description="Upcoming terms (1–12)"),
        ]
    )
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        committee = self.get_object()
        context = self.get_serializer_context() | self._extra_context([committee])
        return Response(JointCommitteeSerializer(committee, context=context).data)

    @extend_schema(
        methods=["GET"],
        parameters=[
            _ON_PARAM,
            OpenApiParameter(
                "current", OpenApiTypes.BOOL, description="Only terms covering the date (default)"
            ),
        ],
        responses=JointCommitteeMemberSerializer(many=True),
    )
    @extend_schema(
        methods=["POST"],
        parameters=[],
        request=JointMemberCreateSerializer,
        responses={201: JointCommitteeMemberSerializer},
        description="Add a part-time member (兼职委员) from a resident unit.",
    )
    @action(
        detail=True,
        methods=["get", "post"],
        filterset_class=None,
        pagination_class=JointMemberCursorPagination,
    )
    def members(self, request: Request, pk: str | None = None) -> Response:
        if request.method == "POST":
            form = JointMemberCreateSerializer(data=request.data)
            form.is_valid(raise_exception=True)
            committee = access_joint_committee(request.user, self.kwargs["pk"], for_write=True)
            member = actions.joint_member_add(
                committee=committee, actor=request.user, **form.validated_data
            )
            return Response(JointCommitteeMemberSerializer(member).data, status=201)
        committee = self.get_object()
        current_only = request.query_params.get("current", "true").lower() not in ("false", "0")
        queryset: QuerySet[JointCommitteeMember] = joint_member_list(
            committee=committee,
            on=_parse_date(request.query_params.get("on")),
            current_only=current_only,
        )
        # The viewset is typed for committees; this action pages their members.
        page = self.paginate_queryset(queryset)  # type: ignore[arg-type]
        rows = page if page is not None else list(queryset)
        data = JointCommitteeMemberSerializer(rows, many=True).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    @extend_schema(
        request=JointMemberUpdateSerializer,
        responses=JointCommitteeMemberSerializer,
        description="Change a member's post, phone or term; a term_end ends the term.",
    )
    @action(
        detail=True,
        methods=["patch"],
        url_path=r"members/(?P<member_id>[0-9]{1,18})",
        filterset_class=None,
        pagination_class=None,
    )
    def member(self, request: Request, pk: str | None = None, member_id: str = "") -> Response:
        form = JointMemberUpdateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        committee = access_joint_committee(request.user, self.kwargs["pk"], for_write=True)
        try:
            row = committee.joint_members.get(pk=int(member_id))
        except (JointCommitteeMember.DoesNotExist, ValueError):
            raise NotFound(
                _("Joint committee member not found."), code="joint_member_not_found"
            ) from None
        row = actions.joint_member_update(member=row, actor=request.user, **form.validated_data)
        return Response(JointCommitteeMemberSerializer(row).data)

    @extend_schema(
        request=JointRotationSerializer,
        responses={201: JointCommitteeSerializer},
        description="Set the chairing order of the joint meeting (联席会议轮值) from a date.",
    )
    @action(detail=True, methods=["post"], filterset_class=None, pagination_class=None)
    def rotation(self, request: Request, pk: str | None = None) -> Response:
        form = JointRotationSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        committee = access_joint_committee(request.user, self.kwargs["pk"], for_write=True)
        actions.joint_rotation_set(committee=committee, actor=request.user, **form.validated_data)
        committee = self.get_object()
        context = self.get_serializer_context() | self._extra_context([committee])
        return Response(JointCommitteeSerializer(committee, context=context).data, status=201)


class CoverageView(generics.GenericAPIView[Any]):
    """Party coverage of the grids under an area: branch, group only, or none."""

    serializer_class = CoverageSerializer
    pagination_class = None

    @extend_schema(
        parameters=[OpenApiParameter("area", OpenApiTypes.INT, required=True)],
        responses=CoverageSerializer,
    )
    def get(self, request: Request) -> Response:
        area_id = request.query_params.get("area")
        if not area_id:
            raise ValidationFailed(extra={"fields": {"area": [_("This field is required.")]}})
        area = access_coverage_area(request.user, area_id)
        return Response(coverage_report(user=request.user, area=area))
