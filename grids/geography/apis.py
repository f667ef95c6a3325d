"""REST endpoints for grid geography: profiles and point → grid lookup.

validate → access → action/selector → serialize, as everywhere.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response

from core.errors import NotFound
from core.filters import IdFilter
from core.pagination import DefaultCursorPagination
from governance.models import Area
from grids.geography import actions, lookup
from grids.geography.access import access_grid, access_grid_profile
from grids.geography.models import GridKind, GridProfile, GridSubtype
from grids.geography.selectors import grid_ancestors, grid_profile_list
from grids.geography.serializers import (
    AncestorSerializer,
    GridProfileInputSerializer,
    GridProfileSavedSerializer,
    GridProfileSerializer,
    LocateQuerySerializer,
    LocateResultSerializer,
)


class GridProfileFilter(django_filters.FilterSet):
    area = IdFilter(method="filter_area", label="area id (subtree)")
    kind = django_filters.ChoiceFilter(choices=GridKind.choices)
    subtype = django_filters.ChoiceFilter(choices=GridSubtype.choices)

    class Meta:
        model = GridProfile
        fields = ["area", "kind", "subtype"]

    def filter_area(
        self, queryset: QuerySet[GridProfile], name: str, value: int
    ) -> QuerySet[GridProfile]:
        # The scope is already applied to ``queryset``; an unknown or
        # unreadable area simply yields an empty page.
        path = Area.objects.filter(pk=value).values_list("path", flat=True).first()
        if path is None:
            return queryset.none()
        return queryset.filter(grid__path__startswith=path)


class GridProfilePagination(DefaultCursorPagination):
    ordering = "grid_path"  # tree order; unique (one profile per grid)


class GridProfileListView(generics.ListAPIView[GridProfile]):
    """Grid profiles (kind, size, boundary) in the caller's scope, tree order."""

    serializer_class = GridProfileSerializer
    filterset_class = GridProfileFilter
    pagination_class = GridProfilePagination

    def get_queryset(self) -> QuerySet[GridProfile]:
        return grid_profile_list(user=self.request.user)


class GridProfileView(generics.GenericAPIView[GridProfile]):
    """One grid's profile: read it (scope), or set it (managers of the grid)."""

    serializer_class = GridProfileSerializer
    pagination_class = None
    filter_backends: list[Any] = []

    @extend_schema(responses=GridProfileSerializer)
    def get(self, request: Request, area_id: int) -> Response:
        profile = access_grid_profile(request.user, area_id)
        return Response(GridProfileSerializer(profile).data)

    @extend_schema(
        request=GridProfileInputSerializer,
        responses={200: GridProfileSavedSerializer, 201: GridProfileSavedSerializer},
    )
    def put(self, request: Request, area_id: int) -> Response:
        data = GridProfileInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        grid = access_grid(request.user, area_id, for_write=True)
        saved = actions.grid_profile_set(grid=grid, actor=request.user, **data.validated_data)
        body = GridProfileSerializer(saved.profile).data | {"warnings": saved.warnings}
        return Response(body, status=201 if saved.created else 200)


class GridLocateView(generics.GenericAPIView[Any]):
    """The grid containing a point, with its ancestors (city first).

    Open to every authenticated user: grid names and codes are public
    geography, not personal data (docs/decisions/0008-grid-lookup.md).
    """

    serializer_class = LocateResultSerializer
    pagination_class = None
    filter_backends: list[Any] = []

    @extend_schema(
        parameters=[
            OpenApiParameter("lat", float, required=True, description="latitude, degrees"),
            OpenApiParameter("lng", float, required=True, description="longitude, degrees"),
        ],
        responses=LocateResultSerializer,
    )
    def get(self, request: Request) -> Response:
        query = LocateQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        grid = lookup.grid_at(query.validated_data["lat"], query.validated_data["lng"])
        if grid is None:
            raise NotFound(_("No grid contains this point."), code="point_outside_grids")
        ancestors = grid_ancestors(grid)
        return Response(
            {
                "grid": AncestorSerializer(grid).data,
                "ancestors": AncestorSerializer(ancestors, many=True).data,
            }
        )
