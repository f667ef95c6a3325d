from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from core import apis as core_apis
from core import pages as core_pages
from core.views import healthz
from governance import apis as governance_apis
from governance import views as governance_views

router = DefaultRouter(trailing_slash=True)
router.register("areas", governance_apis.AreaViewSet, basename="area")
router.register("departments", governance_apis.DepartmentViewSet, basename="department")
router.register("inbox", core_apis.InboxViewSet, basename="inbox")

api_v1: list[URLPattern | URLResolver] = [
    path("me/", governance_apis.MeView.as_view(), name="me"),
    path("calendar/deadline/", core_apis.DeadlineView.as_view(), name="calendar-deadline"),
    path("", include(router.urls)),
    # Each app owns its API routes in <app>/urls_api.py.
    path("", include("grids.urls_api")),
    path("", include("partyorg.urls_api")),
    path("", include("services.urls_api")),
    path("", include("integrations.urls_api")),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/v1/", include((api_v1, "api"), namespace="v1")),
    path("open311/v2/", include(("integrations.urls_open311", "open311"), namespace="open311")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: the
    # Content-Security-Policy refuses inline scripts (docs/decisions/0027).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/2fa/", include("core.urls_accounts")),
    path("", governance_views.home, name="home"),
    path("areas/", governance_views.area_tree, name="area-tree"),
    path("areas/<int:area_id>/", governance_views.area_detail, name="area-detail"),
    path("inbox/", core_pages.inbox, name="inbox"),
    path("inbox/<int:pk>/open/", core_pages.inbox_open, name="inbox-open"),
    path("inbox/read-all/", core_pages.inbox_read_all, name="inbox-read-all"),
    path("", include("services.urls")),
    path("", include("grids.rosters.urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# API paths (/api/, /open311/) answer every error as data, pages as HTML.
handler400 = "core.views.handler400"
handler403 = "core.views.handler403"
handler404 = "core.views.handler404"
handler500 = "core.views.handler500"
