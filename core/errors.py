"""The one error family. Every failure a client can cause is one of these.

Each has a stable ``code`` (tests import the class, clients match the code),
a human ``message`` (translated), an HTTP ``status`` and free-form ``extra``.
The DRF handler in core.api and the HTML views render the same three fields.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import (
    DisallowedHost,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.utils.translation import gettext_lazy as _


class ApplicationError(Exception):
    status = 400
    code = "invalid"
    default_message: Any = _("The request could not be processed.")

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.message = str(message or self.default_message)
        if code:
            self.code = code
        self.extra = extra or {}
        super().__init__(self.message)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "extra": self.extra}


class ValidationFailed(ApplicationError):
    """Input is malformed or breaks a rule; ``extra["fields"]`` maps field → messages."""

    status = 400
    code = "validation_error"
    default_message: Any = _("The data sent is not valid.")


class NotAuthenticated(ApplicationError):
    status = 401
    code = "not_authenticated"
    default_message: Any = _("Authentication credentials were not provided or are invalid.")


class AccessDenied(ApplicationError):
    """The caller may see the object but not do this to it."""

    status = 403
    code = "permission_denied"
    default_message: Any = _("You are not allowed to do this.")


class NotFound(ApplicationError):
    """Absent, or out of the caller's scope: the two are never told apart."""

    status = 404
    code = "not_found"
    default_message: Any = _("Not found.")


class Conflict(ApplicationError):
    status = 409
    code = "conflict"
    default_message: Any = _("The request conflicts with the current state.")


class InvalidTransition(Conflict):
    code = "invalid_transition"
    default_message: Any = _("This action is not allowed in the current state.")


class MalformedRequest(ApplicationError):
    """The request itself cannot be read (issue 18, finding 8): a body over
    the size limit, too many fields or files, a Host the site does not
    serve, JSON nested too deeply. Always a 400 in the one error shape."""

    status = 400
    code = "bad_request"
    default_message: Any = _("The request could not be read.")


#: Codes of ``MalformedRequest`` (clients and tests match these).
REQUEST_TOO_LARGE = "request_too_large"
TOO_MANY_FIELDS = "too_many_fields"
TOO_MANY_FILES = "too_many_files"
BAD_HOST = "bad_host"
JSON_TOO_DEEP = "json_too_deep"

MALFORMED_MESSAGES: dict[str, Any] = {
    REQUEST_TOO_LARGE: _("The request body is too large."),
    TOO_MANY_FIELDS: _("The request has too many fields."),
    TOO_MANY_FILES: _("The request has too many files."),
    BAD_HOST: _("The Host header names a site this server does not serve."),
    JSON_TOO_DEEP: _("The JSON body is nested too deeply."),
}


def malformed(code: str) -> MalformedRequest:
    return MalformedRequest(MALFORMED_MESSAGES.get(code), code=code)


def from_suspicious(exc: SuspiciousOperation) -> MalformedRequest:
    """Django's SuspiciousOperation (raised while reading a request) as ours."""
    if isinstance(exc, RequestDataTooBig):
        return malformed(REQUEST_TOO_LARGE)
    if isinstance(exc, TooManyFieldsSent):
        return malformed(TOO_MANY_FIELDS)
    if isinstance(exc, TooManyFilesSent):
        return malformed(TOO_MANY_FILES)
    if isinstance(exc, DisallowedHost):
        return malformed(BAD_HOST)
    return MalformedRequest()
