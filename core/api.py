"""DRF glue: the one exception handler that gives every error one shape.

    {"code": "...", "message": "...", "extra": {...}}

400 validation, 401 unauthenticated, 403 forbidden, 404 absent-or-not-yours,
405, 409 conflict / invalid transition, 429 throttled.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_default_handler

from core.errors import ApplicationError, from_suspicious

_DRF_CODES: dict[type[drf.APIException], str] = {
    drf.NotAuthenticated: "not_authenticated",
    drf.AuthenticationFailed: "authentication_failed",
    drf.PermissionDenied: "permission_denied",
    drf.NotFound: "not_found",
    drf.MethodNotAllowed: "method_not_allowed",
    drf.NotAcceptable: "not_acceptable",
    drf.UnsupportedMediaType: "unsupported_media_type",
    drf.Throttled: "throttled",
    drf.ParseError: "parse_error",
}


def _field_errors(detail: Any) -> Any:
    """Flatten DRF's ErrorDetail tree into plain strings, keeping its shape."""
    if isinstance(detail, dict):
        return {str(k): _field_errors(v) for k, v in detail.items()}
    if isinstance(detail, list):
        return [_field_errors(v) for v in detail]
    return str(detail)


def django_validation_error_to_dict(exc: DjangoValidationError) -> dict[str, Any]:
    if hasattr(exc, "error_dict"):
        return {k: [str(m) for e in v for m in e.messages] for k, v in exc.error_dict.items()}
    return {"non_field_errors": [str(m) for m in exc.messages]}


def _suspicious(exc: SuspiciousOperation, context: dict[str, Any]) -> ApplicationError:
    """A request Django refuses to read (too large, too many fields, bad Host).

    Django would answer its HTML 400 page; the API answers the one error
    shape instead, and logs to the same ``django.security.*`` logger Django
    uses, so alerting on those keeps working.
    """
    request = context.get("request")
    django_request = getattr(request, "_request", request)
    mark = getattr(django_request, "_mark_post_parse_error", None)
    if callable(mark):
        mark()  # the body cannot be read again; don't raise a second time
    logging.getLogger(f"django.security.{exc.__class__.__name__}").error(
        str(exc), extra={"status_code": 400, "request": django_request}
    )
    return from_suspicious(exc)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, SuspiciousOperation):
        exc = _suspicious(exc, context)
    if isinstance(exc, ApplicationError):
        headers = {}
        if exc.status == 401:
            headers["WWW-Authenticate"] = 'Token realm="api"'
        return Response(exc.as_dict(), status=exc.status, headers=headers)

    if isinstance(exc, DjangoValidationError):
        fields = django_validation_error_to_dict(exc)
        body = {
            "code": "validation_error",
            "message": _("The data sent is not valid."),
            "extra": {"fields": fields},
        }
        return Response(body, status=400)

    if isinstance(exc, Http404):
        exc = drf.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied()

    response = drf_default_handler(exc, context)
    if response is None:
        return None  # a real bug: let Django's 500 handling log it

    extra: dict[str, Any] = {}
    if isinstance(exc, drf.ValidationError):
        code = "validation_error"
        message = _("The data sent is not valid.")
        detail = _field_errors(exc.detail)
        extra["fields"] = detail if isinstance(detail, dict) else {"non_field_errors": detail}
    else:
        assert isinstance(exc, drf.APIException)
        code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), "error")
        message = str(exc.detail) if not isinstance(exc.detail, list | dict) else str(exc)
        wait = getattr(exc, "wait", None)
        if isinstance(exc, drf.Throttled) and wait is not None:
            extra["retry_after_seconds"] = int(wait)
    response.data = {"code": code, "message": message, "extra": extra}
    return response
