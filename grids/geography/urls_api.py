"""API routes of grids.geography, included by grids/urls_api.py (under /api/v1/)."""

from django.urls import URLPattern, URLResolver, path

from grids.geography import apis

urlpatterns: list[URLPattern | URLResolver] = [
    path("grids/", apis.GridProfileListView.as_view(), name="grid-profile-list"),
    path("grids/locate/", apis.GridLocateView.as_view(), name="grid-locate"),
    path("grids/<int:area_id>/profile/", apis.GridProfileView.as_view(), name="grid-profile"),
]
