"""REST endpoints for workers, rosters, compliance, import/export and visits.

Flow of every view: validate input → access → action/selector → serialize.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import django_filters
from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import ValidationFailed
from core.filters import DateFilter, IdFilter
from core.pagination import DefaultCursorPagination
from core.parsers import FormParser, JSONParser
from governance.models import Area
from governance.selectors import user_scope
from grids.rosters import actions, io
from grids.rosters.access import (
    access_grid,
    access_roster_area,
    access_roster_entry,
    access_worker,
)
from grids.rosters.models import RosterEntry, Visit, VisitKind, Worker
from grids.rosters.selectors import (
    reason_message,
    roster_compliance,
    roster_current,
    roster_export_rows,
    roster_history,
    user_manages_worker,
    visit_list,
    visit_stats,
    worker_list,
)
from grids.rosters.serializers import (
    AuditEntrySerializer,
    ComplianceReportSerializer,
    ImportReportSerializer,
    RosterAddSerializer,
    RosterEndSerializer,
    RosterEntrySerializer,
    VisitCreateSerializer,
    VisitSerializer,
    VisitStatsSerializer,
    WorkerSerializer,
    WorkerWriteSerializer,
)

_FILE_FORMATS = ("xlsx", "csv")
_MONTH = re.compile(r"^(19|2\d)\d{2}-(0[1-9]|1[0-2])$")  # 1900–2999


def _brief(area: Area) -> dict[str, Any]:
    return {"id": area.pk, "code": area.code, "name": area.name}


def _required_param(request: Request, name: str) -> str:
    value = request.query_params.get(name, "").strip()
    if not value:
        raise ValidationFailed(extra={"fields": {name: [_("This parameter is required.")]}})
    return value


def _file_format(request: Request) -> str:
    fmt = request.query_params.get("format", "xlsx").lower()
    if fmt not in _FILE_FORMATS:
        raise ValidationFailed(extra={"fields": {"format": [_("Choose xlsx or csv.")]}})
    return fmt


class _FileFormatMixin:
    """``?format=xlsx|csv`` names the file format, not a DRF renderer: never 404 on it."""

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        return super().perform_content_negotiation(request, force=True)  # type: ignore[misc]


def _attachment(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- Workers ---------------------------------------------------------------


class WorkerFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(field_name="name", lookup_expr="icontains")
    active = django_filters.BooleanFilter()
    grid = IdFilter(method="filter_grid", label="grid id (open entries)")

    class Meta:
        model = Worker
        fields = ["name", "active", "grid"]

    def filter_grid(self, queryset: QuerySet[Worker], name: str, value: int) -> QuerySet[Worker]:
        scope = user_scope(self.request.user)
        return queryset.filter(
            roster_entries__grid_id=value,
            roster_entries__grid__in=Area.objects.filter(scope.work_q()),
            roster_entries__end__isnull=True,
        ).distinct()


class WorkerPagination(DefaultCursorPagination):
    ordering = "id"


class WorkerViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[Worker],
):
    """Grid workers. Lists mask phone and ID number; the detail shows them in
    full to a roster administrator of one of the worker's grids."""

    serializer_class = WorkerSerializer
    filterset_class = WorkerFilter
    pagination_class = WorkerPagination
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Worker]:
        return worker_list(user=self.request.user)

    def _detail(self, worker: Worker, **kwargs: Any) -> Response:
        full = user_manages_worker(self.request.user, worker)
        return Response(WorkerSerializer(worker, context={"show_full": full}).data, **kwargs)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._detail(access_worker(request.user, kwargs["pk"]))

    @extend_schema(request=WorkerWriteSerializer, responses={201: WorkerSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = WorkerWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        fields.pop("active", None)
        worker = actions.worker_create(**fields, actor=request.user)
        return self._detail(worker, status=status.HTTP_201_CREATED)

    @extend_schema(request=WorkerWriteSerializer, responses=WorkerSerializer)
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        worker = access_worker(request.user, kwargs["pk"], for_write=True)
        data = WorkerWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        worker = actions.worker_update(worker=worker, actor=request.user, **data.validated_data)
        return self._detail(worker)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.partial_update(request, *args, **kwargs)


# --- Rosters ---------------------------------------------------------------


class RosterPagination(DefaultCursorPagination):
    ordering = "id"


class GridRosterView(generics.GenericAPIView[RosterEntry]):
    """The current roster of a grid (open entries); POST adds an entry."""

    serializer_class = RosterEntrySerializer
    pagination_class = RosterPagination
    filterset_class = None

    def get_queryset(self) -> QuerySet[RosterEntry]:
        return RosterEntry.objects.none()

    @extend_schema(responses=RosterEntrySerializer(many=True))
    def get(self, request: Request, grid_id: int) -> Response:
        grid = access_grid(request.user, grid_id)
        page = self.paginate_queryset(roster_current(grid=grid))
        return self.get_paginated_response(RosterEntrySerializer(page, many=True).data)

    @extend_schema(request=RosterAddSerializer, responses={201: RosterEntrySerializer})
    def post(self, request: Request, grid_id: int) -> Response:
        grid = access_grid(request.user, grid_id, for_write=True)
        data = RosterAddSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        worker = access_worker(request.user, v["worker"])
        entry = actions.roster_add(
            grid=grid,
            worker=worker,
            role=v["role"],
            full_time=v["full_time"],
            start=v["start"],
            note=v.get("note", ""),
            actor=request.user,
        )
        return Response(RosterEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


class RosterEntryEndView(generics.GenericAPIView[RosterEntry]):
    serializer_class = RosterEntrySerializer

    def get_queryset(self) -> QuerySet[RosterEntry]:
        return RosterEntry.objects.none()

    @extend_schema(request=RosterEndSerializer, responses=RosterEntrySerializer)
    def post(self, request: Request, entry_id: int) -> Response:
        entry = access_roster_entry(request.user, entry_id, for_write=True)
        data = RosterEndSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = actions.roster_end(
            entry=entry,
            end=data.validated_data["end"],
            note=data.validated_data.get("note", ""),
            actor=request.user,
        )
        return Response(RosterEntrySerializer(entry).data)


class HistoryPagination(DefaultCursorPagination):
    ordering = ("-at", "-id")


class GridRosterHistoryView(generics.GenericAPIView[Any]):
    """Audit entries of the grid's roster entries and of its workers, newest first."""

    serializer_class = AuditEntrySerializer
    pagination_class = HistoryPagination
    filterset_class = None

    def get_queryset(self) -> QuerySet[Any]:
        return RosterEntry.objects.none()

    @extend_schema(responses=AuditEntrySerializer(many=True))
    def get(self, request: Request, grid_id: int) -> Response:
        grid = access_grid(request.user, grid_id)
        page = self.paginate_queryset(roster_history(grid=grid))
        return self.get_paginated_response(AuditEntrySerializer(page, many=True).data)


class ComplianceView(APIView):
    """一格一长一警一专多兼 under an area: totals and every non-compliant grid."""

    @extend_schema(
        parameters=[OpenApiParameter("area", OpenApiTypes.INT, required=True)],
        responses=ComplianceReportSerializer,
    )
    def get(self, request: Request) -> Response:
        area = access_roster_area(request.user, _required_param(request, "area"))
        report = roster_compliance(user=request.user, area=area)
        bad = [g for g in report if not g.compliant]
        data = {
            "area": _brief(area),
            "totals": {
                "grids": len(report),
                "compliant": len(report) - len(bad),
                "non_compliant": len(bad),
            },
            "non_compliant": [
                {
                    "grid": _brief(g.grid),
                    "grid_heads": g.heads,
                    "grid_police": g.police,
                    "full_time_workers": g.full_time_workers,
                    "people": g.people,
                    "reasons": [{"code": c, "message": reason_message(c)} for c in g.reasons],
                }
                for g in bad
            ],
        }
        return Response(ComplianceReportSerializer(data).data)


class RosterTemplateView(_FileFormatMixin, APIView):
    @extend_schema(
        parameters=[OpenApiParameter("format", OpenApiTypes.STR, enum=list(_FILE_FORMATS))],
        responses={
            (200, io.XLSX_CONTENT_TYPE): OpenApiTypes.BINARY,
            (200, "text/csv"): OpenApiTypes.BINARY,
        },
    )
    def get(self, request: Request) -> HttpResponse:
        fmt = _file_format(request)
        content, content_type = io.render([], fmt)
        return _attachment(content, content_type, f"roster-template.{fmt}")


class RosterExportView(_FileFormatMixin, APIView):
    """Current rosters of every grid under an area; phone and ID number masked."""

    @extend_schema(
        parameters=[
            OpenApiParameter("area", OpenApiTypes.INT, required=True),
            OpenApiParameter("format", OpenApiTypes.STR, enum=list(_FILE_FORMATS)),
        ],
        responses={
            (200, io.XLSX_CONTENT_TYPE): OpenApiTypes.BINARY,
            (200, "text/csv"): OpenApiTypes.BINARY,
        },
    )
    def get(self, request: Request) -> HttpResponse:
        fmt = _file_format(request)
        area = access_roster_area(request.user, _required_param(request, "area"))
        rows = io.export_rows(roster_export_rows(area=area))
        content, content_type = io.render(rows, fmt)
        stamp = timezone.localdate().strftime("%Y%m%d")
        return _attachment(content, content_type, f"roster-{area.code}-{stamp}.{fmt}")


class RosterImportView(APIView):
    """Upload a roster file. ``?dry_run=1`` reports errors and changes without
    writing; without it the file is applied all-or-nothing (400 on any error)."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        parameters=[OpenApiParameter("dry_run", OpenApiTypes.BOOL)],
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
                "required": ["file"],
            }
        },
        responses=ImportReportSerializer,
    )
    def post(self, request: Request) -> Response:
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationFailed(extra={"fields": {"file": [_("No file was submitted.")]}})
        dry_run = request.query_params.get("dry_run", "").lower() in ("1", "true", "yes")
        rows = io.read_upload(upload)
        plan = io.plan_import(rows, actor=request.user)
        if dry_run:
            return Response(plan.report(dry_run=True, applied=False))
        io.apply_import(plan, actor=request.user)
        if plan.errors:
            report = plan.report(dry_run=False, applied=False)
            raise ValidationFailed(
                _("The file has errors; nothing was imported."),
                code="import_invalid",
                extra={"errors": report["errors"]},
            )
        return Response(plan.report(dry_run=False, applied=True))


# --- Visits ----------------------------------------------------------------


def _local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


class VisitFilter(django_filters.FilterSet):
    grid = IdFilter(field_name="grid_id")
    area = IdFilter(method="filter_area", label="area id (subtree)")
    worker = IdFilter(field_name="worker_id")
    kind = django_filters.ChoiceFilter(choices=VisitKind.choices)
    # core's DateFilter: years 1900–2999, so a day can be added and converted.
    date_from = DateFilter(method="filter_from", label="from date (inclusive)")
    date_to = DateFilter(method="filter_to", label="to date (inclusive)")

    class Meta:
        model = Visit
        fields = ["grid", "area", "worker", "kind", "date_from", "date_to"]

    def filter_area(self, queryset: QuerySet[Visit], name: str, value: int) -> QuerySet[Visit]:
        path = Area.objects.filter(pk=value).values_list("path", flat=True).first()
        if path is None:
            return queryset.none()
        return queryset.filter(grid__path__startswith=path)

    def filter_from(self, queryset: QuerySet[Visit], name: str, value: dt.date) -> QuerySet[Visit]:
        return queryset.filter(visited_at__gte=_local_midnight(value))

    def filter_to(self, queryset: QuerySet[Visit], name: str, value: dt.date) -> QuerySet[Visit]:
        if value >= dt.date.max - dt.timedelta(days=1):
            return queryset
        return queryset.filter(visited_at__lt=_local_midnight(value + dt.timedelta(days=1)))


class VisitPagination(DefaultCursorPagination):
    ordering = ("-visited_at", "-id")


class VisitViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[Visit],
):
    """Visits and patrols (走访 / 巡查), scoped to the grids the caller works in."""

    serializer_class = VisitSerializer
    filterset_class = VisitFilter
    pagination_class = VisitPagination
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def get_queryset(self) -> QuerySet[Visit]:
        return visit_list(user=self.request.user)

    def get_object(self) -> Visit:
        from grids.rosters.access import access_visit

        return access_visit(self.request.user, self.kwargs["pk"])

    @extend_schema(request=VisitCreateSerializer, responses={201: VisitSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = VisitCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        grid = access_grid(request.user, v["grid"])
        worker = access_worker(request.user, v["worker"]) if v.get("worker") else None
        photos = request.FILES.getlist("photos") if hasattr(request.FILES, "getlist") else []
        visit = actions.visit_log(
            grid=grid,
            worker=worker,
            visited_at=v["visited_at"],
            kind=v["kind"],
            household=v.get("household", ""),
            address=v.get("address", ""),
            notes=v.get("notes", ""),
            photos=photos,
            actor=request.user,
        )
        visit = visit_list(user=request.user).get(pk=visit.pk)
        return Response(VisitSerializer(visit).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[
            OpenApiParameter("area", OpenApiTypes.INT, required=True),
            OpenApiParameter("month", OpenApiTypes.STR, required=True, description="YYYY-MM"),
        ],
        responses=VisitStatsSerializer,
    )
    @action(detail=False, methods=["get"], filterset_class=None, pagination_class=None)
    def stats(self, request: Request) -> Response:
        """Per grid under the area: visits in the month and distinct households visited."""
        month = _required_param(request, "month")
        if not _MONTH.match(month):
            raise ValidationFailed(extra={"fields": {"month": [_("Write the month as YYYY-MM.")]}})
        area = access_roster_area(request.user, _required_param(request, "area"))
        rows = [
            {"grid": _brief(g), "visits": g.n_visits, "households": g.n_households}
            for g in visit_stats(user=request.user, area=area, month=month)
        ]
        data = {
            "area": _brief(area),
            "month": month,
            "totals": {
                "grids": len(rows),
                "visits": sum(r["visits"] for r in rows),
                "households": sum(r["households"] for r in rows),
            },
            "grids": rows,
        }
        return Response(VisitStatsSerializer(data).data)
