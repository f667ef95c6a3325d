"""Cross-cutting pages: health check."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

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
    from config.celery import app

    try:
        with app.connection_for_write() as conn:
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
    if checks["database"] != "ok":
        status, code = "error", 503
    elif checks["broker"] != "ok":
        status, code = "degraded", 200
    else:
        status, code = "ok", 200
    return JsonResponse({"status": status, "checks": checks}, status=code)
