"""Page routes of the roster workbench."""

from django.urls import path

from grids.rosters import views

urlpatterns = [
    path("grids/<int:grid_id>/roster/", views.grid_roster, name="grid-roster-page"),
    path("grids/<int:grid_id>/roster/add/", views.roster_add, name="grid-roster-add"),
    path("roster-entries/<int:entry_id>/end/", views.roster_end, name="roster-entry-end"),
    path("workers/search/", views.worker_search, name="worker-search"),
    path("areas/<int:area_id>/compliance/", views.area_compliance, name="area-compliance"),
    path("rosters/import/", views.roster_import, name="roster-import"),
    path("rosters/import/apply/", views.roster_import_apply, name="roster-import-apply"),
]
