"""Cross-cutting pages: health check."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.errors import AccessDenied, ApplicationError, MalformedRequest, from_suspicious
from core.security import API_PREFIXES

logger = logging.getLogger(__name__)


def _check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "down"
        logger.warning("healthz: database check failed: %s", exc.__class__.__name__)
        return "error"
    return "ok"


def _check_broker() -> str:
    from kombu import Connection

    try:
        with Connection(
            settings.CELERY_BROKER_URL,
            transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
            connect_timeout=settings.HEALTHZ_BROKER_TIMEOUT,
        ) as conn:
            conn.ensure_connection(max_retries=1, timeout=settings.HEALTHZ_BROKER_TIMEOUT)
    except Exception as exc:  # kombu raises many transport-specific errors
        logger.warning("healthz: broker check failed: %s", exc.__class__.__name__)
        return "error"
    return "ok"


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 while the database answers; the broker's state is reported.

    A broker outage degrades (deliveries wait in the outbox) but does not take
    the web tier out of the load balancer, so it gives 200 "degraded";
    a database outage gives 503.
    """
    checks = {"database": _check_database(), "broker": _check_broker()}
    warnings: list[str] = []
    if checks["database"] != "ok":
        status, code = "error", 503
    else:
        from core.workcalendar import calendar_warnings

        warnings = calendar_warnings()
        checks["calendar"] = "warning" if warnings else "ok"
        status = "degraded" if checks["broker"] != "ok" else "ok"
        code = 200
    return JsonResponse({"status": status, "checks": checks, "warnings": warnings}, status=code)


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIXES)


def api_error_response(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    """``exc`` as the API answers it: the one error shape, or under /open311/
    the GeoReport error list (in the format the path's suffix asks for)."""
    if request.path.startswith("/open311/"):
        # Imported here: core knows no app, but this handler serves them all.
        from integrations.open311 import Open311Error, error_response

        fmt = "xml" if request.path.endswith(".xml") else "json"
        return error_response(Open311Error(exc.status, exc.message), fmt)
    return JsonResponse(exc.as_dict(), status=exc.status)


def handler400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """A request Django refused (bad Host, body too large, too many fields …).

    Django logs it to ``django.security.*`` before calling this; the API gets
    the one error shape, a page the short HTML page.
    """
    if _wants_json(request):
        error = (
            from_suspicious(exception)
            if isinstance(exception, SuspiciousOperation)
            else MalformedRequest()
        )
        return api_error_response(request, error)
    return render(request, "400.html", status=400)


def handler403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _wants_json(request):
        return api_error_response(request, AccessDenied())
    return render(request, "403.html", status=403)


def handler404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """API paths answer in the one error shape; pages get the HTML page."""
    if _wants_json(request):
        body = {"code": "not_found", "message": _("Not found."), "extra": {}}
        return JsonResponse(body, status=404)
    return render(request, "404.html", status=404)


def handler500(request: HttpRequest) -> HttpResponse:
    if _wants_json(request):
        body = {
            "code": "server_error",
            "message": _("An unexpected error occurred; it has been logged."),
            "extra": {"request_id": getattr(request, "request_id", "")},
        }
        return JsonResponse(body, status=500)
    return render(
        request, "500.html", {"request_id": getattr(request, "request_id", "")}, status=500
    )
