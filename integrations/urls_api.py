"""API routes of the integrations app, mounted under /api/v1/ by config/urls.py."""

from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import SimpleRouter

from integrations import apis

router = SimpleRouter(trailing_slash=True)
router.register("webhooks", apis.WebhookViewSet, basename="webhook")

urlpatterns: list[URLPattern | URLResolver] = [
    path("intake/12345/", apis.HotlineIntakeView.as_view(), name="intake-12345"),
    *router.urls,
]
