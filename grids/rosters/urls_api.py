"""API routes of grids.rosters; included first by grids/urls_api.py so fixed
paths such as ``grids/compliance/`` win over a ``grids/<pk>/`` detail route."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import SimpleRouter

from grids.rosters import apis

router = SimpleRouter(trailing_slash=True)
router.register("grids/workers", apis.WorkerViewSet, basename="grid-worker")
router.register("visits", apis.VisitViewSet, basename="visit")

urlpatterns: list[URLPattern | URLResolver] = [
    path("grids/compliance/", apis.ComplianceView.as_view(), name="grid-compliance"),
    path("grids/rosters/template/", apis.RosterTemplateView.as_view(), name="grid-roster-template"),
    path("grids/rosters/import/", apis.RosterImportView.as_view(), name="grid-roster-import"),
    path("grids/rosters/export/", apis.RosterExportView.as_view(), name="grid-roster-export"),
    path(
        "grids/roster-entries/<int:entry_id>/end/",
        apis.RosterEntryEndView.as_view(),
        name="grid-roster-entry-end",
    ),
    path("grids/<int:grid_id>/roster/", apis.GridRosterView.as_view(), name="grid-roster"),
    path(
        "grids/<int:grid_id>/roster/history/",
        apis.GridRosterHistoryView.as_view(),
        name="grid-roster-history",
    ),
    *router.urls,
]
