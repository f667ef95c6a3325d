"""API routes of the grids app, mounted under /api/v1/ by config/urls.py."""

from django.urls import URLPattern, URLResolver, include, path
from rest_framework.routers import SimpleRouter

router = SimpleRouter(trailing_slash=True)

urlpatterns: list[URLPattern | URLResolver] = [*router.urls]
# grids.geography: profiles and point → grid lookup (first, so no detail route shadows them).
urlpatterns.insert(0, path("", include("grids.geography.urls_api")))
# grids.rosters: workers, rosters, compliance, import/export, visits.
urlpatterns.insert(0, path("", include("grids.rosters.urls_api")))
