"""One structured log line per request (JSON in production)."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from core.clientip import client_ip

logger = logging.getLogger("gridgov.request")


class RequestLogMiddleware:
    """Outermost middleware: times the whole request and logs it once.

    The request id comes from ``X-Request-ID`` when a proxy sets one, is
    echoed back, and is available to views as ``request.request_id``.
    Only the path is logged, never the query string (it may carry a phone
    number or a token).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming[:64] if incoming.isascii() and incoming else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        response = self.get_response(request)
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        user = getattr(request, "user", None)
        logger.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "request_id": request_id,
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": duration_ms,
                "user_id": user.pk if user is not None and user.is_authenticated else None,
                # The same address the rate limits and login lockouts count.
                "client_ip": client_ip(request),
            },
        )
        response["X-Request-ID"] = request_id
        return response
