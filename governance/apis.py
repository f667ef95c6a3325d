"""REST endpoints for the tree, departments and the caller's own posts."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.filters import IdFilter
from core.pagination import DefaultCursorPagination
from governance.access import access_area
from governance.models import Area, AreaLevel, Department
from governance.selectors import area_children, area_list, department_list, post_list
from governance.serializers import (
    AreaSerializer,
    DepartmentSerializer,
    MeSerializer,
)


class TreeCursorPagination(DefaultCursorPagination):
    ordering = "path"  # tree order; unique


class AreaFilter(django_filters.FilterSet):
    level = django_filters.ChoiceFilter(choices=AreaLevel.choices)
    parent = IdFilter(method="filter_parent", label="parent area id")
    code = django_filters.CharFilter(
        field_name="code", lookup_expr="startswith", label="code prefix"
    )
    name = django_filters.CharFilter(field_name="name", lookup_expr="icontains")
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = Area
        fields = ["level", "parent", "code", "name", "is_active"]

    def filter_parent(self, queryset: QuerySet[Area], name: str, value: int) -> QuerySet[Area]:
        parent = Area.objects.filter(pk=value).values_list("path", "depth").first()
        if parent is None:
            return queryset.none()
        return queryset.filter(path__startswith=parent[0], depth=parent[1] + 1)


def _parent_ids(areas: list[Area]) -> dict[str, int]:
    """Parent ids for a page of areas in one query."""
    paths = {a.path[: -Area.steplen] for a in areas if a.depth > 1}
    return dict(Area.objects.filter(path__in=paths).values_list("path", "id"))


class AreaViewSet(viewsets.ReadOnlyModelViewSet[Area]):
    """The administrative tree, scoped to the caller's posts (404 outside)."""

    serializer_class = AreaSerializer
    filterset_class = AreaFilter
    pagination_class = TreeCursorPagination

    def get_queryset(self) -> QuerySet[Area]:
        return area_list(user=self.request.user)

    def get_object(self) -> Area:
        return access_area(self.request.user, self.kwargs["pk"])

    def _page_response(self, queryset: QuerySet[Area]) -> Response:
        page = self.paginate_queryset(queryset)
        rows = page if page is not None else list(queryset)
        context = self.get_serializer_context() | {"parent_ids": _parent_ids(rows)}
        data = AreaSerializer(rows, many=True, context=context).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._page_response(self.filter_queryset(self.get_queryset()))

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        area = self.get_object()
        context = self.get_serializer_context() | {"parent_ids": _parent_ids([area])}
        return Response(AreaSerializer(area, context=context).data)

    @extend_schema(responses=AreaSerializer(many=True))
    @action(detail=True, methods=["get"], filterset_class=None)
    def children(self, request: Request, pk: str | None = None) -> Response:
        area = self.get_object()
        return self._page_response(area_children(area=area, user=request.user).order_by("path"))


class DepartmentFilter(django_filters.FilterSet):
    area = IdFilter(field_name="area_id")
    stationed_at = IdFilter(field_name="stationed_at_id")
    name = django_filters.CharFilter(field_name="name", lookup_expr="icontains")
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = Department
        fields = ["area", "stationed_at", "name", "is_active"]


class DepartmentPagination(DefaultCursorPagination):
    ordering = "id"


class DepartmentViewSet(viewsets.ReadOnlyModelViewSet[Department]):
    serializer_class = DepartmentSerializer
    filterset_class = DepartmentFilter
    pagination_class = DepartmentPagination

    def get_queryset(self) -> QuerySet[Department]:
        return department_list(user=self.request.user)

    def get_object(self) -> Department:
        from governance.access import access_department

        return access_department(self.request.user, self.kwargs["pk"])


class MeView(generics.GenericAPIView[Any]):
    """The caller: account, roles and active posts."""

    serializer_class = MeSerializer
    pagination_class = None

    def get(self, request: Request) -> Response:
        user = request.user
        posts = list(post_list(user=user))
        data = {
            "id": user.pk,
            "username": user.get_username(),
            "display_name": (getattr(user, "get_full_name", lambda: "")() or user.get_username()),
            "roles": sorted({p.role for p in posts}),
            "posts": posts,
            "is_superuser": bool(getattr(user, "is_superuser", False)),
        }
        return Response(MeSerializer(data).data)
