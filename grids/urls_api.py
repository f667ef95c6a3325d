"""API routes of the grids app, mounted under /api/v1/ by config/urls.py."""

from django.urls import URLPattern, URLResolver
from rest_framework.routers import SimpleRouter

router = SimpleRouter(trailing_slash=True)

urlpatterns: list[URLPattern | URLResolver] = [*router.urls]
