"""Open311 GeoReport v2 routes, mounted at /open311/v2/ by config/urls.py."""

from django.urls import URLPattern, re_path

from integrations import open311

F = r"\.(?P<fmt>json|xml)$"

urlpatterns: list[URLPattern] = [
    re_path(r"^discovery" + F, open311.DiscoveryView.as_view(), name="discovery"),
    re_path(r"^services" + F, open311.ServiceListView.as_view(), name="services"),
    re_path(
        r"^services/(?P<code>[A-Za-z0-9_\-]{1,12})" + F,
        open311.ServiceDefinitionView.as_view(),
        name="service",
    ),
    re_path(r"^requests" + F, open311.RequestListView.as_view(), name="requests"),
    re_path(
        r"^requests/(?P<request_id>[A-Za-z0-9_\-]{1,40})" + F,
        open311.RequestDetailView.as_view(),
        name="request",
    ),
    re_path(r"^tokens/(?P<token>[A-Za-z0-9]{1,64})" + F, open311.TokenView.as_view(), name="token"),
    re_path(r"^(?P<rest>.*)$", open311.NotFoundView.as_view(), name="not-found"),
]
