"""API routes of the services app, mounted under /api/v1/ by config/urls.py."""

from django.urls import URLPattern, URLResolver
from rest_framework.routers import SimpleRouter

from services import apis

router = SimpleRouter(trailing_slash=True)
router.register("tickets", apis.TicketViewSet, basename="ticket")
router.register("dispatches", apis.DispatchViewSet, basename="dispatch")
router.register("categories", apis.CategoryViewSet, basename="category")
router.register("supervision", apis.SupervisionViewSet, basename="supervision")

urlpatterns: list[URLPattern | URLResolver] = [*router.urls]
